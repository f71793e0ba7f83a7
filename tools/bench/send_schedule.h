// SendSchedule: open-loop pacing for --rate. A timerfd ticking every --tick-us (libuv timers
// only resolve milliseconds) makes messages due on a fixed schedule and lets the senders start
// them; what a full window holds back starts late.
#pragma once

#include <cstdint>

#include <uv.h>

#include "tools/bench/run_state.h"

namespace msrp::bench {

/// Makes SENDs due at `options.rate` messages a second over all pairs. Pair i of P gets its
/// k-th message due at start + (k * P + i) / rate, so the pairs' starts interleave evenly.
/// A message's latency is counted from the time it was due (RunState::TakeStartNs).
class SendSchedule {
 public:
  SendSchedule(uv_loop_t* loop, RunState& run);
  SendSchedule(const SendSchedule&) = delete;
  SendSchedule& operator=(const SendSchedule&) = delete;

  /// Starts the schedule now and ticks every options.tick_us microseconds while the run is
  /// sending. Returns false (and says why on stderr) when the timerfd cannot be made.
  bool Start();
  /// Stops making messages due; messages still waiting are counted as not started.
  void Stop();
  /// Closes the poll handle and the timerfd (the loop runs its close callback afterwards).
  void Close();

 private:
  void Tick();

  RunState& run_;
  uv_loop_t* loop_;
  int timer_fd_ = -1;
  uv_poll_t poll_{};
  uint64_t start_ns_ = 0;
  double interval_ns_ = 0;  ///< between two consecutive messages over all pairs
  bool running_ = false;
};

}  // namespace msrp::bench
