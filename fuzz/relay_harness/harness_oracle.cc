// Harness: the invariants. Everything the engine writes is parsed with the tests' independent
// frame model (tests/support/msrp_frame.h) and checked against what the peers sent (framed with
// the relay's own framer, InboundModel) and what the relay granted (Use-Path URIs learned from
// AUTH 200s): no open relay (RFC 4976 §9.3), responses only for the connection's own
// transactions (C-07), none for REPORTs, Failure-Report rules, relay REPORTs only
// about the connection's own SENDs, memory and transaction bounds, and at the end an
// engine that is empty once every timer ran and every peer closed.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "common/header_values.h"
#include "fuzz/relay_harness/harness.h"

namespace msrp::fuzz {

namespace {
/// R-18 liveness of a destination's stream; off until issue 12 (see CheckQuiescent).
constexpr bool kCheckStreamLiveness = false;
}  // namespace

namespace {

/// The parts of an MSRP URI the invariants need, split independently of common/uri.
struct UriParts {
  bool ok = false;
  bool tls = false;
  std::string host;              ///< as written (no brackets, no userinfo)
  std::optional<uint16_t> port;
  std::string session;           ///< empty when absent
};

UriParts SplitUri(std::string_view u) {
  UriParts p;
  const size_t colon = u.find("://");
  if (colon == std::string_view::npos) return p;
  const std::string scheme = ToLowerAscii(u.substr(0, colon));
  if (scheme != "msrp" && scheme != "msrps") return p;
  p.tls = scheme == "msrps";
  const std::string_view rest = u.substr(colon + 3);
  const size_t end = rest.find_first_of("/;");
  if (end == std::string_view::npos) return p;
  std::string_view authority = rest.substr(0, end);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    const size_t rb = authority.find(']');
    if (rb == std::string_view::npos) return p;
    p.host = std::string(authority.substr(1, rb - 1));
    std::string_view after = authority.substr(rb + 1);
    if (!after.empty() && after[0] != ':') return p;
    if (!after.empty()) port = after.substr(1);
  } else {
    const size_t c = authority.rfind(':');
    p.host = std::string(authority.substr(0, c));
    if (c != std::string_view::npos) {
      port = authority.substr(c + 1);
      if (port.empty()) return p;
    }
  }
  if (!port.empty()) {
    uint32_t v = 0;
    for (char ch : port) {
      if (ch < '0' || ch > '9' || (v = v * 10 + static_cast<uint32_t>(ch - '0')) > 65535) return p;
    }
    p.port = static_cast<uint16_t>(v);
  }
  if (rest[end] == '/') {
    const size_t semi = rest.find(';', end);
    if (semi == std::string_view::npos) return p;
    p.session = std::string(rest.substr(end + 1, semi - end - 1));
  }
  p.ok = true;
  return p;
}


bool Digits3(std::string_view s) {
  return s.size() >= 3 && std::isdigit(static_cast<unsigned char>(s[0])) &&
         std::isdigit(static_cast<unsigned char>(s[1])) && std::isdigit(static_cast<unsigned char>(s[2]));
}

}  // namespace

// --- InboundModel

void InboundModel::Feed(std::string_view bytes) {
  if (!framer_.failed()) framer_.Feed(bytes);
}

void InboundModel::OnHead(MessageHead& head) {
  if (!head.is_request) return;
  if (requests_.size() >= kMaxRequests) {
    overflowed_ = true;
    return;
  }
  SentRequest r;
  r.tid = head.tid;
  r.method = head.method;
  r.to_path = std::string(head.Value("To-Path").value_or(""));
  r.from_path = std::string(head.Value("From-Path").value_or(""));
  r.message_id = std::string(head.Value("Message-ID").value_or(""));
  if (head.method == "SEND") {
    if (auto fr = head.Value("Failure-Report")) {
      auto parsed = ParseFailureReport(*fr);  // the relay reads it so; a bad value means 400 (yes)
      if (parsed.ok()) r.failure_report = parsed.value() == FailureReport::kNo ? 'n'
                                          : parsed.value() == FailureReport::kPartial ? 'p' : 'y';
    }
  }
  requests_.push_back(std::move(r));
}

