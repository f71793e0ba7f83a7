// End-to-end tests of Failure-Report handling and relay-generated REPORTs (RFC 4975 §7.1.2,
// §7.1.4; RFC 4976 §6.4.1, §6.4.3), E-07, E-09, BR-08, BR-26.
#include <doctest/doctest.h>

#include <chrono>

#include "tests/support/crypto_util.h"
#include "tests/support/expect.h"
#include "tests/support/msrp_client.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"

namespace msrp::test {
namespace {

using Clock = std::chrono::steady_clock;

// Checks a relay-generated REPORT to `to` about SEND `s`: To-Path = sender URI, From-Path =
// sender's Use-Path, Message-ID, Byte-Range, Status, bodiless, no *-Report headers.
void CheckRelayReport(const Frame& r, const SendSpec& s, const Peer& to,
                      const std::string& byte_range, const std::string& status_prefix,
                      bool exact_status) {
  INFO("REPORT:\n" << r.Describe());
  CHECK(r.is_request);
  CHECK(r.method == "REPORT");
  CHECK(IsFreshRelayTid(r.tid, s.tid));
  REQUIRE(r.headers.size() >= 2);
  CHECK(r.headers[0] == std::make_pair(std::string("To-Path"), to.uri()));
  CHECK(r.headers[1] == std::make_pair(std::string("From-Path"), to.use_path));
  CHECK(r.Header("Message-ID") == std::optional<std::string>(s.message_id));
  CHECK(r.Header("Byte-Range") == std::optional<std::string>(byte_range));
  auto status = r.Header("Status");
  REQUIRE(status.has_value());
  if (exact_status) {
    CHECK(*status == status_prefix);
  } else {
    CHECK(status->rfind(status_prefix, 0) == 0);
  }
  CHECK(r.CountHeader("Success-Report") == 0);
  CHECK(r.CountHeader("Failure-Report") == 0);
  CHECK(r.CountHeader("Content-Type") == 0);
  CHECK_FALSE(r.has_body);
  CHECK(r.flag == '$');
}

}  // namespace

TEST_CASE("R-06: Failure-Report no gets no 200 and no REPORT, whether or not B answers") {
  RelayProcess relay;  // transaction_timeout: 2 s
  PeerPair p = AuthenticatedPair(relay);
  SendSpec s = SendBetween(p.a, p.b, "fire and forget");
  s.failure_report = "no";
  std::string sent = BuildSend(s);
  p.a->Write(sent);
  Frame got = p.b->ReadFrame(kFrameTimeout, "the forwarded SEND");
  CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, p.a, p.b));
  SUBCASE("B answers 200") {
    p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
    CHECK_SILENT(*p.a.client, 1500);
  }
  SUBCASE("B never answers (no 408 either)") { CHECK_SILENT(*p.a.client, 4000); }
  SUBCASE("B answers 415 (no REPORT)") {
    p.b->Write(BuildResponse(got.tid, 415, "Unsupported Media Type", {p.b.use_path}, {p.b.uri()}));
    CHECK_SILENT(*p.a.client, 1500);
  }
}

TEST_CASE("R-06, R-08: Failure-Report partial never gets a 200 and starts no 408 timer") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  SendSpec s = SendBetween(p.a, p.b, "partial reporting");
  s.failure_report = "partial";
  std::string sent = BuildSend(s);
  p.a->Write(sent);
  Frame got = p.b->ReadFrame(kFrameTimeout, "the forwarded SEND");
  CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, p.a, p.b));
  SUBCASE("B answers 200") {
    p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
    CHECK_SILENT(*p.a.client, 1500);
  }
  SUBCASE("B never answers") { CHECK_SILENT(*p.a.client, 4000); }
}

TEST_CASE("R-08, R-10, E-07, BR-08: no answer from B within transaction_timeout gets the sender "
          "a REPORT 000 408") {
  RelayProcess relay;  // transaction_timeout: 2 s
  PeerPair p = AuthenticatedPair(relay);
  SendSpec s = SendBetween(p.a, p.b, PseudoRandomBytes(5000, 11));
  SUBCASE("Failure-Report absent") {}
  SUBCASE("Failure-Report: yes") { s.failure_report = "yes"; }
  s.success_report = "yes";
  auto start = Clock::now();
  p.a->Write(BuildSend(s));
  std::string problems = CheckRelay200(p.a->ReadFrame(), s.tid, p.a);
  CHECK_MESSAGE(problems.empty(), problems);
  Frame got = p.b->ReadFrame(kFrameTimeout, "the forwarded SEND");  // and never answered
  Frame r = p.a->ReadFrame(Millis(8000), "the 408 REPORT");
  auto elapsed = std::chrono::duration_cast<Millis>(Clock::now() - start).count();
  CHECK_MESSAGE(elapsed >= 1500, "REPORT after " << elapsed << " ms, transaction_timeout is 2 s");
  CheckRelayReport(r, s, p.a, "1-5000/5000", "000 408 Request Timeout", true);
  CHECK(r.tid != got.tid);
  // Exactly one REPORT; a late 200 from B changes nothing.
  p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
  CHECK_SILENT(*p.a.client, 1000);
  RequireRelayStillWorks(relay);
}

