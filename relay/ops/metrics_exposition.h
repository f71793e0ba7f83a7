// Prometheus text exposition (format 0.0.4) of the relay's counters and gauges; every metric
// name starts with msrp_.
#pragma once

#include <cstdint>
#include <string>

#include "relay/engine/counters.h"

namespace msrp::relay {

/// Open connections of one transport, by role.
struct ConnectionsByRole {
  uint64_t client = 0;    ///< inbound from an MSRP client (any peer not identified as a relay)
  uint64_t relay = 0;     ///< inbound from a relay identified by its certificate (A-17)
  uint64_t outbound = 0;  ///< opened by this relay to a next hop (C-06)
};

/// Point-in-time values that are not counters.
struct Gauges {
  ConnectionsByRole tls;              ///< open TLS connections
  ConnectionsByRole tcp;              ///< open plain-TCP connections
  uint64_t sessions = 0;              ///< live Use-Path URIs (authenticated sessions)
  uint64_t pending_transactions = 0;  ///< forwarded requests awaiting a response
  uint64_t queued_bytes = 0;          ///< bytes queued towards all peers
  bool draining = false;              ///< shutting down
};

/// Formats `counters` and `gauges` with HELP and TYPE lines. `version` goes into
/// msrp_build_info.
std::string FormatExposition(const Counters& counters, const Gauges& gauges, const std::string& version);

}  // namespace msrp::relay
