// Unit tests for common/writer: exact wire bytes of request heads, responses and end-lines
// (F-01, F-07..F-09, F-17), checked against the RFC examples, and NewTransactionId (F-02, F-03).
#include "common/writer.h"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "common/framer.h"
#include "common/message_head.h"
#include "tests/unit/framer_recorder.h"
#include "tests/unit/rfc_vectors.h"

namespace msrp {
namespace {

using framer_recorder::RecordingSink;

rfc_vectors::Vector MustFind(std::string_view title) {
  rfc_vectors::Vector v = rfc_vectors::Find(title);
  INFO("vector: ", std::string(title));
  REQUIRE_FALSE(v.wire.empty());
  return v;
}

/// The single message of `wire`, as framed.
framer_recorder::Message FrameOne(std::string_view wire) {
  RecordingSink sink;
  Framer framer(&sink, FramerLimits{});
  framer.Feed(wire);
  REQUIRE(sink.errors.empty());
  REQUIRE(sink.messages.size() == 1);
  return sink.messages[0];
}

TEST_CASE("F-01, F-17, R-07: AppendResponse reproduces the RFC 4976 §3 'MSRP 6aef 200 OK' example byte for byte") {
  auto v = MustFind("RFC4976 3 200-relayA-to-alice");
  std::string out;
  AppendResponse(out, "6aef", 200, "OK", "msrps://alice.example.org:7965/bar;tcp", "msrps://a.example.org:9000/kjfjan;tcp",
                 {Header{"Message-ID", "87652"}});
  CHECK(out ==
        "MSRP 6aef 200 OK\r\n"
        "To-Path: msrps://alice.example.org:7965/bar;tcp\r\n"
        "From-Path: msrps://a.example.org:9000/kjfjan;tcp\r\n"
        "Message-ID: 87652\r\n"
        "-------6aef$\r\n");
  CHECK(out == v.wire);
}

TEST_CASE("F-01, A-03: AppendResponse reproduces the RFC 4976 §5.1 401 challenge and the RFC 4975 §4 200 byte for byte") {
  auto challenge = MustFind("RFC4976 5.1 401-challenge");
  std::string out;
  AppendResponse(out, "49fh", 401, "Unauthorized", "msrps://alice.example.com:9892/98cjs;tcp",
                 "msrps://alice@intra.example.com;tcp",
                 {Header{"WWW-Authenticate",
                         "Digest realm=\"intra.example.com\", qop=\"auth\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\""}});
  CHECK(out == challenge.wire);

  auto basic = MustFind("RFC4975 4 200-basic");
  out.clear();
  AppendResponse(out, "a786hjs2", 200, "OK", "msrp://atlanta.example.com:7654/jshA7weztas;tcp",
                 "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp");
  CHECK(out == basic.wire);
}

TEST_CASE("F-01: AppendResponse with an empty phrase writes 'MSRP tid code' with no trailing space, and appends to existing bytes") {
  std::string out = "previous";
  AppendResponse(out, "abcd", 200, "", "msrp://a.example.com:1/s;tcp", "msrp://b.example.com:2/t;tcp");
  CHECK(out ==
        "previous"
        "MSRP abcd 200\r\n"
        "To-Path: msrp://a.example.com:1/s;tcp\r\n"
        "From-Path: msrp://b.example.com:2/t;tcp\r\n"
        "-------abcd$\r\n");
  auto m = FrameOne(std::string_view(out).substr(8));
  CHECK_FALSE(m.head.is_request);
  CHECK(m.head.status == 200);
  CHECK(m.head.comment.empty());
  CHECK(m.flag == EndFlag::kComplete);
}

TEST_CASE("F-01, F-06..F-09: every RFC example re-encodes to its exact bytes with AppendRequestHead/AppendResponse and AppendEndLine") {
  const auto& vectors = rfc_vectors::Load().messages;
  REQUIRE(vectors.size() == 43);
  int requests = 0, responses = 0;
  for (const auto& v : vectors) {
    INFO(v.title);
    auto m = FrameOne(v.wire);
    std::string out;
    if (m.head.is_request) {
      ++requests;
      AppendRequestHead(out, m.head.tid, m.head.method, m.head.headers, m.head.has_body);
      out += m.body;
      AppendEndLine(out, m.head.tid, m.flag, m.head.has_body);
    } else {
      ++responses;
      REQUIRE(m.head.headers.size() >= 2);
      std::vector<Header> extra(m.head.headers.begin() + 2, m.head.headers.end());
      AppendResponse(out, m.head.tid, m.head.status, m.head.comment, m.head.headers[0].value, m.head.headers[1].value,
                     extra);
    }
    CHECK(out == v.wire);
  }
  CHECK(requests == 27);
  CHECK(responses == 16);
}

TEST_CASE("F-07: AppendRequestHead writes the start line, 'Name: value' lines and, only with a body, the empty line") {
  const std::vector<Header> headers = {{"To-Path", "msrp://a.example.com:1/s;tcp"},
                                       {"From-Path", "msrp://b.example.com:2/t;tcp"},
                                       {"Content-Type", "text/plain"}};
  std::string with_body;
  AppendRequestHead(with_body, "t1d2", "SEND", headers, true);
  CHECK(with_body ==
        "MSRP t1d2 SEND\r\n"
        "To-Path: msrp://a.example.com:1/s;tcp\r\n"
        "From-Path: msrp://b.example.com:2/t;tcp\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n");
  std::string bodiless;
  AppendRequestHead(bodiless, "t1d2", "AUTH", {headers[0], headers[1]}, false);
  CHECK(bodiless ==
        "MSRP t1d2 AUTH\r\n"
        "To-Path: msrp://a.example.com:1/s;tcp\r\n"
        "From-Path: msrp://b.example.com:2/t;tcp\r\n");
}

TEST_CASE("F-09: AppendEndLine writes CRLF only after a body, seven dashes, the tid and the flag") {
  std::string out;
  AppendEndLine(out, "abcd", EndFlag::kComplete, true);
  CHECK(out == "\r\n-------abcd$\r\n");
  out.clear();
  AppendEndLine(out, "abcd", EndFlag::kMore, true);
  CHECK(out == "\r\n-------abcd+\r\n");
  out.clear();
  AppendEndLine(out, "abcd", EndFlag::kAbort, false);
  CHECK(out == "-------abcd#\r\n");
  out = "x";
  AppendEndLine(out, "0123456789abcdefghijKLMNOPQRST.-", EndFlag::kComplete, false);
  CHECK(out == "x-------0123456789abcdefghijKLMNOPQRST.-$\r\n");
}

TEST_CASE("F-07, F-08: a written empty-body request and a written bodiless request frame back as different messages") {
  const std::vector<Header> paths = {{"To-Path", "msrp://a.example.com:1/s;tcp"}, {"From-Path", "msrp://b.example.com:2/t;tcp"}};
  std::vector<Header> typed = paths;
  typed.push_back({"Content-Type", "text/plain"});
  std::string empty_body;
  AppendRequestHead(empty_body, "e1e1", "SEND", typed, true);
  AppendEndLine(empty_body, "e1e1", EndFlag::kComplete, true);
  CHECK(empty_body ==
        "MSRP e1e1 SEND\r\n"
        "To-Path: msrp://a.example.com:1/s;tcp\r\n"
        "From-Path: msrp://b.example.com:2/t;tcp\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"                  // the empty line that starts the body
        "\r\n-------e1e1$\r\n");  // zero body octets, then CRLF and the end-line
  auto a = FrameOne(empty_body);
  CHECK(a.head.has_body);
  CHECK(a.body.empty());
  CHECK(a.ended);

  std::string bodiless;
  AppendRequestHead(bodiless, "b1b1", "SEND", paths, false);
  AppendEndLine(bodiless, "b1b1", EndFlag::kComplete, false);
  auto b = FrameOne(bodiless);
  CHECK_FALSE(b.head.has_body);
  CHECK(b.ended);
  CHECK_FALSE(CheckHeaderOrder(a.head).has_value());
  CHECK_FALSE(CheckHeaderOrder(b.head).has_value());
}

TEST_CASE("F-03, F-02: NewTransactionId returns 16 base62 characters, a valid ident, and 1000 calls give 1000 distinct ids") {
  std::set<std::string> ids;
  std::set<char> characters;
  for (int i = 0; i < 1000; ++i) {
    std::string tid = NewTransactionId();
    INFO("tid: ", tid);
    REQUIRE(tid.size() == 16);
    size_t not_base62 = 0;
    for (char c : tid) {
      bool base62 = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      if (!base62) ++not_base62;
      characters.insert(c);
    }
    REQUIRE(not_base62 == 0);
    REQUIRE(IsValidTransactionId(tid));
    ids.insert(tid);
  }
  CHECK(ids.size() == 1000);
  // 16000 draws over 62 symbols: every symbol shows up (a stuck or narrow generator would not).
  CHECK(characters.size() == 62);
}

}  // namespace
}  // namespace msrp
