// Bench: one msrp-bench run on one libuv loop. Sets up connections (bounded concurrency and
// time), runs traffic or holds idle sessions, samples the relay process, fills a BenchResult.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <uv.h>

#include "tools/bench/bench_options.h"
#include "tools/bench/bench_result.h"
#include "tools/bench/endpoint.h"
#include "tools/bench/listener.h"
#include "tools/bench/proc_stats.h"
#include "tools/bench/run_state.h"
#include "tools/bench/send_schedule.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace msrp::bench {

/// Phases: setup (connect + AUTH) -> traffic (duration/count; closed loop, or paced by a
/// SendSchedule with --rate) -> drain -> done; or, in idle
/// mode, setup -> hold -> done. Every phase has a timer, so a run always ends.
class Bench : public EndpointListener {
 public:
  explicit Bench(const BenchOptions& options);
  ~Bench() override;
  Bench(const Bench&) = delete;
  Bench& operator=(const Bench&) = delete;

  /// Runs to the end. Returns false (and sets *error) when the run could not start at all.
  bool Run(BenchResult* result, std::string* error);

 private:
  void OnEndpointReady(Endpoint& ep) override;
  void OnEndpointFailed(Endpoint& ep, const std::string& why) override;

  bool Prepare(std::string* error);
  void StartMoreSetups();
  void SetupDone();
  void BeginTraffic();
  void BeginHold();
  void RescanRelay();
  void StopSending();
  void CheckQuiet();
  void Finish();
  void Sample();
  void StartTimer(uv_timer_t* t, double seconds, uv_timer_cb cb);
  void OnAccept(int fd);
  void FillResult(BenchResult* r);

  const BenchOptions& o_;
  uv_loop_t loop_{};
  RunState run_;
  SSL_CTX* client_ctx_ = nullptr;
  SSL_CTX* server_ctx_ = nullptr;
  std::unique_ptr<Listener> listener_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;   ///< connected by the bench, in setup order
  std::vector<std::unique_ptr<Endpoint>> accepted_;    ///< direct mode receivers
  std::vector<Endpoint*> receivers_;                   ///< relay mode: receiver of pair i
  std::vector<Sender*> senders_;                       ///< sender of pair i
  std::unique_ptr<SendSchedule> schedule_;             ///< --rate: starts messages on time
  size_t next_setup_ = 0;
  size_t in_setup_ = 0;
  size_t setup_finished_ = 0;
  size_t setup_failures_ = 0;
  bool setup_over_ = false;
  bool finished_ = false;
  std::string first_setup_error_;

  uv_timer_t phase_timer_{};   ///< setup timeout, then duration/hold, then drain
  uv_timer_t sample_timer_{};
  std::vector<int> relay_pids_;
  ProcSample relay_base_, relay_traffic_start_, relay_end_;
  uint64_t rss_max_ = 0, pss_max_ = 0;
  uint64_t run_start_ns_ = 0, traffic_start_ns_ = 0, end_ns_ = 0;
  double self_cpu_start_ = 0, self_cpu_end_ = 0;
  uint64_t setup_start_ns_ = 0, setup_end_ns_ = 0;
};

}  // namespace msrp::bench
