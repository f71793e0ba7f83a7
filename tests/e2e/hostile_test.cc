// End-to-end tests with hostile or broken input (RFC 4975 §9, §10.2, §14.5; RFC 4976 §6.1):
// malformed frames get 400 or a closed connection, limits hold, the relay survives and keeps
// serving fresh clients (F-01, F-02, F-04, F-05, F-12, F-16, F-17, E-01, S-07, R-19, BR-05, BR-10).
#include <doctest/doctest.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "tests/support/crypto_util.h"
#include "tests/support/expect.h"
#include "tests/support/msrp_client.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"

namespace msrp::test {
namespace {

// Sends `bytes` (the relay may close while we write) and expects the relay to close the
// connection within 5 s. Any frames sent before closing must not be 2xx.
void ExpectClosedAfter(MsrpClient& c, const std::string& bytes) {
  c.TryWrite(bytes, Millis(10000));
  std::vector<Frame> frames;
  CHECK_MESSAGE(c.WaitClosed(Millis(5000), &frames), "the relay kept the connection open");
  for (const Frame& f : frames) {
    CHECK_MESSAGE((!f.is_request && f.status >= 400), "unexpected frame before close:\n" << f.Describe());
  }
}

// Either a 400 for `tid` (and the connection may stay open) or a closed connection.
void Expect400OrClose(MsrpClient& c, const std::string& bytes, const std::string& tid) {
  c.TryWrite(bytes, Millis(10000));
  Frame f;
  std::string error;
  ReadStatus st = c.Read(&f, Millis(5000), &error);
  if (st == ReadStatus::kFrame) {
    CHECK_MESSAGE((!f.is_request && f.tid == tid && f.status == 400), f.Describe());
  } else {
    CHECK_MESSAGE(st == ReadStatus::kClosed, "neither 400 nor close: " << error);
  }
}

// The header block of an otherwise valid SEND from A to B (up to and including From-Path).
std::string Head(const std::string& tid, const PeerPair& p) {
  return "MSRP " + tid + " SEND\r\nTo-Path: " + JoinPath({p.a.use_path, p.b.use_path, p.b.uri()}) +
         "\r\nFrom-Path: " + p.a.uri() + "\r\n";
}

}  // namespace

TEST_CASE("F-05, BR-05, E-01: a framed request with headers out of order gets 400 and the "
          "connection stays open") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  std::string tid = NewTid();
  std::string to = "To-Path: " + JoinPath({p.a.use_path, p.b.use_path, p.b.uri()}) + "\r\n";
  std::string from = "From-Path: " + p.a.uri() + "\r\n";
  std::string rest = "Message-ID: m1\r\nByte-Range: 1-5/5\r\nContent-Type: text/plain\r\n\r\nhello\r\n-------" + tid + "$\r\n";
  std::string bytes;
  SUBCASE("From-Path before To-Path") {
    bytes = "MSRP " + tid + " SEND\r\n" + from + to + rest;
  }
  SUBCASE("Message-ID before To-Path") {
    bytes = "MSRP " + tid + " SEND\r\nMessage-ID: m0\r\n" + to + from +
            "Byte-Range: 1-5/5\r\nContent-Type: text/plain\r\n\r\nhello\r\n-------" + tid + "$\r\n";
  }
  SUBCASE("header after Content-Type (F-07)") {
    bytes = "MSRP " + tid + " SEND\r\n" + to + from +
            "Content-Type: text/plain\r\nMessage-ID: m2\r\n\r\nhello\r\n-------" + tid + "$\r\n";
  }
  p.a->Write(bytes);
  Frame r = p.a->ReadFrame(kFrameTimeout, "400");
  CHECK(r.tid == tid);
  CHECK(r.status == 400);
  REQUIRE(r.headers.size() >= 1);
  CHECK(r.headers[0] == std::make_pair(std::string("To-Path"), p.a.uri()));
  CHECK_SILENT(*p.b.client, 300);
  // Still open and usable: an AUTH gets its 401.
  std::string tid2 = NewTid();
  Frame r2 = p.a->SendAuth(tid2, "msrps://relay.test;tcp", {});
  CHECK(r2.StartLine() == "MSRP " + tid2 + " 401 Unauthorized");
  RequireRelayStillWorks(relay);
}

