// The outcome of one msrp-bench run and its text and JSON renderings.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace msrp::bench {

/// Numbers of one run. Relay fields are summed over the relay's process tree.
struct BenchResult {
  std::string mode;            ///< "relay", "direct" or "idle"
  std::string label;
  uint32_t pairs = 0;          ///< pairs asked for
  uint32_t pairs_ready = 0;    ///< pairs whose connections (and AUTHs) all succeeded
  uint32_t idle_asked = 0;
  uint32_t idle_ready = 0;     ///< idle mode: sessions authenticated
  uint64_t size = 0, chunk = 0;
  uint32_t window = 0;
  double setup_s = 0;          ///< connecting and authenticating
  double elapsed_s = 0;        ///< traffic: start to last delivery
  uint64_t started = 0, delivered = 0, finished = 0, oks = 0, chunks_sent = 0;
  uint64_t delivered_bytes = 0, mismatched_bytes = 0;
  uint64_t out_of_order_chunks = 0;  ///< chunks received out of order (not an error)
  double msgs_per_s = 0, mb_per_s = 0;
  // Open loop (--rate > 0); latency is then counted from each message's scheduled start.
  double rate = 0;               ///< messages per second asked for, over all pairs (0 = closed loop)
  uint32_t tick_us = 0;          ///< open loop: microseconds between the schedule's ticks
  uint64_t scheduled = 0;        ///< messages that became due while sending
  uint64_t late_starts = 0;      ///< due messages that could not start on time (window full)
  uint64_t not_started = 0;      ///< due messages still waiting when sending stopped
  /// Wait from a message's due time to its start (tick, busy loop, full window): part of
  /// the latency, spent inside the bench.
  double start_lag_p50_ms = 0, start_lag_p99_ms = 0, start_lag_max_ms = 0;
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  uint64_t errors = 0;
  std::map<std::string, uint64_t> error_kinds;
  bool verified = false;
  // Relay (when --relay-pid was given).
  bool relay_measured = false;
  int relay_procs = 0;
  double relay_cpu_s = 0;        ///< traffic phase (idle mode: setup + hold)
  double relay_setup_cpu_s = 0;  ///< connecting and authenticating
  uint64_t relay_peak_rss_kib = 0;  ///< VmHWM at the end
  uint64_t relay_rss_base_kib = 0;  ///< VmRSS before the bench connected
  uint64_t relay_rss_max_kib = 0;   ///< highest VmRSS sampled (every 200 ms)
  uint64_t relay_rss_end_kib = 0;
  uint64_t relay_pss_base_kib = 0, relay_pss_max_kib = 0;
  // The bench itself.
  double bench_cpu_s = 0;
  double bench_cpu_util = 0;     ///< CPU seconds per wall second of the measured phase
  bool bench_cpu_bound = false;  ///< bench_cpu_util > 0.9: the numbers may be the bench's limit
};

/// True when a --rate run did not start every due message on time.
bool MissedRate(const BenchResult& r);

/// Human-readable multi-line summary.
std::string FormatText(const BenchResult& r);

/// One-line JSON object.
std::string FormatJson(const BenchResult& r);

}  // namespace msrp::bench
