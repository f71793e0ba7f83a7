// Harness: the engine's config, the simulated peers (actors), the op interpreter and the end
// phase (time runs out, everyone closes, the engine must be empty).
#include "fuzz/relay_harness/harness.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <tuple>

#include "tests/sim/sim_peer.h"

namespace msrp::fuzz {

namespace {

/// The ops of the input language (fuzz/relay_harness/ops.md); an op byte is taken modulo kOpCount.
enum Op : uint8_t {
  kOpen = 0,      // kind
  kAuth,          // actor user variant
  kSend,          // actor shape target hdr len flags
  kRequest,       // actor method shape target len
  kDeliver,       // actor n16
  kRaw,           // actor len bytes...
  kTake,          // actor max16
  kStall,         // actor
  kRespond,       // actor pick code
  kClose,         // actor
  kDial,          // pick how
  kAdvance,       // step
  kEndLine,       // actor source flag
  kDrain,         //
  kReload,        // c0 c1 c2
  kMutate,        // actor pos16 value
  kRespondAll,    // actor code
  kSync,          //
  kSendRfc,       // actor which shape target deliver
  kOpCount
};

constexpr size_t kMaxActors = 16;
constexpr uint16_t kTlsPort = 2855;
constexpr uint16_t kTcpPort = 2856;

/// "host" as a URI authority writes it (IPv6 literals in brackets).
std::string UriHost(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

Harness::Harness(const uint8_t* data, size_t size) : in_(data, size) {
  trace_live_ = std::getenv("MSRP_FUZZ_TRACE") != nullptr;
  const uint8_t a = in_.U8(), b = in_.U8(), c = in_.U8();
  static const std::shared_ptr<const UserDb> users = sim::SimUsers({{"alice", "pa"}, {"bob", "pb"}, {"carol", "pc"}});
  users_ = users;  // the same for every input: built once
  if (users_ == nullptr) Fail("SimUsers failed");
  UseConfig(MakeConfig(a, b, c));
  engine_ = std::make_unique<relay::Engine>(transport_, config_, users_);
  transport_.set_engine(engine_.get());
  engine_->SetListenerPorts({kTlsPort, kTcpPort}, kTlsPort);
  transport_.set_write_hook(
      [this](relay::ConnectionId id, uint64_t queued, size_t n) { OnWrite(id, queued, n); });
  Trace("config %02x %02x %02x", a, b, c);
}

Harness::~Harness() {
  transport_.set_write_hook(nullptr);
  engine_.reset();
}

std::shared_ptr<config::Config> Harness::MakeConfig(uint8_t a, uint8_t b, uint8_t c) const {
  // SimConfig: relay.example.com, realm example.com, TLS 2855, TCP 2856, msrp: next hops allowed.
  auto cfg = sim::SimConfig(kTlsPort, kTcpPort);
  auto& l = cfg->limits;
  switch (a & 3) {  // watermarks and queue cap (validated config rules: low < high <= max)
    case 1: l.high_watermark = 2048, l.low_watermark = 512, l.max_queue_bytes = 16384; break;
    case 2: l.high_watermark = 256, l.low_watermark = 64, l.max_queue_bytes = 4096; break;
    case 3: l.high_watermark = 8192, l.low_watermark = 1024, l.max_queue_bytes = 65536; break;
    default: break;  // 1 MiB / 256 KiB / 16 MiB
  }
  static constexpr uint64_t kChunk[] = {0, 0, 2048, 5000};  // 0 or >= 2048 (config rule)
  l.outgoing_chunk_bytes = kChunk[(a >> 2) & 3];
  if (a & 0x10) l.max_pending_transactions = 3;
  if (a & 0x20) l.max_message_bytes = 3000;
  if (a & 0x40) cfg->auth.allow_users = {"alice", "bob"};
  if (a & 0x80) cfg->peers.allow_plain_tcp = false;
  static constexpr uint32_t kNonSendBody[] = {10240, 64, 600, 10240};
  l.max_non_send_body = kNonSendBody[b & 3];
  switch ((b >> 2) & 3) {  // max_head_bytes >= 1024 (config rule)
    case 1: l.max_head_bytes = 1024, l.max_headers = 8; break;
    case 2: l.max_head_bytes = 2048; break;
    default: break;
  }
  static constexpr uint32_t kTxn[] = {30, 1, 5, 30};
  l.transaction_timeout = kTxn[(b >> 4) & 3];
  switch ((b >> 6) & 3) {
    case 1: cfg->peers.relays_deny = {"relay2.example.net"}; break;
    case 2: cfg->peers.relays_allow = {"*.example.org"}; break;
    default: break;
  }
  if (c & 1) l.probation = 3, l.idle_timeout = 20, cfg->peers.idle_timeout = 60, cfg->peers.connect_timeout = 2;
  if (c & 2) cfg->auth.expires = config::ExpiresConfig{1, 30, 120};
  if (c & 4) cfg->auth.nonce_lifetime = 5;
  if (c & 8) cfg->auth.max_failures = 2;
  if (c & 16) l.stall_timeout = 2;
  if (c & 32) l.drain_timeout = 1;
  return cfg;
}

void Harness::UseConfig(std::shared_ptr<config::Config> config) {
  config_ = std::move(config);
  const auto& l = config_->limits;
  max_queue_cap_ = std::max(max_queue_cap_, l.max_queue_bytes);
  max_head_cap_ = std::max<uint64_t>(max_head_cap_, l.max_head_bytes);
  max_body_cap_ = std::max<uint64_t>(max_body_cap_, l.max_non_send_body);
  max_pending_cap_ = std::max(max_pending_cap_, l.max_pending_transactions);
  for (auto& a : actors_) a->in->set_limits(FramerLimits{l.max_head_bytes, l.max_headers});
}

void Harness::Trace(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (trace_live_) std::fprintf(stderr, "fuzz_relay: %s\n", buf);
  if (trace_.size() < 4000) trace_.emplace_back(buf);
}

bool Harness::IsOpen(const Actor& a) {
  const sim::MemoryConnection* c = transport_.Get(a.id);
  return c != nullptr && !c->closed;
}

Actor* Harness::PickOpen(uint8_t selector) {
  std::vector<Actor*> open;
  for (auto& a : actors_) {
    if (IsOpen(*a)) open.push_back(a.get());
  }
  return open.empty() ? nullptr : open[selector % open.size()];
}

Actor* Harness::PickAny(uint8_t selector) {
  return actors_.empty() ? nullptr : actors_[selector % actors_.size()].get();
}

Actor& Harness::AddActor(relay::ConnectionId id, ActorKind kind) {
  auto actor = std::make_unique<Actor>();
  Actor& a = *actor;
  a.id = id;
  a.kind = kind;
  a.index = static_cast<int>(actors_.size());
  const std::string n = std::to_string(a.index);
  a.in = std::make_unique<InboundModel>(FramerLimits{config_->limits.max_head_bytes, config_->limits.max_headers});
  switch (kind) {
    case ActorKind::kClient:
      a.endpoint = "msrps://c" + n + ".example.org:9892/c" + n + "s;tcp";
      a.from_path = a.endpoint;
      break;
    case ActorKind::kPlain:
      a.endpoint = "msrp://p" + n + ".example.org:9000/p" + n + "s;tcp";
      a.from_path = a.endpoint;
      break;
    case ActorKind::kRelay:
    case ActorKind::kOutbound:
      break;  // set by the caller (they depend on the certificate or the dial target)
  }
  actors_.push_back(std::move(actor));
  ++connections_opened_;
  return a;
}

void Harness::AdoptDials() {
  for (relay::ConnectionId id : transport_.dials()) {
    bool known = false;
    for (auto& a : actors_) known = known || a->id == id;
    if (known) continue;
    const sim::MemoryConnection* c = transport_.Get(id);
    Actor& a = AddActor(id, ActorKind::kOutbound);
    a.target = c->target;
    const std::string n = std::to_string(a.index);
    const std::string authority = UriHost(a.target.host) + ":" + std::to_string(a.target.port.value_or(2855));
    if (a.target.tls) {
      // Another relay: its own URI first, then the client behind it.
      a.endpoint = "msrps://e" + n + ".example.net:9892/e" + n + "s;tcp";
      a.from_path = "msrps://" + authority + "/o" + n + ";tcp " + a.endpoint;
    } else {
      a.endpoint = "msrp://" + authority + "/o" + n + ";tcp";  // a relay-less peer
      a.from_path = a.endpoint;
    }
    Trace("  dial c%llu -> %s %s", static_cast<unsigned long long>(id), a.target.tls ? "msrps" : "msrp",
          authority.c_str());
  }
}

void Harness::OpOpen(uint8_t kind) {
  if (actors_.size() >= kMaxActors || draining_) return;  // draining: the listeners are closed
  const int n = static_cast<int>(actors_.size());
  const std::string ip = "192.0.2." + std::to_string(n + 1);
  std::vector<std::string> certs;
  ActorKind k = ActorKind::kClient;
  bool tls = true;
  switch (kind % 6) {
    case 2: k = ActorKind::kPlain, tls = false; break;
    case 3: k = ActorKind::kRelay, certs = {"relay2.example.net"}; break;
    case 4: k = ActorKind::kRelay, certs = {"relay3.example.org"}; break;
    case 5: certs = {"c" + std::to_string(n) + ".example.org"}; break;  // a client with a matching certificate
    default: break;
  }
  const relay::ConnectionId id = transport_.Open(tls, tls ? kTlsPort : kTcpPort, ip, certs);
  Actor& a = AddActor(id, k);
  a.certificate_names = certs;
  if (k == ActorKind::kRelay) {
    const std::string s = std::to_string(a.index);
    a.endpoint = "msrps://d" + s + ".example.net:9892/d" + s + "s;tcp";
    a.from_path = "msrps://" + certs[0] + ":2855/r" + s + ";tcp " + a.endpoint;
  }
  Trace("open c%llu kind %d", static_cast<unsigned long long>(id), kind % 6);
}

void Harness::OpDial(uint8_t pick, uint8_t how) {
  std::vector<Actor*> pending;
  for (auto& a : actors_) {
    const sim::MemoryConnection* c = transport_.Get(a->id);
    if (a->kind == ActorKind::kOutbound && c != nullptr && !c->closed && !c->established) pending.push_back(a.get());
  }
  if (pending.empty()) return;
  Actor& a = *pending[pick % pending.size()];
  switch (how % 4) {
    case 2: Trace("dial c%llu fails", static_cast<unsigned long long>(a.id)); transport_.FailDial(a.id, false); break;
    case 3: Trace("dial c%llu fails TLS", static_cast<unsigned long long>(a.id)); transport_.FailDial(a.id, true); break;
    default: Trace("dial c%llu up", static_cast<unsigned long long>(a.id)); transport_.Establish(a.id); break;
  }
}

void Harness::OpAdvance(uint8_t step) {
  static constexpr uint64_t kMs[] = {10, 200, 1000, 3000, 10000, 31000, 65000, 310000, 3700000};
  const uint64_t ms = kMs[step % 9];
  Trace("advance %llu ms", static_cast<unsigned long long>(ms));
  // Ticks every 200 ms for short steps; coarser for long ones (timers are "older than" checks).
  transport_.Advance(ms, std::max<uint64_t>(200, ms / 64));
}

size_t Harness::Deliver(Actor& a, size_t max) {
  if (a.outbox.empty()) return 0;
  const sim::MemoryConnection* c = transport_.Get(a.id);
  // A paused (or closing) connection is not read: the bytes stay with the peer, as in its
  // socket buffer; an outbound connection carries nothing before it is established.
  if (c == nullptr || c->closed || c->paused || c->close_after_flush || transport_.held_for(a.id) > 0 ||
      (c->outbound && !c->established)) {
    if (trace_live_) std::fprintf(stderr, "fuzz_relay:   (c%llu not read now: %zu bytes wait)\n", static_cast<unsigned long long>(a.id), a.outbox.size());
    return 0;
  }
  const size_t n = max == 0 ? a.outbox.size() : std::min(max, a.outbox.size());
  const std::string bytes = a.outbox.substr(0, n);
  a.outbox.erase(0, n);
  max_delivery_ = std::max<uint64_t>(max_delivery_, n);
  a.delivered += n;
  a.in->Feed(bytes);
  transport_.Send(a.id, bytes);
  return n;
}

void Harness::Take(Actor& a, size_t max) {
  std::string bytes = transport_.Take(a.id, max);
  if (bytes.empty()) return;
  a.taken += bytes.size();
  if (!a.out_error.empty()) return;
  a.out.Feed(bytes);
  for (;;) {
    test::Frame f;
    std::string error;
    const test::ParseStatus st = a.out.Next(&f, &error);
    if (st == test::ParseStatus::kNeedMore) break;
    if (st == test::ParseStatus::kMalformed) {
      // The frame model caps a start line at 1024 octets while its CRLF has not arrived; the
      // relay may legitimately send a longer one (a long method or response comment): wait for it.
      const std::string_view p = a.out.pending();
      if (error.rfind("no CRLF within", 0) == 0 && p.substr(0, 5) == "MSRP " &&
          p.find('\n') == std::string_view::npos) {
        break;
      }
      a.out_error = error;
      Fail("frames the relay wrote do not parse (test::FrameReader)",
           "connection c" + std::to_string(a.id) + ": " + error + "\npending: " + test::Printable(p, 600));
    }
    if (trace_live_) {
      std::fprintf(stderr, "fuzz_relay:   c%llu got %s (%zu octets) ...%s\n", static_cast<unsigned long long>(a.id),
                   f.StartLine().c_str(), f.raw.size(), test::Printable(f.raw.substr(f.raw.size() > 60 ? f.raw.size() - 60 : 0)).c_str());
    }
    Observe(a, f);
  }
  // The transaction id of a SEND still being streamed to it (for OpEndLine, F-11).
  const std::string_view p = a.out.pending();
  if (p.substr(0, 5) == "MSRP ") {
    const size_t sp = p.find(' ', 5), eol = p.find("\r\n");
    if (sp != std::string_view::npos && eol != std::string_view::npos && p.substr(sp + 1, eol - sp - 1) == "SEND") {
      a.downstream_tid = std::string(p.substr(5, sp - 5));
    }
  }
}

void Harness::Sync() {
  for (int round = 0; round < 32; ++round) {
    AdoptDials();
    bool any = false;
    for (size_t i = 0; i < actors_.size(); ++i) {
      Actor& a = *actors_[i];
      const sim::MemoryConnection* c = transport_.Get(a.id);
      if (a.stalled || c == nullptr || c->written.empty()) continue;
      if (c->outbound && !c->established && !c->closed) continue;  // not up: nothing is sent yet
      Take(a, 0);
      any = true;
    }
    if (!any) return;
  }
}

void Harness::RunOp(uint8_t op) {
  switch (op % kOpCount) {
    case kOpen: OpOpen(in_.U8()); break;
    case kAuth: {
      Actor* a = PickOpen(in_.U8());
      const uint8_t user = in_.U8(), variant = in_.U8();
      if (a != nullptr) OpAuth(*a, user, variant);
      break;
    }
    case kSend: {
      Actor* a = PickOpen(in_.U8());
      const uint8_t shape = in_.U8(), target = in_.U8(), hdr = in_.U8(), len = in_.U8(), flags = in_.U8();
      if (a != nullptr) OpSend(*a, shape, target, hdr, len, flags);
      break;
    }
    case kRequest: {
      Actor* a = PickOpen(in_.U8());
      const uint8_t method = in_.U8(), shape = in_.U8(), target = in_.U8(), len = in_.U8();
      if (a != nullptr) OpRequest(*a, method, shape, target, len);
      break;
    }
    case kDeliver: {
      Actor* a = PickOpen(in_.U8());
      const uint16_t n = in_.U16();
      if (a != nullptr) Trace("deliver c%llu %zu of %zu", static_cast<unsigned long long>(a->id), Deliver(*a, n), a->outbox.size());
      break;
    }
    case kRaw: {
      Actor* a = PickOpen(in_.U8());
      const std::string_view bytes = in_.Bytes(in_.U8());
      if (a != nullptr) {
        a->outbox.append(bytes);
        Trace("raw c%llu %s", static_cast<unsigned long long>(a->id), test::Printable(bytes, 120).c_str());
      }
      break;
    }
    case kTake: {
      Actor* a = PickAny(in_.U8());
      const uint16_t max = in_.U16();
      if (a == nullptr) break;
      const sim::MemoryConnection* c = transport_.Get(a->id);
      if (c->outbound && !c->established && !c->closed) break;
      Trace("take c%llu max %u", static_cast<unsigned long long>(a->id), max);
      Take(*a, max);
      break;
    }
    case kStall: {
      if (Actor* a = PickOpen(in_.U8())) {
        a->stalled = !a->stalled;
        Trace("c%llu %s", static_cast<unsigned long long>(a->id), a->stalled ? "stops reading" : "reads again");
      }
      break;
    }
    case kRespond: {
      Actor* a = PickOpen(in_.U8());
      const uint8_t pick = in_.U8(), code = in_.U8();
      if (a != nullptr) OpRespond(*a, pick, code);
      break;
    }
    case kClose: {
      if (Actor* a = PickOpen(in_.U8())) {
        Trace("c%llu closes", static_cast<unsigned long long>(a->id));
        transport_.PeerClose(a->id);
      }
      break;
    }
    case kDial: {
      const uint8_t pick = in_.U8(), how = in_.U8();
      AdoptDials();
      OpDial(pick, how);
      break;
    }
    case kAdvance: OpAdvance(in_.U8()); break;
    case kEndLine: {
      Actor* a = PickOpen(in_.U8());
      const uint8_t source = in_.U8(), flag = in_.U8();
      if (a != nullptr) OpEndLine(*a, source, flag);
      break;
    }
    case kDrain:
      if (!draining_) {
        Trace("drain");
        draining_ = true;
        engine_->StartDrain();
      }
      break;
    case kReload: {
      const uint8_t a = in_.U8(), b = in_.U8(), c = in_.U8();
      Trace("reload %02x %02x %02x", a, b, c);
      UseConfig(MakeConfig(a, b, c));
      engine_->Reload(config_, users_);
      break;
    }
    case kMutate: {
      Actor* a = PickOpen(in_.U8());
      const uint16_t pos = in_.U16();
      const uint8_t value = in_.U8();
      if (a != nullptr) OpMutate(*a, pos, value);
      break;
    }
    case kRespondAll: {
      Actor* a = PickOpen(in_.U8());
      const uint8_t code = in_.U8();
      if (a == nullptr) break;
      for (int i = 0; i < 64 && !a->received.empty(); ++i) OpRespond(*a, 0, code);
      break;
    }
    case kSync: Trace("sync"); break;
    case kSendRfc: {
      Actor* a = PickOpen(in_.U8());
      const uint8_t which = in_.U8(), shape = in_.U8(), target = in_.U8(), deliver = in_.U8();
      if (a != nullptr) OpSendRfc(*a, which, shape, target, deliver);
      break;
    }
    default: break;
  }
}

void Harness::Run() {
  for (int ops = 0; !in_.done() && ops < 2000; ++ops) {
    RunOp(in_.U8());
    Sync();
    CheckState();
    if (trace_live_) {
      std::fprintf(stderr, "fuzz_relay:   -> %zu connection(s), %zu session(s), %zu pending transaction(s)\n",
                   engine_->connection_count(), engine_->session_count(), engine_->pending_transaction_count());
    }
  }
  Finish();
}

void Harness::Finish() {
  Trace("-- end of input: everyone reads, time runs out, everyone closes");
  for (auto& a : actors_) a->stalled = false;
  Sync();
  CheckState();
  auto advance = [&](uint64_t total_ms, uint64_t steps) {
    const uint64_t step = std::max<uint64_t>(200, total_ms / steps);
    for (uint64_t done = 0; done < total_ms; done += step) {
      transport_.Advance(step, step);
      Sync();
      CheckState();
      if (trace_live_) {
        std::fprintf(stderr, "fuzz_relay:   +%llu ms -> %zu connection(s), %zu session(s), %zu pending transaction(s)\n",
                     static_cast<unsigned long long>(done + step), engine_->connection_count(), engine_->session_count(),
                     engine_->pending_transaction_count());
      }
    }
  };
  // Advances in rounds of `round_ms` until a whole round changes nothing (no byte written, no
  // connection closed, no transaction or session ended): work can start late, e.g. a source
  // paused by a dial that never came up reads on once that dial is given up.
  auto advance_until_quiet = [&](uint64_t round_ms, uint64_t steps, int max_rounds) {
    auto activity = [&] {
      uint64_t written = 0;
      for (const auto& [id, c] : transport_.connections()) written += c.written_total;
      return std::make_tuple(written, engine_->connection_count(), engine_->pending_transaction_count(),
                             engine_->session_count());
    };
    for (int round = 0; round < max_rounds; ++round) {
      const auto before = activity();
      advance(round_ms, steps);
      if (activity() == before) return;
    }
  };
  // Past every transaction timeout (30 s at most) and connect timeout (10 s at most): every
  // armed transaction has expired and every dial that never came up has been given up.
  advance_until_quiet(41'000, 10, 16);
  CheckQuiescent(false);
  // Past every other timer: Expires (3600 s at most), idle, probation, stall, relay idle
  // (3600 s), drain.
  advance_until_quiet(3'700'000, 16, 4);
  CheckQuiescent(true);
  for (auto& a : actors_) {
    if (IsOpen(*a)) transport_.PeerClose(a->id, "end of input");
  }
  Sync();
  if (engine_->connection_count() != 0) Fail("connections left after every peer closed");
  if (engine_->pending_transaction_count() != 0) Fail("pending transactions left after every connection closed");
  if (engine_->session_count() != 0 && !engine_->drained()) Fail("sessions left after their Expires and every close");
  // Bookkeeping: whatever the engine wrote anywhere (also to connections that then closed or
  // never came up) has been seen, and cut frames count by their heads.
  for (auto& a : actors_) {
    Take(*a, 0);
    ObservePartialHead(*a);
  }
  CheckDeliveredOk();
  if (trace_live_) std::fprintf(stderr, "fuzz_relay: engine counters: %s\n", engine_->counters().Summary().c_str());
}

}  // namespace msrp::fuzz
