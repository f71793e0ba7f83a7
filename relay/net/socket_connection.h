// One TCP or TLS socket of the daemon (libuv, OpenSSL over socket-buffer BIOs): reads,
// decrypts and hands plaintext to the engine; takes the engine's bytes, encrypts them in
// batches and writes them with an outbound byte queue; dials next hops. No MSRP inside: the
// relay engine (relay/engine/) sees this socket only through the Transport interface that
// the Server implements.
//
// Lifetime:
//   Accepted/dialled --(TLS handshake)--> Open --Close(reason)--> Closing --(uv close cb)--> destroyed
// The Server owns every SocketConnection (by id). Close() may be called any number of times;
// the object is destroyed only after libuv has closed the handle (OnHandleClosed).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>
#include <uv.h>

#include "relay/engine/counters.h"
#include "relay/net/tls_bio.h"

namespace msrp::relay {

class SocketConnection;

/// Receives a socket's events. Implemented by the Server, which passes them to the engine.
class SocketEvents {
 public:
  virtual ~SocketEvents() = default;
  /// Plaintext read from the peer. Not called while reading is paused.
  virtual void OnPlaintext(SocketConnection& sock, std::string_view bytes) = 0;
  /// The queue shrank outside a Send() call (a write that waited for the socket completed, or
  /// a batch encrypted in the check phase was written): the engine re-checks its watermarks.
  virtual void OnWritten(SocketConnection& sock) = 0;
  /// An outbound connection is established (TCP, and TLS with a verified peer).
  virtual void OnEstablished(SocketConnection& sock) = 0;
  /// The socket closed by itself (peer, I/O error, connect or handshake failure, or a
  /// CloseAfterFlush that completed). Not called for Close(reason, /*report=*/false).
  virtual void OnSocketClosed(SocketConnection& sock) = 0;
  /// libuv has closed the handle: the handler must now destroy the socket.
  virtual void OnHandleClosed(SocketConnection& sock) = 0;
  /// Asks for ProcessBuffered() to be called later from the loop (never re-entrantly).
  virtual void ScheduleProcess(SocketConnection& sock) = 0;
  /// Asks for EncryptPending() to be called once the current loop callbacks are done, so
  /// everything sent meanwhile leaves in as few TLS records as possible.
  virtual void ScheduleEncrypt(SocketConnection& sock) = 0;
};

class SocketConnection {
 public:
  /// `ssl_ctx` null for plain TCP. `outbound`: TLS client role, then Connect() instead of Accept().
  SocketConnection(uv_loop_t* loop, uint64_t id, SSL_CTX* ssl_ctx, SocketEvents* events, Counters* counters,
                   bool outbound = false);
  ~SocketConnection();
  SocketConnection(const SocketConnection&) = delete;
  SocketConnection& operator=(const SocketConnection&) = delete;

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

  /// Stops / resumes reading the socket. Resuming schedules ProcessBuffered() (TLS records
  /// already read).
  void PauseReading();
  void ResumeReading();

  /// Starts closing: stops reading, closes the socket. `report`: tell the events handler
  /// (OnSocketClosed) afterwards. Idempotent.
  void Close(const std::string& reason, bool report = true);

  /// Stops reading and closes once the outbound queue has been written (e.g. after a final
  /// response), then reports OnSocketClosed.
  void CloseAfterFlush(const std::string& reason);

  /// TLS: reads the records still buffered after a pause. Called by the handler from the loop.
  void ProcessBuffered();

  /// TLS: encrypts what Send() collected since the last call (records of up to 16 KiB) and
  /// starts writing it. Called by the handler from the loop (ScheduleEncrypt).
  void EncryptPending();

  /// Frees the capacity of empty I/O buffers when nothing was read or written for `quiet_ms`
  /// (ms) before `now_ms` (loop time). Called from the Server's tick.
  void ReleaseIdleBuffers(uint64_t now_ms, uint64_t quiet_ms);

  uint64_t id() const { return id_; }
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
  /// Why Close() was called (empty before).
  const std::string& close_reason() const { return close_reason_; }
  uint64_t opened_ms() const { return opened_ms_; }
  uint16_t listener_port = 0;  ///< the port it came in on (0 for outbound)
  uint64_t lookup = 0;         ///< outbound: the resolver request under way (0 = none)

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnUvClose(uv_handle_t* handle);
  static void OnConnect(uv_connect_t* req, int status);
  static void OnAttemptClosed(uv_handle_t* handle);
  void TryNextAddress();
  void Establish();  ///< outbound ready: flush what was queued, tell the handler
  void StartReading();
  void StopReading();

  void HandleCiphertext(const char* data, size_t len);
  void DrainTls();  ///< SSL_read plaintext to the handler while not paused
  void Deliver(std::string_view plain);
  /// TLS: SSL_write of `plain` into out_cipher_, in records of up to 16 KiB. False when
  /// OpenSSL failed and the connection is closing.
  bool EncryptPlain(std::string_view plain);
  void Flush();     ///< starts a socket write when none is in flight
  bool accepting_input() const { return !closing_ && !paused_ && !close_after_flush_; }

  uv_loop_t* loop_;
  uint64_t id_;
  SocketEvents* events_;
  uv_tcp_t tcp_;
  uv_write_t write_req_;
  SSL* ssl_ = nullptr;
  TlsInput tls_input_;      ///< TLS: ciphertext read from the socket, not yet taken by SSL_read
  std::string out_cipher_;  ///< TLS: records written by OpenSSL, not yet handed to libuv
  bool tls_setup_failed_ = false;  ///< SSL_new or a BIO failed (out of memory): never used
  std::string peer_;
  std::string peer_ip_;
  Counters* counters_;
  uint64_t opened_ms_ = 0;
  uint64_t last_activity_ms_ = 0;
  std::string out_plain_;     ///< plain TCP, or TLS before established: bytes not yet handed on
  std::string in_flight_;     ///< bytes of the write in flight (kept alive until OnWrite)
  size_t in_flight_written_ = 0;  ///< of in_flight_, the prefix uv_try_write already wrote
  std::string tls_pending_;   ///< TLS: plaintext sent this loop turn, not yet encrypted
  bool encrypt_scheduled_ = false;
  std::string close_reason_;          ///< reason given to Close
  std::string close_reason_pending_;  ///< reason given to CloseAfterFlush
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
  bool paused_ = false;
  bool closing_ = false;
  bool close_after_flush_ = false;
  bool handshake_done_ = false;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
};

}  // namespace msrp::relay