TEST_CASE("F-01, F-02, E-01: a start line that loses framing makes the relay close the connection") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  std::string body = "To-Path: " + JoinPath({p.a.use_path, p.b.use_path, p.b.uri()}) +
                     "\r\nFrom-Path: " + p.a.uri() + "\r\n";
  std::string bytes;
  SUBCASE("lower-case msrp") {
    bytes = "msrp 1234abcd SEND\r\n" + body + "-------1234abcd$\r\n";
  }
  SUBCASE("tid of 3 characters") { bytes = "MSRP abc SEND\r\n" + body + "-------abc$\r\n"; }
  SUBCASE("tid of 33 characters") {
    std::string tid(33, 'a');
    bytes = "MSRP " + tid + " SEND\r\n" + body + "-------" + tid + "$\r\n";
  }
  SUBCASE("tid starting with '-'") { bytes = "MSRP -abc1234 SEND\r\n" + body + "--------abc1234$\r\n"; }
  SUBCASE("double space in the start line") {
    bytes = "MSRP  1234abcd SEND\r\n" + body + "-------1234abcd$\r\n";
  }
  SUBCASE("binary garbage line") { bytes = PseudoRandomBytes(2000, 99) + "\r\n"; }
  ExpectClosedAfter(*p.a.client, bytes);
  CHECK_SILENT(*p.b.client, 200);
  RequireRelayStillWorks(relay);
}

TEST_CASE("S-07, E-01: a 100 kB header line makes the relay close the connection") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  std::string tid = NewTid();
  ExpectClosedAfter(*p.a.client, Head(tid, p) + "X-Long: " + std::string(100000, 'a') +
                                     "\r\n-------" + tid + "$\r\n");
  CHECK_SILENT(*p.b.client, 200);
  RequireRelayStillWorks(relay);
}

TEST_CASE("S-07, E-01: a head over 16 KiB (max_head_bytes) makes the relay close the connection") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  std::string tid = NewTid();
  std::string bytes = Head(tid, p);
  for (int i = 0; i < 20; ++i) bytes += "X-Pad-" + std::to_string(i) + ": " + std::string(1000, 'p') + "\r\n";
  bytes += "-------" + tid + "$\r\n";
  ExpectClosedAfter(*p.a.client, bytes);
  CHECK_SILENT(*p.b.client, 200);
  RequireRelayStillWorks(relay);
}

TEST_CASE("S-07, BR-05, BR-10, F-04, F-12: other malformed requests are not forwarded (400 or "
          "close) and the relay survives") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  std::string tid = NewTid();
  std::string to_path = JoinPath({p.a.use_path, p.b.use_path, p.b.uri()});
  std::string bytes;
  SUBCASE("more than 64 headers (max_headers)") {
    bytes = Head(tid, p);
    for (int i = 0; i < 80; ++i) bytes += "X-H" + std::to_string(i) + ": v\r\n";
    bytes += "-------" + tid + "$\r\n";
  }
  SUBCASE("no From-Path") {
    bytes = "MSRP " + tid + " SEND\r\nTo-Path: " + to_path + "\r\nMessage-ID: m\r\n-------" + tid + "$\r\n";
  }
  SUBCASE("To-Path twice") {
    bytes = "MSRP " + tid + " SEND\r\nTo-Path: " + to_path + "\r\nTo-Path: " + to_path +
            "\r\nFrom-Path: " + p.a.uri() + "\r\n-------" + tid + "$\r\n";
  }
  SUBCASE("unparsable To-Path URI") {
    bytes = "MSRP " + tid + " SEND\r\nTo-Path: not a uri at all\r\nFrom-Path: " + p.a.uri() +
            "\r\n-------" + tid + "$\r\n";
  }
  SUBCASE("lower-case method") { bytes = Head(tid, p).replace(6 + tid.size(), 4, "send") + "-------" + tid + "$\r\n"; }
  SUBCASE("method with a digit") { bytes = Head(tid, p).replace(6 + tid.size(), 4, "SEND2") + "-------" + tid + "$\r\n"; }
  SUBCASE("body without Content-Type (F-07)") {
    bytes = Head(tid, p) + "Message-ID: m\r\n\r\nhello\r\n-------" + tid + "$\r\n";
  }
  SUBCASE("non-SEND body over 10240 octets (F-12)") {
    bytes = "MSRP " + tid + " FOO\r\nTo-Path: " + to_path + "\r\nFrom-Path: " + p.a.uri() +
            "\r\nContent-Type: text/plain\r\n\r\n" + std::string(11000, 'f') + "\r\n-------" + tid + "$\r\n";
  }
  SUBCASE("bad Byte-Range") {
    bytes = Head(tid, p) + "Message-ID: m\r\nByte-Range: five-ten/x\r\nContent-Type: text/plain\r\n\r\nhello\r\n-------" + tid + "$\r\n";
  }
  Expect400OrClose(*p.a.client, bytes, tid);
  CHECK_SILENT(*p.b.client, 300);
  RequireRelayStillWorks(relay);
}

