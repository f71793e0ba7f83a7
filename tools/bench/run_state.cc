// RunState: message completion (delivery + acknowledgement) and the monotonic clock.
#include "tools/bench/run_state.h"

#include <time.h>

#include "tools/bench/sender.h"

namespace msrp::bench {

uint64_t RunState::NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t RunState::TakeStartNs(PairState& pair) {
  if (options.rate == 0 || pair.due_ns.empty()) return NowNs();
  uint64_t due = pair.due_ns.front();
  pair.due_ns.pop_front();
  uint64_t now = NowNs();
  start_lag.Add(now > due ? now - due : 0);
  if (pair.late_counted > 0) pair.late_counted--;
  return due;
}

void RunState::MaybeFinish(PairState& pair, uint64_t seq) {
  auto it = pair.inflight.find(seq);
  if (it == pair.inflight.end()) return;
  const InFlight& m = it->second;
  if (!m.delivered || m.chunks_acked < m.chunks_total) return;
  pair.inflight.erase(it);
  totals.finished++;
  if (pair.sender != nullptr && sending) {
    pair.sender->Pump();
  } else if (!sending && on_quiet) {
    on_quiet();
  }
}

uint64_t RunState::InFlightCount() const {
  uint64_t n = 0;
  for (const auto& p : pairs) n += p.inflight.size();
  return n;
}

}  // namespace msrp::bench
