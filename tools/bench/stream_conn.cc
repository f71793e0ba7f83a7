// StreamConn: non-blocking socket + optional OpenSSL session on a libuv poll handle. TLS input
// is read from the socket by OpenSSL; TLS output goes through a memory BIO into large writes.
#include "tools/bench/stream_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "tools/bench/tls_setup.h"

namespace msrp::bench {

namespace {

constexpr size_t kReadBuffer = 256 * 1024;
constexpr int kMaxReadsPerEvent = 4096;     // bounded loop; level-triggered poll wakes us again
constexpr size_t kEncryptBatch = 256 * 1024;  // plaintext per SSL_write
constexpr size_t kCipherHigh = 1024 * 1024;   // stop encrypting while this much ciphertext waits
constexpr size_t kAutoFlush = 512 * 1024;     // Write() flushes by itself above this

char g_read_buffer[kReadBuffer];  // one loop, one thread: views are only valid during OnData

bool IsIpLiteral(const std::string& s) {
  in_addr a4{};
  in6_addr a6{};
  return inet_pton(AF_INET, s.c_str(), &a4) == 1 || inet_pton(AF_INET6, s.c_str(), &a6) == 1;
}

void Compact(std::string& buf, size_t& off) {
  if (off == buf.size()) {
    buf.clear();
    off = 0;
  } else if (off > 1024 * 1024 && off * 2 > buf.size()) {
    buf.erase(0, off);
    off = 0;
  }
}

}  // namespace

StreamConn::StreamConn(uv_loop_t* loop, Handler* handler) : loop_(loop), handler_(handler) {}

StreamConn::~StreamConn() {
  // REQUIRES: handle_closed(); the owner ran the loop after Close().
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

bool StreamConn::Connect(const std::string& ip, uint16_t port, SSL_CTX* ctx, const std::string& verify_name,
                         std::string* error) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) {
    *error = "bad IPv4 address " + ip;
    return false;
  }
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    *error = std::string("socket: ") + strerror(errno);
    return false;
  }
  if (ctx != nullptr) {
    ssl_ = SSL_new(ctx);
    if (ssl_ == nullptr) {
      *error = "SSL_new: " + OpenSslErrors();
      return false;
    }
    SSL_set_connect_state(ssl_);
    if (IsIpLiteral(verify_name)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), verify_name.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl_, verify_name.c_str());
      SSL_set1_host(ssl_, verify_name.c_str());
    }
  }
  int rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  if (rc != 0 && errno != EINPROGRESS) {
    *error = "connect " + ip + ":" + std::to_string(port) + ": " + strerror(errno);
    return false;
  }
  phase_ = Phase::kConnecting;
  return Start(error);
}

bool StreamConn::Adopt(int fd, SSL_CTX* ctx, std::string* error) {
  fd_ = fd;
  if (ctx != nullptr) {
    ssl_ = SSL_new(ctx);
    if (ssl_ == nullptr) {
      *error = "SSL_new: " + OpenSslErrors();
      return false;
    }
    SSL_set_accept_state(ssl_);
  }
  phase_ = Phase::kHandshake;
  return Start(error);
}

bool StreamConn::Start(std::string* error) {
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (ssl_ != nullptr) {
    BIO* rbio = BIO_new_socket(fd_, BIO_NOCLOSE);
    wbio_ = BIO_new(BIO_s_mem());
    if (rbio == nullptr || wbio_ == nullptr) {
      *error = "BIO_new: " + OpenSslErrors();
      return false;
    }
    SSL_set_bio(ssl_, rbio, wbio_);
  }
  int rc = uv_poll_init(loop_, &poll_, fd_);
  if (rc != 0) {
    *error = std::string("uv_poll_init: ") + uv_strerror(rc);
    return false;
  }
  poll_.data = this;
  handle_closed_ = false;
  if (phase_ == Phase::kConnecting) {
    UpdatePoll();
  } else if (ssl_ != nullptr) {
    UpdatePoll();  // the client speaks first
  } else {
    phase_ = Phase::kOpen;
    ready_ = true;
    UpdatePoll();
    handler_->OnReady(*this);
  }
  return true;
}

void StreamConn::UpdatePoll() {
  if (closed_) return;
  int events = 0;
  if (phase_ == Phase::kConnecting) {
    events = UV_WRITABLE;
  } else {
    events = UV_READABLE;
    // Also while OnDrained is owed: the writable event is where it is delivered.
    if (pending() > 0 || above_low_) events |= UV_WRITABLE;
  }
  if (poll_started_ && events == poll_events_) return;
  poll_events_ = events;
  poll_started_ = true;
  uv_poll_start(&poll_, events, &StreamConn::OnPoll);
}

void StreamConn::Close() {
  if (closed_) return;
  closed_ = true;
  ready_ = false;
  if (!handle_closed_) {
    uv_poll_stop(&poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_), &StreamConn::OnHandleClosed);
  }
}

void StreamConn::OnHandleClosed(uv_handle_t* handle) {
  auto* self = static_cast<StreamConn*>(handle->data);
  self->handle_closed_ = true;
  if (self->fd_ >= 0) {
    ::close(self->fd_);
    self->fd_ = -1;
  }
}

void StreamConn::Fail(const std::string& why) {
  if (closed_) return;
  Close();
  handler_->OnClosed(*this, why);
}

