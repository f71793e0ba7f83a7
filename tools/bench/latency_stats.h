// Latency samples of delivered messages and their percentiles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace msrp::bench {

/// Collects end-to-end latencies (nanoseconds) and reports percentiles in milliseconds.
class LatencyStats {
 public:
  /// Records one sample. Beyond `kMaxSamples` every other sample is dropped (and so on), so
  /// memory stays bounded while percentiles stay representative.
  void Add(uint64_t ns);

  /// The q-quantile (0 < q <= 1) in milliseconds, 0 when empty. Sorts on first use.
  double PercentileMs(double q);

  size_t count() const { return samples_.size(); }

  static constexpr size_t kMaxSamples = 20'000'000;

 private:
  std::vector<uint64_t> samples_;
  uint64_t seen_ = 0;
  uint32_t stride_ = 1;
  bool sorted_ = false;
};

}  // namespace msrp::bench
