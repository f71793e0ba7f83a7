// One non-blocking TCP connection, optionally TLS, driven by a libuv poll handle: connect or
// adopt an accepted socket, TLS handshake, buffered writes with backpressure, reads to a handler.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <uv.h>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct bio_st BIO;

namespace msrp::bench {

/// A byte stream over TCP or TLS. TLS reads go straight from the socket (read-ahead); TLS
/// writes are encrypted into a memory BIO and written to the socket in large batches.
///
/// Lifetime: Close() stops all I/O at once and closes the poll handle; the object must stay
/// alive until the loop has run the close callback (handle_closed()). Handlers are never called
/// after Close().
class StreamConn {
 public:
  /// Receives connection events. Data views are valid only during the call.
  class Handler {
   public:
    virtual ~Handler() = default;
    /// TCP connected and (for TLS) the handshake finished.
    virtual void OnReady(StreamConn& conn) = 0;
    /// Bytes arrived (decrypted for TLS).
    virtual void OnData(StreamConn& conn, std::string_view data) = 0;
    /// Queued output dropped below the low mark after having been above it.
    virtual void OnDrained(StreamConn& conn) {}
    /// The connection failed or the peer closed it; it is already closed.
    virtual void OnClosed(StreamConn& conn, const std::string& why) = 0;
  };

  /// Queued output below this wakes OnDrained.
  static constexpr size_t kLowMark = 128 * 1024;

  StreamConn(uv_loop_t* loop, Handler* handler);
  ~StreamConn();
  StreamConn(const StreamConn&) = delete;
  StreamConn& operator=(const StreamConn&) = delete;

  /// Starts a non-blocking connect to ip:port; with `ctx` a TLS client handshake follows,
  /// verifying `verify_name` (a host name or an IP literal) when the context verifies.
  bool Connect(const std::string& ip, uint16_t port, SSL_CTX* ctx, const std::string& verify_name,
               std::string* error);
  /// Takes an accepted non-blocking socket; with `ctx` a TLS server handshake follows.
  bool Adopt(int fd, SSL_CTX* ctx, std::string* error);

  /// Queues bytes; they go out on Flush() (or at once when much is queued).
  void Write(std::string_view data);
  /// Writes as much queued output as the socket takes; asks for writability for the rest.
  void Flush();
  /// Bytes queued and not yet accepted by the socket (plaintext plus ciphertext).
  size_t pending() const { return (out_.size() - out_off_) + (enc_.size() - enc_off_); }

  /// Closes the connection (idempotent). No handler call follows.
  void Close();

  bool ready() const { return ready_; }
  bool closed() const { return closed_; }
  bool handle_closed() const { return handle_closed_; }

  void* user = nullptr;  ///< owner's tag

 private:
  enum class Phase { kConnecting, kHandshake, kOpen };

  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnHandleClosed(uv_handle_t* handle);
  bool Start(std::string* error);
  void Fail(const std::string& why);
  void OnConnectDone();
  void DoHandshake();
  void ReadAvailable();
  bool DrainWbio();
  bool WriteCiphertext();
  void UpdatePoll();

  uv_loop_t* loop_;
  Handler* handler_;
  uv_poll_t poll_{};
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  BIO* wbio_ = nullptr;
  Phase phase_ = Phase::kConnecting;
  int poll_events_ = 0;
  bool poll_started_ = false;
  bool ready_ = false;
  bool closed_ = false;
  bool handle_closed_ = true;
  bool above_low_ = false;
  std::string out_;   ///< plaintext not yet encrypted (TLS) or not yet written (TCP)
  size_t out_off_ = 0;
  std::string enc_;   ///< ciphertext not yet written (TLS)
  size_t enc_off_ = 0;
};

}  // namespace msrp::bench