void StreamConn::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<StreamConn*>(handle->data);
  if (self->closed_) return;
  if (status < 0 && self->phase_ != Phase::kConnecting) {
    // libuv reports POLLERR as UV_EBADF: say what the socket error was.
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(self->fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    self->Fail(err != 0 ? std::string("socket error: ") + strerror(err)
                        : std::string("poll: ") + uv_strerror(status));
    return;
  }
  if (self->phase_ == Phase::kConnecting) {
    self->OnConnectDone();
    return;
  }
  if (self->phase_ == Phase::kHandshake) {
    self->DoHandshake();
    return;
  }
  if (events & UV_WRITABLE) {
    self->Flush();
    if (self->closed_) return;
    if (self->above_low_ && self->pending() < kLowMark) {
      self->above_low_ = false;
      self->handler_->OnDrained(*self);
      if (self->closed_) return;
      self->UpdatePoll();
    }
  }
  if (events & UV_READABLE) self->ReadAvailable();
}

void StreamConn::OnConnectDone() {
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    Fail(std::string("connect: ") + strerror(err));
    return;
  }
  if (ssl_ == nullptr) {
    phase_ = Phase::kOpen;
    ready_ = true;
    UpdatePoll();
    handler_->OnReady(*this);
    return;
  }
  phase_ = Phase::kHandshake;
  DoHandshake();
}

void StreamConn::DoHandshake() {
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (!DrainWbio() || !WriteCiphertext()) return;
  if (rc == 1) {
    phase_ = Phase::kOpen;
    ready_ = true;
    UpdatePoll();
    handler_->OnReady(*this);
    // Read-ahead may already hold application data that arrived with the handshake.
    if (!closed_) ReadAvailable();
    return;
  }
  int e = SSL_get_error(ssl_, rc);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    UpdatePoll();
    return;
  }
  std::string why = "TLS handshake failed: " + OpenSslErrors();
  long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK) why += std::string(" (verify: ") + X509_verify_cert_error_string(verify) + ")";
  if (e == SSL_ERROR_SYSCALL) why += std::string(" (") + (errno ? strerror(errno) : "EOF") + ")";
  Fail(why);
}

void StreamConn::ReadAvailable() {
  for (int i = 0; i < kMaxReadsPerEvent + 64; ++i) {
    if (ssl_ == nullptr) {
      if (i >= kMaxReadsPerEvent) return;
      ssize_t n = ::read(fd_, g_read_buffer, kReadBuffer);
      if (n > 0) {
        handler_->OnData(*this, std::string_view(g_read_buffer, static_cast<size_t>(n)));
        if (closed_) return;
        continue;
      }
      if (n == 0) return Fail("peer closed the connection (EOF)");
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      return Fail(std::string("read: ") + strerror(errno));
    }
    // Past the soft cap, only finish what OpenSSL already buffered (read-ahead).
    if (i >= kMaxReadsPerEvent && !SSL_has_pending(ssl_)) break;
    ERR_clear_error();
    int n = SSL_read(ssl_, g_read_buffer, static_cast<int>(kReadBuffer));
    if (n > 0) {
      handler_->OnData(*this, std::string_view(g_read_buffer, static_cast<size_t>(n)));
      if (closed_) return;
      continue;
    }
    int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_READ) break;
    if (e == SSL_ERROR_WANT_WRITE) break;  // a post-handshake message to send: Flush below
    if (e == SSL_ERROR_ZERO_RETURN) return Fail("peer closed the connection (TLS close_notify)");
    if (e == SSL_ERROR_SYSCALL) {
      return Fail(std::string("peer closed the connection (") + (errno ? strerror(errno) : "EOF") + ")");
    }
    return Fail("TLS read error: " + OpenSslErrors());
  }
  Flush();  // responses written by the handler, TLS key updates
}

void StreamConn::Write(std::string_view data) {
  if (closed_) return;
  out_.append(data.data(), data.size());
  if (pending() >= kAutoFlush) Flush();
}

bool StreamConn::DrainWbio() {
  size_t n = BIO_ctrl_pending(wbio_);
  if (n == 0) return true;
  size_t at = enc_.size();
  enc_.resize(at + n);
  int got = BIO_read(wbio_, enc_.data() + at, static_cast<int>(n));
  if (got < 0) got = 0;
  enc_.resize(at + static_cast<size_t>(got));
  return true;
}

bool StreamConn::WriteCiphertext() {
  std::string& buf = ssl_ != nullptr ? enc_ : out_;
  size_t& off = ssl_ != nullptr ? enc_off_ : out_off_;
  for (int i = 0; i < 1024 && off < buf.size(); ++i) {
    ssize_t n = ::send(fd_, buf.data() + off, buf.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    Fail(std::string("write: ") + strerror(errno));
    return false;
  }
  Compact(buf, off);
  return true;
}

void StreamConn::Flush() {
  if (closed_ || phase_ != Phase::kOpen) return;
  for (int round = 0; round < 64; ++round) {
    size_t before = pending();
    if (ssl_ != nullptr) {
      while (out_off_ < out_.size() && enc_.size() - enc_off_ < kCipherHigh) {
        size_t n = std::min(out_.size() - out_off_, kEncryptBatch);
        ERR_clear_error();
        int rc = SSL_write(ssl_, out_.data() + out_off_, static_cast<int>(n));
        if (rc <= 0) {
          int e = SSL_get_error(ssl_, rc);
          if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
          Fail("TLS write error: " + OpenSslErrors());
          return;
        }
        out_off_ += static_cast<size_t>(rc);
      }
      Compact(out_, out_off_);
      DrainWbio();
    }
    if (!WriteCiphertext()) return;
    if (pending() == 0 || pending() == before) break;
    if (ssl_ != nullptr && enc_.size() > enc_off_) break;  // socket full: wait for writability
    if (ssl_ == nullptr) break;
  }
  if (pending() >= kLowMark) above_low_ = true;
  UpdatePoll();
}

}  // namespace msrp::bench
