// Forwarder, the request path (RFC 4976 §6): what happens to a request head, as named steps:
//   1. ReadRequestHeaders  - the route fields of the head (To-Path, From-Path, Message-ID, ...)
//   2. CheckRequest        - RFC 4975 §9 / RFC 4976 §6.2, §8 checks: header order, path URIs,
//                            ports, Byte-Range, Failure-Report, size limit (400, 413)
//   3. ClassifyPeer        - a relay proven by its certificate, or a client
//   4. AUTH addressed to us (§6.3, AuthHandler)
//   5. ChooseNextHop       - §6.4: our URI first, a live session, who may use it, where next
//   6. ForwardRequest      - R-03 path rewrite, fresh transaction id, pending transaction
#include <spdlog/spdlog.h>

#include "common/writer.h"
#include "relay/engine/auth_handler.h"
#include "relay/engine/forwarder.h"
#include "relay/engine/log_safe.h"

namespace msrp::relay {

namespace {

std::string_view FirstToken(std::string_view value) {
  size_t sp = value.find(' ');
  return sp == std::string_view::npos ? value : value.substr(0, sp);
}

/// Methods the relay may be addressed with alone (E-02: others get 501).
bool KnownMethod(std::string_view method) {
  return method == "SEND" || method == "REPORT" || method == "NICKNAME" || method == "AUTH";
}

}  // namespace

void Forwarder::OnRequestHead(Connection& conn, MessageHead& head) {
  if (ctx_.draining) {
    // Shutting down: chunks in flight finish, new requests are not started (the sender
    // resumes elsewhere). Nothing of this request has been forwarded.
    conn.Close("relay stopping: no new requests while draining");
    return;
  }
  RequestPaths paths = ReadRequestHeaders(conn, head);
  if (!CheckRequest(conn, head, paths)) return;
  const ParsedPath& tp = paths.to->value();
  const ParsedPath& fp = paths.from->value();

  // who is at the other end of this connection, for this request.
  const PeerKind peer_kind = ClassifyPeer(conn, fp.uris[0]);
  if (peer_kind == PeerKind::kDeniedRelay) {
    Reject(conn, 403, "relay not allowed by peers.relays");
    return;
  }
  // AUTH addressed to this relay: handled locally.
  if (head.method == "AUTH" && tp.size() == 1 && tp.uris[0].session_id.empty() && ctx_.IsOurHost(tp.uris[0])) {
    auth_.Handle(conn, head, tp, fp, std::string(paths.from_value), peer_kind == PeerKind::kRelay);
    return;
  }
  NextHop next;
  if (!ChooseNextHop(conn, head, tp, peer_kind, next)) return;
  ForwardRequest(conn, head, tp, next);
}

Forwarder::RequestPaths Forwarder::ReadRequestHeaders(Connection& conn, const MessageHead& head) {
  static const Result<ParsedPath> kNoTo = Err("no To-Path");
  static const Result<ParsedPath> kNoFrom = Err("no From-Path");
  InboundRoute& r = conn.route;
  r.Reset();
  r.in_tid = head.tid;
  r.has_body = head.has_body;
  r.is_send = head.method == "SEND";
  r.is_report = head.method == "REPORT";
  r.method = head.method;
  if (!r.is_send) r.max_body = ctx_.config->limits.max_non_send_body;  // F-12
  r.kind = InboundRoute::Kind::kDiscard;

  RequestPaths paths;
  auto to_value = head.Value("To-Path");
  auto from_value = head.Value("From-Path");
  paths.to = to_value ? &conn.to_path_cache.Parse(*to_value) : &kNoTo;
  paths.from = from_value ? &conn.from_path_cache.Parse(*from_value) : &kNoFrom;
  if (from_value) paths.from_value = *from_value;
  if (paths.from->ok() && to_value) {
    // Where an answer goes: the previous hop, from the hop addressed.
    r.response_to = paths.from->value().raw[0];
    r.response_from.assign(FirstToken(*to_value));
    r.from_path.assign(*from_value);
  }
  if (auto mid = head.Value("Message-ID")) r.message_id.assign(*mid);
  if (auto br = head.Value("Byte-Range")) r.byte_range.assign(*br);
  return paths;
}

bool Forwarder::CheckRequest(Connection& conn, const MessageHead& head, const RequestPaths& paths) {
  InboundRoute& r = conn.route;
  auto problem = CheckHeaderOrder(head);  // F-05, F-07, F-08
  if (r.is_send) {
    if (auto fr = head.Value("Failure-Report")) {
      auto parsed = ParseFailureReport(*fr);
      if (parsed.ok()) {
        r.failure_report = parsed.value();
      } else if (!problem) {
        problem = "bad Failure-Report";
      }
    }
  }
  if (!problem && !paths.to->ok()) problem = paths.to->error();
  if (!problem && !paths.from->ok()) problem = paths.from->error();
  if (!problem && (paths.from->value().has_portless_uri ||
                   (head.method != "AUTH" && paths.to->value().has_portless_uri))) {
    problem = "URI without a port (RFC 4976 §8: only an AUTH's To-Path may omit it)";  // U-07
  }
  if (problem) {
    if (r.response_to.empty()) {
      // Nowhere to send an answer: the request cannot be told apart from garbage.
      conn.Close("malformed request " + head.tid + ": " + LogSafe(*problem, 200));
      return false;
    }
    Reject(conn, 400, *problem);  // E-01
    return false;
  }
  if (!r.byte_range.empty()) {
    // Any method (F-15): a REPORT with a bad Byte-Range is dropped unanswered, other
    // requests get 400 (E-01). Parsed once: r.range serves every later step.
    auto parsed = ParseByteRange(r.byte_range);
    if (!parsed.ok()) {
      Reject(conn, 400, "bad Byte-Range: " + parsed.error());
      return false;
    }
    r.range = parsed.value();
  }
  const uint64_t max_message = ctx_.config->limits.max_message_bytes;
  if (r.is_send && max_message != 0 && !r.byte_range.empty()) {
    const ByteRange& br = r.range;
    if ((br.total && *br.total > max_message) || br.start - 1 > max_message) {
      ctx_.counters.message_size_refusals++;
      Reject(conn, 413, "message larger than limits.max_message_bytes");  // E-03
      return false;
    }
  }
  return true;
}

bool Forwarder::ChooseNextHop(Connection& conn, const MessageHead& head, const ParsedPath& tp, PeerKind peer_kind,
                              NextHop& next) {
  InboundRoute& r = conn.route;
  // To-Path[0] must be one of our URIs, R-02/S-01: with a live session.
  const Uri& first = tp.uris[0];
  if (!ctx_.IsOurHost(first)) {
    Reject(conn, 403, "To-Path[0] is not this relay");
    return false;
  }
  if (first.session_id.empty() && tp.size() == 1 && !KnownMethod(head.method)) {
    Reject(conn, 501, "unknown method addressed to the relay");  // E-02
    return false;
  }
  const uint64_t now = ctx_.now_ms();
  Session* session = first.session_id.empty() ? nullptr : ctx_.sessions.Find(first.session_id, now);
  if (session == nullptr || !UriEquals(first, session->parsed_uri)) {
    Reject(conn, 481, "unknown or expired session");  // E-05, A-15
    return false;
  }
  next.hops = {tp.raw[0]};
  Connection* dest = nullptr;
  const bool bound_here = session->relay_owner.empty()
                              ? conn.id() == session->owner
                              : peer_kind == PeerKind::kRelay && conn.relay_identity == session->relay_owner;
  if (bound_here) {
    // Outbound from the client, or relay (A-14, S-04), the URI was minted for.
    if (tp.size() < 2) {
      Reject(conn, 400, "To-Path has no hop after this relay");
      return false;
    }
    const Uri& after = tp.uris[1];
    r.sender_session = session->id;
    if (!ctx_.IsOurHost(after)) {
      dest = NextHopConnection(conn, after);  // another relay or a relay-less peer (C-06)
      if (dest == nullptr) return false;
    } else {
      Session* peer = after.session_id.empty() ? nullptr : ctx_.sessions.Find(after.session_id, now);
      if (peer == nullptr || !UriEquals(after, peer->parsed_uri)) {
        Reject(conn, 481, "unknown or expired session at next hop");
        return false;
      }
      // Both hops are ours (one rewrite per hop): on to the peer's client, or to the relay
      // the peer's URI is bound to.
      next.hops.push_back(tp.raw[1]);
      r.receiver_session = peer->id;
      if (peer->relay_owner.empty()) {
        if (tp.size() != 3) {
          Reject(conn, 403, "a client's URI must be the last hop after its relay URI");
          return false;
        }
        dest = ctx_.Live(peer->owner);
      } else {
        if (tp.size() < 3 || !TowardRelay(tp.uris[2], peer->relay_owner)) {
          Reject(conn, 403, "token used toward a hop other than its relay");
          return false;
        }
        dest = NextHopConnection(conn, tp.uris[2]);
        if (dest == nullptr) return false;
      }
    }
  } else if (session->relay_owner.empty()) {
    // Inbound: only toward the client that owns the URI (S-01, S-02).
    if (tp.size() != 2) {
      Reject(conn, 403, "token used toward a hop other than its owner");
      return false;
    }
    dest = ctx_.Live(session->owner);
    r.receiver_session = session->id;
  } else {
    // Inbound toward the relay the URI is bound to (S-04): the next hop must be that relay.
    if (tp.size() < 3 || !TowardRelay(tp.uris[1], session->relay_owner)) {
      Reject(conn, 403, "token used toward a hop other than its relay");
      return false;
    }
    dest = NextHopConnection(conn, tp.uris[1]);
    if (dest == nullptr) return false;
    r.receiver_session = session->id;
  }
  if (dest == nullptr) {
    Reject(conn, 481, "the session's connection is gone");  // C-10
    return false;
  }
  next.dest = dest->id();
  return true;
}

void Forwarder::ForwardRequest(Connection& conn, MessageHead& head, const ParsedPath& tp, NextHop& next) {
  InboundRoute& r = conn.route;
  const bool tracked = (r.is_send && r.failure_report != FailureReport::kNo) || (!r.is_send && !r.is_report);
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
  // From-Path from r.from_path, the copy taken when the head was read (the header itself is
  // overwritten here).
  const std::vector<std::string>& hops = next.hops;
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
    txn.dest = next.dest;
    txn.out_tid = out_tid;
    txn.source = conn.id();
    txn.in_tid = head.tid;
    txn.is_send = r.is_send;
    txn.failure_report = r.failure_report;
    txn.hops = std::move(next.hops);
    txn.from_path = r.from_path;
    txn.message_id = r.message_id;
    txn.range = range;
    ctx_.transactions.Add(std::move(txn));
  }
  r.kind = InboundRoute::Kind::kForward;
  r.dest = next.dest;
  r.out_tid = std::move(out_tid);
  r.respond_ok_at_end = r.is_send && r.failure_report == FailureReport::kYes;
  conn.had_success = true;
  ctx_.counters.requests_forwarded++;
  SPDLOG_DEBUG("[c{}] {} {} -> c{} as {}", conn.id(), head.method, r.in_tid, next.dest, r.out_tid);
}

}  // namespace msrp::relay
