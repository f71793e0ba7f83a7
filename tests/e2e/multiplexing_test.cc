// End-to-end tests of what goes out on one connection when several things are bound for it at
// once (RFC 4975 §7.1.1, R-11, R-17, R-18): a chunk streaming to a client, responses and
// REPORTs for that client, and chunks from other sources. Frames must never land inside a body;
// chunks are cut with '+' and continue under a fresh transaction id.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/support/crypto_util.h"
#include "tests/support/expect.h"
#include "tests/support/msrp_client.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"

namespace msrp::test {
namespace {

// Reassembles the pieces of one message as they arrive and checks framing: same
// Message-ID, contiguous Byte-Ranges, '+' on all but the last piece, octets equal to the
// original.
struct Reassembly {
  std::string message_id;
  std::string original;
  std::string received;
  std::vector<std::string> tids;
  std::string problems;
  bool done = false;

  void Add(const Frame& f) {
    tids.push_back(f.tid);
    std::string range = f.Header("Byte-Range").value_or("");
    std::string want_start = std::to_string(received.size() + 1) + "-";
    if (range.rfind(want_start, 0) != 0) {
      problems += "piece " + std::to_string(tids.size()) + ": Byte-Range " + range + ", want start " +
                  want_start + "\n";
    }
    received += f.body;
    // A piece cut for a frame right at the end leaves '$' to a further, empty piece.
    const bool last = received.size() >= original.size();
    if (last ? f.flag == '#' : f.flag != '+') {
      problems += "piece " + std::to_string(tids.size()) + ": flag " + std::string(1, f.flag) + " at " +
                  std::to_string(received.size()) + " octets\n";
    }
    if (f.flag == '$') done = true;
  }
  bool Intact() const { return received == original; }
};

// Splits an encoded SEND into the part before its body and the part after it.
std::pair<std::string, std::string> HeadAndTail(const std::string& encoded, const SendSpec& spec) {
  size_t body_at = encoded.find("\r\n\r\n") + 4;
  std::string tail = "\r\n-------" + spec.tid + std::string(1, spec.flag) + "\r\n";
  return {encoded.substr(0, body_at), tail};
}

}  // namespace

TEST_CASE("R-18, R-17, R-05: responses the relay sends a client while a chunk streams to it go "
          "between pieces, never inside the body") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  const std::string body = PseudoRandomBytes(1 << 20, 7);
  SendSpec big = SendBetween(p.a, p.b, body);
  const std::string encoded = BuildSend(big);
  auto [head, tail] = HeadAndTail(encoded, big);
  Reassembly at_b{big.message_id, body};
  std::map<std::string, bool> b_sends;  // B's SEND tids -> got its 200
  int a_got = 0;
  bool a_chunk_open = true;
  std::vector<std::string> a_owes;  // A answers only once its own chunk is written (no frame inside it)