TEST_CASE("R-10, R-17: the 408 REPORT for an interrupted chunk covers only the octets forwarded") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  SendSpec s = SendBetween(p.a, p.b, std::string(1200, 'x'));
  s.byte_range = "1-*/3000";  // 1200 of 3000 octets, then interrupted
  s.flag = '+';
  std::string sent = BuildSend(s);
  p.a->Write(sent);
  std::string problems = CheckRelay200(p.a->ReadFrame(), s.tid, p.a);
  CHECK_MESSAGE(problems.empty(), problems);
  Frame got = p.b->ReadFrame(kFrameTimeout, "the forwarded chunk");
  CHECK(got.flag == '+');
  CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, p.a, p.b));
  Frame r = p.a->ReadFrame(Millis(8000), "the 408 REPORT");
  CheckRelayReport(r, s, p.a, "1-1200/3000", "000 408", false);
}

TEST_CASE("R-09, E-09, BR-08: a non-200 from B becomes a REPORT to the sender with that code") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  SendSpec s = SendBetween(p.a, p.b, "<b>html</b>");
  s.content_type = "text/html";
  bool expect_200 = true;
  SUBCASE("Failure-Report: yes -> 200, then REPORT 000 415") { s.failure_report = "yes"; }
  SUBCASE("Failure-Report absent -> 200, then REPORT 000 415") {}
  SUBCASE("Failure-Report: partial -> REPORT 000 415 only") {
    s.failure_report = "partial";
    expect_200 = false;
  }
  std::string sent = BuildSend(s);
  p.a->Write(sent);
  if (expect_200) {
    std::string problems = CheckRelay200(p.a->ReadFrame(), s.tid, p.a);
    CHECK_MESSAGE(problems.empty(), problems);
  }
  Frame got = p.b->ReadFrame(kFrameTimeout, "the forwarded SEND");
  CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, p.a, p.b));
  p.b->Write(BuildResponse(got.tid, 415, "Unsupported Media Type", {p.b.use_path}, {p.b.uri()}));
  Frame r = p.a->ReadFrame(kFrameTimeout, "the REPORT carrying 415");
  std::string br = "1-" + std::to_string(s.body->size()) + "/" + std::to_string(s.body->size());
  CheckRelayReport(r, s, p.a, br, "000 415", false);
  // No 408 later: the transaction completed with B's answer.
  CHECK_SILENT(*p.a.client, 3000);
}

TEST_CASE("R-12, R-13, BR-26: a REPORT is forwarded end to end and never answered by the relay") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  std::string tid = NewTid();
  std::string mid = RandomAlnum(10);
  SUBCASE("A -> B") {
    std::string sent = BuildReport(tid, {p.a.use_path, p.b.use_path, p.b.uri()}, {p.a.uri()}, mid,
                                   "1-39/39", "000 200 OK");
    p.a->Write(sent);
    Frame got = p.b->ReadFrame(kFrameTimeout, "the forwarded REPORT");
    CHECK(IsFreshRelayTid(got.tid, tid));
    CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, p.a, p.b));
    // No response to a REPORT and no REPORT about a REPORT, even after transaction_timeout.
    CHECK_SILENT(*p.a.client, 3500);
  }
  SUBCASE("B -> A (success report back along the reverse path)") {
    std::string sent = BuildReport(tid, {p.b.use_path, p.a.use_path, p.a.uri()}, {p.b.uri()}, mid,
                                   "1-39/39", "000 200 OK");
    p.b->Write(sent);
    Frame got = p.a->ReadFrame(kFrameTimeout, "the forwarded REPORT");
    CHECK(IsFreshRelayTid(got.tid, tid));
    CHECK_BYTES(got.raw, ExpectedForward(sent, got.tid, {p.a.uri()},
                                         {p.a.use_path, p.b.use_path, p.b.uri()}, false));
    CHECK_SILENT(*p.b.client, 3500);
  }
}

TEST_CASE("R-13: a REPORT to an unknown session gets no response and no REPORT") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  p.a->Write(BuildReport(NewTid(), {relay.SessionUri("doesnotexist"), p.b.uri()}, {p.a.uri()},
                         "m1234", "1-3/3", "000 200 OK"));
  CHECK_SILENT(*p.a.client, 1500);
  RequireRelayStillWorks(relay);
}

}  // namespace msrp::test
