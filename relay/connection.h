// One accepted TCP or TLS connection: socket (libuv), TLS over socket-buffer BIOs (OpenSSL), the MSRP
// framer, the outbound byte queue with high/low watermarks, and a counted read pause.
//
// Lifetime:
//   Accepted --(TLS handshake)--> Open --Close(reason)--> Closing --(uv close cb)--> destroyed
// The Server owns every Connection (by id). Close() may be called any number of times; the
// handler's OnClosing runs once, synchronously, and the object is destroyed only after libuv
// has closed the handle (handler OnClosed). A raw Connection* is valid only during a callback.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>
#include <uv.h>

#include "common/framer.h"
#include "relay/counters.h"
#include "relay/inbound_route.h"
#include "relay/path.h"
#include "relay/tls_bio.h"

namespace msrp::relay {

class Connection;

/// Receives a connection's events. Implemented by the Server.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  virtual void OnHead(Connection& conn, MessageHead& head) = 0;
  virtual void OnBody(Connection& conn, std::string_view bytes) = 0;
  virtual void OnEnd(Connection& conn, EndFlag flag) = 0;
  /// The outbound queue fell below the low watermark after having passed the high one.
  virtual void OnDrained(Connection& conn) = 0;
  /// An outbound connection is established (TCP, and TLS with a verified peer).
  virtual void OnEstablished(Connection& conn) = 0;
  /// Close() was called: detach sessions, fail transactions. Called once.
  virtual void OnClosing(Connection& conn) = 0;
  /// libuv has closed the handle: the handler must now destroy the connection.
  virtual void OnClosed(Connection& conn) = 0;
  /// Asks for ProcessBuffered() to be called later from the loop (never re-entrantly).
  virtual void ScheduleProcess(Connection& conn) = 0;
  /// Asks for EncryptPending() to be called once the current loop callbacks are done, so
  /// everything sent meanwhile leaves in as few TLS records as possible.
  virtual void ScheduleEncrypt(Connection& conn) = 0;
};

/// Watermarks and caps for one connection's outbound queue (bytes).
struct QueueLimits {
  uint64_t high_watermark = 1 << 20;
  uint64_t low_watermark = 1 << 18;
  uint64_t max_queue_bytes = 16 << 20;
};

class Connection : private Framer::Sink {
 public:
  /// `ssl_ctx` null for plain TCP. `listener_port` is the port the connection came in on (0
  /// for outbound). `outbound`: TLS client role, then Connect() instead of Accept().
  Connection(uv_loop_t* loop, uint64_t id, SSL_CTX* ssl_ctx, ConnectionHandler* handler,
             FramerLimits framer_limits, QueueLimits queue_limits, uint16_t listener_port,
             Counters* counters, bool outbound = false);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Accepts from `server` and starts reading. Returns a libuv error code (0 on success).
  int Accept(uv_stream_t* server);

  /// Outbound (RFC 4976 §6.4, C-06): connects to `addresses` in order (U-08: the next one
  /// after a failure), then runs the TLS client handshake when the connection has TLS. What
  /// Send() queues meanwhile goes out once the connection is established. When every address
  /// failed the connection closes with a reason naming the last one. `name` is the next hop's
  /// host:port, for logs.
  void Connect(std::vector<sockaddr_storage> addresses, std::vector<std::string> address_texts, std::string name);

  /// Queues bytes for the peer (encrypted first on TLS). Ignored once closing.
  void Send(std::string_view bytes);

  /// Bytes accepted by Send() and not yet written to the socket.
  uint64_t pending_bytes() const;

  /// Counted read pause (several destinations may pause one source). Reading resumes when
  /// every PauseReading has been matched by a ResumeReading.
  void PauseReading();
  void ResumeReading();

  /// Starts closing: stops reading, tells the handler, closes the socket. Idempotent.
  void Close(const std::string& reason);

