// LatencyStats: bounded sample vector, nearest-rank percentiles.
#include "tools/bench/latency_stats.h"

#include <algorithm>
#include <cmath>

namespace msrp::bench {

void LatencyStats::Add(uint64_t ns) {
  if (seen_++ % stride_ != 0) return;
  if (samples_.size() >= kMaxSamples) {
    // Thin out: keep every other sample, double the stride.
    size_t j = 0;
    for (size_t i = 0; i < samples_.size(); i += 2) samples_[j++] = samples_[i];
    samples_.resize(j);
    stride_ *= 2;
  }
  samples_.push_back(ns);
  sorted_ = false;
}

double LatencyStats::PercentileMs(double q) {
  if (samples_.empty()) return 0;
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(samples_.size())));
  if (rank == 0) rank = 1;
  if (rank > samples_.size()) rank = samples_.size();
  return static_cast<double>(samples_[rank - 1]) / 1e6;
}

}  // namespace msrp::bench
