// End-to-end tests of relay chains (RFC 4976 §3, §5.1, §6.3, §6.4, §9.2): two real relays,
// relay1.test and relay2.test, connected to each other over mutually authenticated TLS.
// A (alice) authenticates at relay1 (Use-Path R1a), B (bob) at relay2 (Use-Path R2b); A sends
// `To-Path: R1a R2b B`, B receives `To-Path: B`, `From-Path: R2b R1a A` (R-03, R-04, R-05,
// R-12, R-20, R-21, A-13, A-17, S-04, C-03, C-06, BR-14, BR-30).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/crypto_util.h"
#include "tests/support/expect.h"
#include "tests/support/http_get.h"
#include "tests/support/msrp_client.h"
#include "tests/support/proc_stats.h"
#include "tests/support/relay_pair.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"
#include "tests/support/test_pki.h"

namespace msrp::test {
namespace {

// Frames crossing two relays include, for the first one, DNS + TCP + TLS between the relays.
constexpr Millis kChainTimeout{10000};

// A (alice) on relay1 and B (bob) on relay2.
struct Chain {
  RelayPair relays;
  Peer a;
  Peer b;
  explicit Chain(RelayPairOptions options = {}) : relays(std::move(options)) {
    a = relays.Authenticated(relays.relay1(), "alice", "alice", "alicepw");
    b = relays.Authenticated(relays.relay2(), "bob", "bob", "bobpw");
  }
};

// Sends `s` (To-Path from.use_path to.use_path to.uri) from `from` and checks every hop: the
// 200 from from's relay (unless Failure-Report no), the SEND at `to` byte-exact with To-Path
// to.uri, From-Path `to.use_path from.use_path from.uri` and a fresh tid; `to` answers 200
// (unless Failure-Report no). Returns the frame `to` received.
Frame RequireChainSend(const Peer& from, const Peer& to, const SendSpec& s) {
  std::string sent = BuildSend(s);
  from->Write(sent);
  const bool quiet = s.failure_report == std::optional<std::string>("no");
  if (!quiet) {
    std::string problems = CheckRelay200(from->ReadFrame(kChainTimeout, "the first relay's 200"),
                                         s.tid, from);
    CHECK_MESSAGE(problems.empty(), "hop-by-hop 200 from " << from.use_path << ":\n" << problems);
  }
  Frame got = to->ReadFrame(kChainTimeout, "the SEND relayed through both relays");
  CHECK_MESSAGE(IsFreshRelayTid(got.tid, s.tid),
                "want a fresh relay tid (>= 16 chars, not " << s.tid << "), got " << got.tid);
  CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, from, to));
  if (!quiet) to->Write(BuildResponse(got.tid, 200, "OK", {to.use_path}, {to.uri()}));
  return got;
}

