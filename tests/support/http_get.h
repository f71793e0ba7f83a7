// A minimal HTTP/1.0 client for the relay's metrics and health listener (client side only).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace msrp::test {

/// Status and body of one HTTP reply; status 0 when the request failed.
struct HttpReply {
  int status = 0;
  std::string body;
};

/// GET `path` from 127.0.0.1:`port` over HTTP/1.0 (3 s timeouts).
HttpReply HttpGet(uint16_t port, const std::string& path);

/// True if `text` holds `line` as a whole line (e.g. one Prometheus sample).
bool HasLine(const std::string& text, const std::string& line);

/// Polls /metrics on 127.0.0.1:`port` (every 50 ms, the relay refreshes it every 200 ms) until
/// it holds every line of `lines` or `timeout` passes; returns the last body fetched.
std::string PollMetrics(uint16_t port, const std::vector<std::string>& lines,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

}  // namespace msrp::test
