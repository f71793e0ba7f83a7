// Payload: a xorshift-filled pattern (fixed seed, reproducible) and per-message windows into it.
#include "tools/bench/payload.h"

#include <cstring>

namespace msrp::bench {

namespace {

uint64_t Mix(uint64_t x) {  // splitmix64 finalizer
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

Payload::Payload(size_t max_piece) {
  // An odd period so consecutive messages start at unrelated offsets.
  period_ = (max_piece < 65536 ? 65536 : max_piece) + 4099;
  data_.resize(2 * period_);
  uint64_t s = 0x243f6a8885a308d3ull;
  for (size_t i = 0; i < period_; i += 8) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    size_t n = period_ - i < 8 ? period_ - i : 8;
    std::memcpy(&data_[i], &s, n);
  }
  std::memcpy(&data_[period_], &data_[0], period_);
}

size_t Payload::Start(uint32_t pair, uint64_t seq) const {
  return static_cast<size_t>(Mix((static_cast<uint64_t>(pair) << 40) ^ seq) % period_);
}

std::string_view Payload::Slice(uint32_t pair, uint64_t seq, uint64_t offset, size_t len) const {
  size_t at = (Start(pair, seq) + static_cast<size_t>(offset % period_)) % period_;
  return std::string_view(data_.data() + at, len);
}

bool Payload::Matches(uint32_t pair, uint64_t seq, uint64_t offset, std::string_view bytes) const {
  // Pieces handed to OnBody never exceed one chunk, but be safe for any length.
  size_t done = 0;
  for (int i = 0; i < 1 << 20 && done < bytes.size(); ++i) {
    size_t n = bytes.size() - done;
    if (n > period_) n = period_;
    if (std::memcmp(Slice(pair, seq, offset + done, n).data(), bytes.data() + done, n) != 0) return false;
    done += n;
  }
  return done == bytes.size();
}

}  // namespace msrp::bench
