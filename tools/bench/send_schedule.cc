// SendSchedule: due times per pair, the 1 ms tick, and late-start accounting.
#include "tools/bench/send_schedule.h"

#include "tools/bench/sender.h"

namespace msrp::bench {

namespace {

constexpr uint64_t kTickMs = 1;

}  // namespace

SendSchedule::SendSchedule(uv_loop_t* loop, RunState& run) : run_(run) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
}

void SendSchedule::Start() {
  start_ns_ = RunState::NowNs();
  interval_ns_ = 1e9 / run_.options.rate;
  running_ = true;
  uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<SendSchedule*>(t->data)->Tick(); }, kTickMs, kTickMs);
  Tick();
}

void SendSchedule::Stop() {
  if (!running_) return;
  running_ = false;
  uv_timer_stop(&timer_);
  for (PairState& p : run_.pairs) {
    run_.totals.not_started += p.due_ns.size();
    p.due_ns.clear();
    p.late_counted = 0;
  }
}

void SendSchedule::Close() {
  Stop();
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

void SendSchedule::Tick() {
  if (!running_ || !run_.sending) return;
  const uint64_t now = RunState::NowNs();
  const double pairs = static_cast<double>(run_.pairs.size());
  const uint64_t count = run_.options.count;
  for (PairState& p : run_.pairs) {
    if (p.dead) {
      run_.totals.not_started += p.due_ns.size();
      p.due_ns.clear();
      p.late_counted = 0;
      continue;
    }
    // Bounded by the time since the last tick times the pair's rate.
    while (count == 0 || p.scheduled < count) {
      double k = static_cast<double>(p.scheduled) * pairs + static_cast<double>(p.index);
      uint64_t due = start_ns_ + static_cast<uint64_t>(k * interval_ns_);
      if (due > now) break;
      p.due_ns.push_back(due);
      p.scheduled++;
      run_.totals.scheduled++;
    }
    if (!p.due_ns.empty() && p.sender != nullptr) p.sender->Pump();
    // Whatever is still due after the pump could not start on time: the pair's window (or its
    // socket queue) is full. Each message is counted once.
    if (p.due_ns.size() > p.late_counted) {
      run_.totals.late_starts += p.due_ns.size() - p.late_counted;
      p.late_counted = p.due_ns.size();
    }
  }
}

}  // namespace msrp::bench
