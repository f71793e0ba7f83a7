// End-to-end tests of plain TCP legs (RFC 4976 §9.2, §9.4; RFC 4975 §6): a relay-less peer on the
// relay's `transport: tcp` listener, and msrp: next hops the relay dials only with
// peers.allow_plain_tcp (C-04, A-02, R-02, S-08, C-06).
#include <doctest/doctest.h>

#include "tests/support/crypto_util.h"
#include "tests/support/expect.h"
#include "tests/support/msrp_client.h"
#include "tests/support/relay_pair.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"
#include "tests/support/tcp_listener.h"

namespace msrp::test {
namespace {

// relay1.test with a TLS and a plain TCP listener; `peers` as given (nullopt = no section).
RelayOptions PlainTcpRelayOptions(std::optional<PeersOptions> peers) {
  RelayOptions o = ChainRelayOptions(kRelay1Host);
  o.tcp_listener = true;
  o.peers = std::move(peers);
  return o;
}

// A plain TCP client of `relay`'s tcp listener.
std::unique_ptr<MsrpClient> PlainClient(RelayProcess& relay, const std::string& name) {
  ClientOptions o = relay.ClientOptionsFor(name);
  o.plain_tcp = true;
  return std::make_unique<MsrpClient>(relay.tcp_port(), o);
}

// A SEND from A (on relay1) to the plain peer listening on 127.0.0.1:port.
SendSpec SendToPlainPeer(const Peer& a, const std::string& peer_uri, const std::string& body) {
  SendSpec s;
  s.tid = NewTid();
  s.to_path = {a.use_path, peer_uri};
  s.from_path = {a.uri()};
  s.message_id = RandomAlnum(10);
  s.byte_range = "1-" + std::to_string(body.size()) + "/" + std::to_string(body.size());
  s.body = body;
  return s;
}

}  // namespace

TEST_CASE("C-04, R-02, A-02: a relay-less peer on the plain TCP listener reaches A with To-Path "
          "`R1a A` and gets its 200; AUTH there gets 403") {
  RelayProcess relay(PlainTcpRelayOptions(std::nullopt));
  REQUIRE(relay.tcp_port() != 0);
  Peer a = AuthenticatedPeer(relay, "alice", "alice", "alicepw");
  auto p = PlainClient(relay, "plainpeer");
  REQUIRE(p->uri().rfind("msrp://plainpeer.example.com:9892/", 0) == 0);

  SendSpec s;
  s.tid = NewTid();
  s.to_path = {a.use_path, a.uri()};
  s.from_path = {p->uri()};
  s.message_id = RandomAlnum(10);
  s.byte_range = "1-20/20";
  s.body = "plain TCP says hello";
  std::string sent = BuildSend(s);
  p->Write(sent);
  std::string problems = ResponseProblems(p->ReadFrame(kFrameTimeout, "the relay's 200 on plain TCP"),
                                          s.tid, 200, p->uri(), a.use_path);
  CHECK_MESSAGE(problems.empty(), problems);
  Frame got = a->ReadFrame(kFrameTimeout, "the plain peer's SEND");
  CHECK(IsFreshRelayTid(got.tid, s.tid));
  CHECK_BYTES(got.raw, ExpectedForward(sent, got.tid, {a.uri()}, {a.use_path, p->uri()}, true));
  a->Write(BuildResponse(got.tid, 200, "OK", {a.use_path}, {a.uri()}));
  CHECK_SILENT(*p, 500);

  // AUTH over the plain listener is refused and the connection closed.
  auto q = PlainClient(relay, "plainauth");
  std::string tid = NewTid();
  Frame r = q->SendAuth(tid, relay.AuthUri(), {});
  CHECK(r.StartLine().rfind("MSRP " + tid + " 403", 0) == 0);
  CHECK_MESSAGE(q->WaitClosed(Millis(3000)), "the relay kept the plain TCP connection open after AUTH");
  RequireRelayStillWorks(relay);
}

TEST_CASE("C-04, C-06, S-08: with peers.allow_plain_tcp true, A's SEND to an msrp: peer is "
          "delivered over a plain TCP connection relay1 opens, and reused") {
  PeersOptions peers;
  peers.allow_plain_tcp = true;
  peers.connect_timeout = 2;
  RelayProcess relay(PlainTcpRelayOptions(peers));
  Peer a = AuthenticatedPeer(relay, "alice", "alice", "alicepw");
  TcpListener listener;
  const std::string p_uri = "msrp://127.0.0.1:" + std::to_string(listener.port()) + "/p1;tcp";

  SendSpec s = SendToPlainPeer(a, p_uri, PseudoRandomBytes(3000, 61));
  std::string sent = BuildSend(s);
  a->Write(sent);
  ClientOptions po = relay.ClientOptionsFor("dialled-peer");
  po.uri = p_uri;
  std::unique_ptr<MsrpClient> p = listener.Accept(Millis(10000), po);
  REQUIRE_MESSAGE(p != nullptr, "relay1 did not connect to the plain TCP peer at 127.0.0.1:"
                                    << listener.port() << " within 10 s\n" << relay.Diagnostics());
  Frame got = p->ReadFrame(kFrameTimeout, "the SEND on the connection relay1 opened");
  CHECK(IsFreshRelayTid(got.tid, s.tid));
  CHECK(got.Header("To-Path") == std::optional<std::string>(p_uri));
  CHECK(got.Header("From-Path") == std::optional<std::string>(JoinPath({a.use_path, a.uri()})));
  CHECK_BYTES(got.raw, ExpectedForward(sent, got.tid, {p_uri}, {a.use_path, a.uri()}, true));
  p->Write(BuildResponse(got.tid, 200, "OK", {a.use_path}, {p_uri}));
  std::string problems = CheckRelay200(a->ReadFrame(kFrameTimeout, "relay1's 200"), s.tid, a);
  CHECK_MESSAGE(problems.empty(), problems);

  // A second message uses the same connection (C-06).
  SendSpec s2 = SendToPlainPeer(a, p_uri, "second message, same connection");
  std::string sent2 = BuildSend(s2);
  a->Write(sent2);
  Frame got2 = p->ReadFrame(kFrameTimeout, "the second SEND on the same connection");
  CHECK_BYTES(got2.raw, ExpectedForward(sent2, got2.tid, {p_uri}, {a.use_path, a.uri()}, true));
  p->Write(BuildResponse(got2.tid, 200, "OK", {a.use_path}, {p_uri}));
  problems = CheckRelay200(a->ReadFrame(kFrameTimeout, "relay1's second 200"), s2.tid, a);
  CHECK_MESSAGE(problems.empty(), problems);
  CHECK_MESSAGE(listener.Accept(Millis(500)) == nullptr, "relay1 opened a second plain TCP connection");
  CHECK_SILENT(*a.client, 2500);  // no REPORT: the peer answered both (transaction_timeout 2 s)
  CHECK_SILENT(*p, 100);
}

TEST_CASE("C-04, S-08: without peers.allow_plain_tcp a SEND toward an msrp: next hop is refused "
          "with 403 and nothing is dialled") {
  std::optional<PeersOptions> peers;
  SUBCASE("no peers section (default false)") {}
  SUBCASE("peers.allow_plain_tcp: false") {
    peers = PeersOptions{};
    peers->allow_plain_tcp = false;
  }
  RelayProcess relay(PlainTcpRelayOptions(peers));
  Peer a = AuthenticatedPeer(relay, "alice", "alice", "alicepw");
  TcpListener listener;
  const std::string p_uri = "msrp://127.0.0.1:" + std::to_string(listener.port()) + "/p1;tcp";
  SendSpec s = SendToPlainPeer(a, p_uri, "must not leave in clear text");
  a->Write(BuildSend(s));
  // Either the SEND itself is refused with 403, or it gets its 200 and then REPORT 000 403.
  Frame r = a->ReadFrame(kFrameTimeout, "a 403 response or the 200 before a REPORT 000 403");
  if (!r.is_request && r.status == 200) {
    std::string problems = CheckRelay200(r, s.tid, a);
    CHECK_MESSAGE(problems.empty(), problems);
    Frame report = a->ReadFrame(Millis(10000), "the REPORT 000 403 after the 200");
    ExpectedReport want;
    want.to_path = a.uri();
    want.from_path = a.use_path;
    want.message_id = s.message_id;
    want.total = static_cast<int64_t>(s.body->size());
    want.status_prefix = "000 403";
    want.sent_tid = s.tid;
    problems = ReportProblems(report, want);
    CHECK_MESSAGE(problems.empty(), problems);
  } else {
    std::string problems = ResponseProblems(r, s.tid, 403, a.uri(), a.use_path);
    CHECK_MESSAGE(problems.empty(), "want a 403 response (or 200 then REPORT 000 403):\n" << problems);
  }
  std::unique_ptr<MsrpClient> dialled = listener.Accept(Millis(1500), relay.ClientOptionsFor("p"));
  CHECK_MESSAGE(dialled == nullptr, "relay1 dialled the plain TCP next hop although allow_plain_tcp is off");
  CHECK_SILENT(*a.client, 500);
  RequireRelayStillWorks(relay);
}

}  // namespace msrp::test
