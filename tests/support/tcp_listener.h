// Plain TCP sockets on 127.0.0.1 for relay-chain tests: a listener the relay dials (a relay-less
// msrp: peer, RFC 4976 §9.4 / C-04, or a hop whose TLS handshake never answers, C-09) and a port
// that refuses connections (C-09).
#pragma once

#include <cstdint>
#include <memory>

#include "tests/support/msrp_client.h"

namespace msrp::test {

/// A listening TCP socket on 127.0.0.1 with a kernel-chosen port. The kernel completes TCP
/// handshakes into the backlog even when nobody calls Accept(), so an un-accepted listener is
/// a next hop that "accepts TCP but never answers TLS".
class TcpListener {
 public:
  /// Binds and listens; throws std::runtime_error on failure.
  TcpListener();
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  uint16_t port() const { return port_; }
  /// Accepts one connection within `timeout` and wraps it as a plain-TCP MsrpClient (its
  /// endpoint URI is options.uri when set); nullptr when nobody connected in time.
  std::unique_ptr<MsrpClient> Accept(Millis timeout, ClientOptions options = {});
  /// Accepts one connection within `timeout`; returns its fd (caller closes) or -1.
  int AcceptRaw(Millis timeout);
  /// Connections accepted so far.
  int accepted() const { return accepted_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  int accepted_ = 0;
};

/// A TCP port on 127.0.0.1 that refuses connections (RST): a socket bound to it but not
/// listening, held for the object's lifetime so no other process takes the port meanwhile.
class RefusingPort {
 public:
  RefusingPort();  ///< throws std::runtime_error on failure
  ~RefusingPort();
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace msrp::test