std::vector<std::string> SplitPath(const std::string& value) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t sp = value.find(' ', pos);
    if (sp == std::string::npos) sp = value.size();
    out.push_back(value.substr(pos, sp - pos));
    pos = sp + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("harness: relay1.test and relay2.test start with their own host names, certificates "
          "and tls.ca_file, and clients verify those names") {
  // No peers section: this only needs what the relay already supports.
  RelayPairOptions o;
  o.relay1.peers.reset();
  o.relay2.peers.reset();
  RelayPair relays(std::move(o));
  RelayProcess& r1 = relays.relay1();
  RelayProcess& r2 = relays.relay2();
  CHECK(r1.RelayUri() == "msrps://relay1.test:" + std::to_string(r1.port()) + ";tcp");
  CHECK(r2.SessionUri("x") == "msrps://relay2.test:" + std::to_string(r2.port()) + "/x;tcp");
  for (RelayProcess* r : {&r1, &r2}) {
    std::string yaml = r->dir() + "/relay.yaml";
    std::ifstream in(yaml);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK_MESSAGE(text.find("  ca_file: ca.crt\n") != std::string::npos, yaml << ":\n" << text);
    CHECK_MESSAGE(text.find("  hostname: " + r->hostname() + "\n") != std::string::npos, text);
    CHECK(std::filesystem::exists(r->dir() + "/ca.crt"));
  }

  Peer a = relays.Authenticated(r1, "alice", "alice", "alicepw");
  Peer b = relays.Authenticated(r2, "bob", "bob", "bobpw");
  CHECK(a->PeerCertificateSubject() == "CN=relay1.test,O=msrp-relay e2e tests");
  CHECK(b->PeerCertificateSubject() == "CN=relay2.test,O=msrp-relay e2e tests");
  CHECK_MESSAGE(std::regex_match(a.use_path, std::regex("msrps://relay1\\.test:" + std::to_string(r1.port()) +
                                                        "/[^/;]+;tcp")),
                "Use-Path at relay1: " << a.use_path);
  CHECK_MESSAGE(std::regex_match(b.use_path, std::regex("msrps://relay2\\.test:" + std::to_string(r2.port()) +
                                                        "/[^/;]+;tcp")),
                "Use-Path at relay2: " << b.use_path);

  // relay1's certificate does not name relay2.test: a client verifying relay2.test refuses it
  // (so a relay checking SANs can tell the two apart).
  ClientOptions wrong = r1.ClientOptionsFor("mallory");
  wrong.server_name = kRelay2Host;
  auto connect_wrong = [&] { MsrpClient c(r1.port(), wrong); };
  CHECK_THROWS_WITH_AS(connect_wrong(), doctest::Contains("TLS handshake failed"), std::runtime_error);

  // The connection counter sees exactly the relay's accepted socket of client A, and nothing
  // between the relays (they have not talked).
  CHECK(r1.EstablishedConnectionsToPort(LocalPort(a->fd())) == 1);
  CHECK(r2.EstablishedConnectionsToPort(LocalPort(a->fd())) == 0);
  CHECK_MESSAGE(relays.ConnectionsBetween() == 0, relays.DescribeConnections());

  RequireRelayStillWorks(r1);
  RequireRelayStillWorks(r2);
}

TEST_CASE("R-03, R-04, R-05, R-15, R-21, C-03, F-13: a SEND from A on relay1 reaches B on "
          "relay2 with From-Path `R2b R1a A`, and B's 200 stays hop-by-hop") {
  Chain c;
  SendSpec s = SendBetween(c.a, c.b, PseudoRandomBytes(3000, 41));  // > 2048: range end * (R-15)
  s.success_report = "yes";
  s.extra = {{"X-Chain", "kept as is"}, {"Content-Disposition", "inline"}};
  SUBCASE("Failure-Report absent") {}
  SUBCASE("Failure-Report: yes") { s.failure_report = "yes"; }
  SUBCASE("Failure-Report: no (no 200 to A)") { s.failure_report = "no"; }
  RequireChainSend(c.a, c.b, s);
  // B's 200 is consumed by relay2 (R-21): nothing more reaches A, and no REPORT either
  // (transaction_timeout is 2 s on both relays).
  CHECK_SILENT(*c.a.client, 3000);
  CHECK_SILENT(*c.b.client, 100);
}

TEST_CASE("R-03, R-04, C-06: B on relay2 answers A on relay1 over the connection relay1 opened "
          "(reverse direction, one connection); metrics count it as outbound on relay1 and as "
          "an identified relay on relay2") {
  RelayPairOptions options;
  options.relay1.extra_yaml += "metrics: { address: 127.0.0.1, port: 0 }\n";
  options.relay2.extra_yaml += "metrics: { address: 127.0.0.1, port: 0 }\n";
  Chain c(std::move(options));
  RequireChainSend(c.a, c.b, SendBetween(c.a, c.b, "Hi Bob, via two relays"));
  RequireChainSend(c.b, c.a, SendBetween(c.b, c.a, "Hi Alice, right back"));
  RequireChainSend(c.a, c.b, SendBetween(c.a, c.b, "and once more"));
  CHECK_SILENT(*c.a.client, 500);
  CHECK_SILENT(*c.b.client, 100);
  int n = c.relays.ConnectionsBetween();
  CHECK_MESSAGE(n == 1, "want exactly 1 TCP connection between relay1 and relay2 after traffic "
                        "both ways, got " << n << "\n" << c.relays.DescribeConnections());

  // relay1: A and its connection to relay2; relay2: B and relay1's connection (A-17).
  const std::vector<std::string> want1 = {R"(msrp_connections{transport="tls",role="client"} 1)",
                                          R"(msrp_connections{transport="tls",role="relay"} 0)",
                                          R"(msrp_connections{transport="tls",role="outbound"} 1)"};
  const std::vector<std::string> want2 = {R"(msrp_connections{transport="tls",role="client"} 1)",
                                          R"(msrp_connections{transport="tls",role="relay"} 1)",
                                          R"(msrp_connections{transport="tls",role="outbound"} 0)"};
  for (const auto& [relay, want] : {std::pair{&c.relays.relay1(), &want1}, std::pair{&c.relays.relay2(), &want2}}) {
    const std::string body = PollMetrics(relay->MetricsPort(), *want);
    for (const auto& line : *want) CHECK_MESSAGE(HasLine(body, line), "missing \"" << line << "\" in\n" << body);
  }
}