TEST_CASE("U-07: a SEND with a portless URI in To-Path or From-Path gets 400 and is not forwarded") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  SendSpec s = SendBetween(p.a, p.b, "portless");
  SUBCASE("last To-Path hop without a port") { s.to_path.back() = "msrps://bob.example.com/b1;tcp"; }
  SUBCASE("From-Path without a port") { s.from_path = {"msrps://alice.example.com/a1;tcp"}; }
  p.a->Write(BuildSend(s));
  Frame r = p.a->ReadFrame(kFrameTimeout, "the 400");
  INFO(r.Describe());
  CHECK_FALSE(r.is_request);
  CHECK(r.tid == s.tid);
  CHECK(r.status == 400);
  CHECK_SILENT(*p.b.client, 300);
  RequireRelayStillWorks(relay);
}

TEST_CASE("F-16, S-07, BR-09: Byte-Range 1-*/99999999999999 is relayed without sizing buffers "
          "from it") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  long rss_before = relay.VmRssKb();
  SendSpec s = SendBetween(p.a, p.b, "tiny");
  s.byte_range = "1-*/99999999999999";
  s.flag = '+';
  std::string sent = BuildSend(s);
  p.a->Write(sent);
  std::string problems = CheckRelay200(p.a->ReadFrame(), s.tid, p.a);
  CHECK_MESSAGE(problems.empty(), problems);
  Frame got = p.b->ReadFrame();
  CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, p.a, p.b));
  long rss_after = relay.VmRssKb();
  CHECK(rss_after < rss_before + 16 * 1024);
  p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
  RequireRelayStillWorks(relay);
}

TEST_CASE("R-19, BR-26: a response with an unknown tid is dropped silently") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  p.a->Write(BuildResponse("unknowntid123", 200, "OK", {p.a.use_path}, {p.a.uri()}));
  p.a->Write(BuildResponse("unknowntid456", 481, "Session Does Not Exist",
                           {p.a.use_path, p.b.use_path, p.b.uri()}, {p.a.uri()}));
  CHECK_SILENT(*p.a.client, 800);
  CHECK_SILENT(*p.b.client, 100);
  std::string tid = NewTid();
  CHECK(p.a->SendAuth(tid, "msrps://relay.test;tcp", {}).StartLine() ==
        "MSRP " + tid + " 401 Unauthorized");
  RequireRelayStillWorks(relay);
}

TEST_CASE("C-01, C-05: non-TLS bytes and idle or half-open TCP connections do not hurt the relay") {
  RelayProcess relay;
  SUBCASE("plain-text MSRP on the TLS port is closed") {
    int fd = RawTcpConnect(relay.port());
    REQUIRE(fd >= 0);
    std::string junk = "MSRP abcd1234 AUTH\r\nTo-Path: msrps://relay.test;tcp\r\nFrom-Path: msrps://x.example.com:1/a;tcp\r\n-------abcd1234$\r\n";
    (void)!send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    bool closed = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(12);
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd pf{fd, POLLIN, 0};
      if (poll(&pf, 1, 200) > 0) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
          closed = true;
          break;
        }
      }
    }
    close(fd);
    CHECK_MESSAGE(closed, "the relay kept a non-TLS connection open for 12 s");
  }
  SUBCASE("connect and close without a handshake, many times") {
    for (int i = 0; i < 50; ++i) {
      int fd = RawTcpConnect(relay.port());
      REQUIRE(fd >= 0);
      close(fd);
    }
  }
  SUBCASE("TLS handshake then abrupt reset") {
    for (int i = 0; i < 20; ++i) relay.Connect("flaky")->Abort();
  }
  RequireRelayStillWorks(relay);
}

