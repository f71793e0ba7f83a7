// Plain TCP listener and refusing port for the relay-chain tests.
#include "tests/support/tcp_listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace msrp::test {
namespace {

using Clock = std::chrono::steady_clock;

// Binds a fresh TCP socket to 127.0.0.1:0; returns the fd and sets *port.
int BindLoopback(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    close(fd);
    throw std::runtime_error(std::string("bind 127.0.0.1:0: ") + strerror(e));
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

TcpListener::TcpListener() {
  fd_ = BindLoopback(&port_);
  if (listen(fd_, 16) != 0) {
    int e = errno;
    close(fd_);
    fd_ = -1;
    throw std::runtime_error(std::string("listen: ") + strerror(e));
  }
}

TcpListener::~TcpListener() {
  if (fd_ >= 0) close(fd_);
}

int TcpListener::AcceptRaw(Millis timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    pollfd p{fd_, POLLIN, 0};
    int rc = poll(&p, 1, left < 0 ? 0 : static_cast<int>(left));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return -1;
    int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c >= 0) {
      ++accepted_;
      return c;
    }
    if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) return -1;
  }
}

std::unique_ptr<MsrpClient> TcpListener::Accept(Millis timeout, ClientOptions options) {
  int fd = AcceptRaw(timeout);
  if (fd < 0) return nullptr;
  return MsrpClient::FromConnectedSocket(fd, std::move(options));
}

RefusingPort::RefusingPort() { fd_ = BindLoopback(&port_); }

RefusingPort::~RefusingPort() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace msrp::test
