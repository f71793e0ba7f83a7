// Direct-mode listener: a non-blocking listening socket on a libuv poll handle that hands each
// accepted socket to a callback.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <uv.h>

namespace msrp::bench {

/// Listens on ip:port (port 0 = any free port). Close() before destruction, then run the loop.
class Listener {
 public:
  explicit Listener(uv_loop_t* loop) : loop_(loop) {}
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  /// Binds, listens and starts accepting; `on_accept` gets each non-blocking socket.
  bool Start(const std::string& ip, uint16_t port, std::function<void(int)> on_accept, std::string* error);
  /// The bound port.
  uint16_t port() const { return port_; }
  /// Stops accepting and closes the socket (after the loop runs the close callback).
  void Close();

 private:
  static void OnPoll(uv_poll_t* handle, int status, int events);

  uv_loop_t* loop_;
  uv_poll_t poll_{};
  int fd_ = -1;
  uint16_t port_ = 0;
  bool open_ = false;
  std::function<void(int)> on_accept_;
};

}  // namespace msrp::bench
