// SocketConnection: libuv socket I/O, OpenSSL over socket-buffer BIOs (tls_bio.h), the outbound
// byte queue. One write in flight at a time; the next batch starts from the write callback.
#include "relay/net/socket_connection.h"

#include <cstring>

#include "relay/net/tls_bio.h"

#include <openssl/err.h>
#include <spdlog/spdlog.h>

namespace msrp::relay {

namespace {

/// One read buffer for the whole loop: read_cb consumes it completely before returning.
constexpr size_t kReadBufferSize = 64 * 1024;
char g_read_buffer[kReadBufferSize];
/// Plaintext out of SSL_read, also consumed synchronously.
constexpr size_t kPlainBufferSize = 16 * 1024;
char g_plain_buffer[kPlainBufferSize];
/// Send() encrypts a slice at least this long at once instead of collecting it for the turn's
/// batch: it fills whole TLS records by itself, and copying it first would cost a pass over
/// every body byte.
constexpr size_t kEncryptAtOnceBytes = 4096;
/// The largest plaintext OpenSSL puts in one TLS record.
constexpr size_t kMaxRecordPlaintext = 16384;

std::string PeerName(uv_tcp_t* tcp, std::string* ip) {
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  char host[64] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    uv_ip4_name(a, host, sizeof host);
    port = ntohs(a->sin_port);
    *ip = host;
    return std::string(host) + ":" + std::to_string(port);
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
  uv_ip6_name(a, host, sizeof host);
  port = ntohs(a->sin6_port);
  *ip = host;
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

}  // namespace

SocketConnection::SocketConnection(uv_loop_t* loop, uint64_t id, SSL_CTX* ssl_ctx, SocketEvents* events,
                                   Counters* counters, bool outbound)
    : loop_(loop), id_(id), events_(events), counters_(counters), outbound_(outbound) {
  uv_tcp_init(loop_, &tcp_);
  tcp_.data = this;
  if (ssl_ctx != nullptr) {
    ssl_ = SSL_new(ssl_ctx);
    BIO* rbio = NewTlsInputBio(&tls_input_);
    BIO* wbio = NewTlsOutputBio(&out_cipher_);
    if (ssl_ == nullptr || rbio == nullptr || wbio == nullptr) {
      BIO_free(rbio);
      BIO_free(wbio);
      tls_setup_failed_ = true;  // Accept/Connect refuse: never fall back to plaintext
    } else {
      SSL_set_bio(ssl_, rbio, wbio);
      if (outbound_) {
        SSL_set_connect_state(ssl_);
      } else {
        SSL_set_accept_state(ssl_);
      }
    }
  }
  opened_ms_ = uv_now(loop_);
  last_activity_ms_ = opened_ms_;
}

SocketConnection::~SocketConnection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

void SocketConnection::StartReading() {
  if (reading_ || !accepting_input() || !tcp_connected_) return;
  reading_ = true;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &SocketConnection::OnAlloc, &SocketConnection::OnRead);
}

void SocketConnection::StopReading() {
  if (!reading_) return;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  reading_ = false;
}

int SocketConnection::Accept(uv_stream_t* server) {
  int rc = uv_accept(server, reinterpret_cast<uv_stream_t*>(&tcp_));
  if (rc != 0) return rc;
  if (tls_setup_failed_) return UV_ENOMEM;
  uv_tcp_nodelay(&tcp_, 1);
  tcp_connected_ = true;
  peer_ = PeerName(&tcp_, &peer_ip_);
  opened_ms_ = uv_now(loop_);
  last_activity_ms_ = opened_ms_;
  reading_ = true;
  return uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &SocketConnection::OnAlloc, &SocketConnection::OnRead);
}

void SocketConnection::Connect(std::vector<sockaddr_storage> addresses, std::vector<std::string> address_texts,
                         std::string name) {
  addresses_ = std::move(addresses);
  address_texts_ = std::move(address_texts);
  peer_ = std::move(name);
  next_address_ = 0;
  if (tls_setup_failed_) {
    Close("out of memory setting up TLS");
    return;
  }
  TryNextAddress();
}

