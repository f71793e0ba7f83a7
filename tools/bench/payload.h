// Message bodies for msrp-bench: each message's bytes are a deterministic window into one
// random pattern, so senders never generate data and receivers check every byte exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace msrp::bench {

/// A random pattern of `period` bytes, stored twice so any window of up to `period` bytes is
/// contiguous. Byte `o` of message (pair, seq) is pattern[(Start(pair, seq) + o) % period].
class Payload {
 public:
  /// `max_piece`: the longest slice ever asked for (the chunk size).
  explicit Payload(size_t max_piece);

  /// Bytes [offset, offset + len) of message (pair, seq). REQUIRES: len <= period().
  std::string_view Slice(uint32_t pair, uint64_t seq, uint64_t offset, size_t len) const;

  /// True when `bytes` equal bytes [offset, offset + bytes.size()) of message (pair, seq).
  bool Matches(uint32_t pair, uint64_t seq, uint64_t offset, std::string_view bytes) const;

  size_t period() const { return period_; }

 private:
  size_t Start(uint32_t pair, uint64_t seq) const;

  size_t period_;
  std::string data_;
};

}  // namespace msrp::bench