  auto drain = [&](Millis wait) {
    for (;;) {
      Frame f;
      if (p.b->Read(&f, wait) != ReadStatus::kFrame) break;
      if (f.is_request && f.method == "SEND" && f.Header("Message-ID") == std::optional<std::string>(big.message_id)) {
        at_b.Add(f);
        p.b->Write(BuildResponse(f.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
      } else if (!f.is_request && b_sends.count(f.tid)) {
        CHECK_MESSAGE(f.status == 200, "B's SEND " << f.tid << " got " << f.status);
        b_sends[f.tid] = true;
      } else {
        FAIL_CHECK("B got an unexpected frame:\n" << f.Describe());
      }
    }
    for (;;) {
      Frame f;
      if (p.a->Read(&f, Millis(0)) != ReadStatus::kFrame) break;
      if (f.is_request && f.method == "SEND") {
        ++a_got;
        a_owes.push_back(f.tid);
      }
    }
    if (!a_chunk_open) {
      for (const auto& tid : a_owes) p.a->Write(BuildResponse(tid, 200, "OK", {p.a.use_path}, {p.a.uri()}));
      a_owes.clear();
    }
  };

  p.a->Write(head);
  const size_t kSlice = 16 * 1024;
  for (size_t off = 0; off < body.size(); off += kSlice) {
    p.a->Write(std::string_view(body).substr(off, kSlice));
    // B sends while A's chunk streams to it: the relay's 200 for B goes out on B's connection.
    SendSpec small = SendBetween(p.b, p.a, "reply " + std::to_string(off / kSlice));
    b_sends[small.tid] = false;
    p.b->Write(BuildSend(small));
    drain(Millis(20));
  }
  p.a->Write(tail);
  a_chunk_open = false;
  for (int i = 0; i < 100 && !(at_b.done && a_got == static_cast<int>(b_sends.size())); ++i) drain(Millis(100));
  for (int i = 0; i < 20; ++i) drain(Millis(50));

  CHECK_MESSAGE(at_b.problems.empty(), at_b.problems);
  CHECK_MESSAGE(at_b.Intact(), "B reassembled " << at_b.received.size() << " of " << body.size()
                                                << " octets, equal: " << (at_b.received == body));
  CHECK_MESSAGE(at_b.done, "B never got the piece that ends the message with '$'");
  CHECK_MESSAGE(at_b.tids.size() > 1, "the chunk was never cut for a response (R-18)");
  int answered = 0;
  for (const auto& [tid, ok] : b_sends) answered += ok ? 1 : 0;
  CHECK_MESSAGE(answered == static_cast<int>(b_sends.size()),
                "B got 200s for " << answered << " of " << b_sends.size() << " SENDs");
  CHECK(a_got == static_cast<int>(b_sends.size()));
  MESSAGE("1 MiB chunk reached B in " << at_b.tids.size() << " pieces around " << b_sends.size()
                                      << " responses to B");
}

TEST_CASE("R-11, R-18: two sources streaming to one client at once: each message arrives intact; "
          "with limits.outgoing_chunk_bytes they take turns") {
  RelayOptions o;
  bool split = false;
  SUBCASE("chunks pass through whole") {}
  SUBCASE("limits.outgoing_chunk_bytes 65536") {
    o.limits["outgoing_chunk_bytes"] = "65536";
    split = true;
  }
  RelayProcess relay(o);
  Peer b = AuthenticatedPeer(relay, "bob", "bob", "bobpw");
  Peer a = AuthenticatedPeer(relay, "alice", "alice", "alicepw");
  Peer c = AuthenticatedPeer(relay, "carol", "carol", "carolpw");

  struct Source {
    Peer* peer;
    std::string body;
    SendSpec spec;
    std::string bytes;
    size_t written = 0;
  };
  std::vector<Source> sources;
  for (Peer* from : {&a, &c}) {
    Source s{from, PseudoRandomBytes(512 * 1024, sources.size() + 11), {}, {}};
    s.spec = SendBetween(*from, b, s.body);
    s.bytes = BuildSend(s.spec);
    sources.push_back(std::move(s));
  }
  std::map<std::string, Reassembly> at_b;
  for (const auto& s : sources) at_b[s.spec.message_id] = Reassembly{s.spec.message_id, s.body};
  std::vector<std::string> arrival;  // Message-IDs of the pieces in arrival order

  auto drain_b = [&](Millis wait) {
    for (;;) {
      Frame f;
      if (b->Read(&f, wait) != ReadStatus::kFrame) return;
      auto it = at_b.find(f.Header("Message-ID").value_or(""));
      if (!f.is_request || it == at_b.end()) {
        FAIL_CHECK("B got an unexpected frame:\n" << f.Describe());
        continue;
      }
      it->second.Add(f);
      arrival.push_back(it->first);
      b->Write(BuildResponse(f.tid, 200, "OK", {b.use_path}, {b.uri()}));
    }
  };
  auto all_written = [&] {
    for (const auto& s : sources) {
      if (s.written < s.bytes.size()) return false;
    }
    return true;
  };
  for (int round = 0; round < 4000 && !all_written(); ++round) {
    for (auto& s : sources) {
      if (s.written == s.bytes.size()) continue;
      bool failed = false;
      size_t n = std::min<size_t>(16 * 1024, s.bytes.size() - s.written);
      s.written += (*s.peer)->WriteSome(std::string_view(s.bytes).substr(s.written, n), Millis(10), &failed);
      REQUIRE_FALSE_MESSAGE(failed, (*s.peer)->name() << "'s connection broke");
    }
    drain_b(Millis(5));
  }
  REQUIRE_MESSAGE(all_written(), "the sources could not write their chunks");
  for (int i = 0; i < 100 && !(at_b.begin()->second.done && at_b.rbegin()->second.done); ++i) drain_b(Millis(100));

  for (const auto& [mid, r] : at_b) {
    INFO("message " << mid);
    CHECK_MESSAGE(r.problems.empty(), r.problems);
    CHECK_MESSAGE(r.done, "no piece ended the message with '$'");
    CHECK_MESSAGE(r.Intact(), "reassembled " << r.received.size() << " of " << r.original.size() << " octets");
  }
  for (auto& s : sources) {
    Frame ok = (*s.peer)->ReadFrame(kFrameTimeout, "the relay's 200");
    CHECK(CheckRelay200(ok, s.spec.tid, *s.peer) == "");
  }
  // Turns: how often the stream to B switched from one message to the other.
  int switches = 0;
  for (size_t i = 1; i < arrival.size(); ++i) switches += arrival[i] != arrival[i - 1] ? 1 : 0;
  MESSAGE(std::string(split ? "split at 64 KiB: " : "whole chunks: ") << arrival.size() << " pieces, " << switches
                                                           << " switches between the two messages");
  if (split) {
    CHECK_MESSAGE(switches >= 4, "with 64 KiB pieces the two 512 KiB messages should take turns (R-18)");
  }
}

}  // namespace msrp::test
