// End-to-end tests of chunking and stream framing (RFC 4975 §5.1, §7.1, §7.1.1; RFC 4976 §6.4.1):
// interrupted/aborted chunks, opaque binary bodies with end-line look-alikes, octet-by-octet
// writes and pipelining, the relay's own end-line inside a body, duplicated chunks (F-09, F-10,
// F-11, R-16, R-17, R-24, BR-09, BR-19, BR-20, BR-21, BR-23).
#include <doctest/doctest.h>

#include <cstring>
#include <set>

#include "tests/support/crypto_util.h"
#include "tests/support/expect.h"
#include "tests/support/msrp_client.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"

namespace msrp::test {
namespace {

// Reassembles the SEND chunks of one message as they arrive at a receiver, answering each
// with 200. Checks Message-ID, in-order contiguous Byte-Ranges with end `*`, and flags.
struct Reassembly {
  std::string message_id;
  int64_t total = 0;
  std::string data;
  int chunks = 0;
  bool done = false;
  std::string problems;

  void Add(const Frame& f) {
    ++chunks;
    if (!f.is_request || f.method != "SEND") {
      problems += "unexpected frame:\n" + f.Describe() + "\n";
      return;
    }
    if (f.Header("Message-ID") != message_id) problems += "wrong Message-ID in " + f.StartLine() + "\n";
    auto br = f.Header("Byte-Range") ? ParseByteRange(*f.Header("Byte-Range")) : std::nullopt;
    if (!br) {
      problems += "missing/bad Byte-Range in " + f.StartLine() + "\n";
      return;
    }
    if (br->start != static_cast<int64_t>(data.size()) + 1) {
      problems += "chunk " + std::to_string(chunks) + " starts at " + std::to_string(br->start) +
                  ", expected " + std::to_string(data.size() + 1) + "\n";
    }
    if (br->total != total) problems += "chunk total " + std::to_string(br->total) + "\n";
    if (f.body.size() > 2048 && br->end != -1) {
      problems += "chunk of " + std::to_string(f.body.size()) + " octets with range-end not * (R-15)\n";
    }
    data += f.body;
    if (f.flag == '$') {
      done = true;
    } else if (f.flag != '+') {
      problems += std::string("unexpected flag ") + f.flag + "\n";
    }
  }
};

}  // namespace

TEST_CASE("R-16, R-17, BR-23: an interrupted chunk and its continuation arrive in order with "
          "flags kept") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  std::string body = PseudoRandomBytes(5000, 3);
  SendSpec c1 = SendBetween(p.a, p.b, body.substr(0, 3000));
  c1.byte_range = "1-*/5000";
  c1.flag = '+';
  SendSpec c2 = c1;
  c2.tid = NewTid();
  c2.byte_range = "3001-5000/5000";
  c2.body = body.substr(3000);
  c2.flag = '$';
  std::string s1 = BuildSend(c1), s2 = BuildSend(c2);
  SUBCASE("chunks written separately") {
    p.a->Write(s1);
    p.a->Write(s2);
  }
  SUBCASE("both chunks in one write") { p.a->Write(s1 + s2); }
  std::string problems = CheckRelay200(p.a->ReadFrame(), c1.tid, p.a);
  CHECK_MESSAGE(problems.empty(), problems);
  problems = CheckRelay200(p.a->ReadFrame(), c2.tid, p.a);
  CHECK_MESSAGE(problems.empty(), problems);

