// State shared by every connection of one msrp-bench run: options, payload, per-pair message
// tables, totals, errors and latency samples. One loop, one thread: no locking.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "tools/bench/bench_options.h"
#include "tools/bench/latency_stats.h"
#include "tools/bench/payload.h"

namespace msrp::bench {

class Sender;

/// A message that was started and is not finished yet.
struct InFlight {
  uint64_t start_ns = 0;       ///< when its first byte was queued (--rate: when it was due)
  uint64_t received = 0;       ///< body bytes the receiver got so far
  uint64_t next_offset = 0;    ///< where the next in-order chunk starts
  uint32_t chunks_total = 0;
  uint32_t chunks_acked = 0;   ///< 200s the sender got from its first hop
  bool delivered = false;      ///< the receiver got every byte and the '$' end-line
};

/// One sender/receiver pair.
struct PairState {
  uint32_t index = 0;
  Sender* sender = nullptr;
  std::string sender_uri;
  std::string receiver_uri;
  std::string to_path;         ///< To-Path of the SENDs
  std::unordered_map<uint64_t, InFlight> inflight;
  uint64_t next_seq = 0;       ///< messages started
  bool dead = false;           ///< a connection of the pair failed
  // --rate only (see SendSchedule).
  std::deque<uint64_t> due_ns; ///< scheduled start times of messages due and not started yet
  uint64_t scheduled = 0;      ///< messages the schedule made due so far
  size_t late_counted = 0;     ///< leading entries of due_ns already counted as late starts
};

/// Counters of one run.
struct Totals {
  uint64_t started = 0;         ///< messages started
  uint64_t delivered = 0;       ///< messages whose every byte reached the receiver
  uint64_t finished = 0;        ///< delivered messages whose chunks were all acknowledged
  uint64_t delivered_bytes = 0; ///< body bytes that arrived and matched
  uint64_t chunks_sent = 0;
  uint64_t oks = 0;             ///< 200 responses the senders got
  uint64_t mismatched_bytes = 0;
  uint64_t out_of_order_chunks = 0;  ///< chunks that did not start where the previous one ended
  uint64_t scheduled = 0;       ///< --rate: messages that became due while sending
  uint64_t late_starts = 0;     ///< --rate: due messages that could not start at their tick
  uint64_t not_started = 0;     ///< --rate: due messages still waiting when sending stopped
};

/// Everything the connections of a run share.
class RunState {
 public:
  explicit RunState(const BenchOptions& options) : options(options), payload(options.chunk) {}

  /// Monotonic nanoseconds.
  static uint64_t NowNs();

  /// Counts one error of kind `kind` (e.g. "status 481", "connection closed").
  void Error(const std::string& kind, uint64_t n = 1) {
    errors[kind] += n;
    error_count += n;
  }

  /// True when `pair` may start another message now (with --rate: one is also due).
  bool CanStart(const PairState& pair) const {
    return sending && !pair.dead && pair.inflight.size() < options.window &&
           (options.count == 0 || pair.next_seq < options.count) && (options.rate == 0 || !pair.due_ns.empty());
  }

  /// The start time of the message `pair` starts now: now, or with --rate the time it was
  /// due (taken off the pair's due queue).
  uint64_t TakeStartNs(PairState& pair);

  /// Called when a message's last byte arrived or its last 200 came: finishes it if both
  /// happened, records its latency and lets the sender start another.
  void MaybeFinish(PairState& pair, uint64_t seq);

  /// Drops `seq` of `pair` after an error so the window moves on.
  void Abandon(PairState& pair, uint64_t seq) { pair.inflight.erase(seq); }

  /// Messages in flight over all pairs.
  uint64_t InFlightCount() const;

  const BenchOptions& options;
  Payload payload;
  std::vector<PairState> pairs;
  Totals totals;
  LatencyStats latency;
  LatencyStats start_lag;      ///< --rate: due time to actual start, per message (inside the bench)
  std::map<std::string, uint64_t> errors;
  uint64_t error_count = 0;
  bool sending = false;        ///< new messages may start
  uint64_t last_done_ns = 0;   ///< when the last message was delivered
  /// Called when a message finishes and sending has stopped (the run may be over).
  std::function<void()> on_quiet;
};

}  // namespace msrp::bench
