// End-to-end tests of forwarding through the relay (RFC 4976 §3, §6.2-6.4; RFC 4975 §7):
// path rewriting, fresh tids, non-SEND methods, error responses and token binding (R-*, S-*,
// E-02, E-05, E-07, E-08, C-10, C-12, BR-01, BR-06, BR-13, BR-30).
#include <doctest/doctest.h>

#include <set>

#include "tests/support/crypto_util.h"
#include "tests/support/expect.h"
#include "tests/support/msrp_client.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"

namespace msrp::test {

TEST_CASE("R-03, R-04, R-05, R-14, R-15, R-21, BR-06, BR-13: a SEND is answered 200 and "
          "forwarded byte-exactly with rewritten paths, a fresh tid and Byte-Range end *") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  SendSpec s = SendBetween(p.a, p.b, PseudoRandomBytes(3000, 7));  // > 2048 octets
  s.success_report = "yes";
  s.extra = {{"X-Foo", "1"}, {"Content-Disposition", "inline"}};
  SUBCASE("Failure-Report absent") {}
  SUBCASE("Failure-Report: yes") { s.failure_report = "yes"; }
  std::string sent = BuildSend(s);
  p.a->Write(sent);

  Frame ok = p.a->ReadFrame(kFrameTimeout, "the relay's 200");
  std::string problems = CheckRelay200(ok, s.tid, p.a);
  CHECK_MESSAGE(problems.empty(), problems);

  Frame got = p.b->ReadFrame(kFrameTimeout, "the forwarded SEND");
  CHECK_MESSAGE(IsFreshRelayTid(got.tid, s.tid), "relay tid " << got.tid);
  CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, p.a, p.b));

  // B's 200 is consumed by the relay: A sees nothing more.
  p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
  CHECK_SILENT(*p.a.client, 1000);
  CHECK_SILENT(*p.b.client, 100);
}

TEST_CASE("R-03, R-04: a SEND from B to A travels the reverse path") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  SendSpec s = SendBetween(p.b, p.a, "Hi Alice");
  std::string sent = BuildSend(s);
  p.b->Write(sent);
  std::string problems = CheckRelay200(p.b->ReadFrame(), s.tid, p.b);
  CHECK_MESSAGE(problems.empty(), problems);
  Frame got = p.a->ReadFrame();
  CHECK(IsFreshRelayTid(got.tid, s.tid));
  CHECK_BYTES(got.raw, ExpectedForward(sent, got.tid, {p.a.uri()},
                                       {p.a.use_path, p.b.use_path, p.b.uri()}, true));
  p.a->Write(BuildResponse(got.tid, 200, "OK", {p.a.use_path}, {p.a.uri()}));
  CHECK_SILENT(*p.b.client, 500);
}

TEST_CASE("C-12, F-08, F-15, BR-24: bodiless and header-light SENDs are relayed unchanged") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  SendSpec s = SendBetween(p.a, p.b, "");
  SUBCASE("bodiless SEND with Byte-Range 1-0/0 (kept as is: no body)") {
    s.body.reset();
    s.byte_range = "1-0/0";
  }
  SUBCASE("bodiless SEND without Byte-Range or Message-ID") {
    s.body.reset();
    s.byte_range.reset();
    s.message_id.clear();
  }
  SUBCASE("SEND with a body but without Byte-Range") {
    s.body = "no byte range here";
    s.byte_range.reset();
  }
  SUBCASE("SEND with Content-Type and an empty body") {
    s.body = "";
    s.byte_range.reset();
  }
  std::string sent = BuildSend(s);
  p.a->Write(sent);
  std::string problems = CheckRelay200(p.a->ReadFrame(), s.tid, p.a);
  CHECK_MESSAGE(problems.empty(), problems);
  Frame got = p.b->ReadFrame();
  CHECK(IsFreshRelayTid(got.tid, s.tid));
  CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, p.a, p.b));
  CHECK(got.has_body == s.body.has_value());
  p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
  CHECK_SILENT(*p.a.client, 500);
}