TEST_CASE("R-12, R-20, BR-30: a NICKNAME crosses both relays and B's response reaches A with "
          "A's tid and To-Path A") {
  Chain c;
  std::string tid_a = NewTid();
  std::string sent = EncodeFrame(tid_a, "NICKNAME",
                                 {{"To-Path", JoinPath({c.a.use_path, c.b.use_path, c.b.uri()})},
                                  {"From-Path", c.a.uri()},
                                  {"Use-Nickname", "\"Alice\""}},
                                 std::nullopt);
  c.a->Write(sent);
  Frame got = c.b->ReadFrame(kChainTimeout, "the NICKNAME relayed through both relays");
  CHECK_MESSAGE(IsFreshRelayTid(got.tid, tid_a), "relay tid " << got.tid);
  CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, c.a, c.b));
  CHECK_SILENT(*c.a.client, 300);  // no relay-generated response to a non-SEND request

  c.b->Write(BuildResponse(got.tid, 200, "OK", {c.b.use_path, c.a.use_path, c.a.uri()}, {c.b.uri()}));
  Frame back = c.a->ReadFrame(kChainTimeout, "B's 200 to the NICKNAME, mapped back by both relays");
  CHECK_BYTES(back.raw, BuildResponse(tid_a, 200, "OK", {c.a.uri()},
                                      {c.a.use_path, c.b.use_path, c.b.uri()}));
  CHECK_SILENT(*c.a.client, 300);
  CHECK_SILENT(*c.b.client, 100);
}

TEST_CASE("R-12, R-13, BR-26: a REPORT from B crosses both relays to A and nobody answers it") {
  Chain c;
  std::string tid = NewTid();
  std::string sent = BuildReport(tid, {c.b.use_path, c.a.use_path, c.a.uri()}, {c.b.uri()},
                                 "msg-" + RandomAlnum(6), "1-11/11", "000 200 OK");
  c.b->Write(sent);
  Frame got = c.a->ReadFrame(kChainTimeout, "B's REPORT relayed through both relays");
  CHECK_MESSAGE(IsFreshRelayTid(got.tid, tid), "relay tid " << got.tid);
  CHECK_BYTES(got.raw, ExpectedForward(sent, got.tid, {c.a.uri()}, {c.a.use_path, c.b.use_path, c.b.uri()},
                                       false));
  CHECK_SILENT(*c.b.client, 1000);  // R-13: no response to a REPORT
  CHECK_SILENT(*c.a.client, 100);
}

TEST_CASE("R-08, R-09, R-10, R-12: relay2's failure REPORT about B's SEND travels back to A "
          "through relay1") {
  Chain c;  // transaction_timeout: 2 s on both relays
  SendSpec s = SendBetween(c.a, c.b, PseudoRandomBytes(5000, 43));
  s.failure_report = "yes";
  std::string sent = BuildSend(s);
  c.a->Write(sent);
  std::string problems = CheckRelay200(c.a->ReadFrame(kChainTimeout, "relay1's 200"), s.tid, c.a);
  CHECK_MESSAGE(problems.empty(), problems);
  Frame got = c.b->ReadFrame(kChainTimeout, "the SEND relayed through both relays");
  CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, c.a, c.b));
  ExpectedReport want;
  want.to_path = c.a.uri();
  want.from_path = JoinPath({c.a.use_path, c.b.use_path});  // relay2's URI R2b, then relay1's
  want.message_id = s.message_id;
  want.total = 5000;
  want.sent_tid = s.tid;
  SUBCASE("B never answers: relay2 reports 408") { want.status_prefix = "000 408"; }
  SUBCASE("B answers 415: relay2 reports 415") {
    c.b->Write(BuildResponse(got.tid, 415, "Unsupported Media Type", {c.b.use_path}, {c.b.uri()}));
    want.status_prefix = "000 415";
  }
  Frame r = c.a->ReadFrame(Millis(15000), "relay2's REPORT " + want.status_prefix + " via relay1");
  problems = ReportProblems(r, want);
  CHECK_MESSAGE(problems.empty(), problems);
  // Exactly one REPORT: relay1's own hop got relay2's 200, so relay1 reports nothing itself.
  CHECK_SILENT(*c.a.client, 3000);
}