std::vector<const SentRequest*> InboundModel::WithTid(std::string_view tid) const {
  std::vector<const SentRequest*> out;
  for (const auto& r : requests_) {
    if (r.tid == tid) out.push_back(&r);
  }
  return out;
}

// --- Harness

void Harness::Fail(const std::string& what, const std::string& detail) {
  std::fprintf(stderr, "\nfuzz_relay: INVARIANT VIOLATED: %s\n", what.c_str());
  if (!detail.empty()) std::fprintf(stderr, "%s\n", detail.c_str());
  if (engine_ != nullptr) {
    std::fprintf(stderr, "engine: %zu connection(s), %zu session(s), %zu pending transaction(s)\n",
                 engine_->connection_count(), engine_->session_count(), engine_->pending_transaction_count());
    engine_->ForEachConnection([&](const relay::Connection& c) {
      const sim::MemoryConnection* m = transport_.Get(c.id());
      std::fprintf(stderr,
                   "  c%llu %s%s route %d dest c%llu out_tid %s in_body %d owner c%llu waiters %zu queued %llu paused %d"
                   " identity '%s' pooled %d idle %llu s\n",
                   static_cast<unsigned long long>(c.id()), c.outbound() ? "outbound" : "inbound",
                   c.outbound() && !c.established() ? " (not up)" : "", static_cast<int>(c.route.kind),
                   static_cast<unsigned long long>(c.route.dest), c.route.out_tid.c_str(), c.framer_in_body(),
                   static_cast<unsigned long long>(c.stream_owner), c.stream_waiters.size(),
                   static_cast<unsigned long long>(c.pending_bytes()), m != nullptr && m->paused, c.relay_identity.c_str(),
                   engine_->IsNextHop(c), static_cast<unsigned long long>((transport_.NowMs() - c.last_activity_ms()) / 1000));
    });
  }
  std::fprintf(stderr, "ops (last 300 of %zu):\n", trace_.size());
  for (size_t i = trace_.size() > 300 ? trace_.size() - 300 : 0; i < trace_.size(); ++i) {
    std::fprintf(stderr, "  %s\n", trace_[i].c_str());
  }
  std::fflush(stderr);
  std::abort();
}

bool Harness::IsOurUri(std::string_view uri) const {
  const UriParts p = SplitUri(uri);
  return p.ok && EqualsIgnoreCase(p.host, config_->relay.hostname);
}

void Harness::OnWrite(relay::ConnectionId id, uint64_t queued_before, size_t size) {
  // limits.max_queue_bytes: the engine closes a connection whose queue passed the cap, so a
  // write never finds more than the cap queued ("the cap plus one write" at any time).
  if (queued_before > max_queue_cap_) {
    Fail("queue over limits.max_queue_bytes and still written to",
         "connection c" + std::to_string(id) + ": " + std::to_string(queued_before) + " bytes queued");
  }
  // One write is a head, a held non-SEND request, a response or one read's worth of body.
  const uint64_t max_write = 2 * max_head_cap_ + max_body_cap_ + max_delivery_ + 8192;
  if (size > max_write) {
    Fail("a single write larger than a head, a non-SEND body and one read",
         "connection c" + std::to_string(id) + ": " + std::to_string(size) + " bytes");
  }
  // Which relay the engine took this connection for, as of this write.
  for (auto& a : actors_) {
    if (a->id != id || a->kind == ActorKind::kOutbound) continue;
    const relay::Connection* c = engine_->Find(id);
    if (c != nullptr && !c->relay_identity.empty()) a->relay_identity = c->relay_identity;
  }
}

void Harness::Observe(Actor& a, const test::Frame& f) {
  if (f.is_request) {
    ObserveRequest(a, f);
  } else {
    ObserveResponse(a, f);
  }
}

