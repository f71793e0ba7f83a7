// Event counters of the relay (one loop, so plain integers): limits that fired, refusals,
// failures. Logged at shutdown; the base for exported metrics.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace msrp::relay {

/// Monotonic counts since start. Each limit that fires increments exactly one counter.
struct Counters {
  uint64_t connections_accepted = 0;
  uint64_t connections_refused_total_limit = 0;   ///< limits.max_connections
  uint64_t connections_refused_per_ip_limit = 0;  ///< limits.max_connections_per_ip
  uint64_t accept_errors = 0;                     ///< accept failures libuv reports
  uint64_t fd_limit_reached = 0;                  ///< times the process ran out of descriptors (new connections shed)
  uint64_t tls_handshake_failures = 0;
  uint64_t handshake_timeouts = 0;                ///< limits.handshake_timeout
  uint64_t probation_closes = 0;                  ///< limits.probation (C-05)
  uint64_t idle_closes = 0;                       ///< limits.idle_timeout
  uint64_t stalled_closes = 0;                    ///< limits.stall_timeout
  uint64_t queue_overflow_closes = 0;             ///< limits.max_queue_bytes
  uint64_t framing_errors = 0;                    ///< head/header limits, bad start lines (E-01)
  uint64_t auth_successes = 0;
  uint64_t auth_failures = 0;                     ///< 401 without stale
  uint64_t auth_failure_closes = 0;               ///< auth.max_failures (A-16)
  uint64_t auth_forbidden = 0;                    ///< 403: valid credentials, not in auth.allow_users (A-09)
  uint64_t requests_forwarded = 0;
  uint64_t responses_generated = 0;               ///< by the relay itself (200 hop-by-hop, errors)
  uint64_t reports_generated = 0;                 ///< failure REPORTs (R-08, R-09)
  uint64_t transaction_timeouts = 0;              ///< REPORT 408
  uint64_t pending_transaction_refusals = 0;      ///< limits.max_pending_transactions
  uint64_t non_send_body_refusals = 0;            ///< limits.max_non_send_body (F-12)
  uint64_t message_size_refusals = 0;             ///< limits.max_message_bytes (413)
  uint64_t backpressure_pauses = 0;               ///< sources paused at a high watermark
  uint64_t body_bytes_relayed = 0;
  uint64_t pieces_split_for_size = 0;             ///< pieces ended at limits.outgoing_chunk_bytes (R-11)
  uint64_t pieces_cut_for_frames = 0;             ///< pieces ended to let a frame through (R-18)
  uint64_t stream_waits = 0;                      ///< sources that waited for a busy destination
  uint64_t outbound_connects = 0;                 ///< outbound connections opened (C-06)
  uint64_t outbound_connect_failures = 0;         ///< DNS, TCP or TLS failures of those (C-09)
  uint64_t outbound_idle_closes = 0;              ///< peers.idle_timeout (C-08)
  uint64_t relay_peers_identified = 0;            ///< inbound connections proven to be relays (A-17)
  uint64_t auth_stale = 0;                        ///< 401 stale=true (A-08)
  uint64_t auth_challenges = 0;                   ///< 401 to an AUTH without credentials
  std::map<int, uint64_t> responses_by_code;      ///< responses the relay generated, by status code
  std::map<int, uint64_t> reports_by_code;        ///< REPORTs the relay generated, by Status code

  /// "name=value" pairs separated by spaces, for a log line.
  std::string Summary() const;
};

}  // namespace msrp::relay
