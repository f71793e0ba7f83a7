// Session and connection timers without sleeping: Use-Path expiry and refresh, the
// probation period (C-05), limits.idle_timeout, and the close-after-flush grace after too many
// failed AUTHs or an AUTH over plain TCP. Time is the simulated clock.
#include <doctest/doctest.h>

#include "tests/sim/sim_harness.h"

namespace msrp::sim {

namespace {

/// Sends an AUTH with the given Authorization (none when empty) and no Expires.
void SendAuth(SimPeer& p, const std::string& tid, const std::string& authorization = "") {
  test::Headers h{{"To-Path", std::string(kSimRelayAuthUri)}, {"From-Path", p.uri()}};
  if (!authorization.empty()) h.emplace_back("Authorization", authorization);
  p.Send(test::EncodeFrame(tid, "AUTH", h, std::nullopt));
}

/// A config with auth.expires.min = 60 s (so a client may ask for short sessions).
std::shared_ptr<config::Config> ShortSessions() {
  auto cfg = SimConfig();
  cfg->auth.expires.min = 60;
  return cfg;
}

}  // namespace

TEST_CASE("A-15, E-05: a Use-Path URI works until its granted Expires and gets 481 from then on, both ways") {
  SimRelay relay(ShortSessions());
  SimPeer a(relay.t, "alice"), b(relay.t, "bob");
  REQUIRE(a.Authenticate("alice", "pa", 60));  // granted 60 s
  REQUIRE(b.Authenticate("bob", "pb"));        // default 600 s
  CHECK(relay.engine.session_count() == 2);

  relay.t.Advance(59'999);
  b.Send(SendVia(b, a, SimTid(), "still", "x", std::string("no")));
  CHECK(OnlyFrame(a.Receive()).Header("Message-ID") == "still");

  relay.t.Advance(1);  // exactly 60 s after the AUTH
  CHECK(relay.engine.session_count() == 1);
  const std::string tid_in = SimTid();
  b.Send(SendVia(b, a, tid_in, "late", "x"));
  CheckRelayResponse(OnlyFrame(b.Receive()), tid_in, 481, b.uri(), b.use_path());
  const std::string tid_out = SimTid();
  a.Send(SendVia(a, b, tid_out, "late2", "x"));  // A's own URI is gone too
  CheckRelayResponse(OnlyFrame(a.Receive()), tid_out, 481, a.uri(), a.use_path());
  CHECK(a.Receive().empty());
  CHECK(b.Receive().empty());
  CHECK_FALSE(IsClosed(relay.t, a.id()));  // the connection itself stays
}

TEST_CASE("A-15: a re-AUTH before expiry refreshes the same URI for a new Expires") {
  SimRelay relay(ShortSessions());
  SimPeer a(relay.t, "alice"), b(relay.t, "bob");
  REQUIRE(a.Authenticate("alice", "pa", 60));
  REQUIRE(b.Authenticate("bob", "pb"));
  const std::string first = a.use_path();
  relay.t.Advance(50'000);
  REQUIRE(a.Authenticate("alice", "pa", 60));  // expires at 110 s now
  CHECK(a.use_path() == first);
  CHECK(relay.engine.session_count() == 2);

  relay.t.Advance(59'999);  // 109.999 s
  b.Send(SendVia(b, a, SimTid(), "refreshed", "x", std::string("no")));
  CHECK(OnlyFrame(a.Receive()).Header("Message-ID") == "refreshed");
  relay.t.Advance(1);
  const std::string tid = SimTid();
  b.Send(SendVia(b, a, tid, "expired", "x"));
  CheckRelayResponse(OnlyFrame(b.Receive()), tid, 481, b.uri(), b.use_path());
}

TEST_CASE("A-08, auth.nonce_lifetime: credentials on a nonce older than nonce_lifetime get 401 stale=true with a "
          "fresh nonce, which then works") {
  auto cfg = SimConfig();
  cfg->auth.nonce_lifetime = 60;
  cfg->limits.probation = 120;  // the connection outlives the nonce
  SimRelay relay(cfg);
  SimPeer a(relay.t, "alice");
  SendAuth(a, SimTid());
  const std::string www = OnlyFrame(a.Receive()).Header("WWW-Authenticate").value_or("");
  CHECK(www.find("stale") == std::string::npos);
  relay.t.Advance(61'000);  // the nonce is 61 s old
  SendAuth(a, SimTid(), DigestAuthorization(www, "alice", "pa", kSimRelayAuthUri, 1));
  const test::Frame stale = OnlyFrame(a.Receive());
  REQUIRE(stale.status == 401);
  const std::string fresh = stale.Header("WWW-Authenticate").value_or("");
  CHECK(fresh.find("stale=true") != std::string::npos);
  CHECK(relay.engine.counters().auth_failures == 0);  // stale is not a failure
  SendAuth(a, SimTid(), DigestAuthorization(fresh, "alice", "pa", kSimRelayAuthUri, 1));
  const test::Frame ok = OnlyFrame(a.Receive());
  CHECK(ok.status == 200);
  CHECK(ok.Header("Use-Path").has_value());
}

TEST_CASE("C-05: connections with no successful request are closed after limits.probation (silent, only "
          "challenged, or only refused)") {
  auto cfg = SimConfig();
  cfg->limits.probation = 30;
  SimRelay relay(cfg);
  SimPeer silent(relay.t, "silent"), challenged(relay.t, "chall"), refused(relay.t, "refused");
  SendAuth(challenged, SimTid());
  CHECK(OnlyFrame(challenged.Receive()).status == 401);
  const std::string tid = SimTid();
  test::SendSpec spec;
  spec.tid = tid;
  spec.to_path = {"msrps://relay.example.com:2855/nosuchsession;tcp", "msrps://x.example.com:9892/x;tcp"};
  spec.from_path = {refused.uri()};
  spec.message_id = "m";
  spec.body = "x";
  refused.Send(test::BuildSend(spec));
  CHECK(OnlyFrame(refused.Receive()).status == 481);

  relay.t.Advance(29'999);
  for (ConnectionId id : {silent.id(), challenged.id(), refused.id()}) CHECK_FALSE(IsClosed(relay.t, id));
  relay.t.Advance(201);  // within one tick of the deadline
  for (ConnectionId id : {silent.id(), challenged.id(), refused.id()}) {
    CAPTURE(id);
    REQUIRE(IsClosed(relay.t, id));
    CHECK(relay.t.Get(id)->closed_by_engine);
    CHECK(relay.t.Get(id)->close_reason.find("probation") != std::string::npos);
  }
  CHECK(relay.engine.counters().probation_closes == 3);
  CHECK(relay.engine.connection_count() == 0);
}

TEST_CASE("C-05: a connection that authenticated, or forwarded a request, is not closed by probation") {
  auto cfg = SimConfig();
  cfg->limits.probation = 30;
  SimRelay relay(cfg);
  SimPeer a(relay.t, "alice");
  REQUIRE(a.Authenticate("alice", "pa", 3600));
  SimPeer peer(relay.t, "peer", /*tls=*/false);  // a relay-less peer over plain TCP
  test::SendSpec spec;
  spec.tid = SimTid();
  spec.to_path = {a.use_path(), a.uri()};
  spec.from_path = {peer.uri()};
  spec.message_id = "m";
  spec.failure_report = "no";
  spec.body = "x";
  peer.Send(test::BuildSend(spec));
  CHECK(OnlyFrame(a.Receive()).method == "SEND");
  relay.t.Advance(31'000);
  CHECK_FALSE(IsClosed(relay.t, a.id()));
  CHECK_FALSE(IsClosed(relay.t, peer.id()));
  CHECK(relay.engine.counters().probation_closes == 0);
}

TEST_CASE("limits.idle_timeout: a connection holding no session closes after idle_timeout of silence; one "
          "holding a session stays") {
  auto cfg = SimConfig();
  cfg->limits.idle_timeout = 60;
  SimRelay relay(cfg);
  SimPeer a(relay.t, "alice");
  REQUIRE(a.Authenticate("alice", "pa", 3600));
  SimPeer peer(relay.t, "peer", /*tls=*/false);  // earns probation by a forwarded SEND, holds no session
  test::SendSpec spec;
  spec.tid = SimTid();
  spec.to_path = {a.use_path(), a.uri()};
  spec.from_path = {peer.uri()};
  spec.message_id = "m";
  spec.body = "x";
  peer.Send(test::BuildSend(spec));
  test::Frame at_a = OnlyFrame(a.Receive());
  a.Send(AnswerTo(at_a, a.uri(), 200));
  CHECK(OnlyFrame(peer.Receive()).status == 200);  // the relay's 200, taken now: last activity

  relay.t.Advance(59'999);
  CHECK_FALSE(IsClosed(relay.t, peer.id()));
  relay.t.Advance(201);
  REQUIRE(IsClosed(relay.t, peer.id()));
  CHECK(relay.t.Get(peer.id())->close_reason.find("idle") != std::string::npos);
  CHECK(relay.engine.counters().idle_closes == 1);

  relay.t.Advance(600'000);  // A's session (3600 s) keeps its connection open
  CHECK_FALSE(IsClosed(relay.t, a.id()));
  CHECK(relay.engine.connection_count() == 1);
}

TEST_CASE("limits.idle_timeout, A-15: a connection whose only session expired is closed idle_timeout after "
          "its last byte") {
  auto cfg = ShortSessions();
  cfg->limits.idle_timeout = 100;
  SimRelay relay(cfg);
  SimPeer b(relay.t, "bob");
  REQUIRE(b.Authenticate("bob", "pb", 60));  // last byte now; session until 60 s
  relay.t.Advance(60'200);
  CHECK(relay.engine.session_count() == 0);
  CHECK_FALSE(IsClosed(relay.t, b.id()));  // idle only 60.2 s
  relay.t.Advance(39'799);                 // 99.999 s
  CHECK_FALSE(IsClosed(relay.t, b.id()));
  relay.t.Advance(201);
  CHECK(IsClosed(relay.t, b.id()));
  CHECK(relay.engine.connection_count() == 0);
}

TEST_CASE("A-16: after auth.max_failures failed AUTHs the relay answers the last 401 and closes once the "
          "peer has read it; nothing more is read") {
  auto cfg = SimConfig();
  cfg->auth.max_failures = 3;
  SimRelay relay(cfg);
  SimPeer m(relay.t, "mallory");
  SendAuth(m, SimTid());
  const test::Frame challenge = OnlyFrame(m.Receive());
  REQUIRE(challenge.status == 401);
  const std::string www = challenge.Header("WWW-Authenticate").value_or("");
  for (uint32_t i = 1; i <= 3; ++i) {
    SendAuth(m, SimTid(), DigestAuthorization(www, "alice", "wrong", kSimRelayAuthUri, i));
  }
  CHECK_FALSE(IsClosed(relay.t, m.id()));  // waits for the peer to read
  CHECK(relay.t.Get(m.id())->close_after_flush);
  const uint64_t written = relay.t.Get(m.id())->written_total;
  SendAuth(m, SimTid());  // after the close was decided: not read
  CHECK(relay.t.Get(m.id())->written_total == written);
  auto got = m.Receive();
  REQUIRE(got.size() == 3);
  for (const auto& f : got) CHECK(f.status == 401);
  CHECK(IsClosed(relay.t, m.id()));
  CHECK(relay.engine.connection_count() == 0);
  CHECK(relay.engine.counters().auth_failure_closes == 1);
}

TEST_CASE("A-16: a peer that never reads its final 401 is closed 5 s after the close was decided") {
  auto cfg = SimConfig();
  cfg->auth.max_failures = 2;
  SimRelay relay(cfg);
  SimPeer m(relay.t, "mallory");
  SendAuth(m, SimTid());
  const std::string www = OnlyFrame(m.Receive()).Header("WWW-Authenticate").value_or("");
  SendAuth(m, SimTid(), DigestAuthorization(www, "alice", "wrong", kSimRelayAuthUri, 1));
  SendAuth(m, SimTid(), DigestAuthorization(www, "alice", "wrong", kSimRelayAuthUri, 2));
  REQUIRE(relay.t.Get(m.id())->close_after_flush);
  relay.t.Advance(4'999);
  CHECK_FALSE(IsClosed(relay.t, m.id()));
  relay.t.Advance(201);
  REQUIRE(IsClosed(relay.t, m.id()));
  CHECK(relay.t.Get(m.id())->closed_by_engine);
  CHECK(relay.t.Get(m.id())->close_reason == "peer did not read its final response");
  CHECK(relay.engine.connection_count() == 0);
}

TEST_CASE("A-02: an AUTH over plain TCP gets 403 and the connection closes after it (5 s grace if unread)") {
  SimRelay relay;
  SimPeer reader(relay.t, "reader", /*tls=*/false), deaf(relay.t, "deaf", /*tls=*/false);
  const std::string tid = SimTid();
  SendAuth(reader, tid);
  SendAuth(deaf, SimTid());
  CheckRelayResponse(OnlyFrame(reader.Receive()), tid, 403, reader.uri(), std::string(kSimRelayAuthUri));
  CHECK(IsClosed(relay.t, reader.id()));
  relay.t.Advance(4'999);
  CHECK_FALSE(IsClosed(relay.t, deaf.id()));
  relay.t.Advance(201);
  CHECK(IsClosed(relay.t, deaf.id()));
  CHECK(relay.engine.connection_count() == 0);
}

}  // namespace msrp::sim
