// Unit tests for common/message_head: CheckHeaderOrder (F-05..F-08, BR-05, BR-13), the ident
// and method token checks (F-02, F-04) and case-insensitive header lookup (F-14).
#include "common/message_head.h"

#include <doctest/doctest.h>

#include <initializer_list>
#include <optional>
#include <string>

namespace msrp {
namespace {

/// A request head with headers named `names` (values "v<i>") and the given body flag.
MessageHead Head(std::initializer_list<const char*> names, bool has_body) {
  MessageHead head;
  head.tid = "abcd";
  head.method = "SEND";
  head.has_body = has_body;
  int i = 0;
  for (const char* name : names) head.headers.push_back(Header{name, "v" + std::to_string(i++)});
  return head;
}

std::string Problem(const MessageHead& head) {
  std::optional<std::string> p = CheckHeaderOrder(head);
  return p ? *p : std::string("ok");
}

TEST_CASE("F-05, F-06: To-Path then From-Path alone is a valid bodiless head (the RFC 4976 AUTH 49fh shape)") {
  CHECK(Problem(Head({"To-Path", "From-Path"}, false)) == "ok");
  MessageHead response = Head({"To-Path", "From-Path"}, false);
  response.is_request = false;
  response.status = 200;
  CHECK(Problem(response) == "ok");
}

TEST_CASE("F-05, F-07: the RFC 4976 §3 SEND order To-Path, From-Path, Success-Report, Byte-Range, Message-ID, Content-Type is valid") {
  CHECK(Problem(Head({"To-Path", "From-Path", "Success-Report", "Byte-Range", "Message-ID", "Content-Type"}, true)) == "ok");
}

TEST_CASE("F-05, BR-05: From-Path before To-Path is rejected") {
  CHECK(Problem(Head({"From-Path", "To-Path"}, false)) == "To-Path must be the first header");
  CHECK(Problem(Head({"From-Path", "To-Path", "Content-Type"}, true)) == "To-Path must be the first header");
}

TEST_CASE("F-05, BR-05: Message-ID before To-Path is rejected") {
  CHECK(Problem(Head({"Message-ID", "To-Path", "From-Path"}, false)) == "To-Path must be the first header");
  CHECK(Problem(Head({"To-Path", "Message-ID", "From-Path"}, false)) == "From-Path must be the second header");
}

TEST_CASE("F-05, BR-05: a missing To-Path or From-Path is rejected") {
  CHECK(Problem(Head({}, false)) == "To-Path must be the first header");
  CHECK(Problem(Head({"From-Path"}, false)) == "To-Path must be the first header");
  CHECK(Problem(Head({"To-Path"}, false)) == "From-Path must be the second header");
  CHECK(Problem(Head({"To-Path", "Message-ID", "Byte-Range"}, false)) == "From-Path must be the second header");
  CHECK(Problem(Head({"To-Path", "Content-Type"}, true)) == "From-Path must be the second header");
}

TEST_CASE("F-05, BR-05: a duplicate To-Path or From-Path is rejected") {
  CHECK(Problem(Head({"To-Path", "To-Path", "From-Path"}, false)) == "From-Path must be the second header");
  CHECK(Problem(Head({"To-Path", "From-Path", "To-Path"}, false)) == "duplicate To-Path");
  CHECK(Problem(Head({"To-Path", "From-Path", "Message-ID", "From-Path"}, false)) == "duplicate From-Path");
  CHECK(Problem(Head({"To-Path", "From-Path", "to-path", "Content-Type"}, true)) == "duplicate to-path");
}

TEST_CASE("F-07: a header after Content-Type is rejected") {
  CHECK(Problem(Head({"To-Path", "From-Path", "Content-Type", "Message-ID"}, true)) == "header after Content-Type");
  CHECK(Problem(Head({"To-Path", "From-Path", "Content-Type", "Content-ID"}, true)) == "header after Content-Type");
}

TEST_CASE("F-07: a body without Content-Type is rejected") {
  CHECK(Problem(Head({"To-Path", "From-Path"}, true)) == "body without Content-Type");
  CHECK(Problem(Head({"To-Path", "From-Path", "Message-ID", "Content-ID"}, true)) == "body without Content-Type");
}

TEST_CASE("F-07: a second Content-Type is rejected") {
  CHECK(Problem(Head({"To-Path", "From-Path", "Content-Type", "Content-Type"}, true)) == "duplicate Content-Type");
  CHECK(Problem(Head({"To-Path", "From-Path", "Content-Type", "Content-Type"}, false)) == "duplicate Content-Type");
}

TEST_CASE("F-08: Content-Type without a body is rejected") {
  CHECK(Problem(Head({"To-Path", "From-Path", "Content-Type"}, false)) == "Content-Type without a body");
  CHECK(Problem(Head({"To-Path", "From-Path", "Message-ID", "Content-Type"}, false)) == "Content-Type without a body");
}

TEST_CASE("F-08: a MIME header (Content-ID, Content-Description, Content-Disposition, Content-*) without a body is rejected") {
  CHECK(Problem(Head({"To-Path", "From-Path", "Content-ID"}, false)) == "MIME header Content-ID without a body");
  CHECK(Problem(Head({"To-Path", "From-Path", "Message-ID", "Content-Description"}, false)) ==
        "MIME header Content-Description without a body");
  CHECK(Problem(Head({"To-Path", "From-Path", "content-disposition"}, false)) ==
        "MIME header content-disposition without a body");
  CHECK(Problem(Head({"To-Path", "From-Path", "Content-Foo"}, false)) == "MIME header Content-Foo without a body");
}

TEST_CASE("F-07: MIME headers before a final Content-Type are valid with a body") {
  CHECK(Problem(Head({"To-Path", "From-Path", "Message-ID", "Content-ID", "Content-Description", "Content-Disposition",
                      "Content-Type"},
                     true)) == "ok");
}

TEST_CASE("BR-13, F-13: an unknown header X-Foo is accepted with and without a body") {
  CHECK(Problem(Head({"To-Path", "From-Path", "X-Foo"}, false)) == "ok");
  CHECK(Problem(Head({"To-Path", "From-Path", "X-Foo", "Message-ID", "x-bar", "Content-Type"}, true)) == "ok");
  CHECK(Problem(Head({"To-Path", "From-Path", "Contentious"}, false)) == "ok");  // not a Content- header
}

TEST_CASE("F-14: header names are compared case-insensitively (to-path, FROM-PATH, content-type)") {
  CHECK(Problem(Head({"to-path", "FROM-PATH", "content-type"}, true)) == "ok");
  CHECK(Problem(Head({"TO-PATH", "from-path"}, false)) == "ok");
  CHECK(Problem(Head({"to-path", "from-path", "CONTENT-TYPE"}, false)) == "Content-Type without a body");
}

TEST_CASE("F-05: a head the framer marked malformed reports that reason first") {
  MessageHead head = Head({"To-Path", "From-Path"}, false);
  head.malformed = "header line without a name";
  CHECK(Problem(head) == "header line without a name");
  head = Head({"From-Path"}, true);
  head.malformed = "invalid header name";
  CHECK(Problem(head) == "invalid header name");
}

TEST_CASE("F-02: IsValidTransactionId accepts ALPHANUM then 3..31 of ALPHANUM . - + % =") {
  for (std::string tid : {std::string("abcd"), std::string("0000"), std::string("Z.-+"), std::string("a%=b"),
                          std::string("6aef"), std::string("a786hjs2"), std::string("dkei38sd"), std::string(32, 'x'),
                          std::string("9") + std::string(31, '='), std::string("q1w2e3r4t5y6u7i8o9p0")}) {
    INFO("tid: ", tid);
    CHECK(IsValidTransactionId(tid));
  }
}

TEST_CASE("F-02: IsValidTransactionId rejects 0-3 or 33+ characters, a non-ALPHANUM first character and other characters") {
  for (std::string tid :
       {std::string(), std::string("a"), std::string("abc"), std::string(33, 'x'), std::string(100, 'x'),
        std::string("-abc"), std::string(".abc"), std::string("+abc"), std::string("%abc"), std::string("=abc"),
        std::string("ab cd"), std::string("ab/c"), std::string("ab_c"), std::string("ab~c"), std::string("ab:c"),
        std::string("ab@c"), std::string("abc$"), std::string("abc#"), std::string("ab\r\n"), std::string("abc\0", 4),
        std::string("ab\xc3\xa9"), std::string("\xff" "abc")}) {
    INFO("tid: ", tid);
    CHECK_FALSE(IsValidTransactionId(tid));
  }
}

TEST_CASE("F-04: IsValidMethod accepts one or more upper-case ASCII letters") {
  for (const char* method : {"SEND", "REPORT", "AUTH", "NICKNAME", "A", "Z", "FOOBARBAZ"}) {
    INFO(method);
    CHECK(IsValidMethod(method));
  }
}

TEST_CASE("F-04: IsValidMethod rejects empty, lower-case, mixed-case, digits, spaces, punctuation and non-ASCII") {
  for (std::string method : {std::string(), std::string("send"), std::string("Send"), std::string("SEND1"),
                             std::string("1SEND"), std::string("SE ND"), std::string("SEND "), std::string("SEND\r"),
                             std::string("SE-ND"), std::string("SEND_X"), std::string("@"), std::string("["),
                             std::string("\xc3\x89"), std::string("SEND\0", 5)}) {
    INFO("method: [", method, "]");
    CHECK_FALSE(IsValidMethod(method));
  }
}

TEST_CASE("F-14: Find, Value and Replace match header names case-insensitively and act on the first match") {
  MessageHead head = Head({"To-Path", "From-Path", "Message-ID", "message-id"}, false);
  REQUIRE(head.Find("MESSAGE-ID") != nullptr);
  CHECK(head.Find("MESSAGE-ID") == &head.headers[2]);
  CHECK(head.Value("message-ID") == std::optional<std::string_view>("v2"));
  CHECK(head.Find("Byte-Range") == nullptr);
  CHECK_FALSE(head.Value("Byte-Range").has_value());
  CHECK(head.Replace("MESSAGE-id", "new"));
  CHECK(head.headers[2].value == "new");
  CHECK(head.headers[3].value == "v3");
  CHECK(head.headers[2].name == "Message-ID");
  CHECK_FALSE(head.Replace("Byte-Range", "1-0/0"));
  CHECK(head.headers.size() == 4);
}

}  // namespace
}  // namespace msrp