  /// Stops reading and closes once the outbound queue has been written (e.g. after a final
  /// response). Close() is still called if the peer never reads (Server tick).
  void CloseAfterFlush(const std::string& reason);

  /// Feeds input held back while reading was paused. Called by the handler from the loop.
  void ProcessBuffered();

  /// TLS: encrypts what Send() collected since the last call (records of up to 16 KiB) and
  /// starts writing it. Called by the handler from the loop (ScheduleEncrypt).
  void EncryptPending();

  /// Frees the capacity of empty I/O buffers when nothing was read or written for `quiet_ms`
  /// (ms) before `now_ms` (loop time). Called from the Server's tick.
  void ReleaseIdleBuffers(uint64_t now_ms, uint64_t quiet_ms);

  /// Asks the handler to call back from the loop (ScheduleProcess), e.g. to finish work
  /// deferred while the connection waited for another one.
  void RequestProcess() { handler_->ScheduleProcess(*this); }

  uint64_t id() const { return id_; }
  /// True for a connection this relay opened (to another relay or a relay-less peer).
  bool outbound() const { return outbound_; }
  /// Outbound: TCP connected and, with TLS, the handshake done (peer certificate verified).
  bool established() const { return established_; }
  /// Outbound: the TLS handshake failed (e.g. the peer certificate did not verify, C-03), or
  /// the peer refused ours right after it (TLS 1.3) before sending any data.
  bool tls_failed() const { return tls_failed_; }
  /// The OpenSSL object (nullptr on plain TCP), e.g. to check the peer certificate.
  SSL* ssl() const { return ssl_; }
  bool closing() const { return closing_; }
  bool is_tls() const { return ssl_ != nullptr; }
  bool handshake_done() const { return handshake_done_; }
  const std::string& peer() const { return peer_; }
  /// The peer's IP address without port (for per-address limits).
  const std::string& peer_ip() const { return peer_ip_; }
  /// Loop time of the last byte read or written.
  uint64_t last_activity_ms() const { return last_activity_ms_; }
  uint16_t listener_port() const { return listener_port_; }
  bool above_high() const { return above_high_; }
  uint64_t above_high_since_ms() const { return above_high_since_ms_; }
  bool close_after_flush() const { return close_after_flush_; }
  /// Why Close() was called (empty before).
  const std::string& close_reason() const { return close_reason_; }
  /// True while a message body is being read.
  bool framer_in_body() const { return framer_.in_body(); }
  uint64_t bytes_in() const { return bytes_in_; }
  uint64_t bytes_out() const { return bytes_out_; }
  void set_framer_limits(FramerLimits limits) { framer_.set_limits(limits); }
  void set_queue_limits(QueueLimits limits) { queue_limits_ = limits; }

  /// MSRP state the Server keeps per connection.
  InboundRoute route;                       ///< what to do with the current message's bytes
  std::vector<std::string> session_ids;     ///< sessions minted for this client connection
  std::vector<std::string> relay_session_ids;  ///< relay-bound sessions minted over it (refresh lookup only)
  std::vector<uint64_t> paused_sources;     ///< connections this one paused (above high watermark)
  /// R-18 multiplexing of what goes out on this connection: at most one source streams a SEND
  /// piece at a time; others wait in order; whole frames (responses, REPORTs, other requests)
  /// cut the open piece with '+' and go out between pieces.
  uint64_t stream_owner = 0;                ///< source connection whose piece is (or may be) open here
  /// Sources waiting to stream here, in arrival order (a vector: an empty std::deque costs an
  /// allocation per connection, and waiters are few).
  std::vector<uint64_t> stream_waiters;
  PathCache to_path_cache;                  ///< last To-Path received, parsed
  PathCache from_path_cache;                ///< last From-Path received, parsed
  std::string nonce_binding;                ///< binds Digest nonces to this connection (A-05)
  std::string opaque;                       ///< Digest opaque sent in challenges
  std::vector<std::pair<std::string, uint32_t>> nonce_counts;  ///< last nc per nonce (A-18)
  uint32_t auth_failures = 0;               ///< 401s without stale (A-16)
  /// The relay at the other end, lower case, when proven by TLS: the host we dialled and
  /// verified (C-03), or the inbound peer whose client certificate matched From-Path[0].
  std::string relay_identity;
  bool had_success = false;                 ///< a request succeeded (ends probation, C-05)
  uint64_t opened_ms = 0;                   ///< loop time at accept
  uint64_t close_requested_ms = 0;          ///< loop time of CloseAfterFlush

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnUvClose(uv_handle_t* handle);
  static void OnConnect(uv_connect_t* req, int status);
  static void OnAttemptClosed(uv_handle_t* handle);
  void TryNextAddress();
  void Establish();  ///< outbound ready: flush what was queued, tell the handler