void Harness::ObserveResponse(Actor& a, const test::Frame& f) {
  const std::string where = "connection c" + std::to_string(a.id) + ":\n" + f.Describe();
  if (f.has_body || f.flag != '$') Fail("F-17: response with a body or a flag other than '$'", where);
  const auto sent = a.in->WithTid(f.tid);
  bool all_send_yes = !sent.empty();
  if (!a.in->overflowed()) {
    if (sent.empty()) Fail("C-07: response for a transaction id the connection never sent", where);
    bool any_non_report = false, all_send_no = true, all_send_partial = true;
    for (const SentRequest* r : sent) {
      any_non_report = any_non_report || r->method != "REPORT";
      all_send_no = all_send_no && r->method == "SEND" && r->failure_report == 'n';
      all_send_partial = all_send_partial && r->method == "SEND" && r->failure_report == 'p';
    }
    if (!any_non_report) Fail("R-13: response to a REPORT", where);
    if (all_send_no) Fail("R-06: response to a SEND with Failure-Report: no", where);
    if (all_send_partial && f.status == 200) Fail("R-06: 200 to a SEND with Failure-Report: partial", where);
  }
  for (const SentRequest* r : sent) all_send_yes = all_send_yes && r->method == "SEND" && r->failure_report == 'y';
  if (f.status == 200 && all_send_yes) {
    // 200 = received and passed on; checked at the end (CheckDeliveredOk).
    OkForSend ok{a.id, f.tid, {}};
    for (const SentRequest* r : sent) {
      if (!r->message_id.empty()) ok.message_ids.push_back(r->message_id);
    }
    if (!ok.message_ids.empty() && ok_for_send_.size() < 10000) ok_for_send_.push_back(std::move(ok));
  }
  if (a.auth_tids.count(f.tid) == 0) return;
  if (f.status == 401) {
    std::string scheme;
    if (auto params = test::ParseAuthParams(f.Header("WWW-Authenticate").value_or(""), &scheme)) {
      a.nonce = (*params)["nonce"].value;
      a.opaque = (*params)["opaque"].value;
      a.nc = 0;
    }
  } else if (f.status == 200) {
    // our URI is the last Use-Path entry; this connection (or relay) owns it.
    const std::vector<std::string> use_path = f.Path("Use-Path");
    if (use_path.empty() || !IsOurUri(use_path.back())) Fail("A-11/A-13: AUTH 200 without our URI last in Use-Path", where);
    a.minted.push_back(use_path.back());
  }
}

void Harness::ObserveRequest(Actor& a, const test::Frame& f) {
  const std::string where = "connection c" + std::to_string(a.id) + ":\n" + f.Describe();
  if (f.headers.size() < 2 || !EqualsIgnoreCase(f.headers[0].first, "To-Path") ||
      !EqualsIgnoreCase(f.headers[1].first, "From-Path")) {
    Fail("F-05: request written without To-Path and From-Path first", where);
  }
  const std::vector<std::string> from = f.Path("From-Path");
  if (f.method == "REPORT" && from.size() == 1) {
    // A REPORT the relay generated (a forwarded request's From-Path always has our URI and the
    // sender's path): only about a SEND this connection sent, never about a REPORT, and never
    // when that SEND said Failure-Report: no. Its From-Path is the SEND's
    // To-Path[0] as received (not always one of our URIs: a 403 for a foreign To-Path[0]).
    const auto mid = f.Header("Message-ID"), status = f.Header("Status"), range = f.Header("Byte-Range");
    if (!mid || !status || !range) Fail("R-10: relay REPORT without Message-ID, Byte-Range or Status", where);
    if (status->substr(0, 4) != "000 " || !Digits3(status->substr(4))) Fail("E-09: relay REPORT Status is not 000 CODE", where);
    if (!test::ParseByteRange(*range)) Fail("R-10: relay REPORT Byte-Range does not parse", where);
    if (!a.in->overflowed()) {
      const std::string to_value = f.Header("To-Path").value_or("");
      bool matched = false, reportable = false;
      for (const SentRequest& r : a.in->requests()) {
        if (r.method != "SEND" || r.from_path != to_value || r.message_id != *mid) continue;
        matched = true;
        reportable = reportable || r.failure_report != 'n';
      }
      if (!matched) Fail("R-13 / S-01: relay REPORT to a connection that sent no such SEND", where);
      if (!reportable) Fail("R-06: failure REPORT for a SEND with Failure-Report: no", where);
    }
    return;
  }
  CheckEarned(a, f);
  if (f.method == "SEND") {
    if (auto mid = f.Header("Message-ID")) forwarded_send_ids_.insert(*mid);
    a.downstream_tid = f.tid;
  }
  test::Frame kept = f;
  kept.body.clear();
  kept.raw.clear();
  a.received.push_back(std::move(kept));
  if (a.received.size() > 64) a.received.erase(a.received.begin());
}

