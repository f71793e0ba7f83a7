// Forwarder: routing decisions, path rewrite, hop-by-hop responses, REPORTs (streaming to a
// destination: forwarder_streams.cc).
#include "relay/engine/forwarder.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/writer.h"
#include "relay/engine/auth_handler.h"
#include "relay/engine/log_safe.h"
#include "relay/engine/next_hop_pool.h"
#include "relay/engine/relay_policy.h"

namespace msrp::relay {

namespace {

/// Byte-Range for a REPORT about `bytes` octets starting at `range.start`.
std::string ReportRange(const ByteRange& range, uint64_t bytes) {
  ByteRange out;
  out.start = range.start;
  out.end = range.start + bytes - 1;  // start-1 when nothing was forwarded ("1-0/N")
  out.total = range.total;
  return FormatByteRange(out);
}

}  // namespace

void Forwarder::SendResponse(Connection& conn, std::string_view tid, int code, std::string_view to_path,
                             std::string_view from_path, const std::vector<Header>& extra) {
  std::string out;
  AppendResponse(out, tid, code, ReasonPhrase(code), to_path, from_path, extra);
  SendFrame(conn, out);
  ctx_.counters.responses_generated++;
  ctx_.counters.responses_by_code[code]++;
  PauseIfBusy(conn, conn);
}

void Forwarder::PauseIfBusy(Connection& source, Connection& dest) {
  if (!dest.above_high() || source.closing() || dest.closing()) return;
  auto& paused = dest.paused_sources;
  if (std::find(paused.begin(), paused.end(), source.id()) != paused.end()) return;
  paused.push_back(source.id());
  source.PauseReading();
  ctx_.counters.backpressure_pauses++;
  SPDLOG_DEBUG("[c{}] paused: destination c{} has {} bytes queued", source.id(), dest.id(), dest.pending_bytes());
}

Forwarder::PeerKind Forwarder::ClassifyPeer(Connection& conn, const Uri& from0) {
  if (!conn.is_tls() || from0.scheme != Scheme::kMsrps) return PeerKind::kClient;
  if (!conn.relay_identity.empty()) {
    return EqualsIgnoreCase(conn.relay_identity, from0.host) ? PeerKind::kRelay : PeerKind::kClient;
  }
  if (conn.outbound() || !ctx_.transport->PeerCertificateMatches(conn.id(), from0.host)) return PeerKind::kClient;
  if (!RelayAllowed(ctx_.config->peers, from0.host)) {
    SPDLOG_INFO("[c{} {}] relay {} refused by peers.relays", conn.id(), conn.peer(), LogSafe(from0.host, 100));
    return PeerKind::kDeniedRelay;
  }
  conn.relay_identity = ToLowerAscii(from0.host);
  conn.had_success = true;  // a proven relay is not on probation (C-05)
  ctx_.counters.relay_peers_identified++;
  SPDLOG_INFO("[c{} {}] peer is relay {} (client certificate verified, A-17)", conn.id(), conn.peer(),
              LogSafe(conn.relay_identity, 100));
  // C-06: requests for that relay's own URI may use this connection.
  if (from0.port && ctx_.next_hops != nullptr) ctx_.next_hops->AddInbound(conn, from0);
  return PeerKind::kRelay;
}

bool Forwarder::TowardRelay(const Uri& next, const std::string& relay) {
  return next.scheme == Scheme::kMsrps && EqualsIgnoreCase(next.host, relay);
}

Connection* Forwarder::NextHopConnection(Connection& conn, const Uri& next) {
  auto dest = ctx_.next_hops != nullptr ? ctx_.next_hops->Get(next) : Result<Connection*>(Err("no next hops"));
  if (!dest.ok()) {
    Reject(conn, 403, dest.error());
    return nullptr;
  }
  return dest.value();
}

void Forwarder::EndTransaction(PendingTransaction* txn, Connection& dest) {
  txn->ended = true;
  dest.NoteTransactionEnd(txn->out_tid);
  ArmWrittenTransactions(dest);
}

void Forwarder::ArmWrittenTransactions(Connection& conn) {
  if (conn.outbound() && !conn.established()) return;  // queued until it is up
  const uint64_t deadline = ctx_.now_ms() + uint64_t{ctx_.config->limits.transaction_timeout} * 1000;
  conn.TakeWrittenEnds([&](std::string_view tid) {
    PendingTransaction* txn = ctx_.transactions.Find(conn.id(), tid);
    if (txn != nullptr && txn->ended && !txn->armed) ctx_.transactions.Arm(txn, deadline);
  });
}

void Forwarder::OnDrained(Connection& conn) {
  std::vector<uint64_t> paused;
  paused.swap(conn.paused_sources);
  for (uint64_t id : paused) {
    if (Connection* src = ctx_.Live(id)) src->ResumeReading();
  }
}

void Forwarder::SendLocalReport(Connection& conn, int code) {
  // Failure-Report: partial and a local failure: REPORT instead of a response.
  const InboundRoute& r = conn.route;
  if (r.message_id.empty()) return;
  std::string tid = NewTransactionId();
  std::vector<Header> headers{{"To-Path", r.from_path},
                              {"From-Path", r.response_from},
                              {"Message-ID", r.message_id}};
  // The chunk was refused as a whole: the REPORT covers it as the request stated it, with the
  // end learned from the body when the request said '*' (still '*' before any body byte).
  auto range = ParseByteRange(r.byte_range);
  ByteRange br = range.ok() ? range.value() : ByteRange{};
  if (!br.end && r.body_bytes > 0) br.end = br.start + r.body_bytes - 1;
  if (!range.ok() && !r.has_body) br.end = 0;  // no Byte-Range, no body: the empty chunk 1-0/0
  headers.push_back({"Byte-Range", FormatByteRange(br)});
  headers.push_back({"Status", "000 " + std::to_string(code) + " " + std::string(ReasonPhrase(code))});
  std::string out;
  AppendRequestHead(out, tid, "REPORT", headers, false);
  AppendEndLine(out, tid, EndFlag::kComplete, false);
  SendFrame(conn, out);
  ctx_.counters.reports_generated++;
  ctx_.counters.reports_by_code[code]++;
}

void Forwarder::Reject(Connection& conn, int code, const std::string& why) {
  InboundRoute& r = conn.route;
  SPDLOG_INFO("[c{} {}] request {} refused with {}: {}", conn.id(), conn.peer(), r.in_tid, code, LogSafe(why, 200));
  r.kind = InboundRoute::Kind::kDiscard;
  if (r.is_report) return;  // never answer a REPORT
  if (r.is_send) {
    switch (r.failure_report) {
      case FailureReport::kNo:
        return;
      case FailureReport::kPartial:
        SendLocalReport(conn, code);
        return;
      case FailureReport::kYes:
        break;
    }
  }
  // a SEND is answered to the previous hop only, other requests to the whole From-Path.
  SendResponse(conn, r.in_tid, code, r.is_send ? r.response_to : r.from_path, r.response_from);
}

void Forwarder::OnBody(Connection& conn, std::string_view bytes) {
  InboundRoute& r = conn.route;
  r.body_bytes += bytes.size();
  if (r.max_body != 0 && r.body_bytes > r.max_body) {
    // F-12: a non-SEND body over the limit. Nothing of it was sent on; answer 400 at its end.
    if (r.kind == InboundRoute::Kind::kForward) ctx_.transactions.Take(r.dest, r.out_tid);
    if (r.fail_code_at_end == 0) {
      ctx_.counters.non_send_body_refusals++;
      SPDLOG_INFO("[c{} {}] {} {} body over {} bytes", conn.id(), conn.peer(), r.method, r.in_tid, r.max_body);
    }
    r.held_request.clear();
    r.held_request.shrink_to_fit();
    r.kind = InboundRoute::Kind::kDiscard;
    r.fail_code_at_end = 400;
    return;
  }
  if (r.kind == InboundRoute::Kind::kForward && r.out_headers.empty()) {
    r.held_request.append(bytes);
    return;
  }
  const uint64_t max_message = ctx_.config->limits.max_message_bytes;
  if (r.is_send && max_message != 0 && r.range.start - 1 + r.body_bytes > max_message &&
      r.kind != InboundRoute::Kind::kDiscard) {
    // E-03: over the size limit mid-chunk: abort the forwarded message ('#') and tell the
    // sender to stop with 413 now; the rest of the chunk is read and dropped.
    if (r.kind == InboundRoute::Kind::kForward) {
      if (Connection* dest = ctx_.Live(r.dest)) EndChunk(conn, r, *dest, EndFlag::kAbort);
      ctx_.transactions.Take(r.dest, r.out_tid);
    }
    ctx_.counters.message_size_refusals++;
    r.respond_ok_at_end = false;
    Reject(conn, 413, "message larger than limits.max_message_bytes");
    return;
  }
  if (r.kind != InboundRoute::Kind::kForward) return;
  Connection* dest = ctx_.Live(r.dest);
  if (dest == nullptr) {
    r.kind = InboundRoute::Kind::kDiscard;
    if (r.fail_code_at_end == 0) r.fail_code_at_end = 481;
    return;
  }
  StreamBody(conn, r, *dest, bytes);
  PauseIfBusy(conn, *dest);
}

void Forwarder::OnEnd(Connection& conn, EndFlag flag) {
  InboundRoute& r = conn.route;
  if (r.waiting || r.handed) {
    // Body bytes still wait for dest's stream: the end-line follows them (FlushWaiting).
    r.end_pending = true;
    r.end_flag = flag;
    return;
  }
  FinishRequest(conn, flag);
}

void Forwarder::FinishRequest(Connection& conn, EndFlag flag) {
  InboundRoute& r = conn.route;
  if (r.kind == InboundRoute::Kind::kForward) {
    Connection* dest = ctx_.Live(r.dest);
    if (dest == nullptr) {
      if (r.fail_code_at_end == 0) r.fail_code_at_end = 481;
    } else {
      EndChunk(conn, r, *dest, flag);
      if (r.respond_ok_at_end) SendResponse(conn, r.in_tid, 200, r.response_to, r.response_from);
      Account(r, flag);
      PauseIfBusy(conn, *dest);
    }
  }
  if (r.fail_code_at_end != 0) {
    ctx_.transactions.Take(r.dest, r.out_tid);
    Reject(conn, r.fail_code_at_end, r.fail_code_at_end == 400 ? "body over the limit" : "destination closed during the chunk");
  }
  r = InboundRoute{};
}

void Forwarder::Account(const InboundRoute& r, EndFlag flag) {
  uint64_t now = ctx_.now_ms();
  const uint64_t messages = flag == EndFlag::kMore ? 0 : 1;
  ctx_.counters.body_bytes_relayed += r.body_bytes;
  if (Session* s = r.sender_session.empty() ? nullptr : ctx_.sessions.Find(r.sender_session, now)) {
    s->bytes_in += r.body_bytes;
    s->messages_in += messages;
  }
  if (Session* s = r.receiver_session.empty() ? nullptr : ctx_.sessions.Find(r.receiver_session, now)) {
    s->bytes_out += r.body_bytes;
    s->messages_out += messages;
  }
}

void Forwarder::OnResponseHead(Connection& conn, MessageHead& head) {
  conn.route = InboundRoute{};
  conn.route.kind = InboundRoute::Kind::kDiscard;  // responses carry no body (F-17)
  if (auto bad = CheckHeaderOrder(head)) {
    // an unparseable response is dropped; its transaction still waits for a good one.
    SPDLOG_DEBUG("[c{}] malformed response {} dropped: {}", conn.id(), head.tid, LogSafe(*bad, 200));
    return;
  }
  PendingTransaction txn = ctx_.transactions.Take(conn.id(), head.tid);
  if (txn.out_tid.empty()) {
    SPDLOG_DEBUG("[c{}] response {} {} for no pending transaction: dropped", conn.id(), head.status, head.tid);
    return;
  }
  if (txn.is_send) {
    // consumed here. Non-200 -> REPORT when Failure-Report asks for it (R-09, BR-08).
    if (head.status != 200 && txn.failure_report != FailureReport::kNo) {
      SendReport(txn, head.status, head.comment);
    }
    return;
  }
  // Non-SEND: map back to the source transaction.
  Connection* src = ctx_.Live(txn.source);
  if (src == nullptr) return;
  auto to_value = head.Value("To-Path");
  auto from_value = head.Value("From-Path");
  if (!to_value || !from_value) return;  // unparseable -> drop
  auto to = ParsePathRaw(*to_value);
  if (!to.ok() || to.value().size() <= txn.hops.size()) return;
  const ParsedPath& tp = to.value();
  std::string new_from(*from_value);
  for (size_t i = 0; i < txn.hops.size(); ++i) {
    const std::string& expected = txn.hops[txn.hops.size() - 1 - i];
    if (tp.raw[i] != expected) {
      SPDLOG_DEBUG("[c{}] response {} To-Path does not start with our URI: dropped", conn.id(), head.tid);
      return;
    }
    new_from = tp.raw[i] + " " + new_from;
  }
  std::vector<Header> extra(head.headers.begin() + 2, head.headers.end());
  std::string out;
  AppendResponse(out, txn.in_tid, head.status, head.comment, JoinRaw(tp.raw, txn.hops.size(), tp.size()),
                 new_from, extra);
  SendFrame(*src, out);
}

void Forwarder::SendReport(const PendingTransaction& txn, int code, std::string_view comment) {
  if (txn.message_id.empty()) return;
  Connection* src = ctx_.Live(txn.source);
  if (src == nullptr) return;
  std::string tid = NewTransactionId();
  std::string status = "000 " + std::to_string(code);
  std::string_view phrase = comment.empty() ? ReasonPhrase(code) : comment;
  if (!phrase.empty()) status.append(" ").append(phrase);
  std::vector<Header> headers{{"To-Path", txn.from_path},
                              {"From-Path", txn.hops[0]},
                              {"Message-ID", txn.message_id},
                              {"Byte-Range", ReportRange(txn.range, txn.bytes_forwarded)},
                              {"Status", std::move(status)}};
  std::string out;
  AppendRequestHead(out, tid, "REPORT", headers, false);
  AppendEndLine(out, tid, EndFlag::kComplete, false);
  SendFrame(*src, out);
  ctx_.counters.reports_generated++;
  ctx_.counters.reports_by_code[code]++;
  SPDLOG_INFO("[c{}] REPORT {} sent for transaction {}", src->id(), code, txn.in_tid);
}

void Forwarder::ExpireTransactions(uint64_t now_ms) {
  for (const auto& txn : ctx_.transactions.TakeExpired(now_ms)) {
    // only Failure-Report yes asks for a timeout REPORT; other state just expires.
    if (txn.is_send && txn.failure_report == FailureReport::kYes) {
      ctx_.counters.transaction_timeouts++;
      SendReport(txn, 408, "");
    }
  }
}

void Forwarder::OnConnectionClosing(Connection& conn) {
  // As a source: interrupt the chunk it was streaming (R-17: '+', the sender may resume).
  InboundRoute& r = conn.route;
  if (r.kind == InboundRoute::Kind::kForward) {
    if (Connection* dest = ctx_.Live(r.dest)) {
      if (!r.out_headers.empty()) {
        EndChunk(conn, r, *dest, EndFlag::kMore);  // interrupted, the sender may resume
      } else {
        LeaveStream(conn, r, *dest);  // a held request is dropped whole, and its transaction
        ctx_.transactions.Take(r.dest, r.out_tid);
      }
    }
  }
  // Nothing more is forwarded for it. The route is not reset: this may run inside that very
  // route's end-line scan (a client streaming to itself whose queue overflowed), which must
  // finish on intact state; the connection is destroyed when the event ends.
  r.kind = InboundRoute::Kind::kNone;
  // As a stream destination: its waiting sources read on (and find it gone).
  std::vector<uint64_t> waiters;
  waiters.swap(conn.stream_waiters);
  conn.stream_owner = 0;
  for (uint64_t id : waiters) {
    Connection* w = ctx_.Live(id);
    if (w == nullptr || !w->route.waiting) continue;
    w->route.waiting = false;
    w->route.handed = true;  // FlushWaiting finds the destination gone and answers
    w->RequestProcess();
  }
  // As a destination: what was forwarded to it will get no response (C-10). An outbound
  // connection that never came up failed the requests queued on it (C-09): 403 when the TLS
  // handshake failed (e.g. the peer's certificate does not match its name, C-03), else 408 in
  // a REPORT. 408 is never a transaction response (E-07): a response says 481 instead, the
  // session being unreachable from here.
  const int failed_code =
      conn.outbound() && (!conn.established() || conn.tls_failed()) ? (conn.tls_failed() ? 403 : 408) : 0;
  const int failed_response_code = failed_code == 408 ? 481 : failed_code;
  for (const auto& txn : ctx_.transactions.TakeByDestination(conn.id())) {
    if (txn.is_send) {
      if (txn.ended && txn.failure_report != FailureReport::kNo) {
        SendReport(txn, failed_code != 0 ? failed_code : 408, "");
      } else if (!txn.ended && failed_code != 0) {
        // The source is still streaming: it learns of the failure in OnBody/OnEnd.
        if (Connection* src = ctx_.Live(txn.source)) {
          if (src->route.dest == conn.id() && src->route.fail_code_at_end == 0) {
            src->route.fail_code_at_end = failed_response_code;
          }
        }
      }
    } else if (failed_code != 0) {
      // Non-SEND: an error response to the original transaction (R-07: the whole From-Path).
      if (Connection* src = ctx_.Live(txn.source)) {
        SendResponse(*src, txn.in_tid, failed_response_code, txn.from_path, txn.hops[0]);
      }
    }
  }
  OnDrained(conn);  // wake the sources it paused
}

}  // namespace msrp::relay
