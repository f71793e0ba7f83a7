// End-to-end tests of failing next hops in relay chains (RFC 4976 §6.4.1, §9.2; RFC 4975 §5.3):
// a next hop whose certificate does not name the dialled host, a refused port, a DNS failure, a
// TCP peer that never answers the TLS handshake and a relay that went away. A SEND gets its
// hop-by-hop 200 and then a REPORT (C-03, C-09, R-06, R-09, R-10, S-08, BR-04, BR-08); a
// NICKNAME gets an error response (C-09, R-12).
#include <doctest/doctest.h>

#include <chrono>

#include "tests/support/crypto_util.h"
#include "tests/support/expect.h"
#include "tests/support/msrp_client.h"
#include "tests/support/relay_pair.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"
#include "tests/support/tcp_listener.h"

namespace msrp::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kConnectTimeoutS = 2;  // peers.connect_timeout in these tests
constexpr Millis kReportTimeout{10000};   // generous bound for the failure REPORT to arrive

// relay1.test alone, A (alice) authenticated on it, and next hops that fail in every way:
// refused.test -> a port that refuses, silent.test -> a listener that never answers TLS.
struct FailingHops {
  RefusingPort refused;
  TcpListener silent;
  std::unique_ptr<RelayProcess> relay1;
  Peer a;

  FailingHops() {
    RelayOptions o = ChainRelayOptions(kRelay1Host);
    o.peers->connect_timeout = kConnectTimeoutS;
    AddPeerHost(o, "refused.test", {"127.0.0.1"});
    AddPeerHost(o, "silent.test", {"127.0.0.1"});
    relay1 = std::make_unique<RelayProcess>(std::move(o));
    a = AuthenticatedPeer(*relay1, "alice", "alice", "alicepw");
  }
  std::string RefusedUri() const { return "msrps://refused.test:" + std::to_string(refused.port()) + "/r1;tcp"; }
  std::string SilentUri() const { return "msrps://silent.test:" + std::to_string(silent.port()) + "/s1;tcp"; }
  static std::string DnsFailureUri() { return "msrps://no-such-relay.invalid:2855/d1;tcp"; }
};

// A SEND from `a` through its relay URI to `next_hop`, then on to a remote endpoint.
SendSpec SendVia(const Peer& a, const std::string& next_hop, const std::string& body) {
  SendSpec s;
  s.tid = NewTid();
  s.to_path = {a.use_path, next_hop, "msrps://bob.example.com:9892/b0b;tcp"};
  s.from_path = {a.uri()};
  s.message_id = RandomAlnum(10);
  s.byte_range = "1-" + std::to_string(body.size()) + "/" + std::to_string(body.size());
  s.body = body;
  return s;
}

ExpectedReport ReportAbout(const SendSpec& s, const Peer& a, const std::string& status) {
  ExpectedReport want;
  want.to_path = a.uri();
  want.from_path = a.use_path;
  want.message_id = s.message_id;
  want.total = static_cast<int64_t>(s.body ? s.body->size() : 0);
  want.status_prefix = status;
  want.sent_tid = s.tid;
  return want;
}

// Writes `s` at `a`, checks the hop-by-hop 200, then the failure REPORT with `status`.
void RequireFailureReport(const Peer& a, const SendSpec& s, const std::string& status,
                          const std::string& what) {
  auto start = Clock::now();
  a->Write(BuildSend(s));
  std::string problems = CheckRelay200(a->ReadFrame(kFrameTimeout, "relay1's hop-by-hop 200"), s.tid, a);
  CHECK_MESSAGE(problems.empty(), problems);
  Frame r = a->ReadFrame(kReportTimeout, "a REPORT " + status + " (" + what + ")");
  auto ms = std::chrono::duration_cast<Millis>(Clock::now() - start).count();
  MESSAGE(what << ": REPORT " << r.Header("Status").value_or("?") << " after " << ms << " ms");
  problems = ReportProblems(r, ReportAbout(s, a, status));
  CHECK_MESSAGE(problems.empty(), what << ":\n" << problems);
  CHECK_SILENT(*a.client, 1000);  // exactly one REPORT
}

}  // namespace

TEST_CASE("C-03, C-09, S-08: relay2's certificate does not name relay2.test: nothing reaches B, "
          "A gets its 200 and then REPORT 000 403") {
  RelayPairOptions o;
  o.relay2.cert_dns_names = {"other.test"};  // relay2 still calls itself relay2.test
  RelayPair relays(std::move(o));
  Peer a = relays.Authenticated(relays.relay1(), "alice", "alice", "alicepw");
  Peer b = relays.Authenticated(relays.relay2(), "bob", "bob", "bobpw");  // verifies other.test
  SendSpec s = SendBetween(a, b, "must not arrive: wrong certificate");
  SUBCASE("Failure-Report absent") {
    RequireFailureReport(a, s, "000 403", "next hop certificate for other.test only");
  }
  SUBCASE("Failure-Report: yes") {
    s.failure_report = "yes";
    RequireFailureReport(a, s, "000 403", "next hop certificate for other.test only");
  }
  SUBCASE("Failure-Report: no: nothing at all") {
    s.failure_report = "no";
    a->Write(BuildSend(s));
    CHECK_SILENT(*a.client, 2000 + 1000 * kConnectTimeoutS);
  }
  CHECK_SILENT(*b.client, 500);
  RequireRelayStillWorks(relays.relay1());
}

