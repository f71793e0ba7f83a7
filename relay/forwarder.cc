// Forwarder: routing decisions, path rewrite, hop-by-hop responses, REPORTs (streaming to a
// destination: forwarder_streams.cc).
#include "relay/forwarder.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/writer.h"
#include "relay/auth_handler.h"
#include "relay/logging.h"
#include "relay/next_hop_pool.h"
#include "relay/relay_policy.h"
#include "relay/tls_context.h"

namespace msrp::relay {

namespace {

std::string_view FirstToken(std::string_view value) {
  size_t sp = value.find(' ');
  return sp == std::string_view::npos ? value : value.substr(0, sp);
}

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
  if (conn.outbound() || !PeerCertificateMatches(conn.ssl(), from0.host)) return PeerKind::kClient;
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

Connection* Forwarder::NextHop(Connection& conn, const Uri& next) {
  auto dest = ctx_.next_hops != nullptr ? ctx_.next_hops->Get(next) : Result<Connection*>(Err("no next hops"));
  if (!dest.ok()) {
    Reject(conn, 403, dest.error());
    return nullptr;
  }
  return dest.value();
}

void Forwarder::EndTransaction(PendingTransaction* txn, const Connection& dest) {
  txn->ended = true;
  // the timer starts once the last byte is written; on an outbound connection still
  // coming up that is when it is established (OnEstablished).
  if (dest.outbound() && !dest.established()) return;
  ctx_.transactions.Arm(txn, ctx_.now_ms() + uint64_t{ctx_.config->limits.transaction_timeout} * 1000);
}

void Forwarder::OnEstablished(Connection& conn) {
  ctx_.transactions.ArmEnded(conn.id(), ctx_.now_ms() + uint64_t{ctx_.config->limits.transaction_timeout} * 1000);
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

void Forwarder::OnRequestHead(Connection& conn, MessageHead& head) {
  if (ctx_.draining) {
    // Shutting down: chunks in flight finish, new requests are not started (the sender
    // resumes elsewhere). Nothing of this request has been forwarded.
    conn.Close("relay stopping: no new requests while draining");
    return;
  }
  InboundRoute& r = conn.route;
  r.Reset();
  r.in_tid = head.tid;
  r.has_body = head.has_body;
  r.is_send = head.method == "SEND";
  r.is_report = head.method == "REPORT";
  r.method = head.method;
  if (!r.is_send) r.max_body = ctx_.config->limits.max_non_send_body;  // F-12
  r.kind = InboundRoute::Kind::kDiscard;

  auto to_value = head.Value("To-Path");
  auto from_value = head.Value("From-Path");
  auto order_error = CheckHeaderOrder(head);
  static const Result<ParsedPath> kNoTo = Err("no To-Path");
  static const Result<ParsedPath> kNoFrom = Err("no From-Path");
  const Result<ParsedPath>& to = to_value ? conn.to_path_cache.Parse(*to_value) : kNoTo;
  const Result<ParsedPath>& from = from_value ? conn.from_path_cache.Parse(*from_value) : kNoFrom;
  if (from.ok() && to_value) {
    r.response_to = from.value().raw[0];
    r.response_from.assign(FirstToken(*to_value));
    r.from_path.assign(*from_value);
  }
  if (auto mid = head.Value("Message-ID")) r.message_id.assign(*mid);
  if (auto br = head.Value("Byte-Range")) r.byte_range.assign(*br);
  if (r.is_send) {
    if (auto fr = head.Value("Failure-Report")) {
      auto parsed = ParseFailureReport(*fr);
      if (parsed.ok()) r.failure_report = parsed.value();
      else order_error = order_error ? order_error : std::optional<std::string>("bad Failure-Report");
    }
  }
  if (!order_error && (!to.ok() || !from.ok())) order_error = !to.ok() ? to.error() : from.error();
  if (!order_error && (from.value().has_portless_uri || (head.method != "AUTH" && to.value().has_portless_uri))) {
    order_error = "URI without a port (RFC 4976 §8: only an AUTH's To-Path may omit it)";  // U-07
  }
  if (order_error) {
    if (r.response_to.empty()) {
      conn.Close("malformed request " + head.tid + ": " + LogSafe(*order_error, 200));
      return;
    }
    Reject(conn, 400, *order_error);  // E-01
    return;
  }
  if (!r.byte_range.empty()) {
    // Any method (F-15): a REPORT with a bad Byte-Range is dropped unanswered, other
    // requests get 400 (E-01). Parsed once: r.range serves every later step.
    auto parsed = ParseByteRange(r.byte_range);
    if (!parsed.ok()) {
      Reject(conn, 400, "bad Byte-Range: " + parsed.error());
      return;
    }
    r.range = parsed.value();
  }
  const uint64_t max_message = ctx_.config->limits.max_message_bytes;
  if (r.is_send && max_message != 0 && !r.byte_range.empty()) {
    const ByteRange& br = r.range;
    if ((br.total && *br.total > max_message) || br.start - 1 > max_message) {
      ctx_.counters.message_size_refusals++;
      Reject(conn, 413, "message larger than limits.max_message_bytes");  // E-03
      return;
    }
  }

  // who is at the other end of this connection, for this request.
  const PeerKind peer_kind = ClassifyPeer(conn, from.value().uris[0]);
  if (peer_kind == PeerKind::kDeniedRelay) {
    Reject(conn, 403, "relay not allowed by peers.relays");
    return;
  }

  // AUTH addressed to this relay: handled locally.
  const ParsedPath& tp = to.value();
  if (head.method == "AUTH" && tp.size() == 1 && tp.uris[0].session_id.empty() && ctx_.IsOurHost(tp.uris[0])) {
    auth_.Handle(conn, head, tp, from.value(), std::string(*from_value), peer_kind == PeerKind::kRelay);
    return;
  }

  // To-Path[0] must be one of our URIs, R-02/S-01: with a live session.
  const Uri& first = tp.uris[0];
  if (!ctx_.IsOurHost(first)) {
    Reject(conn, 403, "To-Path[0] is not this relay");
    return;
  }
  if (first.session_id.empty() && tp.size() == 1 && head.method != "SEND" && head.method != "REPORT" &&
      head.method != "NICKNAME" && head.method != "AUTH") {
    Reject(conn, 501, "unknown method addressed to the relay");  // E-02
    return;
  }
  uint64_t now = ctx_.now_ms();
  Session* session = first.session_id.empty() ? nullptr : ctx_.sessions.Find(first.session_id, now);
  if (session == nullptr || !UriEquals(first, session->parsed_uri)) {
    Reject(conn, 481, "unknown or expired session");  // E-05, A-15
    return;
  }
  std::vector<std::string> hops{tp.raw[0]};
  Connection* dest = nullptr;
  const bool bound_here = session->relay_owner.empty()
                              ? conn.id() == session->owner
                              : peer_kind == PeerKind::kRelay && conn.relay_identity == session->relay_owner;
  if (bound_here) {
    // Outbound from the client, or relay (A-14, S-04), the URI was minted for.
    if (tp.size() < 2) {
      Reject(conn, 400, "To-Path has no hop after this relay");
      return;
    }
    const Uri& next = tp.uris[1];
    r.sender_session = session->id;
    if (!ctx_.IsOurHost(next)) {
      dest = NextHop(conn, next);  // another relay or a relay-less peer (C-06)
      if (dest == nullptr) return;
    } else {
      Session* peer = next.session_id.empty() ? nullptr : ctx_.sessions.Find(next.session_id, now);
      if (peer == nullptr || !UriEquals(next, peer->parsed_uri)) {
        Reject(conn, 481, "unknown or expired session at next hop");
        return;
      }
      // Both hops are ours (one rewrite per hop): on to the peer's client, or to the relay
      // the peer's URI is bound to.
      hops.push_back(tp.raw[1]);
      r.receiver_session = peer->id;
      if (peer->relay_owner.empty()) {
        if (tp.size() != 3) {
          Reject(conn, 403, "a client's URI must be the last hop after its relay URI");
          return;
        }
        dest = ctx_.Live(peer->owner);
      } else {
        if (tp.size() < 3 || !TowardRelay(tp.uris[2], peer->relay_owner)) {
          Reject(conn, 403, "token used toward a hop other than its relay");
          return;
        }
        dest = NextHop(conn, tp.uris[2]);
        if (dest == nullptr) return;
      }
    }
  } else if (session->relay_owner.empty()) {
    // Inbound: only toward the client that owns the URI (S-01, S-02).
    if (tp.size() != 2) {
      Reject(conn, 403, "token used toward a hop other than its owner");
      return;
    }
    dest = ctx_.Live(session->owner);
    r.receiver_session = session->id;
  } else {
    // Inbound toward the relay the URI is bound to (S-04): the next hop must be that relay.
    if (tp.size() < 3 || !TowardRelay(tp.uris[1], session->relay_owner)) {
      Reject(conn, 403, "token used toward a hop other than its relay");
      return;
    }
    dest = NextHop(conn, tp.uris[1]);
    if (dest == nullptr) return;
    r.receiver_session = session->id;
  }
  if (dest == nullptr) {
    Reject(conn, 481, "the session's connection is gone");  // C-10
    return;
  }
  const uint64_t dest_id = dest->id();
  bool tracked = (r.is_send && r.failure_report != FailureReport::kNo) || (!r.is_send && !r.is_report);
  if (tracked && ctx_.transactions.CountBySource(conn.id()) >= ctx_.config->limits.max_pending_transactions) {
    ctx_.counters.pending_transaction_refusals++;
    Reject(conn, 403, "too many requests awaiting a response (limits.max_pending_transactions)");
    return;
  }

  // pop our URIs from To-Path, push them (innermost first) onto From-Path. Every other
  // header passes unchanged (F-13) except Byte-Range's end, made '*' so the chunk stays
  // interruptible while streamed.
  std::string out_tid = NewTransactionId();
  // Rewritten in place (the header strings keep their buffers): To-Path from the parsed copy,
  // From-Path from r.from_path, the copy taken above (*from_value views the header itself).
  AssignJoinedRaw(head.headers[0].value, tp.raw, hops.size(), tp.size());
  std::string& new_from = head.headers[1].value;
  new_from.clear();
  for (size_t i = hops.size(); i-- > 0;) new_from.append(hops[i]).push_back(' ');
  new_from.append(r.from_path);
  const ByteRange range = r.range;
  if (r.is_send && head.has_body && range.end.has_value()) {
    ByteRange streamed = range;
    streamed.end.reset();
    head.Replace("Byte-Range", FormatByteRange(streamed));
  }
  if (r.is_send && head.has_body) {
    // Streamed: the head goes out with the first body bytes, once this source owns dest's
    // stream (OpenPiece).
    // The head keeps the previous message's headers instead: the framer reuses their strings.
    r.out_headers.swap(head.headers);
    head.headers.swap(r.spent_headers);
    r.out_scanner.Reset(out_tid);
  } else {
    // Sent whole once its end-line arrives (F-12), between other sources' pieces.
    AppendRequestHead(r.held_request, out_tid, head.method, head.headers, head.has_body);
  }

  if (tracked) {
    PendingTransaction txn;
    txn.dest = dest_id;
    txn.out_tid = out_tid;
    txn.source = conn.id();
    txn.in_tid = head.tid;
    txn.is_send = r.is_send;
    txn.failure_report = r.failure_report;
    txn.hops = std::move(hops);
    txn.from_path = r.from_path;
    txn.message_id = r.message_id;
    txn.range = range;
    ctx_.transactions.Add(std::move(txn));
  }
  r.kind = InboundRoute::Kind::kForward;
  r.dest = dest_id;
  r.out_tid = std::move(out_tid);
  r.respond_ok_at_end = r.is_send && r.failure_report == FailureReport::kYes;
  conn.had_success = true;
  ctx_.counters.requests_forwarded++;
  SPDLOG_DEBUG("[c{}] {} {} -> c{} as {}", conn.id(), head.method, r.in_tid, dest_id, r.out_tid);
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
  r = InboundRoute{};
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