TEST_CASE("A-03, A-13, A-17, R-12, R-20, S-04: AUTH through relay1 is challenged by relay2 and "
          "the 401 and 200 come back with A's tids (RFC 4976 §5.1, m3nbvx/m4nbvx)") {
  Chain c;
  RelayProcess& r2 = c.relays.relay2();
  const std::string r2_uri = r2.RelayUri();  // msrps://relay2.test:P2;tcp
  const std::vector<std::string> to_path = {c.a.use_path, r2_uri};
  const std::string from_back = JoinPath(to_path);  // From-Path of both responses at A

  std::string tid1 = NewTid();
  Frame ch = c.a->SendAuthPath(tid1, to_path, {});
  std::string problems = ResponseProblems(ch, tid1, 401, c.a.uri(), from_back);
  CHECK_MESSAGE(problems.empty(), "the 401 from relay2 as A receives it:\n" << problems);
  CHECK(ch.phrase == "Unauthorized");
  auto www = ch.Header("WWW-Authenticate");
  REQUIRE_MESSAGE(www.has_value(), "401 without WWW-Authenticate:\n" << ch.Describe());
  std::string scheme;
  auto params = ParseAuthParams(*www, &scheme);
  REQUIRE_MESSAGE(params.has_value(), "unparsable WWW-Authenticate: " << *www);
  CHECK(scheme == "Digest");
  CHECK((*params)["realm"].value == kRealm);
  REQUIRE((*params).count("nonce"));
  const std::string nonce = (*params)["nonce"].value;
  const std::string opaque = params->count("opaque") ? (*params)["opaque"].value : "";

  const std::string cnonce = RandomAlnum(16);
  std::string tid2 = NewTid();
  Frame ok = c.a->SendAuthPath(
      tid2, to_path,
      {{"Authorization",
        BuildAuthorization("alice", kRealm, "alicepw", nonce, "00000001", cnonce, opaque, r2_uri, false)}});
  problems = ResponseProblems(ok, tid2, 200, c.a.uri(), from_back);
  CHECK_MESSAGE(problems.empty(), "relay2's 200 as A receives it:\n" << problems);
  auto use_path = ok.Header("Use-Path");
  REQUIRE_MESSAGE(use_path.has_value(), "200 without Use-Path:\n" << ok.Describe());
  std::vector<std::string> up = SplitPath(*use_path);
  REQUIRE_MESSAGE(up.size() == 2, "want Use-Path `R1a R2x` (A-13), got: " << *use_path);
  CHECK_MESSAGE(up[0] == c.a.use_path, "Use-Path[0] must be relay1's URI for A " << c.a.use_path
                                           << ", got " << up[0]);
  CHECK_MESSAGE(std::regex_match(up[1], std::regex("msrps://relay2\\.test:" + std::to_string(r2.port()) +
                                                   "/[^/;]+;tcp")),
                "want Use-Path[1] = msrps://relay2.test:" << r2.port() << "/<new id>;tcp, got " << up[1]);
  CHECK(up[1] != c.b.use_path);
  CHECK(ok.Header("Expires") == std::optional<std::string>("600"));
  auto info = ok.Header("Authentication-Info");
  REQUIRE_MESSAGE(info.has_value(), "200 without Authentication-Info (A-12):\n" << ok.Describe());
  std::string info_scheme;
  auto info_params = ParseAuthParams("x " + *info, &info_scheme);
  REQUIRE(info_params.has_value());
  CHECK((*info_params)["rspauth"].value ==
        DigestRspauth(Md5Hex(std::string("alice:") + kRealm + ":alicepw"), nonce, "00000001", cnonce, r2_uri));
  CHECK_SILENT(*c.a.client, 300);
  CHECK_SILENT(*c.b.client, 100);
}

