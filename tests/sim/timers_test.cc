// Transaction timers without sleeping (RFC 4976 §6.4.1): the REPORT 408 after
// limits.transaction_timeout, what Failure-Report partial and no change, a
// response stopping the timer, and outbound dials that time out or fail
// (peers.connect_timeout, C-09). Time is the MemoryTransport's simulated clock.
#include <doctest/doctest.h>

#include "tests/sim/sim_harness.h"

namespace msrp::sim {

namespace {

/// A relay with limits.transaction_timeout = 30 s, and alice and bob authenticated on it.
struct TwoClients {
  explicit TwoClients(std::shared_ptr<config::Config> cfg = SimConfig()) : relay(std::move(cfg)) {
    REQUIRE(a.Authenticate("alice", "pa"));
    REQUIRE(b.Authenticate("bob", "pb"));
  }
  SimRelay relay;
  SimPeer a{relay.t, "alice"};
  SimPeer b{relay.t, "bob"};
};

}  // namespace

TEST_CASE("R-08: a SEND that B never answers gives A REPORT 000 408 exactly limits.transaction_timeout after "
          "its last byte, not before, and only once") {
  TwoClients s;
  REQUIRE(s.relay.engine.config().limits.transaction_timeout == 30);
  const std::string tid = SimTid();
  s.a.Send(SendVia(s.a, s.b, tid, "m408", "hello"));
  CHECK(OnlyFrame(s.b.Receive()).method == "SEND");
  CheckRelayResponse(OnlyFrame(s.a.Receive()), tid, 200, s.a.uri(), s.a.use_path());

  s.relay.t.Advance(29'999);
  CHECK(s.a.Receive().empty());
  CHECK(s.relay.engine.pending_transaction_count() == 1);
  s.relay.t.Advance(1);
  CheckRelayReport(OnlyFrame(s.a.Receive()), s.a, "m408", "1-5/5", 408);
  CHECK(s.relay.engine.pending_transaction_count() == 0);
  CHECK(s.relay.engine.counters().transaction_timeouts == 1);
  s.relay.t.Advance(120'000);
  CHECK(s.a.Receive().empty());
  CHECK(s.b.Receive().empty());  // nothing goes to B about it
}

TEST_CASE("R-08: the timeout follows limits.transaction_timeout (5 s here)") {
  auto cfg = SimConfig();
  cfg->limits.transaction_timeout = 5;
  TwoClients s(cfg);
  s.a.Send(SendVia(s.a, s.b, SimTid(), "m5s", "hi"));
  s.b.Receive();
  s.a.Receive();
  s.relay.t.Advance(4'999);
  CHECK(s.a.Receive().empty());
  s.relay.t.Advance(1);
  CheckRelayReport(OnlyFrame(s.a.Receive()), s.a, "m5s", "1-2/2", 408);
}

TEST_CASE("R-06, R-08: Failure-Report partial gets no 200 and no timeout REPORT; no gets neither; their state "
          "expires") {
  TwoClients s;
  s.a.Send(SendVia(s.a, s.b, SimTid(), "mpartial", "partial", std::string("partial")));
  s.a.Send(SendVia(s.a, s.b, SimTid(), "mno", "none", std::string("no")));
  auto at_b = s.b.Receive();
  REQUIRE(at_b.size() == 2);
  CHECK(at_b[0].Header("Failure-Report") == "partial");  // passed through unchanged (F-13)
  CHECK(at_b[1].Header("Failure-Report") == "no");
  CHECK(s.a.Receive().empty());
  CHECK(s.relay.engine.pending_transaction_count() == 1);  // partial: kept for failure REPORTs
  s.relay.t.Advance(60'000);
  CHECK(s.a.Receive().empty());
  CHECK(s.relay.engine.pending_transaction_count() == 0);  // the state expires anyway
  CHECK(s.relay.engine.counters().transaction_timeouts == 0);
}

TEST_CASE("R-08, R-21: a SEND that B answers 200 in time gives A no REPORT, and B's 200 is consumed") {
  TwoClients s;
  const std::string tid = SimTid();
  s.a.Send(SendVia(s.a, s.b, tid, "mok", "hello"));
  test::Frame at_b = OnlyFrame(s.b.Receive());
  CheckRelayResponse(OnlyFrame(s.a.Receive()), tid, 200, s.a.uri(), s.a.use_path());
  s.relay.t.Advance(29'000);
  s.b.Send(AnswerTo(at_b, s.b.uri(), 200));
  CHECK(s.relay.engine.pending_transaction_count() == 0);
  s.relay.t.Advance(60'000);
  CHECK(s.a.Receive().empty());
  CHECK(s.relay.engine.counters().transaction_timeouts == 0);
}

TEST_CASE("R-09: a non-200 answer from B gives A REPORT 000 <that code> and stops the timer") {
  TwoClients s;
  s.a.Send(SendVia(s.a, s.b, SimTid(), "m415", "hello"));
  test::Frame at_b = OnlyFrame(s.b.Receive());
  s.a.Receive();
  s.relay.t.Advance(10'000);
  s.b.Send(AnswerTo(at_b, s.b.uri(), 415, "Unsupported Media Type"));
  CheckRelayReport(OnlyFrame(s.a.Receive()), s.a, "m415", "1-5/5", 415);
  s.relay.t.Advance(60'000);
  CHECK(s.a.Receive().empty());
}

TEST_CASE("R-08: each chunk's timer starts at that chunk's own last byte; each REPORT covers its chunk") {
  // B reads each chunk as it comes (written = taken by B's peer in MemoryTransport).
  TwoClients s;
  s.a.Send(SendVia(s.a, s.b, SimTid(), "mchunks", "hello", std::nullopt, std::string("1-5/10"), '+'));
  CHECK(OnlyFrame(s.b.Receive()).Header("Byte-Range") == "1-*/10");  // streamed, end '*'
  s.relay.t.Advance(10'000);
  s.a.Send(SendVia(s.a, s.b, SimTid(), "mchunks", "world", std::nullopt, std::string("6-10/10"), '$'));
  CHECK(OnlyFrame(s.b.Receive()).Header("Byte-Range") == "6-*/10");
  REQUIRE(s.a.Receive().size() == 2);  // two 200s
  s.relay.t.Advance(19'999);           // 29.999 s after the first chunk
  CHECK(s.a.Receive().empty());
  s.relay.t.Advance(1);
  CheckRelayReport(OnlyFrame(s.a.Receive()), s.a, "mchunks", "1-5/10", 408);
  s.relay.t.Advance(9'999);
  CHECK(s.a.Receive().empty());
  s.relay.t.Advance(1);
  CheckRelayReport(OnlyFrame(s.a.Receive()), s.a, "mchunks", "6-10/10", 408);
}

TEST_CASE("R-08: the timer starts when the chunk's last byte has been written to B, not when it was queued") {
  // B's peer reads nothing for 20 s: the chunk stays in the relay's queue toward B, unwritten
  // (MemoryTransport: written = taken by the peer). The 30 s start once B has taken it.
  TwoClients s;
  s.a.Send(SendVia(s.a, s.b, SimTid(), "mslow", "hello"));
  s.a.Receive();
  s.relay.t.Advance(20'000);
  CHECK(OnlyFrame(s.b.Receive()).method == "SEND");  // written now
  s.relay.t.Advance(29'999);
  const auto early = s.a.Receive();
  CHECK_MESSAGE(early.empty(), "REPORT 408 less than 30 s after B read the chunk (the timer ran from when it "
                "was queued, 20 s before): ", early.empty() ? "" : early[0].Describe());
  s.relay.t.Advance(1);
  const auto late = s.a.Receive();
  CHECK(late.size() == (early.empty() ? 1u : 0u));
  if (early.empty() && late.size() == 1) CheckRelayReport(late[0], s.a, "mslow", "1-5/5", 408);
}

TEST_CASE("R-23, E-07: a NICKNAME that B never answers leaves no state after transaction_timeout, and A gets "
          "no response from the relay (408 is never a response)") {
  TwoClients s;
  const std::string tid = SimTid();
  s.a.Send(test::EncodeFrame(tid, "NICKNAME",
                             {{"To-Path", test::JoinPath(RelayPath(s.a, s.b))}, {"From-Path", s.a.uri()},
                              {"Use-Nickname", "\"Al\""}},
                             std::nullopt));
  CHECK(OnlyFrame(s.b.Receive()).method == "NICKNAME");
  CHECK(s.relay.engine.pending_transaction_count() == 1);
  s.relay.t.Advance(29'999);
  CHECK(s.relay.engine.pending_transaction_count() == 1);
  s.relay.t.Advance(1);
  CHECK(s.relay.engine.pending_transaction_count() == 0);
  s.relay.t.Advance(60'000);
  CHECK(s.a.Receive().empty());
}

TEST_CASE("C-08, peers.idle_timeout: an outbound connection unused for peers.idle_timeout is closed; the next "
          "request dials again") {
  auto cfg = SimConfig();
  cfg->peers.idle_timeout = 100;
  SimRelay relay(cfg);
  SimPeer a(relay.t, "alice");
  REQUIRE(a.Authenticate("alice", "pa", 3600));
  const std::string remote = "msrps://relay2.example.net:2855/s1;tcp";
  auto send = [&](const std::string& mid) {
    test::SendSpec spec;
    spec.tid = SimTid();
    spec.to_path = {a.use_path(), remote};
    spec.from_path = {a.uri()};
    spec.message_id = mid;
    spec.failure_report = "no";
    spec.body = "hello";
    a.Send(test::BuildSend(spec));
  };
  send("m1");
  REQUIRE(relay.t.dials().size() == 1);
  const ConnectionId dial = relay.t.dials()[0];
  relay.t.Establish(dial);
  SimPeer r2(relay.t, dial, "msrps://relay2.example.net:2855;tcp");
  CHECK(OnlyFrame(r2.Receive()).Header("Message-ID") == "m1");  // last activity
  relay.t.Advance(50'000);
  send("m2");  // reused (C-06), activity again
  CHECK(relay.t.dials().size() == 1);
  CHECK(OnlyFrame(r2.Receive()).Header("Message-ID") == "m2");
  relay.t.Advance(99'999);
  CHECK_FALSE(IsClosed(relay.t, dial));
  relay.t.Advance(201);
  REQUIRE(IsClosed(relay.t, dial));
  CHECK(relay.t.Get(dial)->close_reason.find("peers.idle_timeout") != std::string::npos);
  CHECK(relay.engine.counters().outbound_idle_closes == 1);
  send("m3");
  CHECK(relay.t.dials().size() == 2);
  CHECK_FALSE(IsClosed(relay.t, a.id()));
}

TEST_CASE("peers.connect_timeout, C-09: a dial that never comes up is closed after connect_timeout; SENDs "
          "queued on it get REPORT 000 408 (yes, partial), none (no), a NICKNAME gets 481") {
  auto cfg = SimConfig();
  cfg->peers.connect_timeout = 10;
  SimRelay relay(cfg);
  SimPeer a(relay.t, "alice");
  REQUIRE(a.Authenticate("alice", "pa"));
  const std::string remote = "msrps://relay2.example.net:2855/s1;tcp";
  auto send = [&](const std::string& tid, const std::string& mid, std::optional<std::string> fr) {
    test::SendSpec spec;
    spec.tid = tid;
    spec.to_path = {a.use_path(), remote};
    spec.from_path = {a.uri()};
    spec.message_id = mid;
    spec.byte_range = "1-5/5";
    spec.failure_report = std::move(fr);
    spec.body = "hello";
    return test::BuildSend(spec);
  };
  const std::string tid_yes = SimTid(), tid_nick = SimTid();
  a.Send(send(tid_yes, "myes", std::nullopt));
  a.Send(send(SimTid(), "mpartial", std::string("partial")));
  a.Send(send(SimTid(), "mno", std::string("no")));
  a.Send(test::EncodeFrame(tid_nick, "NICKNAME",
                           {{"To-Path", a.use_path() + " " + remote},
                            {"From-Path", a.uri()},
                            {"Use-Nickname", "\"Al\""}},
                           std::nullopt));
  REQUIRE(relay.t.dials().size() == 1);  // one connection for all four (C-06)
  const ConnectionId dial = relay.t.dials()[0];
  CHECK(relay.t.Get(dial)->target.host == "relay2.example.net");
  CheckRelayResponse(OnlyFrame(a.Receive()), tid_yes, 200, a.uri(), a.use_path());  // at once

  relay.t.Advance(9'999);
  CHECK_FALSE(IsClosed(relay.t, dial));
  CHECK(a.Receive().empty());
  relay.t.Advance(201);  // within one tick of the deadline
  CHECK(IsClosed(relay.t, dial));
  CHECK(relay.t.Get(dial)->closed_by_engine);
  CHECK(relay.t.Get(dial)->close_reason.find("connect timeout") != std::string::npos);
  auto got = a.Receive();
  REQUIRE(got.size() == 3);
  int reports = 0;
  for (const auto& f : got) {
    if (f.is_request) {
      const std::string mid = f.Header("Message-ID").value_or("");
      CHECK((mid == "myes" || mid == "mpartial"));
      CheckRelayReport(f, a, mid, "1-5/5", 408);
      ++reports;
    } else {
      CheckRelayResponse(f, tid_nick, 481, a.uri(), a.use_path());  // E-07: never 408 as a response
    }
  }
  CHECK(reports == 2);
  CHECK(relay.engine.pending_transaction_count() == 0);
  CHECK(relay.engine.connection_count() == 1);
}

TEST_CASE("R-08, C-09: on a dial that comes up after 5 s the timer starts then: REPORT 408 at 5 s + "
          "transaction_timeout") {
  SimRelay relay;
  SimPeer a(relay.t, "alice");
  REQUIRE(a.Authenticate("alice", "pa"));
  const std::string remote = "msrps://relay2.example.net:2855/s1;tcp";
  test::SendSpec spec;
  spec.tid = SimTid();
  spec.to_path = {a.use_path(), remote};
  spec.from_path = {a.uri()};
  spec.message_id = "mlate";
  spec.byte_range = "1-5/5";
  spec.body = "hello";
  a.Send(test::BuildSend(spec));
  REQUIRE(relay.t.dials().size() == 1);
  a.Receive();
  relay.t.Advance(5'000);
  relay.t.Establish(relay.t.dials()[0]);
  SimPeer r2(relay.t, relay.t.dials()[0], "msrps://relay2.example.net:2855;tcp");
  test::Frame fwd = OnlyFrame(r2.Receive());  // written once established
  CHECK(fwd.Path("To-Path") == std::vector<std::string>{remote});
  CHECK(fwd.Path("From-Path") == std::vector<std::string>{a.use_path(), a.uri()});
  relay.t.Advance(29'999);
  CHECK(a.Receive().empty());
  relay.t.Advance(1);
  CheckRelayReport(OnlyFrame(a.Receive()), a, "mlate", "1-5/5", 408);
}

TEST_CASE("C-09, C-03: a dial that fails gives REPORT 000 408 at once; a certificate failure 000 403") {
  for (bool tls_failed : {false, true}) {
    CAPTURE(tls_failed);
    SimRelay relay;
    SimPeer a(relay.t, "alice");
    REQUIRE(a.Authenticate("alice", "pa"));
    test::SendSpec spec;
    spec.tid = SimTid();
    spec.to_path = {a.use_path(), "msrps://relay2.example.net:2855/s1;tcp"};
    spec.from_path = {a.uri()};
    spec.message_id = "mfail";
    spec.byte_range = "1-5/5";
    spec.body = "hello";
    a.Send(test::BuildSend(spec));
    a.Receive();
    REQUIRE(relay.t.dials().size() == 1);
    relay.t.FailDial(relay.t.dials()[0], tls_failed);
    CheckRelayReport(OnlyFrame(a.Receive()), a, "mfail", "1-5/5", tls_failed ? 403 : 408);
    CHECK(relay.engine.pending_transaction_count() == 0);
  }
}

}  // namespace msrp::sim
