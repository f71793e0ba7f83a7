// Counters::Summary: one log line with every counter.
#include "relay/engine/counters.h"

namespace msrp::relay {

std::string Counters::Summary() const {
  std::string out;
  auto add = [&out](const char* name, uint64_t value) {
    if (!out.empty()) out.push_back(' ');
    out.append(name).push_back('=');
    out.append(std::to_string(value));
  };
  add("connections_accepted", connections_accepted);
  add("connections_refused_total_limit", connections_refused_total_limit);
  add("connections_refused_per_ip_limit", connections_refused_per_ip_limit);
  add("accept_errors", accept_errors);
  add("fd_limit_reached", fd_limit_reached);
  add("tls_handshake_failures", tls_handshake_failures);
  add("handshake_timeouts", handshake_timeouts);
  add("probation_closes", probation_closes);
  add("idle_closes", idle_closes);
  add("stalled_closes", stalled_closes);
  add("queue_overflow_closes", queue_overflow_closes);
  add("framing_errors", framing_errors);
  add("auth_successes", auth_successes);
  add("auth_failures", auth_failures);
  add("auth_failure_closes", auth_failure_closes);
  add("auth_forbidden", auth_forbidden);
  add("requests_forwarded", requests_forwarded);
  add("responses_generated", responses_generated);
  add("reports_generated", reports_generated);
  add("transaction_timeouts", transaction_timeouts);
  add("pending_transaction_refusals", pending_transaction_refusals);
  add("non_send_body_refusals", non_send_body_refusals);
  add("message_size_refusals", message_size_refusals);
  add("backpressure_pauses", backpressure_pauses);
  add("body_bytes_relayed", body_bytes_relayed);
  add("pieces_split_for_size", pieces_split_for_size);
  add("pieces_cut_for_frames", pieces_cut_for_frames);
  add("stream_waits", stream_waits);
  add("outbound_connects", outbound_connects);
  add("outbound_connect_failures", outbound_connect_failures);
  add("outbound_idle_closes", outbound_idle_closes);
  add("relay_peers_identified", relay_peers_identified);
  return out;
}

}  // namespace msrp::relay