void SocketConnection::TryNextAddress() {
  if (closing_) return;
  if (next_address_ >= addresses_.size()) {
    Close(addresses_.empty() ? "no address to connect to" : "connect failed: " + last_connect_error_);
    return;
  }
  const size_t i = next_address_++;
  connect_req_.data = this;
  int rc = uv_tcp_connect(&connect_req_, &tcp_, reinterpret_cast<const sockaddr*>(&addresses_[i]),
                          &SocketConnection::OnConnect);
  if (rc != 0) {
    last_connect_error_ = address_texts_[i] + ": " + uv_strerror(rc);
    // The handle is unused: try the next address on it at once.
    TryNextAddress();
  }
}

void SocketConnection::OnConnect(uv_connect_t* req, int status) {
  auto* self = static_cast<SocketConnection*>(req->data);
  if (status == UV_ECANCELED || self->closing_) return;  // Close() is tearing the handle down
  if (status != 0) {
    self->last_connect_error_ = self->address_texts_[self->next_address_ - 1] + ": " + uv_strerror(status);
    SPDLOG_DEBUG("[c{} {}] connect to {} failed", self->id_, self->peer_, self->last_connect_error_);
    if (self->next_address_ >= self->addresses_.size()) {
      self->Close("connect failed: " + self->last_connect_error_);
      return;
    }
    // A handle whose connect failed is not reused: close it, then retry on a fresh one.
    self->attempt_closing_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&self->tcp_), &SocketConnection::OnAttemptClosed);
    return;
  }
  uv_tcp_nodelay(&self->tcp_, 1);
  std::string name = self->peer_;
  self->peer_ = PeerName(&self->tcp_, &self->peer_ip_);
  SPDLOG_DEBUG("[c{} {}] TCP connected to {}", self->id_, self->peer_, name);
  self->peer_ = name + " " + self->peer_;
  self->last_activity_ms_ = uv_now(self->loop_);
  self->tcp_connected_ = true;
  self->StartReading();
  if (self->ssl_ == nullptr) {
    self->Establish();
    return;
  }
  SSL_do_handshake(self->ssl_);  // ClientHello into the write BIO
  self->Flush();
}

void SocketConnection::OnAttemptClosed(uv_handle_t* handle) {
  auto* self = static_cast<SocketConnection*>(handle->data);
  self->attempt_closing_ = false;
  if (self->closing_) {
    self->events_->OnHandleClosed(*self);  // Close() ran meanwhile and left the handle to us
    return;
  }
  uv_tcp_init(self->loop_, &self->tcp_);
  self->tcp_.data = self;
  self->TryNextAddress();
}

void SocketConnection::Establish() {
  established_ = true;
  if (ssl_ != nullptr && !out_plain_.empty()) {
    std::string queued;
    queued.swap(out_plain_);
    Send(queued);
  } else {
    Flush();
  }
  if (!closing_) events_->OnEstablished(*this);
}

void SocketConnection::OnAlloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  buf->base = g_read_buffer;
  buf->len = kReadBufferSize;
}

void SocketConnection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<SocketConnection*>(stream->data);
  if (nread == 0) return;
  if (nread < 0) {
    self->Close(nread == UV_EOF ? "peer closed" : std::string("read error: ") + uv_strerror(static_cast<int>(nread)));
    return;
  }
  self->bytes_in_ += static_cast<uint64_t>(nread);
  self->last_activity_ms_ = uv_now(self->loop_);
  if (self->ssl_ != nullptr) {
    self->HandleCiphertext(buf->base, static_cast<size_t>(nread));
  } else {
    self->Deliver(std::string_view(buf->base, static_cast<size_t>(nread)));
  }
}

void SocketConnection::HandleCiphertext(const char* data, size_t len) {
  // SSL_read takes the bytes straight from the read buffer; a pause leaves the rest held.
  tls_input_.fresh = std::string_view(data, len);
  DrainTls();
  tls_input_.KeepUnread();
}

