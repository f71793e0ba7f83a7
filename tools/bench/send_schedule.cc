// SendSchedule: due times per pair, the 1 ms tick, and late-start accounting.
#include "tools/bench/send_schedule.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "tools/bench/sender.h"

namespace msrp::bench {

SendSchedule::SendSchedule(uv_loop_t* loop, RunState& run) : run_(run), loop_(loop) {}

bool SendSchedule::Start() {
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_fd_ < 0 || uv_poll_init(loop_, &poll_, timer_fd_) != 0) {
    std::fprintf(stderr, "msrp-bench: timerfd: %s\n", std::strerror(errno));
    if (timer_fd_ >= 0) close(timer_fd_);
    timer_fd_ = -1;
    return false;
  }
  poll_.data = this;
  const long tick_ns = static_cast<long>(run_.options.tick_us) * 1000;
  itimerspec spec{};
  spec.it_interval.tv_sec = tick_ns / 1000000000;
  spec.it_interval.tv_nsec = tick_ns % 1000000000;
  spec.it_value = spec.it_interval;
  timerfd_settime(timer_fd_, 0, &spec, nullptr);
  start_ns_ = RunState::NowNs();
  interval_ns_ = 1e9 / run_.options.rate;
  running_ = true;
  uv_poll_start(&poll_, UV_READABLE, [](uv_poll_t* p, int, int) {
    auto* self = static_cast<SendSchedule*>(p->data);
    uint64_t expirations = 0;
    // Missed ticks need no catching up: Tick() makes everything due by now.
    if (read(self->timer_fd_, &expirations, sizeof expirations) < 0 && errno != EAGAIN) return;
    self->Tick();
  });
  Tick();
  return true;
}

void SendSchedule::Stop() {
  if (!running_) return;
  running_ = false;
  uv_poll_stop(&poll_);
  for (PairState& p : run_.pairs) {
    run_.totals.not_started += p.due_ns.size();
    p.due_ns.clear();
    p.late_counted = 0;
  }
}

void SendSchedule::Close() {
  Stop();
  if (timer_fd_ < 0) return;
  poll_.data = reinterpret_cast<void*>(static_cast<intptr_t>(timer_fd_));
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), [](uv_handle_t* h) {
    close(static_cast<int>(reinterpret_cast<intptr_t>(h->data)));
  });
  timer_fd_ = -1;
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
