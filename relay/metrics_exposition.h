// Prometheus text exposition (format 0.0.4) of the relay's counters and gauges; every metric
// name starts with msrp_.
#pragma once

#include <cstdint>
#include <string>

#include "relay/counters.h"

namespace msrp::relay {

/// Point-in-time values that are not counters.
struct Gauges {
  uint64_t tls_connections = 0;       ///< open inbound TLS connections
  uint64_t tcp_connections = 0;       ///< open inbound plain-TCP connections
  uint64_t sessions = 0;              ///< live Use-Path URIs (authenticated sessions)
  uint64_t pending_transactions = 0;  ///< forwarded requests awaiting a response
  uint64_t queued_bytes = 0;          ///< bytes queued towards all peers
  bool draining = false;              ///< shutting down
};

/// Formats `counters` and `gauges` with HELP and TYPE lines. `version` goes into
/// msrp_build_info.
std::string FormatExposition(const Counters& counters, const Gauges& gauges, const std::string& version);

}  // namespace msrp::relay