TEST_CASE("C-09, BR-04, BR-08: a refused next hop or a DNS failure gets the sender REPORT 000 408") {
  FailingHops f;
  std::string hop, what;
  SUBCASE("connection refused (peers.hosts -> a port nobody listens on)") {
    hop = f.RefusedUri();
    what = "refused";
  }
  SUBCASE("DNS failure (no-such-relay.invalid)") {
    hop = FailingHops::DnsFailureUri();
    what = "DNS failure";
  }
  for (const char* fr : {"", "yes"}) {
    SendSpec s = SendVia(f.a, hop, PseudoRandomBytes(3000, 51));
    if (*fr != '\0') s.failure_report = fr;
    RequireFailureReport(f.a, s, "000 408", what + (*fr ? ", Failure-Report: yes" : ", Failure-Report absent"));
  }
  RequireRelayStillWorks(*f.relay1);
}

TEST_CASE("C-09: a next hop that accepts TCP but never answers the TLS handshake gets REPORT "
          "000 408 after peers.connect_timeout") {
  FailingHops f;
  SendSpec s = SendVia(f.a, f.SilentUri(), "into the void");
  s.failure_report = "yes";
  RequireFailureReport(f.a, s, "000 408", "silent TLS peer, connect_timeout 2 s");
  RequireRelayStillWorks(*f.relay1);
}

TEST_CASE("R-06, C-09: Failure-Report no toward a failing next hop gets no 200 and no REPORT") {
  FailingHops f;
  std::string hop;
  SUBCASE("refused") { hop = f.RefusedUri(); }
  SUBCASE("silent TLS peer") { hop = f.SilentUri(); }
  SUBCASE("DNS failure") { hop = FailingHops::DnsFailureUri(); }
  SendSpec s = SendVia(f.a, hop, "nobody hears this");
  s.failure_report = "no";
  f.a->Write(BuildSend(s));
  CHECK_SILENT(*f.a.client, 3000 + 1000 * kConnectTimeoutS);
  RequireRelayStillWorks(*f.relay1);
}

TEST_CASE("R-06, R-09, C-09: Failure-Report partial toward a refused next hop gets no 200, only "
          "REPORT 000 408") {
  FailingHops f;
  SendSpec s = SendVia(f.a, f.RefusedUri(), "partial reporting");
  s.failure_report = "partial";
  f.a->Write(BuildSend(s));
  Frame r = f.a->ReadFrame(kReportTimeout, "the REPORT 000 408 (and no 200 before it)");
  std::string problems = ReportProblems(r, ReportAbout(s, f.a, "000 408"));
  CHECK_MESSAGE(problems.empty(), problems);
  CHECK_SILENT(*f.a.client, 1000);
}

TEST_CASE("C-09, R-12, E-07: a NICKNAME toward a failing next hop gets a 481 response with A's tid, "
          "never 408") {
  FailingHops f;
  std::string hop;
  SUBCASE("refused") { hop = f.RefusedUri(); }
  SUBCASE("silent TLS peer") { hop = f.SilentUri(); }
  std::string tid = NewTid();
  f.a->Write(EncodeFrame(tid, "NICKNAME",
                         {{"To-Path", JoinPath({f.a.use_path, hop, "msrps://focus.example.com:9892/chat;tcp"})},
                          {"From-Path", f.a.uri()},
                          {"Use-Nickname", "\"Alice\""}},
                         std::nullopt));
  Frame r = f.a->ReadFrame(kReportTimeout, "a 481 response to the NICKNAME");
  INFO("response:\n" << r.Describe());
  CHECK_MESSAGE(!r.is_request, "want a response, got a request");
  CHECK(r.tid == tid);
  CHECK(r.status == 481);  // E-07: 408 appears only in REPORTs
  REQUIRE(r.headers.size() >= 2);
  CHECK(r.headers[0] == std::make_pair(std::string("To-Path"), f.a.uri()));
  CHECK(r.headers[1].first == "From-Path");
  CHECK_SILENT(*f.a.client, 1000);
  RequireRelayStillWorks(*f.relay1);
}

TEST_CASE("C-09, C-10, BR-04: relay2 goes away: the next SEND from A gets REPORT 000 408 and "
          "relay1 keeps serving") {
  RelayPair relays;
  Peer a = relays.Authenticated(relays.relay1(), "alice", "alice", "alicepw");
  Peer b = relays.Authenticated(relays.relay2(), "bob", "bob", "bobpw");
  SUBCASE("after a delivered message (relay1 had a connection to relay2)") {
    SendSpec first = SendBetween(a, b, "delivered before relay2 stops");
    std::string sent = BuildSend(first);
    a->Write(sent);
    std::string problems = CheckRelay200(a->ReadFrame(Millis(10000), "relay1's 200"), first.tid, a);
    CHECK_MESSAGE(problems.empty(), problems);
    Frame got = b->ReadFrame(Millis(10000), "the first SEND through both relays");
    CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, a, b));
    b->Write(BuildResponse(got.tid, 200, "OK", {b.use_path}, {b.uri()}));
    CHECK_SILENT(*a.client, 500);
  }
  SUBCASE("before any traffic") {}
  relays.relay2().Stop();
  SendSpec s = SendBetween(a, b, "relay2 is gone");
  s.failure_report = "yes";
  RequireFailureReport(a, s, "000 408", "relay2 stopped");
  RequireRelayStillWorks(relays.relay1());
}

}  // namespace msrp::test
