// A minimal HTTP/1.0 client for the relay's metrics and health listener (client side only).
#pragma once

#include <cstdint>
#include <string>

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

}  // namespace msrp::test