  Frame g1 = p.b->ReadFrame(kFrameTimeout, "chunk 1");
  Frame g2 = p.b->ReadFrame(kFrameTimeout, "chunk 2");
  CHECK(g1.flag == '+');
  CHECK(g2.flag == '$');
  CHECK(g1.tid != g2.tid);
  CHECK_BYTES(g1.raw, ExpectedSendAtPeer(s1, g1.tid, p.a, p.b));  // 1-*/5000 unchanged
  CHECK_BYTES(g2.raw, ExpectedSendAtPeer(s2, g2.tid, p.a, p.b));  // 3001-*/5000
  CHECK(g2.Header("Byte-Range") == std::optional<std::string>("3001-*/5000"));
  p.b->Write(BuildResponse(g1.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}) +
             BuildResponse(g2.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
  CHECK_SILENT(*p.a.client, 500);
}

TEST_CASE("R-17, F-09: an aborted chunk (#) is forwarded ending in #") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  SendSpec c1 = SendBetween(p.a, p.b, std::string(100, 'a'));
  c1.byte_range = "1-100/300";
  c1.flag = '+';
  SendSpec c2 = c1;
  c2.tid = NewTid();
  c2.byte_range = "101-*/300";
  c2.body = std::string(50, 'b');
  c2.flag = '#';
  std::string s1 = BuildSend(c1), s2 = BuildSend(c2);
  p.a->Write(s1 + s2);
  Frame g1 = p.b->ReadFrame(kFrameTimeout, "chunk 1");
  Frame g2 = p.b->ReadFrame(kFrameTimeout, "the aborted chunk");
  CHECK(g1.flag == '+');
  CHECK(g2.flag == '#');
  CHECK_BYTES(g1.raw, ExpectedSendAtPeer(s1, g1.tid, p.a, p.b));
  CHECK_BYTES(g2.raw, ExpectedSendAtPeer(s2, g2.tid, p.a, p.b));
}

TEST_CASE("F-09, F-10, R-11, R-16, BR-09, BR-19, BR-21: a 10 MiB binary message in 1 MiB chunks "
          "with end-line look-alikes arrives byte-identical") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  const size_t kTotal = 10u << 20, kChunk = 1u << 20;
  std::string message = PseudoRandomBytes(kTotal, 0x5eed);
  std::string mid = "bin-" + RandomAlnum(8);
  std::vector<SendSpec> chunks;
  for (size_t off = 0; off < kTotal; off += kChunk) {
    SendSpec c = SendBetween(p.a, p.b, "");
    c.message_id = mid;
    c.content_type = "application/octet-stream";
    c.byte_range = std::to_string(off + 1) + "-" + std::to_string(off + kChunk) + "/" +
                   std::to_string(kTotal);
    c.flag = off + kChunk < kTotal ? '+' : '$';
    chunks.push_back(c);
  }
  // Plant end-line look-alikes: other tids, own tid with a bad flag or extra/missing chars,
  // a tid prefix cut short at the end of a chunk, and dashes at chunk starts.
  auto plant = [&](size_t at, const std::string& s) { std::memcpy(&message[at], s.data(), s.size()); };
  for (size_t i = 0; i < chunks.size(); ++i) {
    const std::string& tid = chunks[i].tid;
    const std::string& next = chunks[(i + 1) % chunks.size()].tid;
    size_t base = i * kChunk;
    plant(base, "-------" + next + "$\r\n");                     // dashes at the chunk start
    plant(base + 1000, "\r\n-------" + next + "$\r\n");           // another chunk's end-line
    plant(base + 2000, "\r\n-------" + tid + "X\r\n");            // own tid, invalid flag
    plant(base + 3000, "\r\n-------" + tid + "x$\r\n");           // own tid plus a char
    plant(base + 4000, "\r\n-------" + tid.substr(0, 8) + "$\r\n");  // own tid prefix
    plant(base + 5000, "\r\n-------" + tid + "$ \r\n");           // flag then not CRLF
    plant(base + 6000, "\r\n------" + tid + "$\r\n");             // six dashes
    plant(base + 100000, "\r\n-------abcd$\r\n-------abcd+\r\n-------abcd#\r\n");
    std::string cut = "\r\n-------" + tid.substr(0, 5);           // truncated at the chunk end
    plant(base + kChunk - cut.size(), cut);
  }
  std::string wire;
  for (size_t i = 0; i < chunks.size(); ++i) {
    chunks[i].body = message.substr(i * kChunk, kChunk);
    wire += BuildSend(chunks[i]);
  }
  const std::string want_sha = Sha256Hex(message);
  message.clear();

  BackgroundWriter writer(*p.a.client, std::move(wire));
  Reassembly r;
  r.message_id = mid;
  r.total = static_cast<int64_t>(kTotal);
  while (!r.done && r.problems.empty()) {
    Frame f = p.b->ReadFrame(Millis(15000), "the next chunk of the 10 MiB message");
    r.Add(f);
    if (f.is_request) p.b->Write(BuildResponse(f.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
  }
  std::string werr = writer.Join();
  CHECK_MESSAGE(werr.empty(), werr);
  CHECK_MESSAGE(r.problems.empty(), r.problems);
  CHECK(r.data.size() == kTotal);
  CHECK(Sha256Hex(r.data) == want_sha);
  MESSAGE("10 MiB arrived at B in " << r.chunks << " chunk(s)");
  for (const SendSpec& c : chunks) {
    std::string problems = CheckRelay200(p.a->ReadFrame(Millis(10000), "a 200 per chunk"), c.tid, p.a);
    CHECK_MESSAGE(problems.empty(), problems);
  }
  CHECK_SILENT(*p.a.client, 500);
}

TEST_CASE("BR-20, F-10: a SEND written one octet per TLS record is relayed intact") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  std::string body = "line one\r\n-------fake$\r\nline three with a CR\r";
  SendSpec s = SendBetween(p.a, p.b, body);
  std::string sent = BuildSend(s);
  BackgroundWriter writer(*p.a.client, sent, /*bytewise=*/true);
  Frame got = p.b->ReadFrame(Millis(20000), "the octet-by-octet SEND");
  std::string werr = writer.Join();
  CHECK_MESSAGE(werr.empty(), werr);
  CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, p.a, p.b));
  std::string problems = CheckRelay200(p.a->ReadFrame(), s.tid, p.a);
  CHECK_MESSAGE(problems.empty(), problems);
  // And an AUTH, octet by octet, still gets its 401.
  std::string tid = NewTid();
  p.a->WriteBytewise(EncodeFrame(tid, "AUTH", {{"To-Path", "msrps://relay.test;tcp"},
                                               {"From-Path", p.a.uri()}}, std::nullopt));
  Frame r = p.a->ReadFrame();
  CHECK(r.StartLine() == "MSRP " + tid + " 401 Unauthorized");
}

