// Unit tests for common/framer with the RFC example messages: each frames to one message under
// every read split and back to back in one stream, with exact tids, headers, bodies and flags
// (F-01, F-05..F-10, F-13, F-17, F-18, BR-05, BR-20, BR-23).
#include "common/framer.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/message_head.h"
#include "tests/unit/framer_recorder.h"
#include "tests/unit/framer_wire.h"
#include "tests/unit/rfc_vectors.h"

namespace msrp {
namespace {

using namespace framer_wire;

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

}  // namespace
}  // namespace msrp
