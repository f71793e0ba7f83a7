// Seeded random runs of thousands of simulated clients through one Engine (no sockets, no
// sleeping): connect, AUTH, chunked messages to each other, random reads, stalls, answers and
// drops, with time advancing. Checks exact in-order delivery of every chunk the relay answered
// 200 (R-05, R-16..R-18), no open relay (S-01, S-02, R-03), REPORT rules (R-06, R-08..R-10,
// R-13), bounded queues (backpressure), and an empty engine at the end (C-10, A-15).
// MSRP_SIM_SEED=<n> runs only that seed; MSRP_SIM_CLIENTS=<n> sets the connections per run
// (default 2000; fewer for slow sanitizer builds); MSRP_SIM_VERBOSE=1 prints each run's counts.
#include <doctest/doctest.h>

#include <cstdlib>

#include "tests/sim/random_run_checks.h"

namespace msrp::sim::rr {

RandomRun::RandomRun(RunParams params, std::shared_ptr<config::Config> config)
    : params_(params), config_(config), relay_(config, RunUsers()), rng_(params.seed) {}

void RandomRun::Append(Client& c, const std::string& frame) {
  c.out += frame;
  c.queued_total += frame.size();
}

void RandomRun::Queue(Client& c, const std::string& tid, const std::string& frame, Sent sent) {
  c.sent[tid] = sent;
  Append(c, frame);
  c.frame_ends.emplace_back(c.queued_total, tid);
}

void RandomRun::Spawn() {
  auto owned = std::make_unique<Client>();
  Client& c = *owned;
  c.idx = static_cast<int>(clients_.size());
  c.rng.seed(rng_());
  const uint64_t kind = Uniform(c, 0, 99);
  c.role = kind < 4 ? Role::kLurker : kind < 6 ? Role::kBadAuth : Role::kNormal;
  c.user = "u" + std::to_string(c.idx % 50);
  c.password = "p" + std::to_string(c.idx % 50);
  c.uri = "msrps://c" + std::to_string(c.idx) + ".example.com:9892/s" + std::to_string(c.idx) + ";tcp";
  const uint64_t mode = Uniform(c, 0, 99);
  c.answer_mode = mode < 80 ? 0 : mode < 90 ? 1 : 2;
  c.never_reads = Coin(c, 0.02);
  c.expires = Coin(c, 0.15) ? 60 : 600;
  c.end_at = Now() + (Coin(c, 0.12) ? Uniform(c, 50'000, 150'000) : Uniform(c, 3'000, 40'000));
  if (c.expires == 60 && Coin(c, 0.7)) c.refresh_at = Now() + Uniform(c, 35'000, 50'000);
  c.id = relay_.t.Open(true, 2855, "198.51.100." + std::to_string(c.idx % 250 + 1));
  client_by_uri_[c.uri] = c.idx;
  stats_.opened++;
  active_.push_back(c.idx);
  clients_.push_back(std::move(owned));
  if (c.role != Role::kLurker) StartAuth(c);
}

void RandomRun::StartAuth(Client& c) {
  const std::string tid = Tid(c);
  test::Headers h{{"To-Path", std::string(kSimRelayAuthUri)}, {"From-Path", c.uri}};
  if (c.expires != 600) h.emplace_back("Expires", std::to_string(c.expires));
  c.refreshing = c.authed;
  Queue(c, tid, test::EncodeFrame(tid, "AUTH", h, std::nullopt), Sent{Kind::kAuth});
}

bool RandomRun::RefreshClosed(Client& c) {
  if (!c.closed && IsClosed(relay_.t, c.id)) {
    c.closed = true;
    stats_.engine_closes++;
  }
  return c.closed;
}

void RandomRun::Drop(Client& c) {
  relay_.t.PeerClose(c.id, "client drops");
  c.closed = true;
  stats_.drops++;
}

void RandomRun::Read(Client& c, size_t max) {
  const std::string bytes = relay_.t.Take(c.id, max);
  if (bytes.empty()) return;
  c.reader.Feed(bytes);
  for (;;) {
    test::Frame f;
    std::string error;
    const test::ParseStatus st = c.reader.Next(&f, &error);
    if (st == test::ParseStatus::kNeedMore) return;
    if (st == test::ParseStatus::kMalformed) {
      Fail("client " + std::to_string(c.idx) + " got a malformed stream: " + error);
      Drop(c);
      return;
    }
    Handle(c, f);
  }
}

void RandomRun::SendSome(Client& c) {
  while (!c.chunk_queue.empty() && c.out.size() - c.out_pos < 1024) {
    const auto [message, chunk] = c.chunk_queue.front();
    c.chunk_queue.pop_front();
    const Message& m = messages_[message];
    const std::string tid = Tid(c);
    Queue(c, tid, ChunkFrame(m, chunk, tid), Sent{Kind::kSend, message, m.chunks[chunk].first, m.chunks[chunk].second});
  }
  if (Now() < c.send_pause_until) return;
  if (c.out_pos < c.out.size() && Coin(c, 0.002)) {  // a sender that stops for a while, mid-chunk too
    c.send_pause_until = Now() + Uniform(c, 1'000, 10'000);
    return;
  }
  for (int slice = 0; slice < 3 && c.out_pos < c.out.size(); ++slice) {
    const MemoryConnection* mc = relay_.t.Get(c.id);
    if (mc->closed || mc->paused || relay_.t.held_for(c.id) > 0) break;  // TCP would push back
    const size_t most = Coin(c, 0.2) ? 64 : params_.max_send;
    const size_t n = std::min<size_t>(c.out.size() - c.out_pos, Uniform(c, 1, most));
    relay_.t.Send(c.id, std::string_view(c.out).substr(c.out_pos, n));
    c.out_pos += n;
    c.sent_total += n;
    while (!c.frame_ends.empty() && c.frame_ends.front().first <= c.sent_total) {
      Sent& sent = c.sent[c.frame_ends.front().second];
      sent.fully_sent = true;
      sent.fully_sent_at = Now();
      c.frame_ends.pop_front();
    }
  }
  if (c.out_pos > 65536 && c.out_pos * 2 > c.out.size()) {
    c.out.erase(0, c.out_pos);
    c.out_pos = 0;
  }
}

void RandomRun::Act(Client& c, bool winding_down) {
  if (RefreshClosed(c)) return;
  const uint64_t now = Now();
  if (!winding_down) {
    if (!c.ending && now >= c.end_at) {
      c.ending = true;
      c.graceful = Coin(c, 0.5);
      c.grace_until = now + 20'000;
      if (!c.graceful) {  // anywhere, mid-chunk included
        Drop(c);
        return;
      }
    }
    if (c.ending && (now >= c.grace_until || (c.out_pos == c.out.size() && c.chunk_queue.empty()))) {
      Read(c, 0);  // a last look at everything written to it
      if (!c.closed) c.final_read_at = Now();
      Drop(c);
      return;
    }
  }
  if (winding_down || (!c.never_reads && now >= c.stall_until)) {
    Read(c, winding_down || Coin(c, 0.6) ? 0 : Uniform(c, 1, 8192));
    if (!winding_down && Coin(c, 0.004)) c.stall_until = now + Uniform(c, 1'000, 30'000);
  }
  if (RefreshClosed(c) || c.role == Role::kLurker) return;
  if (!winding_down && !c.ending && c.authed) {
    if (c.refresh_at != 0 && now >= c.refresh_at && !c.refreshing) {
      c.refresh_at = Coin(c, 0.5) ? now + Uniform(c, 35'000, 50'000) : 0;
      StartAuth(c);
    }
    // Half of those whose session ran out go quiet: limits.idle_timeout closes them.
    const bool expired = c.refresh_at == 0 && !c.refreshing && now > c.valid_until + 1'000;
    if (expired && (c.idx & 1)) return;
    if (c.chunk_queue.empty() && Coin(c, params_.new_message_p)) NewMessage(c);
  }
  SendSome(c);
}

void RandomRun::CheckBounds() {
  const auto& limits = config_->limits;
  size_t open = 0;
  for (const auto& [id, mc] : relay_.t.connections()) {
    if (mc.closed) continue;
    ++open;
    stats_.peak_queue = std::max<uint64_t>(stats_.peak_queue, mc.written.size());
    if (mc.written.size() > limits.max_queue_bytes + relay_.t.largest_write()) {
      Fail("c" + std::to_string(id) + " queue " + std::to_string(mc.written.size()) +
           " B over max_queue_bytes + a write");
    }
    const relay::Connection* conn = relay_.engine.Find(id);
    if (conn == nullptr) {
      Fail("c" + std::to_string(id) + " is open in the transport but unknown to the engine");
      continue;
    }
    stats_.peak_held = std::max<uint64_t>(stats_.peak_held, conn->held_bytes());
    stats_.peak_waiting = std::max<uint64_t>(stats_.peak_waiting, conn->route.waiting_body.size());
    if (conn->held_bytes() > 2 * params_.max_send || conn->route.waiting_body.size() > 2 * params_.max_send) {
      Fail("c" + std::to_string(id) + " holds " + std::to_string(conn->held_bytes()) + " B read-ahead and " +
           std::to_string(conn->route.waiting_body.size()) + " B waiting body (over two reads)");
    }
  }
  stats_.peak_connections = std::max<uint64_t>(stats_.peak_connections, open);
  if (open != relay_.engine.connection_count()) {
    Fail("the engine has " + std::to_string(relay_.engine.connection_count()) + " connections, the transport " +
         std::to_string(open) + " open");
  }
}

void RandomRun::Run() {
  while (stats_.opened < static_cast<uint64_t>(params_.total_clients)) {
    for (int i = 0; i < 8 && active_.size() < static_cast<size_t>(params_.concurrent) &&
                    stats_.opened < static_cast<uint64_t>(params_.total_clients);
         ++i) {
      Spawn();
    }
    const size_t actions = active_.size() / 3 + 1;
    for (size_t k = 0; k < actions && !active_.empty(); ++k) Act(*clients_[active_[rng_() % active_.size()]], false);
    std::erase_if(active_, [&](int i) { return clients_[i]->closed; });
    // Time passes by steps; the engine ticks every 200 ms, as the daemon's loop does.
    if ((Now() + params_.step_ms) / 200 != Now() / 200) {
      relay_.t.Advance(params_.step_ms);
    } else {
      relay_.t.Skip(params_.step_ms);
    }
    if (++stats_.steps % 25 == 0) CheckBounds();
  }
  WindDown();
  FinalChecks();
  stats_.sim_ms = Now() - 1'000'000;
}

void RandomRun::WindDown() {
  winding_down_ = true;
  for (int i : active_) {  // liveness up to here: nothing waits for its answer too long
    Client& c = *clients_[i];
    if (RefreshClosed(c)) continue;
    c.send_pause_until = 0;
    for (const auto& [tid, s] : c.sent) {
      if (s.kind != Kind::kSend || !s.fully_sent || s.responses > 0 ||
          Now() - s.fully_sent_at <= params_.max_response_wait_ms) {
        continue;
      }
      const std::string& fr = messages_[s.message].fr;
      if (fr.empty() || fr == "yes") {
        Fail("client " + std::to_string(c.idx) + ": " + tid + " unanswered for " +
             std::to_string(Now() - s.fully_sent_at) + " ms (R-05, R-18 liveness)");
      }
    }
  }
  // Nobody starts anything new; everyone sends what it has queued and reads everything.
  auto busy = [&]() {
    for (int i : active_) {
      const Client& c = *clients_[i];
      if (c.closed) continue;
      if (c.out_pos < c.out.size() || !c.chunk_queue.empty() || relay_.t.QueuedBytes(c.id) > 0 ||
          relay_.t.held_for(c.id) > 0) {
        return true;
      }
    }
    return false;
  };
  int quiet = 0;
  for (int round = 0; round < 20'000 && quiet < 3; ++round) {
    for (int i : active_) Act(*clients_[i], true);
    std::erase_if(active_, [&](int i) { return clients_[i]->closed; });
    relay_.t.Advance(50);
    quiet = busy() ? 0 : quiet + 1;
    if (round % 25 == 0) CheckBounds();
  }
  if (quiet < 3) Fail("the clients' traffic did not settle within the wind-down");
  // The transaction timers of unanswered chunks run out while everyone reads.
  for (uint32_t s = 0; s < config_->limits.transaction_timeout + 2; ++s) {
    for (int i : active_) Act(*clients_[i], true);
    relay_.t.Advance(1'000);
  }
  for (int i : active_) Act(*clients_[i], true);
  std::erase_if(active_, [&](int i) { return clients_[i]->closed; });
  CheckBounds();
}

void RandomRun::FinalChecks() {
  // Liveness: every request a still-connected client sent in full was answered, except SENDs
  // whose Failure-Report forbids it and REPORTs.
  for (int i : active_) {
    const Client& c = *clients_[i];
    if (c.closed) continue;
    for (const auto& [tid, s] : c.sent) {
      if (!s.fully_sent || s.kind == Kind::kReport || s.responses > 0) continue;
      const std::string& fr = s.kind == Kind::kSend ? messages_[s.message].fr : std::string();
      if (fr.empty() || fr == "yes") Fail("client " + std::to_string(c.idx) + ": no response to " + tid);
    }
  }
  // Exact delivery: every chunk answered 200 reached its receiver if that stayed connected
  // (to the end, or until a graceful close that read everything first, for the 200s before).
  for (const Message& m : messages_) {
    if (m.evil && m.delivered > 0) Fail(m.id + " misused a token and was delivered");
    const Client& receiver = *clients_[m.receiver];
    for (const Message::Ack& ack : m.acked) {
      if (receiver.closed && !(receiver.final_read_at != 0 && ack.at_ms < receiver.final_read_at)) continue;
      stats_.checked_chunks++;
      if (m.delivered < ack.start - 1 + ack.len) {
        Fail(m.id + ": chunk " + std::to_string(ack.start) + "+" + std::to_string(ack.len) +
             " was answered 200 but only " + std::to_string(m.delivered) + " octets reached client " +
             std::to_string(m.receiver));
      }
    }
  }
  const relay::Engine& e = relay_.engine;
  if (e.pending_transaction_count() != 0) {
    Fail(std::to_string(e.pending_transaction_count()) + " transactions pending after the timeout (R-08, R-23)");
  }
  if (e.counters().framing_errors != 0) Fail("framing errors on well-formed traffic");
  if (e.counters().queue_overflow_closes != 0) Fail("queues overflowed despite backpressure");
  if (!relay_.t.dials().empty()) Fail("the relay dialled out for traffic between its own clients");
  for (int i : active_) {
    if (!clients_[i]->closed) Drop(*clients_[i]);
  }
  active_.clear();
  relay_.t.Advance(60'000);
  if (e.connection_count() != 0 || e.pending_transaction_count() != 0 || e.session_count() != 0) {
    Fail("engine not empty after every peer closed: " + std::to_string(e.connection_count()) + " connections, " +
         std::to_string(e.pending_transaction_count()) + " transactions, " + std::to_string(e.session_count()) +
         " sessions");
  }
}

namespace {

/// The run's config: small watermarks (backpressure happens), stall 20 s, idle 60 s, Expires
/// from 60 s; `variant` 1 re-chunks at 4096 octets, 2 at 16384 with a 100 kB message limit.
std::shared_ptr<config::Config> RunConfig(int variant) {
  auto cfg = SimConfig();
  cfg->auth.expires.min = 60;
  auto& l = cfg->limits;
  l.high_watermark = 32 * 1024;
  l.low_watermark = 8 * 1024;
  l.max_queue_bytes = 1024 * 1024;
  l.stall_timeout = 20;
  l.idle_timeout = 60;
  l.probation = 30;
  l.transaction_timeout = 30;
  if (variant == 1) l.outgoing_chunk_bytes = 4096;
  if (variant == 2) {
    l.outgoing_chunk_bytes = 16384;
    l.max_message_bytes = 100'000;
  }
  return cfg;
}

/// Runs `seeds` (or MSRP_SIM_SEED alone) with config `variant` and checks each run.
void RunSeeds(std::vector<uint64_t> seeds, int variant) {
  if (const char* env = std::getenv("MSRP_SIM_SEED")) seeds = {std::strtoull(env, nullptr, 10)};
  int total_clients = 2000;
  if (const char* env = std::getenv("MSRP_SIM_CLIENTS")) total_clients = std::max(10, std::atoi(env));
  for (uint64_t seed : seeds) {
    RunParams params;
    params.seed = seed;
    params.total_clients = total_clients;
    RandomRun run(params, RunConfig(variant));
    run.Run();
    const std::string counts = run.stats().Describe() + "; engine counters: " + run.engine().counters().Summary();
    if (std::getenv("MSRP_SIM_VERBOSE") != nullptr) MESSAGE("seed ", seed, " variant ", variant, ": ", counts);
    std::string failures;
    for (const auto& f : run.failures()) failures += f + "\n";
    INFO("seed ", seed, " (MSRP_SIM_SEED=", seed, "), config variant ", variant, ", ", total_clients,
         " connections; ", counts);
    INFO(run.failure_count(), " failure(s), first ones:\n", failures);
    CHECK(run.failure_count() == 0);
    CHECK(run.stats().acked_chunks > 0);
    CHECK(run.stats().checked_chunks > 0);
  }
}

}  // namespace

TEST_CASE("R-05, R-16, S-01, R-13, A-15, C-10: random runs, chunks passed through: every chunk answered 200 "
          "arrives in order and exact, nothing else arrives, memory stays bounded, the engine ends empty") {
  RunSeeds({1, 2}, 0);
}

TEST_CASE("random run: the same seed gives the same run (counts and engine counters)") {
  auto once = [](uint64_t seed) {
    RunParams params;
    params.seed = seed;
    params.total_clients = 300;
    params.concurrent = 100;
    RandomRun run(params, RunConfig(1));
    run.Run();
    CHECK(run.failure_count() == 0);
    return run.stats().Describe() + "; " + run.engine().counters().Summary();
  };
  const std::string first = once(7);
  CHECK(once(7) == first);
  CHECK(once(8) != first);
}

TEST_CASE("R-11, R-17, R-18: random runs with limits.outgoing_chunk_bytes 4096: re-chunked and multiplexed "
          "pieces still deliver every acknowledged chunk in order and exact") {
  RunSeeds({3}, 1);
}

TEST_CASE("E-03, R-17: random runs with a 100 kB limits.max_message_bytes: larger messages end with '#' or "
          "get 413 and nothing after the limit arrives; everything else as without the limit") {
  RunSeeds({4}, 2);
}

}  // namespace msrp::sim::rr