TEST_CASE("R-12, R-20, BR-30: NICKNAME is forwarded and B's response is mapped back to A's tid "
          "and path") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  std::string tid_a = NewTid();
  std::string sent = NicknameBetween(tid_a, p);
  p.a->Write(sent);
  Frame got = p.b->ReadFrame(kFrameTimeout, "the forwarded NICKNAME");
  CHECK(IsFreshRelayTid(got.tid, tid_a));
  CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, p.a, p.b));
  // No relay-generated response to a non-SEND request.
  CHECK_SILENT(*p.a.client, 300);

  p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path, p.a.use_path, p.a.uri()},
                           {p.b.uri()}));
  Frame back = p.a->ReadFrame(kFrameTimeout, "B's 200 to the NICKNAME, mapped back");
  CHECK_BYTES(back.raw, BuildResponse(tid_a, 200, "OK", {p.a.uri()},
                                      {p.a.use_path, p.b.use_path, p.b.uri()}));
  CHECK_SILENT(*p.a.client, 300);
  CHECK_SILENT(*p.b.client, 100);
}

TEST_CASE("R-12, F-13: an unknown method (FOO) is forwarded with the path rewrite and a new tid") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  std::string tid = NewTid();
  std::optional<std::string> body;
  Headers h{{"To-Path", JoinPath({p.a.use_path, p.b.use_path, p.b.uri()})},
            {"From-Path", p.a.uri()},
            {"Message-ID", "foo-" + RandomAlnum(6)},
            {"X-Private", "some value; with=params"}};
  SUBCASE("bodiless") {}
  SUBCASE("with a small body") {
    body = "FOO payload";
    h.emplace_back("Content-Type", "application/x-foo");
  }
  std::string sent = EncodeFrame(tid, "FOO", h, body);
  p.a->Write(sent);
  Frame got = p.b->ReadFrame(kFrameTimeout, "the forwarded FOO");
  CHECK(IsFreshRelayTid(got.tid, tid));
  CHECK_BYTES(got.raw, ExpectedForward(sent, got.tid, {p.b.uri()},
                                       {p.b.use_path, p.a.use_path, p.a.uri()}, false));
}

TEST_CASE("E-05, R-07: a SEND to an unknown session on this relay gets 481") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  std::string bogus = relay.SessionUri("doesnotexist");
  SendSpec s = SendBetween(p.a, p.b, "to nowhere");
  s.to_path = {bogus, p.b.uri()};
  s.failure_report = "yes";
  p.a->Write(BuildSend(s));
  Frame r = p.a->ReadFrame(kFrameTimeout, "481");
  CHECK(r.StartLine() == "MSRP " + s.tid + " 481 Session Does Not Exist");
  REQUIRE(r.headers.size() >= 2);
  CHECK(r.headers[0] == std::make_pair(std::string("To-Path"), p.a.uri()));
  CHECK(r.headers[1] == std::make_pair(std::string("From-Path"), bogus));
  CHECK_SILENT(*p.b.client, 500);
  RequireRelayStillWorks(relay);
}

TEST_CASE("R-06, E-05: Failure-Report no to an unknown session gets no response at all") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  SendSpec s = SendBetween(p.a, p.b, "to nowhere, quietly");
  s.to_path = {relay.SessionUri("doesnotexist"), p.b.uri()};
  s.failure_report = "no";
  p.a->Write(BuildSend(s));
  CHECK_SILENT(*p.a.client, 1500);
  CHECK_SILENT(*p.b.client, 100);
}

TEST_CASE("R-22, R-07, S-01: a SEND whose To-Path[0] is not this relay gets 403 Forbidden") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  std::string elsewhere = "msrps://elsewhere.example.com:2855/x;tcp";
  SendSpec s = SendBetween(p.a, p.b, "not for this relay");
  s.to_path = {elsewhere, p.b.uri()};
  p.a->Write(BuildSend(s));
  Frame r = p.a->ReadFrame(kFrameTimeout, "403");
  CHECK(r.StartLine() == "MSRP " + s.tid + " 403 Forbidden");
  REQUIRE(r.headers.size() >= 2);
  CHECK(r.headers[0] == std::make_pair(std::string("To-Path"), p.a.uri()));
  CHECK(r.headers[1] == std::make_pair(std::string("From-Path"), elsewhere));
  CHECK_SILENT(*p.b.client, 300);
  RequireRelayStillWorks(relay);
}