void SocketConnection::DrainTls() {
  while (accepting_input()) {
    int n = SSL_read(ssl_, g_plain_buffer, kPlainBufferSize);
    if (n > 0) {
      if (!handshake_done_) {
        handshake_done_ = true;
        if (outbound_ && !established_) {
          Establish();
          if (closing_) return;
        }
      }
      received_app_data_ = true;
      Deliver(std::string_view(g_plain_buffer, static_cast<size_t>(n)));
      continue;
    }
    int err = SSL_get_error(ssl_, n);
    if (!handshake_done_ && SSL_is_init_finished(ssl_)) {
      handshake_done_ = true;
      SPDLOG_DEBUG("[c{} {}] TLS handshake done: {} {}", id_, peer_, SSL_get_version(ssl_), SSL_get_cipher_name(ssl_));
      if (outbound_ && !established_) {
        Establish();
        if (closing_) return;
      }
    }
    Flush();  // handshake records, alerts
    if (err == SSL_ERROR_WANT_READ) return;
    if (err == SSL_ERROR_ZERO_RETURN) {
      Close("peer sent TLS close_notify");
      return;
    }
    unsigned long code = ERR_peek_error();
    std::string reason = code ? ERR_reason_error_string(code) ? ERR_reason_error_string(code) : "unknown" : "unknown";
    ERR_clear_error();
    // TLS 1.3: a server that refuses our client certificate says so after our side of the
    // handshake finished; with no application data yet it is still a handshake failure.
    if (!handshake_done_ || (outbound_ && !received_app_data_)) {
      counters_->tls_handshake_failures++;
      tls_failed_ = true;
      long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK) reason += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    }
    Close(std::string(handshake_done_ ? "TLS error: " : "TLS handshake failed: ") + reason);
    return;
  }
  Flush();
}

void SocketConnection::Deliver(std::string_view plain) {
  if (!accepting_input()) return;
  events_->OnPlaintext(*this, plain);
}

void SocketConnection::ProcessBuffered() {
  if (!accepting_input()) return;
  if (ssl_ != nullptr) DrainTls();
}

void SocketConnection::Send(std::string_view bytes) {
  if (closing_ || bytes.empty()) return;
  if (outbound_ && !established_) {
    out_plain_.append(bytes);  // queued until connected (and the TLS handshake is done)
    return;
  }
  if (ssl_ != nullptr) {
    if (bytes.size() >= kEncryptAtOnceBytes) {
      // Body bytes: encrypted now, after what this turn collected so far (order kept).
      if (!tls_pending_.empty() && !EncryptPlain(tls_pending_)) return;
      tls_pending_.clear();
      if (!EncryptPlain(bytes)) return;
      Flush();
      return;
    }
    // Collected and encrypted once per loop turn: a head, an end-line and the responses sent
    // meanwhile share TLS records instead of one record per call.
    tls_pending_.append(bytes);
    if (!encrypt_scheduled_) {
      encrypt_scheduled_ = true;
      events_->ScheduleEncrypt(*this);
    }
    return;
  }
  out_plain_.append(bytes);
  Flush();
}

bool SocketConnection::EncryptPlain(std::string_view plain) {
  while (!plain.empty()) {
    size_t n = std::min(plain.size(), kMaxRecordPlaintext);
    int rc = SSL_write(ssl_, plain.data(), static_cast<int>(n));
    if (rc <= 0) {
      ERR_clear_error();
      tls_pending_.clear();
      Close("TLS write failed");
      return false;
    }
    plain.remove_prefix(static_cast<size_t>(rc));
  }
  return true;
}

void SocketConnection::EncryptPending() {
  encrypt_scheduled_ = false;
  if (closing_ || tls_pending_.empty()) return;
  if (!EncryptPlain(tls_pending_)) return;
  std::string().swap(tls_pending_);  // an idle connection keeps no buffer (one malloc per turn otherwise)
  Flush();
  // What the socket took at once left the queue outside any engine call: tell the engine, or
  // sources it paused at the high watermark would wait for a write callback that never comes.
  if (!closing_) events_->OnWritten(*this);
}

uint64_t SocketConnection::pending_bytes() const {
  return out_cipher_.size() + out_plain_.size() + tls_pending_.size() +
         (write_in_flight_ ? in_flight_.size() - in_flight_written_ : 0);
}