void Harness::CheckEarned(Actor& a, const test::Frame& f) {
  // No open relay (RFC 4976 §6.4, §9.3; S-01, S-02): a forwarded request reaches a connection
  // only (b) over a connection the engine dialled for its next hop, (c) toward the relay a
  // connection was identified as by its certificate (A-17, C-06), or (c) to the client that
  // owns the URI the relay put first in From-Path (a URI minted in an AUTH 200 on it).
  const std::string where = "connection c" + std::to_string(a.id) + ":\n" + f.Describe();
  const std::vector<std::string> to = f.Path("To-Path"), from = f.Path("From-Path");
  if (to.empty() || from.empty()) Fail("forwarded request without To-Path or From-Path", where);
  const UriParts next = SplitUri(to[0]);
  if (a.kind == ActorKind::kOutbound) {
    if (!next.ok || next.tls != a.target.tls || !EqualsIgnoreCase(next.host, a.target.host) || next.port != a.target.port) {
      Fail("C-06: request sent over an outbound connection dialled for another next hop",
           where + "\ndialled " + (a.target.tls ? "msrps " : "msrp ") + a.target.host + ":" +
               (a.target.port ? std::to_string(*a.target.port) : "-"));
    }
    return;
  }
  if (!a.relay_identity.empty() && next.ok && next.tls && EqualsIgnoreCase(next.host, a.relay_identity)) return;
  const UriParts ours = SplitUri(from[0]);
  if (ours.ok && !ours.session.empty() && IsOurUri(from[0])) {
    for (const std::string& m : a.minted) {
      if (SplitUri(m).session == ours.session) return;
    }
  }
  Fail("S-01/S-02 (no open relay): request written to a connection that did not earn it",
       where + "\nminted here: " + std::to_string(a.minted.size()) + " URI(s); relay identity '" + a.relay_identity + "'");
}

void Harness::ObservePartialHead(Actor& a) {
  // The bytes left in the frame model: a frame cut by a close. Its head went out whole when
  // the blank line that opens its body did.
  const std::string_view p = a.out.pending();
  const size_t blank = p.find("\r\n\r\n");
  if (p.substr(0, 5) != "MSRP " || blank == std::string_view::npos) return;
  const size_t sp = p.find(' ', 5);
  if (sp == std::string_view::npos || sp > blank) return;
  const std::string tid(p.substr(5, sp - 5));
  test::FrameReader reader;
  reader.Feed(std::string(p.substr(0, blank + 4)) + "\r\n-------" + tid + "+\r\n");
  test::Frame f;
  std::string error;
  if (reader.Next(&f, &error) != test::ParseStatus::kFrame || !f.is_request) return;
  CheckEarned(a, f);
  if (f.method == "SEND") {
    if (auto mid = f.Header("Message-ID")) forwarded_send_ids_.insert(*mid);
  }
}

