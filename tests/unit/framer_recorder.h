// Test helper: a Framer::Sink that records framing events in a comparable form, and drivers that
// feed one byte stream whole, byte by byte, split at given offsets, or with Stop() after every
// event (F-01..F-10, BR-20). Used by tests/unit/framer_*_test.cc and fuzz/fuzz_framer.cc.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/framer.h"
#include "common/message_head.h"

namespace msrp {
namespace framer_recorder {

/// One framing event. Consecutive OnBody calls are merged into one kBody event, so two feeds of
/// the same stream compare equal however the body was sliced.
struct Event {
  enum class Kind { kHead, kBody, kEnd, kError, kProtocolViolation };
  Kind kind;
  std::string text;  ///< head summary, body bytes, flag character, "reason|tid", or what went wrong

  bool operator==(const Event& other) const = default;
};

/// One message as seen by the sink: its head, all its body bytes, and the end flag.
struct Message {
  MessageHead head;
  std::string body;
  size_t body_calls = 0;
  bool ended = false;
  EndFlag flag = EndFlag::kComplete;
};

/// A stable text form of a head: start line fields, every header, has_body and malformed.
inline std::string Summarize(const MessageHead& head) {
  std::string s = head.is_request ? "REQ " : "RSP ";
  s += head.tid;
  s += ' ';
  if (head.is_request) {
    s += head.method;
  } else {
    s += std::to_string(head.status);
    s += " [";
    s += head.comment;
    s += ']';
  }
  for (const auto& h : head.headers) {
    s += "\n<";
    s += h.name;
    s += "> <";
    s += h.value;
    s += '>';
  }
  s += head.has_body ? "\nbody" : "\nbodiless";
  if (!head.malformed.empty()) {
    s += "\nmalformed: ";
    s += head.malformed;
  }
  return s;
}

inline std::string KindName(Event::Kind kind) {
  switch (kind) {
    case Event::Kind::kHead: return "head";
    case Event::Kind::kBody: return "body";
    case Event::Kind::kEnd: return "end";
    case Event::Kind::kError: return "error";
    case Event::Kind::kProtocolViolation: return "VIOLATION";
  }
  return "?";
}

/// Printable form of an event list (non-printable bytes escaped), for failure messages.
inline std::string Describe(const std::vector<Event>& events) {
  std::string out;
  for (const auto& e : events) {
    out += KindName(e.kind);
    out += ": ";
    for (unsigned char c : e.text) {
      if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c < 0x20 || c >= 0x7f) {
        static const char kHex[] = "0123456789abcdef";
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '\n';
  }
  return out;
}

/// Records every event. Also checks the sink-side protocol: no event after OnFrameError, OnBody
/// and OnEnd only inside a message, OnBody never empty; violations become kProtocolViolation.
class RecordingSink : public Framer::Sink {
 public:
  /// When set, the sink calls Stop() on this framer from every callback, and records a violation
  /// for any callback after that within the same Feed (except the OnEnd that belongs to a
  /// bodiless head). The driver clears `stopped_in_feed` before each Feed.
  Framer* stop_on_every_event = nullptr;
  bool stopped_in_feed = false;

  std::vector<Event> events;
  std::vector<Message> messages;
  std::vector<FrameError> errors;
  size_t body_calls = 0;
  size_t largest_body_call = 0;

  void OnHead(MessageHead& head) override {
    Check(!in_message_, "OnHead inside a message");
    CheckNotStopped();
    events.push_back({Event::Kind::kHead, Summarize(head)});
    Message m;
    m.head = head;
    messages.push_back(std::move(m));
    in_message_ = true;
    MaybeStop();
  }

  void OnBody(std::string_view bytes) override {
    Check(in_message_, "OnBody outside a message");
    Check(!bytes.empty(), "empty OnBody");
    CheckNotStopped();
    ++body_calls;
    if (bytes.size() > largest_body_call) largest_body_call = bytes.size();
    if (!events.empty() && events.back().kind == Event::Kind::kBody) {
      events.back().text.append(bytes);
    } else {
      events.push_back({Event::Kind::kBody, std::string(bytes)});
    }
    if (!messages.empty()) {
      messages.back().body.append(bytes);
      ++messages.back().body_calls;
    }
    MaybeStop();
  }

  void OnEnd(EndFlag flag) override {
    Check(in_message_, "OnEnd outside a message");
    bool bodiless_end = !messages.empty() && !messages.back().head.has_body;
    if (!bodiless_end) CheckNotStopped();
    events.push_back({Event::Kind::kEnd, std::string(1, static_cast<char>(flag))});
    if (!messages.empty()) {
      messages.back().ended = true;
      messages.back().flag = flag;
    }
    in_message_ = false;
    MaybeStop();
  }

  void OnFrameError(const FrameError& error) override {
    events.push_back({Event::Kind::kError, error.reason + "|" + error.tid});
    errors.push_back(error);
    failed_ = true;
  }

 private:
  void Check(bool ok, const char* what) {
    if (failed_) events.push_back({Event::Kind::kProtocolViolation, "event after OnFrameError"});
    if (!ok) events.push_back({Event::Kind::kProtocolViolation, what});
  }
  void CheckNotStopped() {
    if (stopped_in_feed) events.push_back({Event::Kind::kProtocolViolation, "callback after Stop() in the same Feed"});
  }
  void MaybeStop() {
    if (stop_on_every_event != nullptr) {
      stop_on_every_event->Stop();
      stopped_in_feed = true;
    }
  }

  bool in_message_ = false;
  bool failed_ = false;
};

/// Feeds `wire` cut at the ascending offsets `cuts` (0 and wire.size() may be omitted). A Feed
/// that consumes less than it was given without a framing error is recorded as a violation.
inline void FeedCuts(Framer& framer, RecordingSink& sink, std::string_view wire,
                     const std::vector<size_t>& cuts) {
  size_t from = 0;
  auto feed_piece = [&](size_t to) {
    if (to <= from || framer.failed()) return;
    std::string_view piece = wire.substr(from, to - from);
    size_t used = framer.Feed(piece);
    if (used != piece.size() && !framer.failed()) {
      sink.events.push_back({Event::Kind::kProtocolViolation, "Feed consumed " + std::to_string(used) +
                                                                  " of " + std::to_string(piece.size())});
    }
    from = to;
  };
  for (size_t cut : cuts) feed_piece(cut < wire.size() ? cut : wire.size());
  feed_piece(wire.size());
}

/// Events for `wire` fed in pieces ending at `cuts`.
inline std::vector<Event> FeedAt(std::string_view wire, const std::vector<size_t>& cuts,
                                 FramerLimits limits = {}) {
  RecordingSink sink;
  Framer framer(&sink, limits);
  FeedCuts(framer, sink, wire, cuts);
  return sink.events;
}

/// Events for `wire` fed in one Feed.
inline std::vector<Event> FeedWhole(std::string_view wire, FramerLimits limits = {}) {
  return FeedAt(wire, {}, limits);
}

/// Events for `wire` fed one byte per Feed.
inline std::vector<Event> FeedBytewise(std::string_view wire, FramerLimits limits = {}) {
  RecordingSink sink;
  Framer framer(&sink, limits);
  for (size_t i = 0; i < wire.size() && !framer.failed(); ++i) {
    size_t used = framer.Feed(wire.substr(i, 1));
    if (used != 1 && !framer.failed()) {
      sink.events.push_back({Event::Kind::kProtocolViolation, "Feed consumed 0 of 1"});
    }
  }
  return sink.events;
}

/// Events for `wire` fed whole while the sink calls Stop() from every callback: each Feed
/// returns early and the caller feeds the rest again, as the relay does after a pause.
inline std::vector<Event> FeedWithStops(std::string_view wire, FramerLimits limits = {}) {
  RecordingSink sink;
  Framer framer(&sink, limits);
  sink.stop_on_every_event = &framer;
  size_t pos = 0;
  size_t zero_feeds = 0;  // a Feed may consume nothing when it only released held body bytes
  while (pos < wire.size() && !framer.failed()) {
    size_t calls_before = sink.events.size() + sink.body_calls;
    sink.stopped_in_feed = false;
    size_t used = framer.Feed(wire.substr(pos));
    bool emitted = sink.events.size() + sink.body_calls != calls_before;
    zero_feeds = used == 0 ? zero_feeds + 1 : 0;
    if ((used == 0 && !emitted) || zero_feeds > 64) {
      sink.events.push_back({Event::Kind::kProtocolViolation, "Feed made no progress"});
      break;
    }
    pos += used;
  }
  return sink.events;
}

/// Small deterministic generator (splitmix64) so split points are the same on every platform.
class SplitRng {
 public:
  explicit SplitRng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform-enough value in [0, n), n > 0.
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t state_;
};

/// `pieces - 1` sorted cut offsets inside (0, size), possibly repeated (an empty piece).
inline std::vector<size_t> RandomCuts(SplitRng& rng, size_t size, size_t pieces) {
  std::vector<size_t> cuts;
  if (size == 0) return cuts;
  for (size_t i = 1; i < pieces; ++i) cuts.push_back(rng.Below(size));
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

}  // namespace framer_recorder
}  // namespace msrp