void SocketConnection::Flush() {
  if (write_in_flight_ || closing_ || attempt_closing_) return;
  if (outbound_ && ssl_ == nullptr && !established_) return;
  // TLS: ciphertext only (out_plain_ holds plaintext queued until the handshake is done).
  std::string& ready = ssl_ != nullptr ? out_cipher_ : out_plain_;
  if (ready.empty()) return;
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  // What the socket takes now is written at once: a uv_write completes only in the next loop
  // turn, and everything sent meanwhile (up to 32 reads of the source) would wait for it.
  uv_buf_t now = uv_buf_init(ready.data(), static_cast<unsigned>(ready.size()));
  int taken = uv_try_write(stream, &now, 1);
  if (taken < 0 && taken != UV_EAGAIN) {
    Close(std::string("write error: ") + uv_strerror(taken));
    return;
  }
  const size_t written = taken > 0 ? static_cast<size_t>(taken) : 0;
  if (written > 0) {
    bytes_out_ += written;
    last_activity_ms_ = uv_now(loop_);
  }
  if (written == ready.size()) {
    ready.clear();
    if (close_after_flush_ && pending_bytes() == 0) Close(close_reason_pending_);  // the final bytes are out
    return;
  }
  // The rest goes in one write; the buffers swap, so nothing is copied.
  in_flight_.clear();
  in_flight_.swap(ready);
  in_flight_written_ = written;
  uv_buf_t buf = uv_buf_init(in_flight_.data() + written, static_cast<unsigned>(in_flight_.size() - written));
  write_req_.data = this;
  int rc = uv_write(&write_req_, stream, &buf, 1, &SocketConnection::OnWrite);
  if (rc != 0) {
    in_flight_.clear();
    Close(std::string("write error: ") + uv_strerror(rc));
    return;
  }
  write_in_flight_ = true;
}

void SocketConnection::OnWrite(uv_write_t* req, int status) {
  auto* self = static_cast<SocketConnection*>(req->data);
  self->write_in_flight_ = false;
  self->bytes_out_ += self->in_flight_.size() - self->in_flight_written_;
  self->last_activity_ms_ = uv_now(self->loop_);
  self->in_flight_.clear();
  if (status != 0) {
    self->Close(std::string("write error: ") + uv_strerror(status));
    return;
  }
  self->Flush();
  if (self->closing_) return;
  self->events_->OnWritten(*self);
  if (self->close_after_flush_ && self->pending_bytes() == 0) {
    self->Close(self->close_reason_pending_);
  }
}

void SocketConnection::ReleaseIdleBuffers(uint64_t now_ms, uint64_t quiet_ms) {
  if (write_in_flight_ || now_ms - last_activity_ms_ < quiet_ms) return;
  // Cleared buffers keep their capacity while traffic flows (no allocation per write); a
  // quiet connection gives it back.
  if (out_cipher_.empty()) std::string().swap(out_cipher_);
  if (in_flight_.empty()) std::string().swap(in_flight_);
  if (tls_input_.size() == 0) std::string().swap(tls_input_.held);
}

void SocketConnection::PauseReading() {
  paused_ = true;
  StopReading();
}

void SocketConnection::ResumeReading() {
  if (!paused_) return;
  paused_ = false;
  if (!accepting_input()) return;
  StartReading();  // outbound and still connecting: OnConnect starts reading
  if (ssl_ != nullptr) events_->ScheduleProcess(*this);  // records read before the pause
}

void SocketConnection::CloseAfterFlush(const std::string& reason) {
  if (closing_ || close_after_flush_) return;
  close_after_flush_ = true;
  close_reason_pending_ = reason;
  StopReading();
  if (pending_bytes() == 0) Close(close_reason_pending_);
}

void SocketConnection::Close(const std::string& reason, bool report) {
  if (closing_) return;
  SPDLOG_INFO("[c{} {}] connection closed: {} (in {} B, out {} B)", id_, peer_, reason, bytes_in_, bytes_out_);
  closing_ = true;
  close_reason_ = reason;
  StopReading();
  if (report) events_->OnSocketClosed(*this);
  if (attempt_closing_) return;  // OnAttemptClosed finishes the close
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &SocketConnection::OnUvClose);
}

void SocketConnection::OnUvClose(uv_handle_t* handle) {
  auto* self = static_cast<SocketConnection*>(handle->data);
  self->events_->OnHandleClosed(*self);
}

}  // namespace msrp::relay
