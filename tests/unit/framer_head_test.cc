// Unit tests for common/framer heads: start line, transaction id and method syntax, head size
// and header count limits, framing errors and malformed header lines (F-01, F-02, F-04, F-05,
// F-08, F-09, F-13, F-17, S-07, E-01, BR-05, BR-10, BR-13, BR-20).
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

TEST_CASE("F-17: a response ending in '+' or '#', or carrying a body, is framed but marked malformed; a request is not") {
  struct Case {
    std::string wire;
    const char* reason;
  };
  const std::string body_response = "MSRP abcd 200 OK\r\nTo-Path: " + std::string(kFromPath) + "\r\nFrom-Path: " +
                                    std::string(kToPath) + "\r\nContent-Type: text/plain\r\n\r\nbody\r\n-------abcd$\r\n";
  for (const Case& c : {Case{BodilessWire("MSRP abcd 200 OK", "abcd", "", '+'), "response end-line flag is not '$'"},
                        Case{BodilessWire("MSRP abcd 481", "abcd", "", '#'), "response end-line flag is not '$'"},
                        Case{body_response, "response with a body"}}) {
    INFO(c.wire);
    RecordingSink sink = FrameChecked(c.wire);
    REQUIRE(sink.errors.empty());
    REQUIRE(sink.messages.size() == 1);
    CHECK_FALSE(sink.messages[0].head.is_request);
    CHECK(sink.messages[0].head.malformed == c.reason);
    CHECK(CheckHeaderOrder(sink.messages[0].head) == std::optional<std::string>(c.reason));
    CHECK(sink.messages[0].ended);
  }
  // The same flags on a bodiless request are a chunk's continuation flags, not an error.
  for (char flag : {'+', '#'}) {
    RecordingSink sink = FrameChecked(BodilessWire("MSRP abcd SEND", "abcd", "", flag));
    REQUIRE(sink.messages.size() == 1);
    CHECK(sink.messages[0].head.malformed.empty());
  }
  RecordingSink ok = FrameChecked(BodilessWire("MSRP abcd 200 OK", "abcd"));
  REQUIRE(ok.messages.size() == 1);
  CHECK(ok.messages[0].head.malformed.empty());
}

}  // namespace
}  // namespace msrp