TEST_CASE("BR-20, F-03, R-04: 1000 pipelined SENDs in one write arrive in order and get 1000 "
          "200s in order") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  const int kCount = 1000;
  std::vector<SendSpec> specs;
  std::string wire;
  for (int i = 0; i < kCount; ++i) {
    SendSpec s = SendBetween(p.a, p.b, "message #" + std::to_string(i));
    s.message_id = "pipe" + std::to_string(i);
    wire += BuildSend(s);
    specs.push_back(std::move(s));
  }
  BackgroundWriter writer(*p.a.client, wire);
  std::set<std::string> relay_tids;
  int in_order = 0;
  for (int i = 0; i < kCount; ++i) {
    Frame f = p.b->ReadFrame(Millis(10000), "pipelined SEND #" + std::to_string(i));
    if (f.Header("Message-ID") == std::optional<std::string>(specs[i].message_id) &&
        f.body == *specs[i].body) {
      ++in_order;
    } else if (in_order == i) {
      FAIL_CHECK("out of order at #" << i << ":\n" << f.Describe());
    }
    CHECK(IsFreshRelayTid(f.tid, specs[i].tid));
    relay_tids.insert(f.tid);
    p.b->Write(BuildResponse(f.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
  }
  CHECK(in_order == kCount);
  CHECK(relay_tids.size() == static_cast<size_t>(kCount));
  std::string werr = writer.Join();
  CHECK_MESSAGE(werr.empty(), werr);
  int ok_in_order = 0;
  for (int i = 0; i < kCount; ++i) {
    Frame r = p.a->ReadFrame(Millis(10000), "200 #" + std::to_string(i));
    if (r.status == 200 && r.tid == specs[i].tid) ++ok_in_order;
  }
  CHECK(ok_in_order == kCount);
  CHECK_SILENT(*p.a.client, 500);
}

TEST_CASE("BR-20: a response and a request written back-to-back in one write are both processed") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  SendSpec s1 = SendBetween(p.a, p.b, "ping");
  std::string sent1 = BuildSend(s1);
  p.a->Write(sent1);
  Frame got1 = p.b->ReadFrame();
  SendSpec s2 = SendBetween(p.b, p.a, "pong");
  std::string sent2 = BuildSend(s2);
  p.b->Write(BuildResponse(got1.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}) + sent2);
  // A: its own 200 for s1 and B's SEND, in that order.
  std::string problems = CheckRelay200(p.a->ReadFrame(), s1.tid, p.a);
  CHECK_MESSAGE(problems.empty(), problems);
  Frame got2 = p.a->ReadFrame(kFrameTimeout, "B's SEND");
  CHECK_BYTES(got2.raw, ExpectedForward(sent2, got2.tid, {p.a.uri()},
                                        {p.a.use_path, p.b.use_path, p.b.uri()}, true));
  problems = CheckRelay200(p.b->ReadFrame(), s2.tid, p.b);
  CHECK_MESSAGE(problems.empty(), problems);
}

