// F-11 (RFC 4975 §7.1): a body that holds the end-line of the relay's own downstream
// transaction id must not end the forwarded chunk early. Over the in-memory transport the test
// can read the transaction id the engine chose (Engine::Find(...)->route.out_tid) and put its
// end-line into the body, split across reads as a fuzzer did (fuzz/corpus/relay/
// regression-flushed-partial-endline), then have a frame cut the piece.
#include <doctest/doctest.h>

#include "relay/engine/engine.h"
#include "tests/sim/sim_harness.h"

namespace msrp::sim {

TEST_CASE("F-11, R-18: the downstream end-line inside a body, delivered on its own, then a frame for B: "
          "every frame B gets parses and the body arrives whole") {
  SimRelay relay;
  SimPeer a(relay.t, "alice"), b(relay.t, "bob");
  REQUIRE(a.Authenticate("alice", "pa"));
  REQUIRE(b.Authenticate("bob", "pb"));
  const std::string tid = SimTid();
  const std::string head_and_start = SendVia(a, b, tid, "mf11", std::string(3000, 'x'));
  const size_t body_at = head_and_start.find("\r\n\r\n") + 4;
  // Head and the first 512 body octets.
  a.Send(head_and_start.substr(0, body_at + 512));
  const relay::Connection* ac = relay.engine.Find(a.id());
  REQUIRE(ac != nullptr);
  const std::string out_tid = ac->route.out_tid;
  REQUIRE(out_tid.size() == 16);
  // The relay's own end-line for B, with '#', as the next body octets (alone in one read).
  const std::string trap = "\r\n-------" + out_tid + "#\r\n";
  a.Send(trap);
  // A frame for B cuts the open piece: B sends an unknown method to the relay, 501.
  const std::string foo = SimTid();
  b.Send(test::EncodeFrame(foo, "FOO", {{"To-Path", "msrps://relay.example.com:2855;tcp"}, {"From-Path", b.uri()}},
                           std::nullopt));
  // The rest of the body and the end-line.
  const std::string rest = head_and_start.substr(body_at + 512);
  a.Send(rest);
  auto frames = b.Receive();
  INFO("stream error: ", b.stream_error());
  REQUIRE(b.stream_error().empty());
  std::string body;
  bool answered_501 = false;
  for (const auto& f : frames) {
    if (!f.is_request) {
      answered_501 = answered_501 || (f.tid == foo && f.status == 501);
      continue;
    }
    CHECK(f.method == "SEND");
    body += f.body;
  }
  CHECK(answered_501);
  // Byte for byte: 512 x, the trap octets as body, then the rest (the last CRLF and end-line
  // belong to the frame).
  const std::string sent_body = std::string(512, 'x') + trap + std::string(3000 - 512, 'x');
  CHECK(body.size() == sent_body.size());
  CHECK(body == sent_body);
}

}  // namespace msrp::sim