TEST_CASE("S-01, S-02, R-02, E-08: a valid token used outward from a foreign connection gets 403 "
          "and nothing is delivered") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  std::unique_ptr<MsrpClient> owned;
  MsrpClient* attacker = nullptr;
  SUBCASE("from an unauthenticated connection") {
    owned = relay.Connect("mallory");
    attacker = owned.get();
  }
  SUBCASE("from another authenticated client (bob)") { attacker = p.b.client.get(); }
  SUBCASE("from another connection of the same user (alice)") {
    Peer alice2 = AuthenticatedPeer(relay, "alice2", "alice", "alicepw");
    owned = std::move(alice2.client);
    attacker = owned.get();
  }
  SendSpec s;
  s.tid = NewTid();
  s.to_path = {p.a.use_path, "msrps://victim1.example.com:2855/v1;tcp",
               "msrps://victim2.example.com:2855/v2;tcp"};
  s.from_path = {attacker->uri()};
  s.message_id = RandomAlnum(8);
  s.byte_range = "1-4/4";
  s.body = "spam";
  attacker->Write(BuildSend(s));
  Frame r = attacker->ReadFrame(kFrameTimeout, "403");
  CHECK(r.StartLine() == "MSRP " + s.tid + " 403 Forbidden");
  REQUIRE(r.headers.size() >= 1);
  CHECK(r.headers[0] == std::make_pair(std::string("To-Path"), attacker->uri()));
  CHECK_SILENT(*p.a.client, 500);
  if (attacker != p.b.client.get()) CHECK_SILENT(*p.b.client, 100);
  RequireRelayStillWorks(relay);
}

TEST_CASE("R-02, C-04, S-02: an unauthenticated peer reaches B with To-Path `UB bob-uri` "
          "(inbound delivery)") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  auto c = relay.Connect("carol");  // no AUTH: a relay-less peer
  SendSpec s;
  s.tid = NewTid();
  s.to_path = {p.b.use_path, p.b.uri()};
  s.from_path = {c->uri()};
  s.message_id = RandomAlnum(8);
  s.byte_range = "1-11/11";
  s.body = "Hi from C!!";
  std::string sent = BuildSend(s);
  c->Write(sent);
  Frame ok = c->ReadFrame(kFrameTimeout, "the relay's 200");
  CHECK(ok.StartLine() == "MSRP " + s.tid + " 200 OK");
  REQUIRE(ok.headers.size() >= 2);
  CHECK(ok.headers[0] == std::make_pair(std::string("To-Path"), c->uri()));
  CHECK(ok.headers[1] == std::make_pair(std::string("From-Path"), p.b.use_path));
  Frame got = p.b->ReadFrame(kFrameTimeout, "the inbound SEND");
  CHECK(IsFreshRelayTid(got.tid, s.tid));
  CHECK_BYTES(got.raw, ExpectedForward(sent, got.tid, {p.b.uri()}, {p.b.use_path, c->uri()}, true));
  p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
  CHECK_SILENT(*c, 500);
  CHECK_SILENT(*p.a.client, 100);
}

TEST_CASE("A-14, C-10, E-05: closing a client connection invalidates its Use-Path (481 afterwards)") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  std::string ub = p.b.use_path;
  std::string bob_uri = p.b.uri();
  p.b->Close();
  auto c = relay.Connect("carol");
  // Poll (bounded) until the relay has noticed the close: each probe is an inbound SEND to UB.
  int last_status = 0;
  for (int attempt = 0; attempt < 30; ++attempt) {
    SendSpec s;
    s.tid = NewTid();
    s.to_path = {ub, bob_uri};
    s.from_path = {c->uri()};
    s.message_id = RandomAlnum(8);
    s.byte_range = "1-5/5";
    s.body = "hello";
    c->Write(BuildSend(s));
    Frame r = c->ReadFrame(kFrameTimeout, "a response to the probe");
    REQUIRE(r.tid == s.tid);
    last_status = r.status;
    if (r.status == 481) {
      CHECK(r.StartLine() == "MSRP " + s.tid + " 481 Session Does Not Exist");
      break;
    }
    // Drain a REPORT that a pre-close probe may have caused, then retry.
    c->ExpectSilence(Millis(100));
  }
  CHECK(last_status == 481);

  // A's outbound SEND through UA to the dead UB is refused as well.
  SendSpec s = SendBetween(p.a, p.b, "bob is gone");
  s.to_path = {p.a.use_path, ub, bob_uri};
  p.a->Write(BuildSend(s));
  Frame r = p.a->ReadFrame(kFrameTimeout, "a response for the SEND to a closed session");
  CHECK_MESSAGE(r.status == 481, r.Describe());
  CHECK(r.tid == s.tid);
  RequireRelayStillWorks(relay);
}