TEST_CASE("F-11: a body holding the relay's own downstream end-line is cut there with '+' and "
          "continues in a new chunk with another tid and the Byte-Range moved on") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  const std::string first = "first part, streamed before the look-alike";
  const std::string tail = "tail after the look-alike";
  SendSpec s = SendBetween(p.a, p.b, "");
  s.byte_range = "1-*/*";  // the body's size depends on the relay's tid, learnt below
  std::string head = BuildSend(s);
  head.resize(head.find("\r\n\r\n") + 4);
  // The relay streams the head with the first body octets, so B learns the relay's tid T
  // before A writes the rest of the body.
  p.a->Write(head + first);
  std::string partial = p.b->ReadPartial("\r\n\r\n" + first);
  REQUIRE(partial.rfind("MSRP ", 0) == 0);
  const std::string relay_tid = partial.substr(5, partial.find(' ', 5) - 5);
  REQUIRE(IsFreshRelayTid(relay_tid, s.tid));
  const std::string lookalike = "\r\n-------" + relay_tid + "$\r\n";
  s.body = first + lookalike + tail;
  const std::string sent = BuildSend(s);
  REQUIRE(sent.rfind(head + first, 0) == 0);
  p.a->Write(std::string_view(sent).substr(head.size() + first.size()));

  std::string problems = CheckRelay200(p.a->ReadFrame(), s.tid, p.a);
  CHECK_MESSAGE(problems.empty(), problems);
  Frame g1 = p.b->ReadFrame(kFrameTimeout, "the piece cut before the look-alike");
  Frame g2 = p.b->ReadFrame(kFrameTimeout, "the piece holding the look-alike");
  SendSpec piece1 = s;
  piece1.body = first;
  piece1.flag = '+';
  SendSpec piece2 = s;
  piece2.body = lookalike + tail;
  piece2.byte_range = std::to_string(first.size() + 1) + "-*/*";
  CHECK(g1.tid == relay_tid);
  CHECK_BYTES(g1.raw, ExpectedSendAtPeer(BuildSend(piece1), relay_tid, p.a, p.b));
  CHECK(IsFreshRelayTid(g2.tid, relay_tid));
  CHECK(g2.tid != s.tid);
  CHECK_BYTES(g2.raw, ExpectedSendAtPeer(BuildSend(piece2), g2.tid, p.a, p.b));
  CHECK(g1.body + g2.body == *s.body);
  p.b->Write(BuildResponse(g1.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}) +
             BuildResponse(g2.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
  CHECK_SILENT(*p.a.client, 500);
  CHECK_SILENT(*p.b.client, 100);
}

TEST_CASE("R-24: a duplicated chunk and an overlapping chunk are forwarded as they come") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  const std::string message = "0123456789abcdefghij";
  SendSpec c1 = SendBetween(p.a, p.b, message.substr(0, 10));
  c1.byte_range = "1-10/20";
  c1.flag = '+';
  SendSpec dup = c1;  // the same chunk again, as a sender retrying after a failure would
  dup.tid = NewTid();
  SendSpec overlap = c1;  // octets 6..20: 6..10 a second time
  overlap.tid = NewTid();
  overlap.byte_range = "6-20/20";
  overlap.body = message.substr(5);
  overlap.flag = '$';
  std::vector<std::string> sent{BuildSend(c1), BuildSend(dup), BuildSend(overlap)};
  p.a->Write(sent[0] + sent[1] + sent[2]);
  std::set<std::string> tids;
  for (const std::string& chunk : sent) {
    Frame got = p.b->ReadFrame(kFrameTimeout, "a forwarded chunk");
    CHECK_BYTES(got.raw, ExpectedSendAtPeer(chunk, got.tid, p.a, p.b));
    tids.insert(got.tid);
    p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
  }
  CHECK(tids.size() == 3);
  for (const std::string& tid : {c1.tid, dup.tid, overlap.tid}) {
    std::string problems = CheckRelay200(p.a->ReadFrame(), tid, p.a);
    CHECK_MESSAGE(problems.empty(), problems);
  }
  CHECK_SILENT(*p.a.client, 500);
  CHECK_SILENT(*p.b.client, 100);
}

}  // namespace msrp::test