void Harness::CheckState() {
  const uint64_t one_read = 2 * max_delivery_ + 64;
  engine_->ForEachConnection([&](const relay::Connection& c) {
    const std::string who = "connection c" + std::to_string(c.id());
    // What the engine keeps per connection is bounded by one transport read (held while
    // paused, or body read while waiting for a destination's stream) and by the head and
    // non-SEND body limits (a held request).
    if (c.held_bytes() > one_read) Fail("held bytes over one read", who + ": " + std::to_string(c.held_bytes()));
    if (c.route.waiting_body.size() > one_read) Fail("body held while waiting over one read", who);
    if (c.route.held_request.size() > max_head_cap_ + max_body_cap_ + 4096) Fail("held request over the head and body limits", who);
    // an inbound connection is a relay only by a certificate naming it.
    if (!c.relay_identity.empty() && !c.outbound()) {
      const sim::MemoryConnection* m = transport_.Get(c.id());
      bool named = false;
      for (const auto& name : m->certificate_names) named = named || EqualsIgnoreCase(name, c.relay_identity);
      if (!named) Fail("A-17: connection taken for a relay its certificate does not name", who + ": " + c.relay_identity);
    }
  });
  // limits.max_pending_transactions bounds what each source has awaiting a response.
  if (engine_->pending_transaction_count() > uint64_t{max_pending_cap_} * connections_opened_) {
    Fail("more pending transactions than limits.max_pending_transactions per connection",
         std::to_string(engine_->pending_transaction_count()) + " pending, " + std::to_string(connections_opened_) +
             " connections, limit " + std::to_string(max_pending_cap_));
  }
}

void Harness::CheckQuiescent(bool strict) {
  // Every armed transaction has expired by now and every dial given up: a transaction may
  // only be pending for a request still being read (its current piece).
  size_t forwarding = 0;
  engine_->ForEachConnection([&](const relay::Connection& c) {
    if (c.route.kind == relay::InboundRoute::Kind::kForward) ++forwarding;
  });
  if (engine_->pending_transaction_count() > forwarding) {
    Fail("transactions still pending after every transaction timer ran",
         std::to_string(engine_->pending_transaction_count()) + " pending, " + std::to_string(forwarding) +
             " request(s) still being forwarded");
  }
  if (!strict) return;
  // A drained relay runs no timers any more (the daemon exits): relay-bound sessions may stay.
  if (engine_->session_count() != 0 && !engine_->drained()) Fail("A-15: sessions outlived every Expires");
  if (draining_ && (!engine_->drained() || engine_->connection_count() != 0)) Fail("drain did not finish");
  engine_->ForEachConnection([&](const relay::Connection& c) {
    // R-18 (liveness): sources waiting for a destination get their turn; one that stopped in the
    // middle of a chunk must not hold the destination's stream for ever. KNOWN FAULT, the
    // subject of issue 12 (no head-of-line blocking): today a stalled half-chunk holds the
    // stream while its sender stays connected, so this check is off (kCheckStreamLiveness) and
    // its reproducer waits in fuzz/known-faults/relay/. Turn it on with that fix.
    if (kCheckStreamLiveness && !c.stream_waiters.empty()) {
      Fail("R-18: sources still wait for a destination's stream after every timer ran",
           "connection c" + std::to_string(c.id()) + ": stream owner c" + std::to_string(c.stream_owner) + ", " +
               std::to_string(c.stream_waiters.size()) + " waiting");
    }
    // Only a connection in the middle of something may outlive every timer (no body timeout).
    const bool busy = c.framer_in_body() || c.route.kind != relay::InboundRoute::Kind::kNone || c.stream_owner != 0 ||
                      !c.stream_waiters.empty();
    if (!busy) Fail("connection still open after every timeout", "connection c" + std::to_string(c.id()) + " (" + c.peer() + ")");
  });
  for (auto& a : actors_) {
    const relay::Connection* c = engine_->Find(a->id);
    if (c != nullptr && a->out.buffered() > 0 && c->stream_owner == 0) {
      Fail("a frame was left unfinished on a connection nobody streams to",
           "connection c" + std::to_string(a->id) + ": " + test::Printable(a->out.pending(), 400));
    }
  }
}

void Harness::CheckDeliveredOk() {
  for (const OkForSend& ok : ok_for_send_) {
    bool forwarded = false;
    for (const auto& id : ok.message_ids) forwarded = forwarded || forwarded_send_ids_.count(id) > 0;
    if (!forwarded) {
      Fail("R-05: a SEND answered 200 was never forwarded",
           "connection c" + std::to_string(ok.conn) + ", tid " + ok.tid + ", Message-ID " + ok.message_ids[0]);
    }
  }
}

}  // namespace msrp::fuzz
