// Bench: connection setup with bounded concurrency, phase timers (setup, traffic, drain, hold),
// relay sampling every 200 ms, teardown, and the numbers of the result.
#include "tools/bench/bench_run.h"

#include <algorithm>

#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include "tools/bench/idle_session.h"
#include "tools/bench/receiver.h"
#include "tools/bench/sender.h"
#include "tools/bench/tls_setup.h"

namespace msrp::bench {

namespace {

constexpr uint64_t kSampleMs = 200;

std::string RandomAlnum(int n) {
  static const char* kChars = "abcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char b[32];
  RAND_bytes(b, n);
  std::string s;
  for (int i = 0; i < n; ++i) s += kChars[b[i] % 36];
  return s;
}

Bench* FromTimer(uv_timer_t* t) { return static_cast<Bench*>(t->data); }

}  // namespace

Bench::Bench(const BenchOptions& options) : o_(options), run_(options) {}

Bench::~Bench() {
  if (client_ctx_ != nullptr) SSL_CTX_free(client_ctx_);
  if (server_ctx_ != nullptr) SSL_CTX_free(server_ctx_);
}

void Bench::StartTimer(uv_timer_t* t, double seconds, uv_timer_cb cb) {
  uv_timer_stop(t);
  uv_timer_start(t, cb, static_cast<uint64_t>(seconds * 1000.0), 0);
}

bool Bench::Prepare(std::string* error) {
  client_ctx_ = MakeClientContext(o_.ca_file, o_.insecure, error);
  if (client_ctx_ == nullptr) return false;
  uint16_t connect_port = o_.connect_port;
  if (o_.direct) {
    if (!o_.listen_plain) {
      server_ctx_ = MakeServerContext(o_.cert_file, o_.key_file, error);
      if (server_ctx_ == nullptr) return false;
    }
    listener_ = std::make_unique<Listener>(&loop_);
    if (!listener_->Start(o_.listen_host, o_.listen_port, [this](int fd) { OnAccept(fd); }, error)) return false;
    if (connect_port == 0 && o_.listen_host == o_.connect_host && o_.listen_port == 0) connect_port = listener_->port();
  }
  const uint32_t n = o_.idle > 0 ? 0 : o_.pairs;
  run_.pairs.resize(n);
  senders_.assign(n, nullptr);
  receivers_.assign(n, nullptr);
  for (uint32_t i = 0; i < n; ++i) {
    PairState& p = run_.pairs[i];
    p.index = i;
    p.sender_uri = "msrps://sender.bench.invalid:2855/a" + std::to_string(i) + "x" + RandomAlnum(10) + ";tcp";
    p.receiver_uri = o_.direct ? "msrps://" + o_.connect_host + ":" + std::to_string(connect_port) + "/b" +
                                     std::to_string(i) + ";tcp"
                               : "msrps://receiver.bench.invalid:2855/b" + std::to_string(i) + "x" +
                                     RandomAlnum(10) + ";tcp";
    if (!o_.direct) {
      auto r = std::make_unique<Receiver>(&loop_, run_, this, &p);
      r->uri = p.receiver_uri;
      receivers_[i] = r.get();
      endpoints_.push_back(std::move(r));
    }
    auto s = std::make_unique<Sender>(&loop_, run_, this, &p);
    p.sender = s.get();
    senders_[i] = s.get();
    endpoints_.push_back(std::move(s));
  }
  for (uint32_t i = 0; i < o_.idle; ++i) endpoints_.push_back(std::make_unique<IdleSession>(&loop_, run_, this, nullptr));
  for (auto& ep : endpoints_) ep->setup_tracked = true;
  if (o_.rate > 0 && n > 0) schedule_ = std::make_unique<SendSchedule>(&loop_, run_);
  if (o_.relay_pid > 0) relay_pids_ = ProcessTree(o_.relay_pid);
  run_.on_quiet = [this] { CheckQuiet(); };
  return true;
}

bool Bench::Run(BenchResult* result, std::string* error) {
  uv_loop_init(&loop_);
  uv_timer_init(&loop_, &phase_timer_);
  uv_timer_init(&loop_, &sample_timer_);
  phase_timer_.data = this;
  sample_timer_.data = this;
  bool ok = Prepare(error);
  if (ok) {
    if (!relay_pids_.empty()) {
      relay_base_ = SampleProcesses(relay_pids_, true);
      if (!relay_base_.ok) {
        *error = "cannot read /proc/" + std::to_string(o_.relay_pid) + "/stat";
        ok = false;
      }
      rss_max_ = relay_base_.rss_kib;
      pss_max_ = relay_base_.pss_kib;
    }
  }
  if (ok) {
    run_start_ns_ = setup_start_ns_ = RunState::NowNs();
    self_cpu_start_ = SelfCpuSeconds();
    uv_timer_start(&sample_timer_, [](uv_timer_t* t) { FromTimer(t)->Sample(); }, kSampleMs, kSampleMs);
    StartTimer(&phase_timer_, o_.setup_timeout, [](uv_timer_t* t) {
      Bench* b = FromTimer(t);
      if (b->setup_over_) return;
      size_t left = b->endpoints_.size() - b->setup_finished_;
      b->setup_failures_ += left;
      if (b->first_setup_error_.empty()) b->first_setup_error_ = "setup timed out";
      for (auto& ep : b->endpoints_) {
        if (!ep->ready() && !ep->failed()) ep->conn().Close();
      }
      b->SetupDone();
    });
    StartMoreSetups();
    if (endpoints_.empty()) SetupDone();
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  // Teardown: close every handle, let the loop run their close callbacks.
  for (auto& ep : endpoints_) ep->conn().Close();
  for (auto& ep : accepted_) ep->conn().Close();
  if (listener_) listener_->Close();
  if (schedule_) schedule_->Close();
  uv_close(reinterpret_cast<uv_handle_t*>(&phase_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sample_timer_), nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
  if (ok) FillResult(result);
  return ok;
}

void Bench::StartMoreSetups() {
  // Bounded by the number of endpoints.
  while (!setup_over_ && in_setup_ < o_.connect_concurrency && next_setup_ < endpoints_.size()) {
    Endpoint& ep = *endpoints_[next_setup_++];
    std::optional<AuthParams> auth;
    if (!o_.direct) {
      AuthParams a;
      a.to_uri = "msrps://" + o_.relay_host + ";tcp";
      bool is_receiver = ep.pair() != nullptr && receivers_[ep.pair()->index] == &ep;
      if (ep.pair() == nullptr) {
        a.from_uri = "msrps://idle.bench.invalid:2855/i" + std::to_string(next_setup_) + "x" + RandomAlnum(10) + ";tcp";
      } else {
        a.from_uri = is_receiver ? ep.pair()->receiver_uri : ep.pair()->sender_uri;
      }
      a.user = is_receiver ? o_.user_b : o_.user;
      a.password = is_receiver ? o_.password_b : o_.password;
      a.digest_uri = o_.digest_uri;
      a.expires = o_.expires;
      auth = std::move(a);
    }
    std::string error;
    in_setup_++;
    if (!ep.Connect(o_.connect_host, o_.connect_port == 0 && listener_ ? listener_->port() : o_.connect_port,
                    client_ctx_, o_.tls_name, std::move(auth), &error)) {
      ep.conn().Close();
      OnEndpointFailed(ep, error);
    }
  }
}

void Bench::OnEndpointReady(Endpoint& ep) {
  if (!ep.setup_tracked || setup_over_) return;
  in_setup_--;
  setup_finished_++;
  StartMoreSetups();
  if (setup_finished_ == endpoints_.size()) SetupDone();
}

void Bench::OnEndpointFailed(Endpoint& ep, const std::string& why) {
  if (!ep.setup_tracked) {
    if (!ep.ready()) run_.Error("accepted connection failed: " + why);
    return;
  }
  if (ep.ready() || setup_over_) {
    // Lost after setup: Endpoint counted it. Idle mode has no pairs to finish.
    if (o_.idle == 0 && run_.sending) {
      bool any_alive = false;
      for (const auto& p : run_.pairs) any_alive = any_alive || !p.dead;
      if (!any_alive) StopSending();
    }
    return;
  }
  in_setup_--;
  setup_finished_++;
  setup_failures_++;
  if (first_setup_error_.empty()) first_setup_error_ = why;
  StartMoreSetups();
  if (setup_finished_ == endpoints_.size()) SetupDone();
}

void Bench::OnAccept(int fd) {
  auto r = std::make_unique<Receiver>(&loop_, run_, this, nullptr);
  std::string error;
  Receiver* raw = r.get();
  accepted_.push_back(std::move(r));
  if (!raw->Adopt(fd, o_.listen_plain ? nullptr : server_ctx_, &error)) {
    raw->conn().Close();
    run_.Error("accepting: " + error);
  }
}

void Bench::SetupDone() {
  if (setup_over_) return;
  setup_over_ = true;
  setup_end_ns_ = RunState::NowNs();
  if (setup_failures_ > 0) {
    run_.Error("setup failed: " + first_setup_error_, setup_failures_);
  }
  if (o_.idle > 0) {
    BeginHold();
  } else {
    BeginTraffic();
  }
}

void Bench::RescanRelay() {
  if (relay_pids_.empty()) return;
  // Multi-process relays (Kamailio) may still have been forking when the run began.
  for (int pid : ProcessTree(o_.relay_pid)) {
    if (std::find(relay_pids_.begin(), relay_pids_.end(), pid) == relay_pids_.end()) relay_pids_.push_back(pid);
  }
  relay_traffic_start_ = SampleProcesses(relay_pids_, true);
}

void Bench::BeginHold() {
  RescanRelay();
  traffic_start_ns_ = RunState::NowNs();
  StartTimer(&phase_timer_, o_.duration, [](uv_timer_t* t) { FromTimer(t)->Finish(); });
}

void Bench::BeginTraffic() {
  uint32_t ready = 0;
  for (uint32_t i = 0; i < run_.pairs.size(); ++i) {
    PairState& p = run_.pairs[i];
    bool ok = senders_[i]->ready() && !senders_[i]->failed() &&
              (o_.direct || (receivers_[i]->ready() && !receivers_[i]->failed()));
    if (!ok) {
      p.dead = true;
      continue;
    }
    ready++;
    p.to_path = o_.direct ? p.receiver_uri
                          : senders_[i]->use_path() + " " + receivers_[i]->use_path() + " " + p.receiver_uri;
  }
  RescanRelay();
  self_cpu_start_ = SelfCpuSeconds();
  traffic_start_ns_ = RunState::NowNs();
  if (ready == 0) {
    Finish();
    return;
  }
  run_.sending = true;
  StartTimer(&phase_timer_, o_.duration, [](uv_timer_t* t) { FromTimer(t)->StopSending(); });
  if (schedule_) {
    if (!schedule_->Start()) StopSending();  // nothing can be paced: the run ends empty
    return;
  }
  for (uint32_t i = 0; i < run_.pairs.size(); ++i) {
    if (!run_.pairs[i].dead) senders_[i]->Pump();
  }
}

void Bench::StopSending() {
  if (finished_ || !run_.sending) return;
  run_.sending = false;
  if (schedule_) schedule_->Stop();
  StartTimer(&phase_timer_, o_.drain_timeout, [](uv_timer_t* t) {
    Bench* b = FromTimer(t);
    uint64_t left = b->run_.InFlightCount();
    if (left > 0) b->run_.Error("not delivered within the drain timeout", left);
    b->Finish();
  });
  CheckQuiet();
}

void Bench::CheckQuiet() {
  if (finished_ || run_.sending || !setup_over_ || o_.idle > 0) return;
  if (run_.InFlightCount() == 0) Finish();
}

void Bench::Sample() {
  if (!relay_pids_.empty()) {
    ProcSample s = SampleProcesses(relay_pids_, true);
    rss_max_ = std::max(rss_max_, s.rss_kib);
    pss_max_ = std::max(pss_max_, s.pss_kib);
  }
  if (run_.sending && o_.count > 0) {
    bool all_started = true;
    for (const auto& p : run_.pairs) all_started = all_started && (p.dead || p.next_seq >= o_.count);
    if (all_started && run_.InFlightCount() == 0) StopSending();
  }
}

void Bench::Finish() {
  if (finished_) return;
  finished_ = true;
  run_.sending = false;
  if (schedule_) schedule_->Stop();
  end_ns_ = RunState::NowNs();
  self_cpu_end_ = SelfCpuSeconds();
  if (!relay_pids_.empty()) {
    relay_end_ = SampleProcesses(relay_pids_, true);
    rss_max_ = std::max(rss_max_, relay_end_.rss_kib);
    pss_max_ = std::max(pss_max_, relay_end_.pss_kib);
  }
  uv_timer_stop(&phase_timer_);
  uv_timer_stop(&sample_timer_);
  uv_stop(&loop_);
}

void Bench::FillResult(BenchResult* r) {
  r->mode = o_.idle > 0 ? "idle" : (o_.direct ? "direct" : "relay");
  r->label = o_.label;
  r->pairs = o_.idle > 0 ? 0 : o_.pairs;
  r->idle_asked = o_.idle;
  r->size = o_.size;
  r->chunk = o_.chunk;
  r->window = o_.window;
  r->setup_s = static_cast<double>((setup_end_ns_ ? setup_end_ns_ : end_ns_) - setup_start_ns_) / 1e9;
  for (uint32_t i = 0; i < run_.pairs.size(); ++i) {
    bool ok = senders_[i]->ready() && (o_.direct || receivers_[i]->ready());
    if (ok) r->pairs_ready++;
  }
  for (const auto& ep : endpoints_) {
    if (o_.idle > 0 && ep->ready()) r->idle_ready++;
  }
  const Totals& t = run_.totals;
  r->started = t.started;
  r->delivered = t.delivered;
  r->finished = t.finished;
  r->oks = t.oks;
  r->chunks_sent = t.chunks_sent;
  r->delivered_bytes = t.delivered_bytes;
  r->mismatched_bytes = t.mismatched_bytes;
  r->out_of_order_chunks = t.out_of_order_chunks;
  r->rate = o_.rate;
  r->tick_us = o_.rate > 0 ? o_.tick_us : 0;
  r->scheduled = t.scheduled;
  r->late_starts = t.late_starts;
  r->not_started = t.not_started;
  r->start_lag_p50_ms = run_.start_lag.PercentileMs(0.50);
  r->start_lag_p99_ms = run_.start_lag.PercentileMs(0.99);
  r->start_lag_max_ms = run_.start_lag.PercentileMs(1.0);
  uint64_t until = t.delivered > 0 && run_.last_done_ns > traffic_start_ns_ ? run_.last_done_ns : end_ns_;
  double phase_s = static_cast<double>(end_ns_ - (o_.idle > 0 ? run_start_ns_ : traffic_start_ns_)) / 1e9;
  r->elapsed_s = o_.idle > 0 ? phase_s : static_cast<double>(until - traffic_start_ns_) / 1e9;
  if (r->elapsed_s > 0 && o_.idle == 0) {
    r->msgs_per_s = static_cast<double>(t.delivered) / r->elapsed_s;
    r->mb_per_s = static_cast<double>(t.delivered_bytes) / 1e6 / r->elapsed_s;
  }
  r->p50_ms = run_.latency.PercentileMs(0.50);
  r->p99_ms = run_.latency.PercentileMs(0.99);
  r->p999_ms = run_.latency.PercentileMs(0.999);
  r->max_ms = run_.latency.PercentileMs(1.0);
  r->errors = run_.error_count;
  r->error_kinds = run_.errors;
  r->verified = o_.idle == 0 && t.delivered > 0 && t.mismatched_bytes == 0 && run_.errors.count("body bytes did not match") == 0;
  if (!relay_pids_.empty()) {
    r->relay_measured = true;
    r->relay_procs = relay_end_.procs;
    r->relay_setup_cpu_s = relay_traffic_start_.cpu_s - relay_base_.cpu_s;
    r->relay_cpu_s = o_.idle > 0 ? relay_end_.cpu_s - relay_base_.cpu_s : relay_end_.cpu_s - relay_traffic_start_.cpu_s;
    r->relay_peak_rss_kib = relay_end_.hwm_kib;
    r->relay_rss_base_kib = relay_base_.rss_kib;
    r->relay_rss_max_kib = rss_max_;
    r->relay_rss_end_kib = relay_end_.rss_kib;
    r->relay_pss_base_kib = relay_base_.pss_kib;
    r->relay_pss_max_kib = pss_max_;
  }
  r->bench_cpu_s = self_cpu_end_ - self_cpu_start_;
  r->bench_cpu_util = phase_s > 0 ? r->bench_cpu_s / phase_s : 0;
  // A phase under a second is too short to judge (start-up costs dominate).
  r->bench_cpu_bound = phase_s >= 1.0 && r->bench_cpu_util > 0.9;
}

}  // namespace msrp::bench
