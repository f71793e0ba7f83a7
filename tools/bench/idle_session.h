// IdleSession: an authenticated connection that only holds its relay session (idle mode).
#pragma once

#include "tools/bench/endpoint.h"

namespace msrp::bench {

/// Connects, authenticates, then ignores whatever arrives.
class IdleSession : public Endpoint {
 public:
  using Endpoint::Endpoint;

 private:
  void OnTrafficHead(const FrameHead& head) override {
    if (head.is_request) run_.Error("request sent to an idle session");
  }
};

}  // namespace msrp::bench
