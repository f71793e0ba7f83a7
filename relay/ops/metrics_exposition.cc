// FormatExposition: counters and gauges as Prometheus text lines.
#include "relay/ops/metrics_exposition.h"

#include <utility>

namespace msrp::relay {

namespace {

class Writer {
 public:
  void Family(const char* name, const char* type, const char* help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }
  void Sample(const char* name, const std::string& labels, uint64_t value) {
    out_.append(name);
    if (!labels.empty()) out_.append("{").append(labels).append("}");
    out_.append(" ").append(std::to_string(value)).append("\n");
  }
  void Single(const char* name, const char* type, const char* help, uint64_t value) {
    Family(name, type, help);
    Sample(name, "", value);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string FormatExposition(const Counters& c, const Gauges& g, const std::string& version) {
  Writer w;
  w.Family("msrp_build_info", "gauge", "Build information.");
  w.Sample("msrp_build_info", "version=\"" + version + "\"", 1);
  w.Family("msrp_connections", "gauge", "Open connections by transport and role.");
  for (const auto& [transport, by_role] : {std::pair{"tls", &g.tls}, std::pair{"tcp", &g.tcp}}) {
    const std::string t = std::string("transport=\"") + transport + "\",role=";
    w.Sample("msrp_connections", t + "\"client\"", by_role->client);
    w.Sample("msrp_connections", t + "\"relay\"", by_role->relay);
    w.Sample("msrp_connections", t + "\"outbound\"", by_role->outbound);
  }
  w.Single("msrp_sessions", "gauge", "Authenticated sessions (live Use-Path URIs).", g.sessions);
  w.Single("msrp_pending_transactions", "gauge", "Forwarded requests awaiting a response.", g.pending_transactions);
  w.Single("msrp_queued_bytes", "gauge", "Bytes queued towards peers.", g.queued_bytes);
  w.Single("msrp_draining", "gauge", "1 while shutting down.", g.draining ? 1 : 0);
  w.Single("msrp_connections_accepted_total", "counter", "Inbound connections accepted.", c.connections_accepted);
  w.Family("msrp_connections_refused_total", "counter", "Connections closed at accept by a limit.");
  w.Sample("msrp_connections_refused_total", "limit=\"max_connections\"", c.connections_refused_total_limit);
  w.Sample("msrp_connections_refused_total", "limit=\"max_connections_per_ip\"", c.connections_refused_per_ip_limit);
  w.Single("msrp_accept_errors_total", "counter", "Failed accepts (e.g. out of file descriptors).", c.accept_errors);
  w.Single("msrp_fd_limit_reached_total", "counter",
           "Times the relay ran out of file descriptors (new connections were shed meanwhile).", c.fd_limit_reached);
  w.Single("msrp_tls_handshake_failures_total", "counter", "TLS handshakes that failed.", c.tls_handshake_failures);
  w.Family("msrp_connection_closes_total", "counter", "Connections closed by the relay, by reason.");
  w.Sample("msrp_connection_closes_total", "reason=\"handshake_timeout\"", c.handshake_timeouts);
  w.Sample("msrp_connection_closes_total", "reason=\"probation\"", c.probation_closes);
  w.Sample("msrp_connection_closes_total", "reason=\"idle\"", c.idle_closes);
  w.Sample("msrp_connection_closes_total", "reason=\"stalled\"", c.stalled_closes);
  w.Sample("msrp_connection_closes_total", "reason=\"queue_overflow\"", c.queue_overflow_closes);
  w.Sample("msrp_connection_closes_total", "reason=\"framing_error\"", c.framing_errors);
  w.Sample("msrp_connection_closes_total", "reason=\"auth_failures\"", c.auth_failure_closes);
  w.Sample("msrp_connection_closes_total", "reason=\"outbound_idle\"", c.outbound_idle_closes);
  w.Family("msrp_auth_total", "counter", "AUTH requests addressed to the relay, by outcome.");
  w.Sample("msrp_auth_total", "outcome=\"success\"", c.auth_successes);
  w.Sample("msrp_auth_total", "outcome=\"failure\"", c.auth_failures);
  w.Sample("msrp_auth_total", "outcome=\"stale\"", c.auth_stale);
  w.Sample("msrp_auth_total", "outcome=\"challenge\"", c.auth_challenges);
  w.Sample("msrp_auth_total", "outcome=\"forbidden\"", c.auth_forbidden);
  w.Single("msrp_messages_relayed_total", "counter", "Requests forwarded (chunks and non-SEND requests).",
           c.requests_forwarded);
  w.Single("msrp_bytes_relayed_total", "counter", "Body bytes of completely forwarded requests.",
           c.body_bytes_relayed);
  w.Family("msrp_responses_generated_total", "counter", "Responses the relay generated, by status code.");
  for (const auto& [code, n] : c.responses_by_code) w.Sample("msrp_responses_generated_total", "code=\"" + std::to_string(code) + "\"", n);
  w.Family("msrp_reports_generated_total", "counter", "Failure REPORTs the relay generated, by status code.");
  for (const auto& [code, n] : c.reports_by_code) w.Sample("msrp_reports_generated_total", "code=\"" + std::to_string(code) + "\"", n);
  w.Single("msrp_transaction_timeouts_total", "counter", "Forwarded SENDs with no response in time (REPORT 408).",
           c.transaction_timeouts);
  w.Single("msrp_backpressure_pauses_total", "counter", "Times a source was paused at a high watermark.",
           c.backpressure_pauses);
  w.Family("msrp_pieces_total", "counter", "Forwarded SEND pieces ended early, by cause (R-11, R-18).");
  w.Sample("msrp_pieces_total", "cause=\"size\"", c.pieces_split_for_size);
  w.Sample("msrp_pieces_total", "cause=\"frame\"", c.pieces_cut_for_frames);
  w.Single("msrp_stream_waits_total", "counter", "Sources that waited for a destination busy with another chunk.",
           c.stream_waits);
  w.Single("msrp_outbound_connects_total", "counter", "Outbound connections to next hops opened.",
           c.outbound_connects);
  w.Single("msrp_outbound_connect_failures_total", "counter", "Outbound connections that failed (DNS, TCP, TLS).",
           c.outbound_connect_failures);
  w.Single("msrp_relay_peers_identified_total", "counter", "Inbound connections identified as relays (A-17).",
           c.relay_peers_identified);
  w.Family("msrp_limit_refusals_total", "counter", "Requests refused by a limit.");
  w.Sample("msrp_limit_refusals_total", "limit=\"max_pending_transactions\"", c.pending_transaction_refusals);
  w.Sample("msrp_limit_refusals_total", "limit=\"max_non_send_body\"", c.non_send_body_refusals);
  w.Sample("msrp_limit_refusals_total", "limit=\"max_message_bytes\"", c.message_size_refusals);
  return w.Take();
}

}  // namespace msrp::relay
