// Unit tests for common/framer: RFC example messages under every read split (BR-20), body edge
// cases (F-08..F-10, BR-09, BR-19, BR-21, BR-23, BR-24), head errors and limits (F-01..F-04,
// S-07, BR-05, BR-10, BR-13).
#include "common/framer.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "common/message_head.h"
#include "tests/unit/framer_recorder.h"
#include "tests/unit/rfc_vectors.h"

// ---------------------------------------------------------------------------------------------
// Heap accounting for the memory-bound tests (BR-09, S-07). Replaces the global operator
// new/delete of the unit_tests binary with malloc/free wrappers that, only while tracking is on,
// count allocations and remember the largest one. All other tests are unaffected.
namespace {
std::atomic<bool> g_track_allocations{false};
std::atomic<size_t> g_allocation_count{0};
std::atomic<size_t> g_largest_allocation{0};

void* TrackedAllocate(std::size_t n) {
  if (g_track_allocations.load(std::memory_order_relaxed)) {
    g_allocation_count.fetch_add(1, std::memory_order_relaxed);
    size_t largest = g_largest_allocation.load(std::memory_order_relaxed);
    while (n > largest && !g_largest_allocation.compare_exchange_weak(largest, n)) {
    }
  }
  return std::malloc(n == 0 ? 1 : n);
}
}  // namespace