  // Framer::Sink
  void OnHead(MessageHead& head) override;
  void OnBody(std::string_view bytes) override;
  void OnEnd(EndFlag flag) override;
  void OnFrameError(const FrameError& error) override;

  void HandleCiphertext(const char* data, size_t len);
  void DrainTls();  ///< SSL_read plaintext into the framer while not paused
  void FeedPlain(std::string_view plain);
  void FeedFramer(std::string_view plain);  ///< into the framer; keeps what a pause left unread
  /// TLS: SSL_write of `plain` into out_cipher_, in records of up to 16 KiB. False when
  /// OpenSSL failed and the connection is closing.
  bool EncryptPlain(std::string_view plain);
  void Flush();     ///< starts a socket write when none is in flight
  void CheckWatermarks();

  uv_loop_t* loop_;
  uint64_t id_;
  ConnectionHandler* handler_;
  uv_tcp_t tcp_;
  uv_write_t write_req_;
  SSL* ssl_ = nullptr;
  TlsInput tls_input_;      ///< TLS: ciphertext read from the socket, not yet taken by SSL_read
  std::string out_cipher_;  ///< TLS: records written by OpenSSL, not yet handed to libuv
  bool tls_setup_failed_ = false;  ///< SSL_new or a BIO failed (out of memory): never used
  Framer framer_;
  QueueLimits queue_limits_;
  uint16_t listener_port_;
  std::string peer_;
  std::string peer_ip_;
  Counters* counters_;
  uint64_t last_activity_ms_ = 0;
  std::string out_plain_;     ///< plain TCP: bytes not yet handed to libuv
  std::string in_flight_;     ///< bytes of the write in flight (kept alive until OnWrite)
  size_t in_flight_written_ = 0;  ///< of in_flight_, the prefix uv_try_write already wrote
  std::string held_plain_;    ///< plaintext not yet fed (reading paused mid-buffer)
  std::string tls_pending_;   ///< TLS: plaintext sent this loop turn, not yet encrypted
  bool encrypt_scheduled_ = false;
  std::string close_reason_pending_;  ///< reason given to CloseAfterFlush
  std::string close_reason_;          ///< reason given to Close
  bool outbound_ = false;
  bool established_ = false;
  bool tls_failed_ = false;
  bool attempt_closing_ = false;      ///< the handle of a failed connect attempt is closing
  bool tcp_connected_ = false;        ///< accepted, or an outbound connect succeeded
  bool received_app_data_ = false;    ///< TLS: the peer sent application data
  uv_connect_t connect_req_{};
  std::vector<sockaddr_storage> addresses_;  ///< outbound: addresses to try, in order
  std::vector<std::string> address_texts_;
  size_t next_address_ = 0;
  std::string last_connect_error_;
  bool write_in_flight_ = false;
  bool reading_ = false;
  bool closing_ = false;
  bool close_after_flush_ = false;
  bool handshake_done_ = false;
  bool above_high_ = false;
  uint64_t above_high_since_ms_ = 0;
  int pause_count_ = 0;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
};

}  // namespace msrp::relay