TEST_CASE("R-17, S-06: a sender that disconnects in the middle of a chunk does not hurt the relay") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  SendSpec s = SendBetween(p.a, p.b, PseudoRandomBytes(200000, 5));
  std::string sent = BuildSend(s);
  p.a->Write(sent.substr(0, 100000));
  // Give the relay the first half (bounded poll on B), then vanish.
  std::vector<Frame> frames;
  Frame f;
  if (p.b->Read(&f, Millis(500)) == ReadStatus::kFrame) frames.push_back(f);
  p.a->Abort();
  // B may or may not see a partial chunk (ended with # or +); it must stay connected.
  CHECK_FALSE(p.b->WaitClosed(Millis(1500), &frames));
  for (const Frame& g : frames) {
    CHECK_MESSAGE(g.flag != '$', "an incomplete chunk must not end in $:\n" << g.Describe());
  }
  RequireRelayStillWorks(relay);
}


TEST_CASE("C-05, S-06: a TLS client that sends nothing is closed after the probation period, an "
          "authenticated one is not") {
  RelayOptions o;
  o.limits["probation"] = "2";
  RelayProcess relay(o);
  auto start = std::chrono::steady_clock::now();
  auto idle = relay.Connect("idle");
  Peer authed = AuthenticatedPeer(relay, "alice", "alice", "alicepw");
  CHECK_MESSAGE(idle->WaitClosed(Millis(8000)), "idle connection still open after 8 s (probation 2 s)");
  auto elapsed = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - start).count();
  CHECK_MESSAGE(elapsed >= 1500, "closed after " << elapsed << " ms");
  // The authenticated client passed probation: still open past 2 s.
  CHECK_SILENT(*authed.client, 1000);
  std::string tid = NewTid();
  CHECK(authed->SendAuth(tid, "msrps://relay.test;tcp", {}).StartLine() ==
        "MSRP " + tid + " 401 Unauthorized");
  RequireRelayStillWorks(relay);
}

TEST_CASE("C-05, S-06: a TCP connection that never starts TLS is closed after handshake_timeout") {
  RelayOptions o;
  o.limits["handshake_timeout"] = "2";
  RelayProcess relay(o);
  int fd = RawTcpConnect(relay.port());
  REQUIRE(fd >= 0);
  bool closed = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  char buf[256];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pf{fd, POLLIN, 0};
    if (poll(&pf, 1, 200) > 0) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        closed = true;
        break;
      }
    }
  }
  close(fd);
  CHECK_MESSAGE(closed, "a TCP connection without a TLS handshake stayed open 8 s (handshake_timeout 2 s)");
  RequireRelayStillWorks(relay);
}

TEST_CASE("R-19, F-17: a response ending in '+' or '#' is dropped and the transaction still "
          "takes the proper response") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  std::string tid_a = NewTid();
  p.a->Write(NicknameBetween(tid_a, p));
  Frame got = p.b->ReadFrame(kFrameTimeout, "the forwarded NICKNAME");
  const std::vector<std::string> back_to{p.b.use_path, p.a.use_path, p.a.uri()};
  for (char flag : {'+', '#'}) {
    p.b->Write(EncodeFrame(got.tid, "425 Nickname reserved",
                           {{"To-Path", JoinPath(back_to)}, {"From-Path", p.b.uri()}}, std::nullopt,
                           flag));
  }
  CHECK_SILENT(*p.a.client, 800);
  p.b->Write(BuildResponse(got.tid, 200, "OK", back_to, {p.b.uri()}));
  Frame back = p.a->ReadFrame(kFrameTimeout, "B's proper 200, mapped back");
  CHECK_BYTES(back.raw, BuildResponse(tid_a, 200, "OK", {p.a.uri()},
                                      {p.a.use_path, p.b.use_path, p.b.uri()}));
  RequireRelayStillWorks(relay);
}

}  // namespace msrp::test