void* operator new(std::size_t n) {
  void* p = TrackedAllocate(n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new[](std::size_t n) {
  void* p = TrackedAllocate(n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return TrackedAllocate(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return TrackedAllocate(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace msrp {
namespace {

using framer_recorder::Describe;
using framer_recorder::Event;
using framer_recorder::FeedAt;
using framer_recorder::FeedBytewise;
using framer_recorder::FeedWhole;
using framer_recorder::FeedWithStops;
using framer_recorder::RandomCuts;
using framer_recorder::RecordingSink;
using framer_recorder::SplitRng;
using Kind = Event::Kind;

/// Counts heap allocations made between construction and Stop().
class AllocationWindow {
 public:
  AllocationWindow() {
    g_allocation_count = 0;
    g_largest_allocation = 0;
    g_track_allocations = true;
  }
  ~AllocationWindow() { g_track_allocations = false; }
  void Stop() { g_track_allocations = false; }
  size_t count() const { return g_allocation_count; }
  size_t largest() const { return g_largest_allocation; }
};

constexpr std::string_view kToPath =
    "msrp://relay.example.com:2855/s1;tcp msrp://bob.example.com:7777/b1;tcp";
constexpr std::string_view kFromPath = "msrp://alice.example.com:7654/a1;tcp";

/// Head of a SEND with a body, through the empty line that starts the body.
std::string SendHead(std::string_view tid) {
  std::string w = "MSRP ";
  w.append(tid).append(" SEND\r\n");
  w.append("To-Path: ").append(kToPath).append("\r\n");
  w.append("From-Path: ").append(kFromPath).append("\r\n");
  w.append("Message-ID: m1x2\r\nByte-Range: 1-*/*\r\nContent-Type: application/octet-stream\r\n\r\n");
  return w;
}

/// The closing "CRLF end-line" of a message with a body.
std::string EndAfterBody(std::string_view tid, char flag = '$') {
  std::string w = "\r\n-------";
  w.append(tid);
  w.push_back(flag);
  w.append("\r\n");
  return w;
}

/// A complete SEND chunk carrying `body`.
std::string SendWire(std::string_view tid, std::string_view body, char flag = '$') {
  return SendHead(tid) + std::string(body) + EndAfterBody(tid, flag);
}

/// A bodiless request or response: start line, To-Path, From-Path, `extra` lines, end-line.
std::string BodilessWire(std::string_view start_line, std::string_view tid, std::string_view extra = "",
                         char flag = '$') {
  std::string w(start_line);
  w.append("\r\nTo-Path: ").append(kToPath).append("\r\nFrom-Path: ").append(kFromPath).append("\r\n");
  w.append(extra);
  w.append("-------").append(tid);
  w.push_back(flag);
  w.append("\r\n");
  return w;
}

/// Compares the events of `wire` fed whole with byte-by-byte, every two-way split, `random_splits`
/// random 3-5 way splits and the Stop()-after-every-event driver. Returns the first difference.
std::string FirstSplitMismatch(std::string_view wire, FramerLimits limits = {}, int random_splits = 20,
                               uint64_t seed = 4975) {
  const std::vector<Event> whole = FeedWhole(wire, limits);
  auto differs = [&](const std::vector<Event>& got, const std::string& how) -> std::string {
    if (got == whole) return {};
    return how + ":\n" + Describe(got) + "whole:\n" + Describe(whole);
  };
  if (auto d = differs(FeedBytewise(wire, limits), "byte by byte"); !d.empty()) return d;
  for (size_t k = 1; k < wire.size(); ++k) {
    if (auto d = differs(FeedAt(wire, {k}, limits), "split at " + std::to_string(k)); !d.empty()) return d;
  }
  SplitRng rng(seed);
  for (int i = 0; i < random_splits; ++i) {
    std::vector<size_t> cuts = RandomCuts(rng, wire.size(), 3 + rng.Below(3));
    std::string where;
    for (size_t c : cuts) where += std::to_string(c) + " ";
    if (auto d = differs(FeedAt(wire, cuts, limits), "split at " + where); !d.empty()) return d;
  }
  if (auto d = differs(FeedWithStops(wire, limits), "Stop() after every event"); !d.empty()) return d;
  return {};
}

/// Frames `wire`, checks split invariance, and returns the sink of the whole feed.
RecordingSink FrameChecked(std::string_view wire, FramerLimits limits = {}) {
  std::string mismatch = FirstSplitMismatch(wire, limits);
  CHECK_MESSAGE(mismatch.empty(), mismatch);
  RecordingSink sink;
  Framer framer(&sink, limits);
  size_t used = framer.Feed(wire);
  if (!framer.failed()) CHECK(used == wire.size());
  return sink;
}

/// Frames `wire` (split-checked) and expects exactly one SEND with `body` and `flag`.
void ExpectSingleBody(std::string_view wire, std::string_view tid, std::string_view body, EndFlag flag,
                      FramerLimits limits = {}) {
  RecordingSink sink = FrameChecked(wire, limits);
  INFO(Describe(sink.events));
  REQUIRE(sink.errors.empty());
  REQUIRE(sink.messages.size() == 1);
  const auto& m = sink.messages[0];
  CHECK(m.head.tid == tid);
  CHECK(m.head.has_body);
  CHECK(m.ended);
  CHECK(m.flag == flag);
  CHECK(m.body.size() == body.size());
  CHECK(m.body == body);
}

/// Feeds `wire` whole and expects exactly one framing error whose reason contains `reason`.
FrameError ExpectFrameError(std::string_view wire, std::string_view reason, FramerLimits limits = {}) {
  RecordingSink sink;
  Framer framer(&sink, limits);
  framer.Feed(wire);
  INFO("wire: ", Describe({Event{Kind::kBody, std::string(wire)}}));
  INFO(Describe(sink.events));
  CHECK(framer.failed());
  REQUIRE(sink.errors.size() == 1);
  CHECK(sink.errors[0].reason.find(reason) != std::string::npos);
  CHECK(sink.messages.empty());
  // The same error whatever the read boundaries.
  std::string mismatch = FirstSplitMismatch(wire, limits, 5);
  CHECK_MESSAGE(mismatch.empty(), mismatch);
  return sink.errors[0];
}

const std::vector<rfc_vectors::Vector>& Vectors() { return rfc_vectors::Load().messages; }

rfc_vectors::Vector MustFind(std::string_view title) {
  rfc_vectors::Vector v = rfc_vectors::Find(title);
  INFO("vector: ", std::string(title));
  REQUIRE_FALSE(v.wire.empty());
  return v;
}

// ----------------------------------------------------------------------------- RFC vectors

TEST_CASE("F-01..F-09: rfc-examples.txt yields 43 messages and the 2 RFC 4976 §3 header fragments") {
  const auto& file = rfc_vectors::Load();
  INFO("path: ", rfc_vectors::VectorPath());
  REQUIRE(file.opened);
  CHECK(file.messages.size() == 43);
  REQUIRE(file.fragments.size() == 2);
  CHECK(file.fragments[0] == "RFC4976 3 path-headers-at-relay-B-before (header fragment only)");
  CHECK(file.fragments[1] == "RFC4976 3 path-headers-at-relay-B-after (header fragment only)");
  for (const auto& v : file.messages) {
    INFO(v.title);
    CHECK(v.wire.find("## NOTE") == std::string::npos);
    size_t bare_lf = 0;
    for (size_t i = 0; i < v.wire.size(); ++i) {
      if (v.wire[i] == '\n' && (i == 0 || v.wire[i - 1] != '\r')) ++bare_lf;
    }
    CHECK(bare_lf == 0);
    CHECK(v.wire.substr(0, 5) == "MSRP ");
  }
}

TEST_CASE("BR-20, F-10: every RFC example frames to one message whole, byte by byte, at every two-way split, in random 3-5 way splits and with Stop() after every event") {
  REQUIRE(Vectors().size() == 43);
  for (const auto& v : Vectors()) {
    INFO(v.title);
    std::string mismatch = FirstSplitMismatch(v.wire);
    CHECK_MESSAGE(mismatch.empty(), mismatch);

    RecordingSink sink;
    Framer framer(&sink, FramerLimits{});
    CHECK(framer.Feed(v.wire) == v.wire.size());
    INFO(Describe(sink.events));
    CHECK(sink.errors.empty());
    REQUIRE(sink.messages.size() == 1);
    const auto& m = sink.messages[0];
    CHECK(m.head.tid == v.tid);
    CHECK(m.head.malformed.empty());
    CHECK(m.ended);
    CHECK_FALSE(framer.in_body());
    // The flag is the last character of the end-line in the file.
    CHECK(static_cast<char>(m.flag) == v.wire[v.wire.size() - 3]);
    // A body is present exactly when the file shows the empty line after Content-Type.
    CHECK(m.head.has_body == (v.wire.find("\r\n\r\n") != std::string::npos));
    if (m.head.has_body) {
      size_t start = v.wire.find("\r\n\r\n") + 4;
      size_t end = v.wire.size() - (2 + 7 + v.tid.size() + 1 + 2);
      CHECK(m.body == v.wire.substr(start, end - start));
    }
  }
}

TEST_CASE("BR-20: all 43 RFC examples back to back in one stream frame as the concatenation of their own events, however the stream is split") {
  std::string stream;
  std::vector<Event> expected;
  for (const auto& v : Vectors()) {
    stream += v.wire;
    auto events = FeedWhole(v.wire);
    expected.insert(expected.end(), events.begin(), events.end());
  }
  REQUIRE(!stream.empty());
  CHECK(FeedWhole(stream) == expected);
  CHECK(FeedBytewise(stream) == expected);
  CHECK(FeedWithStops(stream) == expected);
  SplitRng rng(4976);
  for (int i = 0; i < 50; ++i) {
    std::vector<size_t> cuts = RandomCuts(rng, stream.size(), 2 + rng.Below(60));
    auto got = FeedAt(stream, cuts);
    if (got != expected) {
      FAIL_CHECK("random split #" << i << " differs:\n" << Describe(got));
      break;
    }
  }
}

TEST_CASE("F-01, F-07, F-09: the RFC 4976 §3 SEND 6aef frames to its exact tid, method, headers, body and '$' flag") {
  auto v = MustFind("RFC4976 3 SEND-alice-to-relayA");
  RecordingSink sink = FrameChecked(v.wire);
  REQUIRE(sink.messages.size() == 1);
  const auto& m = sink.messages[0];
  CHECK(m.head.is_request);
  CHECK(m.head.tid == "6aef");
  CHECK(m.head.method == "SEND");
  CHECK(m.head.status == 0);
  REQUIRE(m.head.headers.size() == 6);
  CHECK(m.head.headers[0].name == "To-Path");
  CHECK(m.head.headers[0].value ==
        "msrps://a.example.org:9000/kjfjan;tcp msrps://b.example.net:9000/aeiug;tcp "
        "msrps://bob.example.net:8145/foo;tcp");
  CHECK(m.head.headers[1].name == "From-Path");
  CHECK(m.head.headers[1].value == "msrps://alice.example.org:7965/bar;tcp");
  CHECK(m.head.headers[2].name == "Success-Report");
  CHECK(m.head.headers[2].value == "yes");
  CHECK(m.head.headers[3].name == "Byte-Range");
  CHECK(m.head.headers[3].value == "1-*/*");
  CHECK(m.head.headers[4].name == "Message-ID");
  CHECK(m.head.headers[4].value == "87652");
  CHECK(m.head.headers[5].name == "Content-Type");
  CHECK(m.head.headers[5].value == "text/plain");
  CHECK(m.head.has_body);
  CHECK(m.body == "Hi Bob, I'm about to send you file.mpeg");
  CHECK(m.flag == EndFlag::kComplete);
  CHECK(sink.events.size() == 3);
  CHECK_FALSE(CheckHeaderOrder(m.head).has_value());
}

TEST_CASE("F-01, F-08, F-17: the RFC 4976 §3 response 'MSRP 6aef 200 OK' frames as a bodiless response") {
  auto v = MustFind("RFC4976 3 200-relayA-to-alice");
  RecordingSink sink = FrameChecked(v.wire);
  REQUIRE(sink.messages.size() == 1);
  const auto& m = sink.messages[0];
  CHECK_FALSE(m.head.is_request);
  CHECK(m.head.tid == "6aef");
  CHECK(m.head.status == 200);
  CHECK(m.head.comment == "OK");
  CHECK(m.head.method.empty());
  REQUIRE(m.head.headers.size() == 3);
  CHECK(m.head.headers[0].name == "To-Path");
  CHECK(m.head.headers[0].value == "msrps://alice.example.org:7965/bar;tcp");
  CHECK(m.head.headers[1].name == "From-Path");
  CHECK(m.head.headers[1].value == "msrps://a.example.org:9000/kjfjan;tcp");
  CHECK(m.head.headers[2].name == "Message-ID");
  CHECK(m.head.headers[2].value == "87652");
  CHECK_FALSE(m.head.has_body);
  CHECK(m.body.empty());
  CHECK(m.body_calls == 0);
  CHECK(m.flag == EndFlag::kComplete);
  // OnHead then OnEnd, nothing else (F-08).
  REQUIRE(sink.events.size() == 2);
  CHECK(sink.events[0].kind == Kind::kHead);
  CHECK(sink.events[1] == Event{Kind::kEnd, "$"});
}

TEST_CASE("F-06, F-08: the RFC 4976 §5.1 AUTH 49fh has only To-Path and From-Path and no body") {
  auto v = MustFind("RFC4976 5.1 AUTH-initial-no-credentials");
  RecordingSink sink = FrameChecked(v.wire);
  REQUIRE(sink.messages.size() == 1);
  const auto& m = sink.messages[0];
  CHECK(m.head.tid == "49fh");
  CHECK(m.head.method == "AUTH");
  REQUIRE(m.head.headers.size() == 2);
  CHECK(m.head.headers[0].value == "msrps://alice@intra.example.com;tcp");
  CHECK(m.head.headers[1].value == "msrps://alice.example.com:9892/98cjs;tcp");
  CHECK_FALSE(m.head.has_body);
  CHECK(sink.events.size() == 2);
  CHECK_FALSE(CheckHeaderOrder(m.head).has_value());
}

TEST_CASE("F-18, F-13: the RFC 4976 §5.1 AUTH 200 keeps Use-Path, Authentication-Info (no space after the first comma) and Expires byte-exact") {
  auto v = MustFind("RFC4976 5.1 200-AUTH-success");
  RecordingSink sink = FrameChecked(v.wire);
  REQUIRE(sink.messages.size() == 1);
  const auto& h = sink.messages[0].head;
  CHECK(h.tid == "49fi");
  CHECK(h.status == 200);
  REQUIRE(h.headers.size() == 5);
  CHECK(h.headers[2].name == "Use-Path");
  CHECK(h.headers[2].value == "msrps://intra.example.com:9000/jui787s2f;tcp");
  CHECK(h.headers[3].name == "Authentication-Info");
  CHECK(h.headers[3].value ==
        "nextnonce=\"40f2e879449675f288476d772627370a\",rspauth=\"7327570c586207eca2afae94fc20903d\", "
        "cnonce=\"0a4f113b\", nc=00000001, qop=auth");
  CHECK(h.headers[4].name == "Expires");
  CHECK(h.headers[4].value == "900");
}

TEST_CASE("F-09, BR-23: the RFC 4975 §11.4 CPIM chunk 1 ends with '+' and its 137-octet body keeps its inner CRLFs and empty line") {
  auto v = MustFind("RFC4975 11.4 cpim-chunk-1");
  RecordingSink sink = FrameChecked(v.wire);
  REQUIRE(sink.messages.size() == 1);
  const auto& m = sink.messages[0];
  CHECK(m.head.tid == "d93kswow");
  CHECK(m.flag == EndFlag::kMore);
  CHECK(m.body.size() == 137);
  CHECK(m.body ==
        "To: Bob <sip:bob@example.com>\r\nFrom: Alice <sip:alice@example.com>\r\n"
        "DateTime: 2006-05-15T15:02:31-03:00\r\nContent-Type: text/plain\r\n\r\nABCD");
  CHECK(m.head.Value("Content-Type") == "message/cpim");
  CHECK(m.head.Value("Byte-Range") == "1-137/148");
}

TEST_CASE("F-10: body lengths of the RFC vectors match the octet counts given in their NOTE lines") {
  struct Expect {
    const char* title;
    size_t octets;
  };
  for (const Expect& e : {Expect{"RFC4975 4 SEND-basic", 23}, Expect{"RFC4975 11.1 SEND-alice-to-bob", 14},
                          Expect{"RFC4975 11.1 SEND-bob-to-alice", 20}, Expect{"RFC4975 11.4 cpim-chunk-1", 137},
                          Expect{"RFC4975 11.4 cpim-chunk-2", 10}, Expect{"RFC4975 11.5 system-message", 37},
                          Expect{"RFC4975 11.6 SEND-success-report-requested", 121}}) {
    INFO(e.title);
    auto v = MustFind(e.title);
    RecordingSink sink;
    Framer framer(&sink, FramerLimits{});
    framer.Feed(v.wire);
    REQUIRE(sink.messages.size() == 1);
    CHECK(sink.messages[0].body.size() == e.octets);
  }
  auto basic = MustFind("RFC4975 4 SEND-basic");
  RecordingSink sink;
  Framer framer(&sink, FramerLimits{});
  framer.Feed(basic.wire);
  REQUIRE(sink.messages.size() == 1);
  CHECK(sink.messages[0].body == "Hey Bob, are you there?");
  CHECK(sink.messages[0].head.tid == "a786hjs2");
}

TEST_CASE("F-05, BR-05: CheckHeaderOrder accepts every complete RFC example and rejects the RFC 4975 §5.1 snippets that omit To-Path") {
  int snippets = 0;
  for (const auto& v : Vectors()) {
    INFO(v.title);
    RecordingSink sink;
    Framer framer(&sink, FramerLimits{});
    framer.Feed(v.wire);
    REQUIRE(sink.messages.size() == 1);
    auto problem = CheckHeaderOrder(sink.messages[0].head);
    if (v.title.find("RFC4975 5.1 chunk-") == 0) {
      ++snippets;
      REQUIRE(problem.has_value());
      CHECK(*problem == "To-Path must be the first header");
    } else {
      CHECK_MESSAGE(!problem.has_value(), (problem ? *problem : std::string()));
    }
  }
  CHECK(snippets == 2);
}

// ----------------------------------------------------------------------------- bodies

TEST_CASE("F-10, BR-21: a body line '-------<other tid>$' after CRLF is body, not an end-line") {
  const std::string tid = "a1b2c3d4";
  for (std::string body : {std::string("x\r\n-------xyz$\r\ny"), std::string("\r\n-------abc$\r\n"),
                           std::string("line\r\n-------a1b2c3d5$\r\nmore"),
                           std::string("line\r\n-------A1B2C3D4$\r\nmore"),  // tid compare is case-sensitive
                           std::string("\r\n-------other-tid+\r\n\r\n-------zzzz#\r\n")}) {
    INFO(Describe({Event{Kind::kBody, body}}));
    ExpectSingleBody(SendWire(tid, body), tid, body, EndFlag::kComplete);
  }
}

TEST_CASE("F-09, F-10: '-------<tid>$' CRLF not preceded by CRLF is body") {
  const std::string tid = "t0k3n";
  for (std::string body : {std::string("x-------t0k3n$\r\ny"), std::string("-------t0k3n$\r\n"),
                           std::string("\n-------t0k3n$\r\n"), std::string("\r-------t0k3n$\r\n"),
                           std::string("\r\r-------t0k3n$\r\nz"), std::string("-------t0k3n$\r\nend")}) {
    INFO(Describe({Event{Kind::kBody, body}}));
    ExpectSingleBody(SendWire(tid, body), tid, body, EndFlag::kComplete);
  }
}

TEST_CASE("F-09: '\\r\\n-------<tid>' followed by a flag outside $+# or by no CRLF is body") {
  const std::string tid = "t0k3n";
  for (std::string body : {std::string("\r\n-------t0k3n!\r\n"), std::string("\r\n-------t0k3nx\r\n"),
                           std::string("\r\n-------t0k3n\r\n"), std::string("\r\n-------t0k3n$x"),
                           std::string("\r\n-------t0k3n$\n"), std::string("\r\n-------t0k3n$\r"),
                           std::string("\r\n-------t0k3n$\rx"), std::string("\r\n-------t0k3n$$\r\n"),
                           std::string("\r\n-------t0k3n #\r\n"), std::string("\r\n--------t0k3n$\r\n"),
                           std::string("\r\n------t0k3n$\r\n")}) {
    INFO(Describe({Event{Kind::kBody, body}}));
    ExpectSingleBody(SendWire(tid, body), tid, body, EndFlag::kComplete);
  }
}

TEST_CASE("F-09, F-02: '\\r\\n-------<tid><more ident chars>$' (a longer tid sharing the prefix) is body") {
  const std::string tid = "abcd";
  for (std::string body : {std::string("\r\n-------abcde$\r\n"), std::string("\r\n-------abcd.1$\r\n"),
                           std::string("\r\n-------abcd-$\r\n"), std::string("\r\n-------abc$\r\n")}) {
    INFO(Describe({Event{Kind::kBody, body}}));
    ExpectSingleBody(SendWire(tid, body), tid, body, EndFlag::kComplete);
  }
}

TEST_CASE("F-10, BR-20: body bytes that may start the end-line are held back at a read boundary and released as soon as the match fails") {
  const std::string tid = "abcd";
  RecordingSink sink;
  Framer framer(&sink, FramerLimits{});
  const std::string head = SendHead(tid);
  REQUIRE(framer.Feed(head) == head.size());
  REQUIRE(sink.messages.size() == 1);
  CHECK(framer.in_body());
  auto body = [&] { return sink.messages[0].body; };

  CHECK(framer.Feed("hello\r") == 6);
  CHECK(body() == "hello");  // the CR may start "\r\n-------abcd"
  CHECK(framer.Feed("\n-------ab") == 10);
  CHECK(body() == "hello");  // still a prefix of the end-line
  CHECK(framer.Feed("cX") == 2);
  CHECK(body() == "hello\r\n-------abcX");
  CHECK(framer.Feed("\r\n-------abcd") == 13);
  CHECK(body() == "hello\r\n-------abcX");
  CHECK(framer.Feed("$") == 1);
  CHECK(framer.Feed("\r") == 1);
  CHECK_FALSE(sink.messages[0].ended);
  CHECK(framer.Feed("\r") == 1);  // "$\r\r": not an end-line; the second CR may start a new one
  CHECK(body() == "hello\r\n-------abcX\r\n-------abcd$\r");
  CHECK(framer.Feed("\n-------abcd+\r\nMSRP") == 19);
  CHECK(body() == "hello\r\n-------abcX\r\n-------abcd$\r");
  CHECK(sink.messages[0].ended);
  CHECK(sink.messages[0].flag == EndFlag::kMore);
  CHECK_FALSE(framer.in_body());
  CHECK(sink.errors.empty());
}

TEST_CASE("F-10, BR-20: a body ending in CR or in a partial end-line at a read boundary frames the same at every split") {
  const std::string tid = "q9Z.+%=-";
  for (std::string body : {std::string("abc\r"), std::string("abc\r\n"), std::string("abc\r\n-"),
                           std::string("abc\r\n-------"), std::string("abc\r\n-------q9Z.+%="),
                           std::string("abc\r\n-------q9Z.+%=-"), std::string("abc\r\n-------q9Z.+%=-$\r"), std::string("\r"), std::string("\r\r\r")}) {
    INFO(Describe({Event{Kind::kBody, body}}));
    ExpectSingleBody(SendWire(tid, body), tid, body, EndFlag::kComplete);
  }
}

TEST_CASE("BR-19: all 256 octet values, in order and reversed, pass through a body unchanged") {
  std::string body;
  for (int round = 0; round < 4; ++round) {
    for (int c = 0; c < 256; ++c) body.push_back(static_cast<char>(round % 2 == 0 ? c : 255 - c));
  }
  constexpr std::string_view kTail("\0\r\n\0-------zz$\r\n\xff\xfe", 18);
  body += kTail;
  REQUIRE(body.size() == 1024 + 18);
  ExpectSingleBody(SendWire("b1n4ry", body), "b1n4ry", body, EndFlag::kComplete);
}

TEST_CASE("F-07, F-08: an empty body (Content-Type, empty line, CRLF, end-line) frames with has_body and no OnBody, unlike a bodiless message") {
  const std::string tid = "empty1";
  const std::string wire = SendHead(tid) + "\r\n-------empty1$\r\n";
  RecordingSink sink = FrameChecked(wire);
  INFO(Describe(sink.events));
  REQUIRE(sink.messages.size() == 1);
  CHECK(sink.messages[0].head.has_body);
  CHECK(sink.messages[0].body.empty());
  CHECK(sink.body_calls == 0);
  CHECK(sink.messages[0].flag == EndFlag::kComplete);
  REQUIRE(sink.events.size() == 2);
  CHECK(sink.events[1] == Event{Kind::kEnd, "$"});
  CHECK_FALSE(CheckHeaderOrder(sink.messages[0].head).has_value());

  // Without the CRLF that ends the (empty) data the end-line is body, and the chunk goes on.
  RecordingSink open;
  Framer framer(&open, FramerLimits{});
  framer.Feed(SendHead(tid) + "-------empty1$\r\n");
  REQUIRE(open.messages.size() == 1);
  CHECK_FALSE(open.messages[0].ended);
  CHECK(framer.in_body());
  framer.Feed(EndAfterBody(tid));
  CHECK(open.messages[0].ended);
  CHECK(open.messages[0].body == "-------empty1$\r\n");
}

TEST_CASE("F-08, BR-24, C-12: a bodiless SEND, with Byte-Range 1-0/0 or without Byte-Range, frames as OnHead then OnEnd") {
  for (std::string extra : {std::string("Message-ID: m1x2\r\nByte-Range: 1-0/0\r\n"), std::string("Message-ID: m1x2\r\n"),
                            std::string()}) {
    INFO(extra);
    const std::string wire = BodilessWire("MSRP bl4nk SEND", "bl4nk", extra);
    RecordingSink sink = FrameChecked(wire);
    INFO(Describe(sink.events));
    REQUIRE(sink.messages.size() == 1);
    const auto& m = sink.messages[0];
    CHECK(m.head.method == "SEND");
    CHECK_FALSE(m.head.has_body);
    CHECK(m.ended);
    CHECK(m.flag == EndFlag::kComplete);
    REQUIRE(sink.events.size() == 2);
    CHECK(sink.events[0].kind == Kind::kHead);
    CHECK(sink.events[1] == Event{Kind::kEnd, "$"});
    CHECK_FALSE(CheckHeaderOrder(m.head).has_value());
  }
  RecordingSink sink;
  Framer framer(&sink, FramerLimits{});
  framer.Feed(BodilessWire("MSRP bl4nk SEND", "bl4nk", "Message-ID: m1x2\r\nByte-Range: 1-0/0\r\n"));
  REQUIRE(sink.messages.size() == 1);
  CHECK(sink.messages[0].head.Value("Byte-Range") == "1-0/0");
}

TEST_CASE("F-09, BR-23: chunks ending in '+', '+', '$' and an aborted chunk ending in '#' keep their flags") {
  std::string stream = SendWire("chnk1", "part one", '+') + SendWire("chnk2", "part two", '+') +
                       SendWire("chnk3", "part three", '$') + SendWire("chnk4", "aborted", '#') +
                       BodilessWire("MSRP chnk5 SEND", "chnk5", "", '+') + BodilessWire("MSRP chnk6 SEND", "chnk6", "", '#');
  RecordingSink sink = FrameChecked(stream);
  INFO(Describe(sink.events));
  REQUIRE(sink.messages.size() == 6);
  const char* bodies[] = {"part one", "part two", "part three", "aborted", "", ""};
  const EndFlag flags[] = {EndFlag::kMore, EndFlag::kMore, EndFlag::kComplete, EndFlag::kAbort, EndFlag::kMore,
                           EndFlag::kAbort};
  for (size_t i = 0; i < 6; ++i) {
    INFO("message ", i);
    CHECK(sink.messages[i].head.tid == "chnk" + std::to_string(i + 1));
    CHECK(sink.messages[i].body == bodies[i]);
    CHECK(sink.messages[i].ended);
    CHECK(sink.messages[i].flag == flags[i]);
  }
}

TEST_CASE("BR-20: two and three messages in one Feed, including a response written back to back with a SEND, are all framed") {
  const std::string response = BodilessWire("MSRP r3sp 200 OK", "r3sp");
  const std::string send = SendWire("s3nd", "payload\r\n");
  const std::string auth = BodilessWire("MSRP 4uth AUTH", "4uth");

  RecordingSink two;
  Framer framer2(&two, FramerLimits{});
  CHECK(framer2.Feed(response + send) == response.size() + send.size());
  INFO(Describe(two.events));
  REQUIRE(two.events.size() == 5);
  CHECK(two.events[0].kind == Kind::kHead);
  CHECK(two.events[1] == Event{Kind::kEnd, "$"});
  CHECK(two.events[2].kind == Kind::kHead);
  CHECK(two.events[3] == Event{Kind::kBody, "payload\r\n"});
  CHECK(two.events[4] == Event{Kind::kEnd, "$"});
  REQUIRE(two.messages.size() == 2);
  CHECK_FALSE(two.messages[0].head.is_request);
  CHECK(two.messages[0].head.tid == "r3sp");
  CHECK(two.messages[1].head.tid == "s3nd");

  RecordingSink three = FrameChecked(send + response + auth);
  REQUIRE(three.messages.size() == 3);
  CHECK(three.messages[0].head.tid == "s3nd");
  CHECK(three.messages[0].body == "payload\r\n");
  CHECK(three.messages[1].head.status == 200);
  CHECK(three.messages[2].head.method == "AUTH");
  for (const auto& m : three.messages) CHECK(m.ended);
}

/// Sink for the big-body test: checks body bytes against the generator without allocating.
class StreamingSink : public Framer::Sink {
 public:
  explicit StreamingSink(char (*byte_at)(size_t)) : byte_at_(byte_at) {}
  void OnHead(MessageHead&) override { ++heads; }
  void OnBody(std::string_view bytes) override {
    ++body_calls;
    if (bytes.size() > largest_call) largest_call = bytes.size();
    for (char c : bytes) {
      if (c != byte_at_(received)) ++wrong_bytes;
      ++received;
    }
  }
  void OnEnd(EndFlag flag) override {
    ++ends;
    last_flag = flag;
  }
  void OnFrameError(const FrameError&) override { ++errors; }

  size_t heads = 0, ends = 0, errors = 0, body_calls = 0, largest_call = 0, received = 0, wrong_bytes = 0;
  EndFlag last_flag = EndFlag::kAbort;

 private:
  char (*byte_at_)(size_t);
};

char BigBodyByte(size_t i) {
  // Mostly binary, with CR LF and dashes often enough to exercise partial end-line matches.
  if (i % 1000 == 998) return '\r';
  if (i % 1000 == 999) return '\n';
  if (i % 1000 < 7 && i % 3000 < 1000) return '-';
  return static_cast<char>((i * 131 + 7) % 256);
}

TEST_CASE("BR-09, R-16: a 1 MiB body fed in 64 KiB slices is streamed with no allocation, at most one slice per OnBody, and arrives exactly") {
  constexpr size_t kBody = 1 << 20;
  constexpr size_t kSlice = 64 << 10;
  const std::string tid = "b1gb0dy0";
  std::string body(kBody, '\0');
  for (size_t i = 0; i < kBody; ++i) body[i] = BigBodyByte(i);
  const std::string wire = SendHead(tid) + body + EndAfterBody(tid);
  const size_t head_size = SendHead(tid).size();

  StreamingSink sink(&BigBodyByte);
  Framer framer(&sink, FramerLimits{});
  size_t fed = 0;
  // The head and the first slice of body.
  fed += framer.Feed(std::string_view(wire).substr(0, head_size));
  REQUIRE(sink.heads == 1);
  AllocationWindow window;
  size_t feeds = 0;
  while (fed < head_size + kBody) {
    size_t n = std::min(kSlice, head_size + kBody - fed);
    size_t used = framer.Feed(std::string_view(wire).substr(fed, n));
    fed += used;
    ++feeds;
    if (used != n) break;
    // Everything fed is delivered except the few bytes that may start the end-line.
    if (sink.received + 12 + tid.size() < fed - head_size) break;
    if (sink.ends != 0) break;
  }
  window.Stop();
  CHECK(window.count() == 0);
  CHECK(feeds == kBody / kSlice);
  CHECK(sink.ends == 0);
  CHECK(sink.received + 12 + tid.size() >= kBody);
  CHECK(sink.body_calls >= kBody / kSlice);
  CHECK(sink.largest_call <= kSlice);
  CHECK(framer.in_body());

  fed += framer.Feed(std::string_view(wire).substr(fed));
  CHECK(fed == wire.size());
  CHECK(sink.ends == 1);
  CHECK(sink.last_flag == EndFlag::kComplete);
  CHECK(sink.received == kBody);
  CHECK(sink.wrong_bytes == 0);
  CHECK(sink.errors == 0);
}

TEST_CASE("BR-09: the same 1 MiB body fed whole and in 64 KiB slices gives the same bytes to a recording sink") {
  constexpr size_t kBody = 1 << 20;
  std::string body(kBody, '\0');
  for (size_t i = 0; i < kBody; ++i) body[i] = BigBodyByte(i);
  const std::string wire = SendWire("b1gb0dy1", body);
  std::vector<size_t> cuts;
  for (size_t at = 65536; at < wire.size(); at += 65536) cuts.push_back(at);
  RecordingSink sink;
  Framer framer(&sink, FramerLimits{});
  framer_recorder::FeedCuts(framer, sink, wire, cuts);
  REQUIRE(sink.messages.size() == 1);
  CHECK(sink.messages[0].body.size() == kBody);
  CHECK(sink.messages[0].body == body);
  CHECK(sink.messages[0].body_calls >= 16);
  CHECK(sink.largest_body_call <= 65536);
  CHECK(FeedWhole(wire) == sink.events);
}

// ----------------------------------------------------------------------------- head errors

TEST_CASE("F-01: a lower-case 'msrp' start line is a framing error without a tid") {
  FrameError e = ExpectFrameError(BodilessWire("msrp 1234 SEND", "1234"), "MSRP");
  CHECK(e.tid.empty());
  ExpectFrameError(BodilessWire("Msrp 1234 SEND", "1234"), "MSRP");
  ExpectFrameError(BodilessWire("MSRP/1234 SEND", "1234"), "MSRP");
  ExpectFrameError("HTTP/1.1 200 OK\r\n\r\n", "MSRP");
}

TEST_CASE("F-02: transaction ids of 3 or 33 characters, starting with '-', or holding other characters are framing errors") {
  for (std::string tid : {std::string("abc"), std::string(33, 'a'), std::string("-abc"), std::string(".abc"),
                          std::string("ab/cd"), std::string("ab_cd"), std::string("ab:cd"), std::string("ab\tc")}) {
    INFO("tid: ", tid);
    FrameError e = ExpectFrameError(BodilessWire("MSRP " + tid + " SEND", tid), "invalid transaction id");
    CHECK(e.tid.empty());
  }
}

TEST_CASE("F-02: transaction ids of 4 and 32 characters and with . - + % = after the first frame") {
  for (std::string tid : {std::string("abcd"), std::string(32, 'Z'), std::string("0.-+"), std::string("a%=b"),
                          std::string("9999")}) {
    INFO("tid: ", tid);
    RecordingSink sink = FrameChecked(BodilessWire("MSRP " + tid + " SEND", tid));
    REQUIRE(sink.messages.size() == 1);
    CHECK(sink.messages[0].head.tid == tid);
    CHECK(sink.messages[0].ended);
  }
  const std::string tid32(32, 'Z');
  ExpectSingleBody(SendWire(tid32, "body"), tid32, "body", EndFlag::kComplete);
}

TEST_CASE("F-04: lower-case, mixed-case and digit-bearing methods are framing errors that report the readable tid") {
  for (std::string method : {std::string("send"), std::string("Send"), std::string("SEND2"), std::string("SE-ND"),
                             std::string("S END"), std::string("SEND "), std::string(" SEND"), std::string("")}) {
    INFO("method: [", method, "]");
    FrameError e = ExpectFrameError(BodilessWire("MSRP abcd " + method, "abcd"), "");
    CHECK(e.reason.find("method") != std::string::npos);
    CHECK(e.tid == "abcd");
  }
}

TEST_CASE("F-04, R-12: unknown upper-case methods (NICKNAME, FOO) frame like any request") {
  for (std::string method : {std::string("NICKNAME"), std::string("FOO"), std::string("X")}) {
    RecordingSink sink = FrameChecked(BodilessWire("MSRP abcd " + method, "abcd"));
    REQUIRE(sink.messages.size() == 1);
    CHECK(sink.messages[0].head.method == method);
    CHECK(sink.messages[0].head.is_request);
  }
}

TEST_CASE("F-01: start lines with a double space or nothing after the tid are framing errors") {
  ExpectFrameError(BodilessWire("MSRP  abcd SEND", "abcd"), "transaction id");
  ExpectFrameError(BodilessWire("MSRP abcd", "abcd"), "no method or status");
  ExpectFrameError(BodilessWire("MSRP ", "abcd"), "");
  ExpectFrameError(BodilessWire("MSRP", "abcd"), "MSRP");
}

TEST_CASE("F-01, F-17: responses 'MSRP abcd 200 OK' and 'MSRP abcd 200' (no comment) frame with status 200") {
  struct Case {
    const char* start;
    int status;
    const char* comment;
  };
  for (const Case& c : {Case{"MSRP abcd 200 OK", 200, "OK"}, Case{"MSRP abcd 200", 200, ""},
                        Case{"MSRP abcd 200 ", 200, ""}, Case{"MSRP abcd 481 No session here\tok", 481, "No session here\tok"},
                        Case{"MSRP abcd 000", 0, ""}, Case{"MSRP abcd 999 \xc3\xa9t\xc3\xa9", 999, "\xc3\xa9t\xc3\xa9"}}) {
    INFO(c.start);
    RecordingSink sink = FrameChecked(BodilessWire(c.start, "abcd"));
    REQUIRE(sink.messages.size() == 1);
    const auto& h = sink.messages[0].head;
    CHECK_FALSE(h.is_request);
    CHECK(h.tid == "abcd");
    CHECK(h.status == c.status);
    CHECK(h.comment == c.comment);
    CHECK(h.method.empty());
    CHECK(sink.messages[0].flag == EndFlag::kComplete);
  }
}

TEST_CASE("F-01: a status of 2 or 4 digits or a control character in the comment is a framing error") {
  ExpectFrameError(BodilessWire("MSRP abcd 20", "abcd"), "method");
  ExpectFrameError(BodilessWire("MSRP abcd 2000", "abcd"), "method");
  ExpectFrameError(BodilessWire("MSRP abcd 20x OK", "abcd"), "method");
  ExpectFrameError(BodilessWire(std::string("MSRP abcd 200 O\x01K"), "abcd"), "control character");
  ExpectFrameError(BodilessWire(std::string("MSRP abcd 200 O\0K", 17), "abcd"), "control character");
}

TEST_CASE("S-07, F-16: a 100 kB header line fails with OnFrameError before the framer allocates more than max_head_bytes") {
  const FramerLimits limits{};  // 16384 bytes, 64 headers
  std::string wire = "MSRP abcd SEND\r\nTo-Path: " + std::string(100000, 'x') + "\r\n";
  {
    RecordingSink sink;
    Framer framer(&sink, limits);
    AllocationWindow window;
    framer.Feed(wire);
    window.Stop();
    CHECK(framer.failed());
    REQUIRE(sink.errors.size() == 1);
    CHECK(sink.errors[0].reason == "head larger than 16384 bytes");
    CHECK(sink.errors[0].tid == "abcd");
    CHECK(sink.messages.empty());
    CHECK(window.largest() <= limits.max_head_bytes);
  }
  {
    // Read in 1 KiB slices the line grows, but only up to the limit (std::string may round its
    // capacity up to twice the content, never to the 100 kB the peer sent).
    RecordingSink sink;
    Framer framer(&sink, limits);
    AllocationWindow window;
    size_t slices = 0;
    for (size_t at = 0; at < wire.size() && !framer.failed(); at += 1024, ++slices) {
      framer.Feed(std::string_view(wire).substr(at, 1024));
    }
    window.Stop();
    CHECK(framer.failed());
    CHECK(slices == 17);  // failed in the slice that crossed 16384 bytes
    REQUIRE(sink.errors.size() == 1);
    CHECK(sink.errors[0].reason == "head larger than 16384 bytes");
    CHECK(window.largest() <= 2 * limits.max_head_bytes + 64);
  }
  // Same with a small limit, and without any LF at all in the oversized line.
  FramerLimits small{};
  small.max_head_bytes = 256;
  ExpectFrameError(std::string("MSRP abcd SEND\r\nTo-Path: ") + std::string(300, 'y'), "head larger than 256 bytes",
                   small);
  ExpectFrameError(std::string(300, 'M'), "head larger than 256 bytes", small);
}

TEST_CASE("S-07: a head of exactly max_head_bytes (end-line included when bodiless) frames and one byte more fails") {
  FramerLimits limits{};
  limits.max_head_bytes = 200;
  auto bodiless_with_pad = [](size_t pad) {
    return BodilessWire("MSRP abcd SEND", "abcd", "X-Pad: " + std::string(pad, 'p') + "\r\n");
  };
  const size_t base = bodiless_with_pad(0).size();
  REQUIRE(base < 200);
  const std::string exact = bodiless_with_pad(200 - base);
  REQUIRE(exact.size() == 200);
  RecordingSink sink = FrameChecked(exact, limits);
  CHECK(sink.errors.empty());
  REQUIRE(sink.messages.size() == 1);
  CHECK(sink.messages[0].ended);
  ExpectFrameError(bodiless_with_pad(201 - base), "head larger than 200 bytes", limits);

  // With a body, the empty line is the last byte counted; body bytes are never counted.
  const std::string head_only = SendHead("abcd");
  FramerLimits tight{};
  tight.max_head_bytes = static_cast<uint32_t>(head_only.size());
  ExpectSingleBody(head_only + std::string(5000, 'b') + EndAfterBody("abcd"), "abcd", std::string(5000, 'b'),
                   EndFlag::kComplete, tight);
  RecordingSink body_sink;
  Framer framer(&body_sink, tight);
  framer.Feed(head_only + std::string(5000, 'b') + EndAfterBody("abcd") + head_only + "x" + EndAfterBody("abcd"));
  CHECK(body_sink.errors.empty());
  REQUIRE(body_sink.messages.size() == 2);
  CHECK(body_sink.messages[1].body == "x");
  tight.max_head_bytes -= 1;
  ExpectFrameError(head_only, "head larger than", tight);
}

TEST_CASE("S-07: max_headers headers frame and one more is a framing error") {
  FramerLimits limits{};
  limits.max_headers = 4;
  const std::string two_more = "Message-ID: m1\r\nX-Foo: 1\r\n";
  RecordingSink sink = FrameChecked(BodilessWire("MSRP abcd SEND", "abcd", two_more), limits);
  REQUIRE(sink.messages.size() == 1);
  CHECK(sink.messages[0].head.headers.size() == 4);
  FrameError e = ExpectFrameError(BodilessWire("MSRP abcd SEND", "abcd", two_more + "X-Bar: 2\r\n"),
                                  "more than 4 headers", limits);
  CHECK(e.tid == "abcd");

  // The default limit is 64.
  std::string sixty_two;
  for (int i = 0; i < 62; ++i) sixty_two += "X-H" + std::to_string(i) + ": v\r\n";
  RecordingSink ok = FrameChecked(BodilessWire("MSRP abcd SEND", "abcd", sixty_two));
  REQUIRE(ok.messages.size() == 1);
  CHECK(ok.messages[0].head.headers.size() == 64);
  ExpectFrameError(BodilessWire("MSRP abcd SEND", "abcd", sixty_two + "X-Last: v\r\n"), "more than 64 headers");
}

TEST_CASE("F-01: bare LF line endings and bare CR inside a head line are framing errors") {
  ExpectFrameError("MSRP abcd SEND\nTo-Path: a\n", "CRLF");
  ExpectFrameError("MSRP abcd SEND\r\nTo-Path: msrp://a:1/s;tcp\nFrom-Path: b\r\n", "CRLF");
  ExpectFrameError(SendHead("abcd").substr(0, SendHead("abcd").size() - 2) + "\n", "CRLF");  // blank line as LF
  ExpectFrameError("\n", "CRLF");
  ExpectFrameError("MSRP abcd SEND\r\nTo-Path: a\rb\r\n", "bare CR");
  ExpectFrameError("MSRP abcd\rSEND\r\n", "bare CR");
  ExpectFrameError("MSRP abcd SEND\r\r\n", "bare CR");
}

TEST_CASE("F-08, F-09: an end-line with the wrong tid or an invalid flag right after the headers is a framing error") {
  FrameError e = ExpectFrameError(BodilessWire("MSRP abcd SEND", "abce"), "end-line does not match");
  CHECK(e.tid == "abcd");
  ExpectFrameError(BodilessWire("MSRP abcd SEND", "abc"), "end-line does not match");
  ExpectFrameError(BodilessWire("MSRP abcd SEND", "abcde"), "end-line does not match");
  ExpectFrameError(BodilessWire("MSRP abcd SEND", "ABCD"), "end-line does not match");
  ExpectFrameError(BodilessWire("MSRP abcd SEND", "abcd", "", '!'), "invalid continuation flag");
  ExpectFrameError(BodilessWire("MSRP abcd 200 OK", "abcd", "", 'x'), "invalid continuation flag");
  ExpectFrameError("MSRP abcd SEND\r\nTo-Path: a\r\n-------abcd\r\n", "end-line does not match");
}

TEST_CASE("E-01: after a framing error the framer emits nothing more and consumes nothing") {
  RecordingSink sink;
  Framer framer(&sink, FramerLimits{});
  const std::string bad = "MSRP abcd send\r\n";
  const std::string good = SendWire("g00d", "fine");
  CHECK(framer.Feed(bad + good) == bad.size());
  CHECK(framer.failed());
  CHECK(framer.Feed(good) == 0);
  CHECK(framer.Feed("") == 0);
  CHECK(sink.errors.size() == 1);
  CHECK(sink.messages.empty());
  CHECK(sink.events.size() == 1);
}

TEST_CASE("E-01: a framing error in the start line of a second message reports no tid, not the first message's") {
  for (std::string garbage : {std::string("GARBAGE\r\n"), std::string("\n"), std::string("MSRP x\ry\r\n"),
                              std::string(20000, 'G')}) {
    INFO(Describe({Event{Kind::kBody, garbage.substr(0, 40)}}));
    RecordingSink sink;
    Framer framer(&sink, FramerLimits{});
    framer.Feed(SendWire("f1rst", "one") + garbage);
    REQUIRE(sink.messages.size() == 1);
    REQUIRE(sink.errors.size() == 1);
    CHECK(sink.errors[0].tid.empty());
  }
}

TEST_CASE("BR-20: a stray CRLF between messages is skipped whatever the read boundaries") {
  const std::string stream = SendWire("s1s1", "one") + "\r\n" + BodilessWire("MSRP s2s2 200 OK", "s2s2") + "\r\n\r\n" +
                             SendWire("s3s3", "three");
  RecordingSink sink = FrameChecked(stream);
  INFO(Describe(sink.events));
  CHECK(sink.errors.empty());
  REQUIRE(sink.messages.size() == 3);
  CHECK(sink.messages[2].body == "three");
}

TEST_CASE("BR-10, BR-05: a framing error at any byte of a head is reported once and frees everything (run under ASan)") {
  auto v = MustFind("RFC4975 11.6 SEND-success-report-requested");
  const size_t head_end = v.wire.find("\r\n\r\n") + 4;
  for (size_t k = 0; k < head_end; ++k) {
    for (const std::string& breaker : {std::string("\n"), std::string("\r\r\n"), std::string("\r\nX"),
                                       std::string(1, '\0'), std::string(20000, 'z')}) {
      std::string wire = v.wire.substr(0, k) + breaker + "\r\n\r\n\r\n";
      RecordingSink sink;
      Framer framer(&sink, FramerLimits{});
      framer.Feed(wire);
      INFO("cut at ", k, " with ", Describe({Event{Kind::kBody, breaker.substr(0, 8)}}));
      CHECK(sink.errors.size() <= 1);
      for (const auto& e : sink.events) CHECK(e.kind != Kind::kProtocolViolation);
    }
  }
}

TEST_CASE("BR-13, F-13: an unknown header X-Foo is framed with its exact name and value and passes CheckHeaderOrder") {
  std::string wire = SendHead("abcd");
  wire.insert(wire.find("Message-ID"), "X-Foo: 1\r\nx-bar:  spaced value \r\n");
  wire += "data" + EndAfterBody("abcd");
  RecordingSink sink = FrameChecked(wire);
  REQUIRE(sink.messages.size() == 1);
  const auto& h = sink.messages[0].head;
  REQUIRE(h.headers.size() == 7);
  CHECK(h.headers[2].name == "X-Foo");
  CHECK(h.headers[2].value == "1");
  CHECK(h.headers[3].name == "x-bar");
  CHECK(h.headers[3].value == "spaced value");
  CHECK(h.malformed.empty());
  CHECK_FALSE(CheckHeaderOrder(h).has_value());
  CHECK(sink.messages[0].body == "data");
}

TEST_CASE("F-05, E-01: header lines without a colon or with an invalid name are framed but marked malformed (400, not a framing loss)") {
  struct Case {
    const char* line;
    const char* reason;
  };
  for (const Case& c : {Case{"No colon here", "header line without a name"}, Case{": no name", "header line without a name"},
                        Case{"Bad Name: x", "invalid header name"}, Case{"Bad(Name): x", "invalid header name"}}) {
    INFO(c.line);
    RecordingSink sink = FrameChecked(BodilessWire("MSRP abcd SEND", "abcd", std::string(c.line) + "\r\n"));
    REQUIRE(sink.messages.size() == 1);
    CHECK(sink.messages[0].head.malformed == c.reason);
    CHECK(CheckHeaderOrder(sink.messages[0].head) == std::optional<std::string>(c.reason));
    CHECK(sink.messages[0].ended);
  }
}

TEST_CASE("R-16: Stop() from OnHead makes Feed return right after the head; feeding the rest continues the message") {
  class StopOnHead : public RecordingSink {
   public:
    Framer* framer = nullptr;
    void OnHead(MessageHead& head) override {
      RecordingSink::OnHead(head);
      framer->Stop();
    }
  };
  const std::string wire = SendWire("st0p", "body bytes") + BodilessWire("MSRP n3xt 200 OK", "n3xt");
  StopOnHead sink;
  Framer framer(&sink, FramerLimits{});
  sink.framer = &framer;
  size_t used = framer.Feed(wire);
  CHECK(used == SendHead("st0p").size());
  CHECK(framer.in_body());
  CHECK(sink.events.size() == 1);
  // The second head stops the Feed again, but a bodiless message's OnEnd belongs to its head.
  size_t more = framer.Feed(std::string_view(wire).substr(used));
  CHECK(used + more == wire.size());
  CHECK(sink.events.size() == 5);
  CHECK(sink.messages.size() == 2);
  CHECK(sink.messages[0].body == "body bytes");
  CHECK(FeedWithStops(wire) == FeedWhole(wire));
}

/// Records events and flags any callback that arrives after Stop() within the same Feed.
class StopOnBodySink : public RecordingSink {
 public:
  Framer* framer = nullptr;
  bool stop_next_body = false;
  bool stopped_in_this_feed = false;
  int late_callbacks = 0;

  void OnHead(MessageHead& head) override {
    Late();
    RecordingSink::OnHead(head);
  }
  void OnBody(std::string_view bytes) override {
    Late();
    RecordingSink::OnBody(bytes);
    if (stop_next_body) {
      stop_next_body = false;
      stopped_in_this_feed = true;
      framer->Stop();
    }
  }
  void OnEnd(EndFlag flag) override {
    Late();
    RecordingSink::OnEnd(flag);
  }
  size_t Feed(std::string_view data) {
    stopped_in_this_feed = false;
    return framer->Feed(data);
  }

 private:
  void Late() {
    if (stopped_in_this_feed) ++late_callbacks;
  }
};

TEST_CASE("R-16: Stop() from OnBody makes Feed return right after that callback, before the end-line; feeding the rest delivers OnEnd") {
  StopOnBodySink sink;
  Framer framer(&sink, FramerLimits{});
  sink.framer = &framer;
  const std::string head = SendHead("abcd");
  REQUIRE(sink.Feed(head) == head.size());

  // The end-line lies in the same slice as the body bytes: it stays unconsumed.
  const std::string rest = "body" + EndAfterBody("abcd") + BodilessWire("MSRP n3xt 200 OK", "n3xt");
  sink.stop_next_body = true;
  size_t used = sink.Feed(rest);
  CHECK(used == 4);
  CHECK(sink.late_callbacks == 0);
  CHECK(framer.in_body());
  REQUIRE(sink.messages.size() == 1);
  CHECK(sink.messages[0].body == "body");
  CHECK_FALSE(sink.messages[0].ended);
  used += sink.Feed(std::string_view(rest).substr(used));
  CHECK(used == rest.size());
  REQUIRE(sink.messages.size() == 2);
  CHECK(sink.messages[0].ended);
  CHECK(sink.messages[1].ended);
  CHECK(sink.late_callbacks == 0);
}

TEST_CASE("R-16: Stop() from the OnBody that releases held-back bytes makes Feed return before the next body bytes and the end-line") {
  StopOnBodySink sink;
  Framer framer(&sink, FramerLimits{});
  sink.framer = &framer;
  const std::string head = SendHead("abcd");
  REQUIRE(sink.Feed(head + "xx\r") == head.size() + 3);
  CHECK(sink.messages[0].body == "xx");

  const std::string rest = "yy" + EndAfterBody("abcd");
  sink.stop_next_body = true;  // the held CR is released by the 'y' that follows
  size_t used = sink.Feed(rest);
  CHECK(sink.late_callbacks == 0);
  CHECK(sink.messages[0].body == "xx\r");
  CHECK_FALSE(sink.messages[0].ended);
  while (used < rest.size() && !framer.failed()) {
    size_t n = sink.Feed(std::string_view(rest).substr(used));
    if (n == 0) break;
    used += n;
  }
  CHECK(used == rest.size());
  CHECK(sink.messages[0].body == "xx\ryy");
  CHECK(sink.messages[0].ended);
  CHECK(sink.late_callbacks == 0);
}

TEST_CASE("F-10: Feed of an empty slice emits nothing and returns 0 in every state") {
  RecordingSink sink;
  Framer framer(&sink, FramerLimits{});
  CHECK(framer.Feed("") == 0);
  framer.Feed("MSRP ab");
  CHECK(framer.Feed("") == 0);
  framer.Feed("cd SEND\r\nTo-Path: a\r\nFrom-Path: b\r\nContent-Type: c\r\n\r\nbo");
  CHECK(framer.Feed("") == 0);
  framer.Feed("dy\r\n-------abcd$\r\n");
  CHECK(framer.Feed("") == 0);
  REQUIRE(sink.messages.size() == 1);
  CHECK(sink.messages[0].body == "body");
  CHECK(sink.events.size() == 3);
}

}  // namespace
}  // namespace msrp