TEST_CASE("BR-01, A-11: many sessions all resolve (30 clients, messages around a ring)") {
  RelayProcess relay;
  const int kClients = 30;
  std::vector<Peer> peers;
  const char* users[][2] = {{"alice", "alicepw"}, {"bob", "bobpw"}, {"carol", "carolpw"}};
  for (int i = 0; i < kClients; ++i) {
    peers.push_back(AuthenticatedPeer(relay, "peer" + std::to_string(i), users[i % 3][0],
                                      users[i % 3][1]));
  }
  std::set<std::string> tokens;
  for (auto& pe : peers) tokens.insert(pe.use_path);
  CHECK(tokens.size() == static_cast<size_t>(kClients));
  // Send in reverse order of AUTH, then collect: every peer gets its 200 and one SEND.
  std::vector<std::string> sent(kClients), tids(kClients);
  for (int i = kClients - 1; i >= 0; --i) {
    SendSpec s = SendBetween(peers[i], peers[(i + 1) % kClients], "ring message " + std::to_string(i));
    sent[i] = BuildSend(s);
    tids[i] = s.tid;
    peers[i]->Write(sent[i]);
  }
  for (int j = 0; j < kClients; ++j) {
    Peer& me = peers[j];
    int i = (j + kClients - 1) % kClients;  // my sender
    bool have_ok = false, have_send = false;
    for (int k = 0; k < 2; ++k) {
      Frame f = me->ReadFrame(kFrameTimeout, "a 200 or the ring SEND at peer " + std::to_string(j));
      if (!f.is_request && !have_ok) {
        have_ok = true;
        std::string problems = CheckRelay200(f, tids[j], me);
        CHECK_MESSAGE(problems.empty(), problems);
      } else if (f.is_request && !have_send) {
        have_send = true;
        CHECK_BYTES(f.raw, ExpectedSendAtPeer(sent[i], f.tid, peers[i], me));
        me->Write(BuildResponse(f.tid, 200, "OK", {me.use_path}, {me.uri()}));
      } else {
        FAIL_CHECK("unexpected frame at peer " << j << ":\n" << f.Describe());
      }
    }
  }
  for (auto& pe : peers) CHECK_SILENT(*pe.client, 20);
}

