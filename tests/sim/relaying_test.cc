// The relay engine without sockets: AUTH, then a SEND from A to B, over the in-memory
// transport (RFC 4976 §5.1, §6.4; ). The same engine the daemon runs.
#include <doctest/doctest.h>

#include "relay/engine/engine.h"
#include "tests/sim/memory_transport.h"
#include "tests/sim/sim_peer.h"

namespace msrp::sim {

TEST_CASE("A-11, R-03, R-05: two clients AUTH and A's SEND reaches B rewritten, A gets 200") {
  MemoryTransport t;
  relay::Engine engine(t, SimConfig(), SimUsers({{"alice", "pa"}, {"bob", "pb"}}));
  t.set_engine(&engine);
  engine.SetListenerPorts({2855, 2856}, 2855);
  SimPeer a(t, "alice"), b(t, "bob");
  REQUIRE(a.Authenticate("alice", "pa"));
  REQUIRE(b.Authenticate("bob", "pb"));
  CHECK(a.use_path().rfind("msrps://relay.example.com:2855/", 0) == 0);

  const std::string tid = SimTid();
  a.Send(test::EncodeFrame(tid, "SEND",
                           {{"To-Path", a.use_path() + " " + b.use_path() + " " + b.uri()},
                            {"From-Path", a.uri()},
                            {"Message-ID", "m1"},
                            {"Byte-Range", "1-5/5"},
                            {"Content-Type", "text/plain"}},
                           std::string("hello")));
  auto at_b = b.Receive();
  REQUIRE(at_b.size() == 1);
  const test::Frame& f = at_b[0];
  CHECK(f.method == "SEND");
  CHECK(f.tid != tid);
  CHECK(f.raw == "MSRP " + f.tid + " SEND\r\nTo-Path: " + b.uri() + "\r\nFrom-Path: " + b.use_path() + " " +
                     a.use_path() + " " + a.uri() +
                     "\r\nMessage-ID: m1\r\nByte-Range: 1-*/5\r\nContent-Type: text/plain\r\n\r\nhello\r\n-------" +
                     f.tid + "$\r\n");
  auto at_a = a.Receive();
  REQUIRE(at_a.size() == 1);
  CHECK(at_a[0].raw == "MSRP " + tid + " 200 OK\r\nTo-Path: " + a.uri() + "\r\nFrom-Path: " + a.use_path() +
                           "\r\n-------" + tid + "$\r\n");
  CHECK(engine.pending_transaction_count() == 1);  // B's 200 is still awaited
  b.Send("MSRP " + f.tid + " 200 OK\r\nTo-Path: " + b.use_path() + " " + a.use_path() + " " + a.uri() +
         "\r\nFrom-Path: " + b.uri() + "\r\n-------" + f.tid + "$\r\n");
  CHECK(engine.pending_transaction_count() == 0);
  CHECK(a.Receive().empty());  // consumed by the relay
}

}  // namespace msrp::sim
