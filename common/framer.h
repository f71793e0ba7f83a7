// Incremental MSRP framer (RFC 4975 §7.1, §9): fed arbitrary byte slices, it reports each
// message's head, its body bytes as they arrive, and its end-line flag. Bodies are opaque and
// never buffered; head size and header count are bounded before anything grows (S-07).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/end_line_scanner.h"
#include "common/message_head.h"

namespace msrp {

/// Why framing was lost. After an error the framer stops; the connection should be closed (E-01).
struct FrameError {
  std::string reason;  ///< short, never contains body bytes
  std::string tid;     ///< the transaction id when the start line was readable, else empty
};

/// Limits applied while reading a head (bytes and counts).
struct FramerLimits {
  uint32_t max_head_bytes = 16384;  ///< start line + headers + the line ending the head
  uint32_t max_headers = 64;
};

/// Event-driven framer. One per connection. Not thread-safe.
class Framer {
 public:
  /// Receives framing events. Callbacks may call Framer::Stop() to end the current Feed.
  class Sink {
   public:
    virtual ~Sink() = default;
    /// A complete head. `head` may be moved from. For a bodiless message OnEnd follows at once.
    virtual void OnHead(MessageHead& head) = 0;
    /// Body bytes of the current message, in order; valid only during the call.
    virtual void OnBody(std::string_view bytes) = 0;
    /// The end-line of the current message was read.
    virtual void OnEnd(EndFlag flag) = 0;
    /// Framing is lost; no further events follow.
    virtual void OnFrameError(const FrameError& error) = 0;
  };

  Framer(Sink* sink, FramerLimits limits) : sink_(sink), limits_(limits) {}

  /// Consumes `data`, emitting events. Returns the number of bytes consumed: all of them unless
  /// Stop() was called from a callback or framing was lost.
  size_t Feed(std::string_view data);

  /// Makes the current Feed return after the callback that called it.
  void Stop() { stopped_ = true; }

  /// True once framing was lost.
  bool failed() const { return state_ == State::kFailed; }

  /// True while a message's body is being read (between OnHead and OnEnd).
  bool in_body() const { return state_ == State::kBody; }

  void set_limits(FramerLimits limits) { limits_ = limits; }

  /// Frees the headers kept for reuse (a quiet connection gives its memory back).
  void ReleaseSpareHeaders() { std::vector<Header>().swap(spare_headers_); }

 private:
  enum class State { kStartLine, kHeaders, kBody, kFailed };

  size_t FeedHead(std::string_view data);
  /// Resets head_ for the next message, moving its headers into spare_headers_.
  void RecycleHead();
  bool ParseStartLine(std::string_view line);
  bool HandleHeaderLine(std::string_view line);
  void Fail(std::string reason);
  void FinishHead(bool has_body, EndFlag bodiless_flag);

  Sink* sink_;
  FramerLimits limits_;
  /// At most this many spare headers, each at most kSpareHeaderBytes of capacity, are kept
  /// per connection (at most 4 KiB; a connection quiet for a second frees them).
  static constexpr size_t kSpareHeaders = 8;
  static constexpr size_t kSpareHeaderBytes = 512;
  State state_ = State::kStartLine;
  bool stopped_ = false;
  std::string line_;        ///< the current head line being assembled (bounded by max_head_bytes)
  size_t head_bytes_ = 0;   ///< bytes of the current head so far
  MessageHead head_;
  /// Headers of earlier heads, kept with their string capacity: the next head assigns into
  /// them instead of allocating a name and a value per header (bounded: see RecycleHead).
  std::vector<Header> spare_headers_;
  EndLineScanner scanner_;
};

}  // namespace msrp
