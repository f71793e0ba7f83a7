// Finds the end-line of a chunk in a streamed body (RFC 4975 §7.1, F-09, F-10): CRLF
// "-------" transaction-id flag CRLF, across arbitrary read boundaries, on raw bytes (BR-19,
// BR-21). Body bytes are reported as soon as they are proven not to start the end-line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/message_head.h"

namespace msrp {

/// Streaming matcher for one chunk's end-line. Holds back at most 12 + tid-length bytes.
class EndLineScanner {
 public:
  /// Result of Scan: how many input bytes were consumed and whether the end-line was found.
  struct Step {
    size_t consumed = 0;   ///< bytes of the input used (body and, when found, the end-line)
    bool found = false;
    EndFlag flag = EndFlag::kComplete;
  };

  /// Starts looking for the end-line of transaction `tid` (must be a valid ident, <= 32 bytes).
  void Reset(std::string_view tid);

  /// Scans `data`. Calls `emit(std::string_view)` zero or more times with body bytes in order;
  /// the views are valid only during the call. When the end-line is found, scanning stops
  /// right after its CRLF (Step::consumed) and the bytes held back are discarded.
  template <typename Emit>
  Step Scan(std::string_view data, Emit&& emit) {
    return Scan(data, emit, [] { return false; });
  }

  /// As above, but returns right after an emit once `stop_requested()` is true. Every emit is
  /// then followed by a return, except that a found end-line is still reported: its bytes
  /// are the last end_line_length() bytes of Step::consumed and all lie in `data`.
  template <typename Emit, typename StopRequested>
  Step Scan(std::string_view data, Emit&& emit, StopRequested&& stop_requested);

  /// Body bytes currently held back as a possible start of the end-line.
  size_t held() const { return matched_; }

  /// Emits the held-back bytes as body (the data ended without an end-line, e.g. a relay
  /// scanning its own outgoing body for F-11 reached the upstream end-line) and forgets them.
  template <typename Emit>
  void Flush(Emit&& emit) {
    if (matched_ > 0) emit(std::string_view(carry_, matched_));
    matched_ = 0;
  }

  /// Length of the end-line this scanner looks for, CRLF before it included.
  size_t end_line_length() const { return total_len(); }

 private:
  bool Matches(size_t k, char c) const {
    if (k < fixed_len_) return c == pattern_[k];
    if (k == fixed_len_) return c == '$' || c == '+' || c == '#';
    if (k == fixed_len_ + 1) return c == '\r';
    return c == '\n';
  }
  size_t total_len() const { return fixed_len_ + 3; }
  /// After a mismatch of the held bytes: emits what cannot start an end-line, keeps the rest.
  template <typename Emit>
  void Rematch(Emit&& emit);

  char pattern_[2 + 7 + 32] = {};  ///< "\r\n-------" + tid
  size_t fixed_len_ = 0;
  char carry_[2 + 7 + 32 + 3] = {};  ///< held bytes (a matched prefix) from earlier input
  size_t matched_ = 0;
};

template <typename Emit>
void EndLineScanner::Rematch(Emit&& emit) {
  // carry_[0..matched_) failed to extend. Keep the longest suffix starting at a later '\r' that
  // is still a prefix of the end-line (none: keep nothing); emit the bytes before it, once.
  size_t k = 1;
  for (; k < matched_; ++k) {
    if (carry_[k] != '\r') continue;
    size_t m = 0;
    while (k + m < matched_ && Matches(m, carry_[k + m])) ++m;
    if (k + m == matched_) break;
  }
  emit(std::string_view(carry_, k));
  for (size_t i = k; i < matched_; ++i) carry_[i - k] = carry_[i];
  matched_ -= k;
}

template <typename Emit, typename StopRequested>
EndLineScanner::Step EndLineScanner::Scan(std::string_view data, Emit&& emit, StopRequested&& stop_requested) {
  const size_t n = data.size();
  const size_t total = total_len();
  size_t i = 0;
  // Phase 1: extend a partial match carried over from earlier input.
  while (matched_ > 0 && i < n) {
    char c = data[i];
    if (Matches(matched_, c)) {
      carry_[matched_++] = c;
      ++i;
      if (matched_ == total) {
        Step step{i, true, static_cast<EndFlag>(carry_[total - 3])};
        matched_ = 0;
        return step;
      }
    } else {
      Rematch(emit);
      if (stop_requested()) return Step{i, false, EndFlag::kComplete};
    }
  }
  if (i == n) return Step{n, false, EndFlag::kComplete};
  // Phase 2: fast scan for '\r' candidates inside `data`.
  size_t run_start = i;
  while (i < n) {
    const void* p = std::char_traits<char>::find(data.data() + i, n - i, '\r');
    if (p == nullptr) break;
    size_t s = static_cast<const char*>(p) - data.data();
    size_t j = s;
    size_t m = 0;
    while (j < n && m < total && Matches(m, data[j])) {
      ++m;
      ++j;
    }
    if (m == total) {
      if (s > run_start) emit(data.substr(run_start, s - run_start));
      return Step{j, true, static_cast<EndFlag>(data[j - 3])};
    }
    if (j == n) {
      // Partial match runs to the end of the input: hold it back.
      if (s > run_start) emit(data.substr(run_start, s - run_start));
      for (size_t k = 0; k < m; ++k) carry_[k] = data[s + k];
      matched_ = m;
      return Step{n, false, EndFlag::kComplete};
    }
    i = s + 1;
  }
  if (n > run_start) emit(data.substr(run_start, n - run_start));
  return Step{n, false, EndFlag::kComplete};
}

}  // namespace msrp
