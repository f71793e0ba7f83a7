// libFuzzer target for common/framer (BR-10, BR-20, F-10): frames the input whole, split at
// points derived from its first bytes, byte by byte, with Stop() after every event and with a
// sink that swaps the headers out (header string reuse), and abort()s when the event sequences
// differ or a framing invariant breaks.

// Input: byte 0 selects limits (bits 0-1); bytes 1-3 seed the split points; the rest is the MSRP
// byte stream. Build: cmake -S . -B build-fuzz -DMSRP_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ &&
// cmake --build build-fuzz --target fuzz_framer. Run: mkdir -p /tmp/fuzz-corpus &&
// build-fuzz/fuzz_framer /tmp/fuzz-corpus fuzz/corpus/framer -max_total_time=180 -max_len=4096
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/framer.h"
#include "tests/unit/framer_recorder.h"

namespace msrp {
namespace {

using framer_recorder::Event;
using framer_recorder::RecordingSink;

FramerLimits LimitsFor(uint8_t mode) {
  FramerLimits limits;
  switch (mode & 3) {
    case 1:
      limits.max_head_bytes = 256;
      break;
    case 2:
      limits.max_headers = 3;
      break;
    case 3:
      limits.max_head_bytes = 64;
      limits.max_headers = 2;
      break;
    default:
      break;
  }
  return limits;
}

[[noreturn]] void Die(const char* what, std::string_view stream, const std::vector<Event>& a,
                      const std::vector<Event>& b) {
  std::string da = framer_recorder::Describe(a), db = framer_recorder::Describe(b);
  std::fprintf(stderr, "fuzz_framer: %s\nstream (%zu bytes): %s\n--- whole:\n%.4000s\n--- other:\n%.4000s\n", what,
               stream.size(),
               framer_recorder::Describe({Event{Event::Kind::kBody, std::string(stream.substr(0, 2000))}}).c_str(),
               da.c_str(), db.c_str());
  std::abort();
}

void Compare(const char* how, std::string_view stream, const std::vector<Event>& whole,
             const std::vector<Event>& other) {
  if (other != whole) Die(how, stream, whole, other);
}

/// True when `body` holds the end-line of `tid` (CRLF ------- tid flag CRLF).
bool HoldsEndLine(std::string_view body, std::string_view tid) {
  const std::string fixed = "\r\n-------" + std::string(tid);
  for (size_t at = body.find(fixed); at != std::string_view::npos; at = body.find(fixed, at + 1)) {
    size_t f = at + fixed.size();
    if (f + 3 <= body.size() && (body[f] == '$' || body[f] == '+' || body[f] == '#') && body[f + 1] == '\r' &&
        body[f + 2] == '\n') {
      return true;
    }
  }
  return false;
}

/// Takes each head's headers the way the relay's forwarder does for a streamed SEND: swaps
/// them out and hands back the previous message's, so the framer reuses another vector's
/// strings. The heads it records must be the same as with a sink that leaves them.
class SwappingSink : public RecordingSink {
 public:
  void OnHead(MessageHead& head) override {
    RecordingSink::OnHead(head);
    kept_.swap(head.headers);
    head.headers.swap(spent_);
    spent_.swap(kept_);
  }

 private:
  std::vector<Header> kept_;
  std::vector<Header> spent_;
};

}  // namespace
}  // namespace msrp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace msrp;
  using namespace msrp::framer_recorder;
  if (size < 4) return 0;
  const FramerLimits limits = LimitsFor(data[0]);
  const std::string_view stream(reinterpret_cast<const char*>(data) + 4, size - 4);

  // Whole, with the sink-protocol checks and the first-end-line rule (F-10).
  RecordingSink sink;
  Framer framer(&sink, limits);
  size_t used = framer.Feed(stream);
  if (used != stream.size() && !framer.failed()) Die("whole Feed stopped early", stream, sink.events, {});
  for (const auto& e : sink.events) {
    if (e.kind == Event::Kind::kProtocolViolation) Die(e.text.c_str(), stream, sink.events, {});
  }
  if (sink.errors.size() > 1) Die("more than one OnFrameError", stream, sink.events, {});
  for (const auto& m : sink.messages) {
    if (!m.head.has_body && m.body_calls != 0) Die("body bytes for a bodiless head", stream, sink.events, {});
    if (!m.head.tid.empty() && !IsValidTransactionId(m.head.tid)) Die("invalid tid framed", stream, sink.events, {});
    if (m.head.has_body && HoldsEndLine(m.body, m.head.tid)) Die("body holds its own end-line", stream, sink.events, {});
    if (m.head.is_request && !IsValidMethod(m.head.method)) Die("invalid method framed", stream, sink.events, {});
    if (m.head.headers.size() > limits.max_headers) Die("more headers than max_headers", stream, sink.events, {});
  }
  const std::vector<Event>& whole = sink.events;

  // Header strings reused from a vector the sink swapped in (as the forwarder does).
  SwappingSink swapping;
  Framer swapping_framer(&swapping, limits);
  swapping_framer.Feed(stream);
  Compare("sink swapping headers out", stream, whole, swapping.events);

  // Three cuts taken from the prefix bytes.
  std::vector<size_t> cuts;
  for (int i = 1; i <= 3; ++i) cuts.push_back(static_cast<size_t>(data[i]) * stream.size() / 255);
  std::sort(cuts.begin(), cuts.end());
  Compare("prefix cuts", stream, whole, FeedAt(stream, cuts, limits));

  // A few random multi-way splits seeded by the prefix.
  SplitRng rng(static_cast<uint64_t>(data[1]) | static_cast<uint64_t>(data[2]) << 8 |
               static_cast<uint64_t>(data[3]) << 16);
  for (int i = 0; i < 3; ++i) {
    Compare("random cuts", stream, whole, FeedAt(stream, RandomCuts(rng, stream.size(), 2 + rng.Below(16)), limits));
  }
  if (stream.size() <= 4096) Compare("byte by byte", stream, whole, FeedBytewise(stream, limits));
  Compare("Stop() after every event", stream, whole, FeedWithStops(stream, limits));
  return 0;
}
