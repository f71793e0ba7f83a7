// Listener: socket/bind/listen and a bounded accept4 loop per readiness event.
#include "tools/bench/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace msrp::bench {

bool Listener::Start(const std::string& ip, uint16_t port, std::function<void(int)> on_accept, std::string* error) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) {
    *error = "bad listen address " + ip;
    return false;
  }
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd_, 4096) != 0) {
    *error = "listen on " + ip + ":" + std::to_string(port) + ": " + strerror(errno);
    return false;
  }
  socklen_t len = sizeof addr;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  on_accept_ = std::move(on_accept);
  uv_poll_init(loop_, &poll_, fd_);
  poll_.data = this;
  uv_poll_start(&poll_, UV_READABLE, &Listener::OnPoll);
  open_ = true;
  return true;
}

void Listener::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<Listener*>(handle->data);
  for (int i = 0; i < 256 && self->open_; ++i) {
    int fd = accept4(self->fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) break;
    self->on_accept_(fd);
  }
}

void Listener::Close() {
  if (!open_) return;
  open_ = false;
  uv_poll_stop(&poll_);
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), [](uv_handle_t* h) {
    auto* self = static_cast<Listener*>(h->data);
    ::close(self->fd_);
    self->fd_ = -1;
  });
}

}  // namespace msrp::bench