TEST_CASE("A-13, A-14, R-02, S-04: the URI relay2 minted for A via relay1 (R2x) carries traffic "
          "both ways") {
  Chain c;
  RelayProcess& r2 = c.relays.relay2();
  AuthOptions o;
  o.to_uri = r2.RelayUri();
  o.via = {c.a.use_path};
  AuthResult auth = c.a->Authenticate("alice", "alicepw", o);
  std::vector<std::string> up = SplitPath(auth.use_path);
  REQUIRE_MESSAGE(up.size() == 2, "want Use-Path `R1a R2x`, got: " << auth.use_path);
  REQUIRE(up[0] == c.a.use_path);
  const std::string r2x = up[1];

  // B -> A: To-Path `R2x R1a A` from B's own connection (inbound toward relay1, which R2x is
  // bound to); relay2 answers B hop-by-hop, relay1 delivers to A.
  SendSpec in;
  in.tid = NewTid();
  in.to_path = {r2x, c.a.use_path, c.a.uri()};
  in.from_path = {c.b.uri()};
  in.message_id = RandomAlnum(10);
  in.byte_range = "1-13/13";
  in.body = "Hi A, via R2x";
  std::string sent_in = BuildSend(in);
  c.b->Write(sent_in);
  std::string problems = ResponseProblems(c.b->ReadFrame(kChainTimeout, "relay2's 200 for the SEND to R2x"),
                                          in.tid, 200, c.b.uri(), r2x);
  CHECK_MESSAGE(problems.empty(), problems);
  Frame got = c.a->ReadFrame(kChainTimeout, "B's SEND via R2x and R1a");
  CHECK(IsFreshRelayTid(got.tid, in.tid));
  CHECK_BYTES(got.raw, ExpectedForward(sent_in, got.tid, {c.a.uri()}, {c.a.use_path, r2x, c.b.uri()}, true));
  c.a->Write(BuildResponse(got.tid, 200, "OK", {c.a.use_path}, {c.a.uri()}));

  // A -> B: To-Path `R1a R2x R2b B` (A's Use-Path toward relay2, then B's).
  SendSpec out;
  out.tid = NewTid();
  out.to_path = {c.a.use_path, r2x, c.b.use_path, c.b.uri()};
  out.from_path = {c.a.uri()};
  out.message_id = RandomAlnum(10);
  out.byte_range = "1-17/17";
  out.body = "Hi B, via R1a R2x";
  std::string sent_out = BuildSend(out);
  c.a->Write(sent_out);
  problems = CheckRelay200(c.a->ReadFrame(kChainTimeout, "relay1's 200"), out.tid, c.a);
  CHECK_MESSAGE(problems.empty(), problems);
  Frame got_b = c.b->ReadFrame(kChainTimeout, "A's SEND via R1a R2x R2b");
  CHECK(IsFreshRelayTid(got_b.tid, out.tid));
  CHECK_BYTES(got_b.raw, ExpectedForward(sent_out, got_b.tid, {c.b.uri()},
                                         {c.b.use_path, r2x, c.a.use_path, c.a.uri()}, true));
  c.b->Write(BuildResponse(got_b.tid, 200, "OK", {c.b.use_path}, {c.b.uri()}));
  CHECK_SILENT(*c.a.client, 500);
  CHECK_SILENT(*c.b.client, 100);
  int n = c.relays.ConnectionsBetween();
  CHECK_MESSAGE(n == 1, "want 1 TCP connection between the relays, got " << n << "\n"
                                                                        << c.relays.DescribeConnections());
}

