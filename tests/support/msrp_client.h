// Blocking-style MSRP-over-TLS test client (OpenSSL, non-blocking socket driven by poll with
// deadlines): raw writes, frame reads with timeouts, close detection and Digest AUTH.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/msrp_frame.h"

typedef struct ssl_st SSL;

namespace msrp::test {

using Millis = std::chrono::milliseconds;

/// Default time to wait for a frame that must arrive.
inline constexpr Millis kFrameTimeout{5000};

/// How a test client is set up.
struct ClientOptions {
  std::string name = "client";  ///< used in the endpoint URI host: <name>.example.com
  int rcvbuf = 0;               ///< SO_RCVBUF before connect when > 0
  int sndbuf = 0;               ///< SO_SNDBUF before connect when > 0
  Millis connect_timeout{5000}; ///< TCP connect + TLS handshake
  std::string source_address;   ///< local IPv4 address to bind before connect (e.g. 127.0.0.2)
  /// Returns extra context (e.g. relay liveness and log tail) appended to failure messages.
  std::function<std::string()> diagnostics;
  /// TLS: SNI and the name the relay certificate must carry (RelayProcess sets it from the
  /// relay's certificate names).
  std::string server_name = "relay.test";
  /// Plain TCP instead of TLS (RFC 4976 C-04: a relay-less peer on a `transport: tcp`
  /// listener, or a socket accepted by TcpListener). The default endpoint URI then uses msrp:.
  bool plain_tcp = false;
  /// Endpoint URI (From-Path) to use instead of the generated
  /// `msrp[s]://<name>.example.com:9892/<random>;tcp`.
  std::string uri;
  /// TLS: further trust anchors (PEM, one or more certificates) accepted besides the test CA,
  /// e.g. a peer relay's self-signed certificate (interop tests). server_name may also be an
  /// IP literal, matched against iPAddress subjectAltNames.
  std::string extra_ca_pem;
};

/// Outcome of a read attempt.
enum class ReadStatus { kFrame, kTimeout, kClosed, kMalformed };

/// Parameters of an AUTH exchange (RFC 4976 §5.1).
struct AuthOptions {
  std::string to_uri = "msrps://relay.test;tcp";  ///< AUTH To-Path, used byte-exact in A2
  /// URIs put before to_uri in the To-Path (AUTH through an inner relay, RFC 4976 §5.1: the
  /// client's Use-Path at its own relay). The Digest uri stays to_uri (the rightmost URI).
  std::vector<std::string> via;
  std::optional<int64_t> expires;                 ///< Expires header on both AUTHs when set
  bool with_uri_param = false;                    ///< add uri="<to_uri>" to Authorization
  /// Require Authentication-Info with a verifying rspauth in the 200 (msrp-relay sends it).
  /// When false, a 200 without Authentication-Info is accepted (e.g. Kamailio's msrp module),
  /// but an rspauth that is present must still verify.
  bool require_authentication_info = true;
};

/// What Authenticate() learned.
struct AuthResult {
  Frame challenge;        ///< the 401
  Frame response;         ///< the 200
  std::string use_path;   ///< the Use-Path value (this relay: one URI)
  int64_t expires = 0;    ///< the Expires value of the 200
  std::string nonce;
  std::string cnonce;
};

/// One TLS connection to the relay at 127.0.0.1:port, verifying the relay certificate against
/// the test CA with SNI and host name ClientOptions::server_name (relay.test), or with
/// ClientOptions::plain_tcp one plain TCP connection. Each client owns a random endpoint URI
/// `msrps://<name>.example.com:9892/<random>;tcp` (msrp: for plain TCP) unless
/// ClientOptions::uri sets one. Not thread-safe; one thread per client.
class MsrpClient {
 public:
  /// Connects and completes the TLS handshake; throws std::runtime_error on failure.
  MsrpClient(uint16_t port, ClientOptions options);
  /// Wraps an already connected plain TCP socket (e.g. one accepted by TcpListener: the relay
  /// dialled us); takes ownership of `fd` and makes it non-blocking. options.plain_tcp is
  /// forced on.
  static std::unique_ptr<MsrpClient> FromConnectedSocket(int fd, ClientOptions options);
  ~MsrpClient();
  MsrpClient(const MsrpClient&) = delete;
  MsrpClient& operator=(const MsrpClient&) = delete;

  /// This client's endpoint URI (its From-Path).
  const std::string& uri() const { return uri_; }
  const std::string& name() const { return options_.name; }

