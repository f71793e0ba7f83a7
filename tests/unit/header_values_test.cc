// Unit tests for common/header_values: Byte-Range (F-15, F-16), Failure-Report (F-14),
// Expires (F-18), Status (E-09), reason phrases and case-insensitive tokens.
// Values copied from rfc-examples.txt where the RFC has them.
#include "common/header_values.h"
#include "tests/unit/checked_result.h"

#include <doctest/doctest.h>

#include <string>

namespace msrp {

TEST_CASE("F-15: Byte-Range values of the RFC vectors parse and format back exactly") {
  for (const char* text : {"1-*/*", "1-39/39", "1-25/25", "1-*/8", "5-8/8", "1-16/16", "1-21/21",
                           "1-374/374", "1-137/148", "138-148/148", "1-38/38", "1-106/106"}) {
    INFO("Byte-Range: ", text);
    Result<ByteRange> r = ParseByteRange(text);
    REQUIRE(r.ok());
    CHECK(FormatByteRange(*r) == text);
  }
}

TEST_CASE("F-15: Byte-Range fields: start, '*' end and '*' total") {
  Result<ByteRange> r = ParseByteRange("1-*/8");
  REQUIRE(r.ok());
  CHECK(r->start == 1);
  CHECK_FALSE(r->end.has_value());
  REQUIRE(r->total.has_value());
  CHECK(*r->total == 8);

  Result<ByteRange> chunk2 = ParseByteRange("5-8/8");
  REQUIRE(chunk2.ok());
  CHECK(chunk2->start == 5);
  CHECK(chunk2->end == uint64_t{8});
  CHECK(chunk2->total == uint64_t{8});

  Result<ByteRange> unknown = ParseByteRange("1-*/*");
  REQUIRE(unknown.ok());
  CHECK_FALSE(unknown->end.has_value());
  CHECK_FALSE(unknown->total.has_value());

  CHECK(FormatByteRange(ByteRange{5, std::nullopt, 8}) == "5-*/8");
  CHECK(FormatByteRange(ByteRange{}) == "1-*/*");
}

TEST_CASE("F-15: the empty chunk 1-0/0 is valid (BR-24 bodiless SEND)") {
  Result<ByteRange> r = ParseByteRange("1-0/0");
  REQUIRE(r.ok());
  CHECK(r->start == 1);
  CHECK(r->end == uint64_t{0});
  CHECK(r->total == uint64_t{0});
  CHECK(FormatByteRange(*r) == "1-0/0");
  CHECK(ParseByteRange("5-4/8").ok());  // empty range inside a message: end == start - 1
}

TEST_CASE("F-15: Byte-Range with start 0, end before start-1 or end beyond total is rejected") {
  CHECK_FALSE(ParseByteRange("0-5/5").ok());
  CHECK_FALSE(ParseByteRange("0-*/*").ok());
  CHECK_FALSE(ParseByteRange("5-3/8").ok());
  CHECK_FALSE(ParseByteRange("1-9/8").ok());
  CHECK_FALSE(ParseByteRange("10-*/8").ok());  // start beyond total + 1
  CHECK(ParseByteRange("9-*/8").ok());         // start == total + 1: empty tail
}

TEST_CASE("F-15: Byte-Range syntax errors are rejected") {
  for (const char* text : {"", "1", "1-", "1-5", "1-5/", "-5/5", "1-5/5 ", " 1-5/5", "1 -5/5", "1-5 /5",
                           "a-5/5", "1-b/5", "1-5/c", "1-5/5/5", "+1-5/5", "1--5/5", "1-**/5", "*-5/5",
                           "1-5/*x"}) {
    INFO("Byte-Range: '", text, "'");
    CHECK_FALSE(ParseByteRange(text).ok());
  }
}

TEST_CASE("F-16: huge Byte-Range totals parse without allocating (1-*/99999999999999)") {
  Result<ByteRange> r = ParseByteRange("1-*/99999999999999");
  REQUIRE(r.ok());
  CHECK(r->total == uint64_t{99999999999999ULL});
  CHECK(FormatByteRange(*r) == "1-*/99999999999999");

  Result<ByteRange> max = ParseByteRange("1-*/9223372036854775807");  // 2^63-1
  REQUIRE(max.ok());
  CHECK(*max->total == 9223372036854775807ULL);
}

TEST_CASE("F-16: Byte-Range numbers over 2^63-1 or over 19 digits are rejected") {
  CHECK_FALSE(ParseByteRange("1-*/9223372036854775808").ok());   // 2^63
  CHECK_FALSE(ParseByteRange("1-*/9999999999999999999").ok());   // 19 digits, > 2^63-1
  CHECK_FALSE(ParseByteRange("1-*/18446744073709551616").ok());  // 2^64
  CHECK_FALSE(ParseByteRange("1-*/00000000000000000001").ok());  // 20 digits
  CHECK_FALSE(ParseByteRange("99999999999999999999999999999999-*/*").ok());
}

TEST_CASE("F-14: Failure-Report yes / no / partial parse case-insensitively") {
  CHECK(Checked(ParseFailureReport("yes")) == FailureReport::kYes);
  CHECK(Checked(ParseFailureReport("no")) == FailureReport::kNo);
  CHECK(Checked(ParseFailureReport("partial")) == FailureReport::kPartial);
  CHECK(Checked(ParseFailureReport("YES")) == FailureReport::kYes);
  CHECK(Checked(ParseFailureReport("No")) == FailureReport::kNo);
  CHECK(Checked(ParseFailureReport("Partial")) == FailureReport::kPartial);
}

TEST_CASE("F-14: Failure-Report rejects anything but yes / no / partial") {
  for (const char* text : {"", "y", "true", "yes ", " no", "part", "partially", "maybe"}) {
    INFO("Failure-Report: '", text, "'");
    CHECK_FALSE(ParseFailureReport(text).ok());
  }
}

TEST_CASE("F-18: Expires parses 1*DIGIT seconds up to 2^32-1 (vectors 900, 1800)") {
  CHECK(Checked(ParseExpires("900")) == 900u);
  CHECK(Checked(ParseExpires("1800")) == 1800u);
  CHECK(Checked(ParseExpires("0")) == 0u);
  CHECK(Checked(ParseExpires("4294967295")) == 4294967295u);
  CHECK(Checked(ParseExpires("0000000000000000000000900")) == 900u);
}

TEST_CASE("F-18: Expires rejects empty, signs, spaces, non-digits and values over 2^32-1") {
  for (const char* text : {"", "-1", "+5", " 900", "900 ", "9 00", "0x10", "1e3", "abc", "4294967296",
                           "99999999999999999999999"}) {
    INFO("Expires: '", text, "'");
    CHECK_FALSE(ParseExpires(text).ok());
  }
}

TEST_CASE("E-09: Status \"000 200 OK\" from the REPORT vectors parses into its parts") {
  Result<StatusValue> r = ParseStatus("000 200 OK");
  REQUIRE(r.ok());
  CHECK(r->ns == 0);
  CHECK(r->code == 200);
  CHECK(r->comment == "OK");
}

TEST_CASE("E-09: Status without comment, with multi-word comment, other namespace") {
  Result<StatusValue> bare = ParseStatus("000 408");
  REQUIRE(bare.ok());
  CHECK(bare->code == 408);
  CHECK(bare->comment.empty());

  Result<StatusValue> words = ParseStatus("000 415 Unsupported Media Type");
  REQUIRE(words.ok());
  CHECK(words->code == 415);
  CHECK(words->comment == "Unsupported Media Type");

  Result<StatusValue> ns = ParseStatus("123 481 gone");
  REQUIRE(ns.ok());
  CHECK(ns->ns == 123);
  CHECK(ns->code == 481);
}

TEST_CASE("E-09: Status syntax errors are rejected") {
  for (const char* text : {"", "000", "000 20", "00 200", "000  200", "0000 200", "000 2000", "000-200",
                           "abc 200", "000 2x0", " 000 200", "000 200\tOK", "000 200 O\rK"}) {
    INFO("Status: '", text, "'");
    CHECK_FALSE(ParseStatus(text).ok());
  }
}

TEST_CASE("E-09: ReasonPhrase gives the exact phrases the relay writes, Unknown otherwise") {
  CHECK(ReasonPhrase(200) == "OK");
  CHECK(ReasonPhrase(400) == "Bad Request");
  CHECK(ReasonPhrase(401) == "Unauthorized");
  CHECK(ReasonPhrase(403) == "Forbidden");
  CHECK(ReasonPhrase(408) == "Request Timeout");
  CHECK(ReasonPhrase(413) == "Stop Sending Message");
  CHECK(ReasonPhrase(415) == "Unsupported Media Type");
  CHECK(ReasonPhrase(423) == "Interval Out-of-Bounds");
  CHECK(ReasonPhrase(481) == "Session Does Not Exist");
  CHECK(ReasonPhrase(501) == "Not Implemented");
  CHECK(ReasonPhrase(506) == "Session Already Bound");
  CHECK(ReasonPhrase(0) == "Unknown");
  CHECK(ReasonPhrase(404) == "Unknown");
  CHECK(ReasonPhrase(-1) == "Unknown");
  CHECK(ReasonPhrase(999) == "Unknown");
}

TEST_CASE("F-14: EqualsIgnoreCase is ASCII case-insensitive and length-exact") {
  CHECK(EqualsIgnoreCase("To-Path", "to-path"));
  CHECK(EqualsIgnoreCase("DIGEST", "Digest"));
  CHECK(EqualsIgnoreCase("", ""));
  CHECK_FALSE(EqualsIgnoreCase("yes", "yes "));
  CHECK_FALSE(EqualsIgnoreCase("yes", "ye"));
  CHECK_FALSE(EqualsIgnoreCase("[", "{"));  // only letters fold: '[' + 0x20 == '{'
  CHECK_FALSE(EqualsIgnoreCase("\xc3\xa9", "\xc3\x89"));
}

}  // namespace msrp