TEST_CASE("C-06, BR-14: five pairs exchanging messages both ways share exactly one TCP "
          "connection between the relays") {
  RelayPair relays;
  const int kPairs = 5;
  const char* users[][2] = {{"alice", "alicepw"}, {"bob", "bobpw"}, {"carol", "carolpw"}};
  std::vector<Peer> as, bs;
  for (int i = 0; i < kPairs; ++i) {
    as.push_back(relays.Authenticated(relays.relay1(), "a" + std::to_string(i), users[i % 3][0], users[i % 3][1]));
    bs.push_back(relays.Authenticated(relays.relay2(), "b" + std::to_string(i), users[(i + 1) % 3][0],
                                      users[(i + 1) % 3][1]));
  }
  // The first message decides who dials; the other relay must reuse that connection.
  SUBCASE("relay1 dials first (A0 -> B0)") {
    RequireChainSend(as[0], bs[0], SendBetween(as[0], bs[0], "first, from relay1's side"));
  }
  SUBCASE("relay2 dials first (B0 -> A0)") {
    RequireChainSend(bs[0], as[0], SendBetween(bs[0], as[0], "first, from relay2's side"));
  }
  // Then every A_i and B_i send to each other at once; each peer gets its 200 and one SEND.
  std::vector<std::string> sent_ab(kPairs), sent_ba(kPairs), tid_ab(kPairs), tid_ba(kPairs);
  for (int i = 0; i < kPairs; ++i) {
    SendSpec ab = SendBetween(as[i], bs[i], "pair " + std::to_string(i) + " A->B " + RandomAlnum(20));
    SendSpec ba = SendBetween(bs[i], as[i], "pair " + std::to_string(i) + " B->A " + RandomAlnum(20));
    sent_ab[i] = BuildSend(ab);
    sent_ba[i] = BuildSend(ba);
    tid_ab[i] = ab.tid;
    tid_ba[i] = ba.tid;
    as[i]->Write(sent_ab[i]);
    bs[i]->Write(sent_ba[i]);
  }
  auto collect = [&](Peer& me, Peer& other, const std::string& my_tid, const std::string& other_sent,
                     const std::string& label) {
    bool have_ok = false, have_send = false;
    for (int k = 0; k < 2; ++k) {
      Frame f = me->ReadFrame(kChainTimeout, "a 200 or the relayed SEND at " + label);
      if (!f.is_request && !have_ok) {
        have_ok = true;
        std::string problems = CheckRelay200(f, my_tid, me);
        CHECK_MESSAGE(problems.empty(), label << ": " << problems);
      } else if (f.is_request && !have_send) {
        have_send = true;
        CHECK_BYTES(f.raw, ExpectedSendAtPeer(other_sent, f.tid, other, me));
        me->Write(BuildResponse(f.tid, 200, "OK", {me.use_path}, {me.uri()}));
      } else {
        FAIL_CHECK("unexpected frame at " << label << ":\n" << f.Describe());
      }
    }
  };
  for (int i = 0; i < kPairs; ++i) {
    collect(as[i], bs[i], tid_ab[i], sent_ba[i], "A" + std::to_string(i));
    collect(bs[i], as[i], tid_ba[i], sent_ab[i], "B" + std::to_string(i));
  }
  for (int i = 0; i < kPairs; ++i) {
    CHECK_SILENT(*as[i].client, i == 0 ? 500 : 20);
    CHECK_SILENT(*bs[i].client, 20);
  }
  int n = relays.ConnectionsBetween();
  CHECK_MESSAGE(n == 1, "want exactly 1 ESTABLISHED TCP connection between relay1 (port "
                            << relays.relay1().port() << ") and relay2 (port " << relays.relay2().port()
                            << ") carrying all " << kPairs << " sessions both ways, got " << n << "\n"
                            << relays.DescribeConnections());
}

}  // namespace msrp::test

namespace msrp::test {

TEST_CASE("C-08, C-06: an unused connection between relays closes after peers.idle_timeout; the "
          "next message opens a new one") {
  RelayPairOptions o;
  for (RelayOptions* r : {&o.relay1, &o.relay2}) {
    if (!r->peers) r->peers = PeersOptions{};
    r->peers->idle_timeout = 1;
  }
  RelayPair relays(o);
  Peer a = relays.Authenticated(relays.relay1(), "alice", "alice", "alicepw");
  Peer b = relays.Authenticated(relays.relay2(), "bob", "bob", "bobpw");
  RequireChainSend(a, b, SendBetween(a, b, "before the idle timeout"));
  CHECK(relays.ConnectionsBetween() == 1);
  // Bounded polling: the tick runs every 200 ms; 1 s idle plus margin.
  bool closed = false;
  for (int i = 0; i < 50 && !closed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    closed = relays.ConnectionsBetween() == 0;
  }
  CHECK_MESSAGE(closed, "the relay connection stayed open 5 s with peers.idle_timeout 1:\n"
                            << relays.DescribeConnections());
  // Either end may close it first: relay1 dialled it, relay2 reuses it for relay1's URI.
  CHECK((relays.relay1().Log().find("(peers.idle_timeout)") != std::string::npos ||
         relays.relay2().Log().find("(peers.idle_timeout)") != std::string::npos));
  RequireChainSend(a, b, SendBetween(a, b, "after the idle timeout"));
  CHECK(relays.ConnectionsBetween() == 1);
}

}  // namespace msrp::test