  /// Writes all of `bytes`; throws if the connection fails or `timeout` passes first.
  void Write(std::string_view bytes, Millis timeout = Millis(20000));
  /// Like Write but returns false instead of throwing when the peer closed or reset.
  bool TryWrite(std::string_view bytes, Millis timeout = Millis(20000));
  /// Writes `bytes` with one SSL_write per octet (TCP_NODELAY is set on every client).
  void WriteBytewise(std::string_view bytes);
  /// Writes as much of `bytes` as possible within `timeout`; returns octets written (may be
  /// 0). The next call must pass the remaining octets starting at the first unwritten one.
  /// Sets `*failed` (if given) when the connection broke.
  size_t WriteSome(std::string_view bytes, Millis timeout, bool* failed = nullptr);

  /// Reads one frame within `timeout` (0 = only what is already available).
  ReadStatus Read(Frame* out, Millis timeout, std::string* error = nullptr);
  /// Reads one frame or throws (timeout, closed, malformed) naming `what`.
  Frame ReadFrame(Millis timeout = kFrameTimeout, std::string_view what = "a frame");
  /// Reads until the bytes of the frame still arriving contain `needle` and returns them (the
  /// frame stays buffered for Read). Throws on timeout, close, or a frame completing first.
  /// For checks on what the relay has sent of a frame it is still streaming.
  std::string ReadPartial(std::string_view needle, Millis timeout = kFrameTimeout);
  /// Empty if nothing arrives within `timeout`; otherwise describes what arrived (a frame or
  /// the connection closing). For "the relay sends nothing" checks.
  std::string ExpectSilence(Millis timeout);
  /// True if the peer closes the connection within `timeout`. Frames read meanwhile are
  /// appended to `frames` (if given) and otherwise ignored.
  bool WaitClosed(Millis timeout, std::vector<Frame>* frames = nullptr);
  /// True once a read saw EOF or a connection error.
  bool closed() const { return closed_; }
  /// Why the connection is closed ("EOF", "TLS close_notify", "write failed: ..."); empty while open.
  const std::string& close_reason() const { return close_reason_; }
  /// Serial number (decimal) and subject (RFC 2253 one-line) of the certificate the relay
  /// presented in the handshake; empty if none.
  std::string PeerCertificateSerial() const;
  std::string PeerCertificateSubject() const;
  /// The TCP socket (-1 once closed), for tests that bypass TLS: raw bytes, shutdown(),
  /// getsockname().
  int fd() const { return fd_; }

  /// Sends an AUTH (`tid`, To-Path `to_uri`, From-Path uri(), extra headers in order) and
  /// returns the response; throws if none arrives.
  Frame SendAuth(std::string_view tid, std::string_view to_uri, const Headers& extra);
  /// Like SendAuth with a To-Path of several URIs (AUTH through an inner relay).
  Frame SendAuthPath(std::string_view tid, const std::vector<std::string>& to_path,
                     const Headers& extra);
  /// Full AUTH 401/200 exchange (To-Path: options.via then options.to_uri); throws unless it
  /// ends in a 200 with Use-Path, Expires and an Authentication-Info whose rspauth verifies.
  AuthResult Authenticate(std::string_view user, std::string_view password,
                          const AuthOptions& options = {});

  /// Closes the TLS connection (close_notify, then the socket). Idempotent.
  void Close();
  /// Closes the socket abruptly (no close_notify). Idempotent.
  void Abort();

  /// The context string from ClientOptions::diagnostics (or empty).
  std::string Diagnostics() const;

 private:
  struct AdoptTag {};
  MsrpClient(AdoptTag, int fd, ClientOptions options);
  void Connect(uint16_t port);
  /// True while the transport (TLS session or plain socket) is usable for I/O.
  bool Open() const { return options_.plain_tcp ? fd_ >= 0 : ssl_ != nullptr; }
  [[noreturn]] void Fail(const std::string& message) const;
  bool WaitFd(short events, std::chrono::steady_clock::time_point deadline);

  ClientOptions options_;
  std::string uri_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  FrameReader reader_;
  bool closed_ = false;
  std::string close_reason_;
};

/// Builds `Authorization: Digest ...` for an AUTH whose To-Path is `to_uri`.
std::string BuildAuthorization(std::string_view user, std::string_view realm,
                               std::string_view password, std::string_view nonce,
                               std::string_view nc, std::string_view cnonce,
                               std::string_view opaque, std::string_view to_uri,
                               bool with_uri_param);

/// Plain TCP connection to 127.0.0.1:port (blocking, CLOEXEC); -1 on failure.
int RawTcpConnect(uint16_t port);

/// A fresh transaction id: 12 random alphanumerics.
std::string NewTid();

}  // namespace msrp::test
