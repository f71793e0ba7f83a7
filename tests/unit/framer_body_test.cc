// Unit tests for common/framer bodies: end-line look-alikes, held-back bytes at read boundaries,
// opaque octets, empty and absent bodies, flags, several messages per read (F-07..F-10,
// BR-19..BR-21, BR-23, BR-24, C-12).
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

}  // namespace
}  // namespace msrp