namespace {

// `uri` with the case of every letter of its session-id swapped (a different session-id, U-05).
std::string SwapSessionCase(std::string uri) {
  size_t slash = uri.find('/', uri.find("://") + 3);
  size_t semi = uri.find(';', slash);
  for (size_t i = slash + 1; i < semi; ++i) {
    char& c = uri[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    else if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return uri;
}

// `uri` with its scheme, host and transport upper-cased (the same URI by U-02, U-03, U-05).
std::string UpperCaseAroundSession(std::string uri) {
  size_t slash = uri.find('/', uri.find("://") + 3);
  size_t semi = uri.find(';', slash);
  for (size_t i = 0; i < uri.size(); ++i) {
    if (i > slash && i < semi) continue;
    if (uri[i] >= 'a' && uri[i] <= 'z') uri[i] = static_cast<char>(uri[i] - 'a' + 'A');
  }
  return uri;
}

}  // namespace

TEST_CASE("R-01, U-02, U-03, U-05, U-07: To-Path[0] is compared with the relay's URIs by the RFC 4975 "
          "rules, and the URI as received goes onto From-Path") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  const std::string upper = UpperCaseAroundSession(p.a.use_path);
  REQUIRE(upper != p.a.use_path);
  SendSpec s = SendBetween(p.a, p.b, "case-insensitive scheme, host and transport");
  s.to_path = {upper, p.b.use_path, p.b.uri()};
  std::string sent = BuildSend(s);
  p.a->Write(sent);
  Frame ok = p.a->ReadFrame(kFrameTimeout, "the relay's 200");
  CHECK(ok.StartLine() == "MSRP " + s.tid + " 200 OK");
  REQUIRE(ok.headers.size() >= 2);
  CHECK(ok.headers[1] == std::make_pair(std::string("From-Path"), upper));
  Frame got = p.b->ReadFrame(kFrameTimeout, "the forwarded SEND");
  CHECK_BYTES(got.raw, ExpectedForward(sent, got.tid, {p.b.uri()},
                                       {p.b.use_path, upper, p.a.uri()}, true));
  p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
  CHECK_SILENT(*p.a.client, 300);

  // Not the same URI: another session-id case (U-05), msrp: for msrps: (U-02), no port (U-04).
  std::string scheme_swapped = "msrp" + p.a.use_path.substr(5);
  std::string portless = p.a.use_path;
  size_t colon = portless.find(':', portless.find("://") + 3);
  portless.erase(colon, portless.find('/', colon) - colon);
  // A portless URI outside an AUTH's To-Path is malformed besides (U-07): 400.
  for (const auto& [other, answer] : {std::pair<std::string, std::string>{SwapSessionCase(p.a.use_path), "481 Session Does Not Exist"},
                                      {scheme_swapped, "481 Session Does Not Exist"},
                                      {portless, "400 Bad Request"}}) {
    INFO("To-Path[0]: " << other);
    SendSpec t = SendBetween(p.a, p.b, "not our session");
    t.to_path = {other, p.b.use_path, p.b.uri()};
    p.a->Write(BuildSend(t));
    Frame r = p.a->ReadFrame(kFrameTimeout, answer);
    CHECK(r.StartLine() == "MSRP " + t.tid + " " + answer);
    CHECK_SILENT(*p.b.client, 300);
  }
}

TEST_CASE("E-02: an unknown method addressed to the relay itself gets 501 to the whole From-Path") {
  RelayProcess relay;
  auto c = relay.Connect("carol");
  std::string tid = NewTid();
  std::string to = relay.RelayUri();
  std::vector<std::string> from{"msrps://inner.example.com:2855/x1;tcp", c->uri()};
  c->Write(EncodeFrame(tid, "FOO", {{"To-Path", to}, {"From-Path", JoinPath(from)}}, std::nullopt));
  Frame r = c->ReadFrame(kFrameTimeout, "501");
  CHECK_BYTES(r.raw, BuildResponse(tid, 501, "Not Implemented", from, {to}));
  RequireRelayStillWorks(relay);
}

TEST_CASE("E-05, R-06, R-10: Failure-Report partial to an unknown session gets REPORT 000 481 and "
          "no response") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  std::string bogus = relay.SessionUri("doesnotexist");
  SendSpec s = SendBetween(p.a, p.b, "to nowhere, partial");
  s.to_path = {bogus, p.b.uri()};
  s.failure_report = "partial";
  p.a->Write(BuildSend(s));
  Frame r = p.a->ReadFrame(kFrameTimeout, "REPORT 000 481");
  INFO(r.Describe());
  CHECK(r.is_request);
  CHECK(r.method == "REPORT");
  CHECK(IsFreshRelayTid(r.tid, s.tid));
  REQUIRE(r.headers.size() >= 5);
  CHECK(r.headers[0] == std::make_pair(std::string("To-Path"), p.a.uri()));
  CHECK(r.headers[1] == std::make_pair(std::string("From-Path"), bogus));
  CHECK(r.headers[2] == std::make_pair(std::string("Message-ID"), s.message_id));
  // the REPORT covers the whole refused chunk, as the SEND stated it.
  CHECK(r.Header("Byte-Range") == s.byte_range);
  CHECK(r.Header("Status").value_or("").rfind("000 481", 0) == 0);
  CHECK_FALSE(r.has_body);
  CHECK_SILENT(*p.a.client, 500);
  CHECK_SILENT(*p.b.client, 100);
}

TEST_CASE("R-23, E-07: an unanswered NICKNAME's state expires after transaction_timeout: no 408 "
          "response, and a late response is dropped") {
  RelayProcess relay;  // transaction_timeout: 2 s
  PeerPair p = AuthenticatedPair(relay);
  std::string tid_a = NewTid();
  p.a->Write(NicknameBetween(tid_a, p));
  Frame got = p.b->ReadFrame(kFrameTimeout, "the forwarded NICKNAME");
  // Past transaction_timeout A gets nothing (408 is never a transaction response, E-07) ...
  CHECK_SILENT(*p.a.client, 4000);
  // ... and B's late answer no longer maps back to A's transaction.
  p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path, p.a.use_path, p.a.uri()},
                           {p.b.uri()}));
  CHECK_SILENT(*p.a.client, 1000);
  RequireRelayStillWorks(relay);
}

}  // namespace msrp::test
