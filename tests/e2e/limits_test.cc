// End-to-end tests of the relay's configurable limits (config `limits.*`): each limit fires at
// its bound, answers or closes exactly as relay/ implements it, moves its shutdown counter, and
// leaves every other connection working (S-06, C-05, F-12, E-03, R-08, R-09, C-10).
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "tests/support/crypto_util.h"
#include "tests/support/expect.h"
#include "tests/support/msrp_client.h"
#include "tests/support/proc_stats.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"
#include "tests/support/traffic.h"

namespace msrp::test {
namespace {

using Clock = std::chrono::steady_clock;

long ElapsedMs(Clock::time_point since) {
  return static_cast<long>(std::chrono::duration_cast<Millis>(Clock::now() - since).count());
}

// Milliseconds until the relay closes raw socket `fd`, or -1 if it stays open for `timeout`.
long MsUntilRawClosed(int fd, Millis timeout) {
  auto start = Clock::now();
  return RawWaitClosed(fd, timeout) ? ElapsedMs(start) : -1;
}

// A client connected from `source` (e.g. 127.0.0.2) and authenticated as `user`.
Peer PeerFrom(RelayProcess& relay, const std::string& name, const std::string& user,
              const std::string& password, const std::string& source) {
  ClientOptions o = relay.ClientOptionsFor(name);
  o.source_address = source;
  Peer p;
  p.client = std::make_unique<MsrpClient>(relay.port(), o);
  p.use_path = p.client->Authenticate(user, password).use_path;
  return p;
}

// Closes `client` and waits until the relay logged that connection's close.
void CloseAndWait(RelayProcess& relay, MsrpClient& client) {
  std::string tag = ConnectionTag(relay, LocalPort(client.fd()));
  client.Close();
  REQUIRE_MESSAGE(!tag.empty(), "no `connection opened` line for the client");
  REQUIRE_MESSAGE(!WaitConnectionClosed(relay, tag, Millis(5000)).empty(),
                  "the relay did not log the close of " << tag);
}

// A NICKNAME (RFC 7701) from a to b carrying a text body of `size` octets.
std::string NicknameWithBody(const std::string& tid, const PeerPair& p, size_t size) {
  return NicknameBetween(tid, p, std::string(size, 'n'));
}

}  // namespace

TEST_CASE("S-06: limits.max_connections: connection N+1 is closed at once; the others keep "
          "working and a freed slot can be used") {
  RelayOptions o;
  o.limits["max_connections"] = "3";
  RelayProcess relay(o);
  PeerPair p = AuthenticatedPair(relay);
  auto third = relay.Connect("third");

  int fd = RawTcpConnect(relay.port());
  REQUIRE(fd >= 0);
  long ms = MsUntilRawClosed(fd, Millis(5000));
  close(fd);
  CHECK_MESSAGE(ms >= 0, "connection 4 of max 3 stayed open 5 s");
  CHECK_MESSAGE(ms < 2000, "connection 4 closed only after " << ms << " ms");
  CHECK_THROWS_AS(relay.Connect("fourth"), std::runtime_error);  // TLS handshake cut short
  CHECK(WaitForLog(relay, "connection limit reached (limits.max_connections 3)", Millis(2000)));

  // The established connections are untouched.
  RequireExchange(p.a, p.b, "still here");
  RequireExchange(p.b, p.a, "me too");
  std::string tid = NewTid();
  CHECK(third->SendAuth(tid, "msrps://relay.test;tcp", {}).StartLine() == "MSRP " + tid + " 401 Unauthorized");

  // A freed slot is usable again.
  CloseAndWait(relay, *third);
  auto again = relay.Connect("again");
  CloseAndWait(relay, *again);
  CloseAndWait(relay, *p.a.client);
  RequireRelayStillWorks(relay);
  RelayCounters c = StopAndReadCounters(relay);
  CHECK(c["connections_refused_total_limit"] == 2);
  CHECK(c["connections_refused_per_ip_limit"] == 0);
}

TEST_CASE("S-06: limits.max_connections_per_ip: the address over its limit is refused at once, "
          "another source address (127.0.0.2) is not affected") {
  RelayOptions o;
  o.limits["max_connections_per_ip"] = "3";
  RelayProcess relay(o);
  PeerPair p = AuthenticatedPair(relay);  // 127.0.0.1: 2
  auto third = relay.Connect("third");    // 127.0.0.1: 3

  int fd = RawTcpConnectFrom(relay.port(), "127.0.0.1");
  REQUIRE(fd >= 0);
  long ms = MsUntilRawClosed(fd, Millis(5000));
  close(fd);
  CHECK_MESSAGE(ms >= 0, "connection 4 from 127.0.0.1 (limit 3) stayed open 5 s");
  CHECK_MESSAGE(ms < 2000, "connection 4 from 127.0.0.1 closed only after " << ms << " ms");
  CHECK(WaitForLog(relay, "per-address connection limit reached (limits.max_connections_per_ip 3)",
                   Millis(2000)));

  // 127.0.0.2 has its own count: three clients connect, authenticate and exchange with
  // 127.0.0.1's clients.
  Peer q1 = PeerFrom(relay, "other1", "carol", "carolpw", "127.0.0.2");
  Peer q2 = PeerFrom(relay, "other2", "carol", "carolpw", "127.0.0.2");
  Peer q3 = PeerFrom(relay, "other3", "bob", "bobpw", "127.0.0.2");
  CHECK(relay.Log().find(" 127.0.0.2:") != std::string::npos);
  RequireExchange(p.a, q1, "to the other address");
  RequireExchange(q2, p.b, "from the other address");
  RequireExchange(q3, q1, "within the other address");
  // ...and its fourth is refused too.
  int fd2 = RawTcpConnectFrom(relay.port(), "127.0.0.2");
  REQUIRE(fd2 >= 0);
  CHECK(MsUntilRawClosed(fd2, Millis(5000)) >= 0);
  close(fd2);

  CloseAndWait(relay, *third);
  CloseAndWait(relay, *p.a.client);
  CloseAndWait(relay, *p.b.client);
  RequireRelayStillWorks(relay);
  RelayCounters c = StopAndReadCounters(relay);
  CHECK(c["connections_refused_per_ip_limit"] == 2);
  CHECK(c["connections_refused_total_limit"] == 0);
}

TEST_CASE("C-05, S-06: limits.handshake_timeout closes a stalled TLS handshake, not a connection "
          "whose handshake finished") {
  RelayOptions o;
  o.limits["handshake_timeout"] = "2";
  o.limits["probation"] = "30";
  RelayProcess relay(o);
  auto start = Clock::now();
  int fd = RawTcpConnect(relay.port());
  REQUIRE(fd >= 0);
  // A TLS handshake record header announcing 512 octets, then only 10 of them.
  std::string partial("\x16\x03\x01\x02\x00", 5);
  partial += std::string("\x01\x00\x01\xfc\x03\x03\x00\x00\x00\x00", 10);
  REQUIRE(send(fd, partial.data(), partial.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(partial.size()));
  auto done = relay.Connect("handshaken");  // finished its handshake, then sends nothing
  bool closed = RawWaitClosed(fd, Millis(8000));
  long ms = ElapsedMs(start);
  close(fd);
  CHECK_MESSAGE(closed, "a half-done TLS handshake stayed open 8 s (handshake_timeout 2 s)");
  CHECK_MESSAGE(ms >= 1500, "closed after " << ms << " ms, handshake_timeout is 2 s");
  CHECK(relay.Log().find("TLS handshake timeout") != std::string::npos);
  // The completed handshake is not subject to it (probation is 30 s).
  CHECK_SILENT(*done, 1500);
  std::string tid = NewTid();
  CHECK(done->SendAuth(tid, "msrps://relay.test;tcp", {}).StartLine() == "MSRP " + tid + " 401 Unauthorized");
  RequireRelayStillWorks(relay);
  RelayCounters c = StopAndReadCounters(relay);
  CHECK(c["handshake_timeouts"] == 1);
  CHECK(c["probation_closes"] == 0);
}

TEST_CASE("C-05, S-06: limits.probation closes a connection whose requests all fail, however busy; "
          "one success (an inbound delivery) ends probation") {
  RelayOptions o;
  o.limits["probation"] = "3";
  RelayProcess relay(o);
  PeerPair p = AuthenticatedPair(relay);
  auto failing = relay.Connect("failing");
  auto inbound = relay.Connect("inbound");  // never authenticates
  auto start = Clock::now();

  // The inbound peer delivers one message to B: a success.
  SendSpec s;
  s.tid = NewTid();
  s.to_path = {p.b.use_path, p.b.uri()};
  s.from_path = {inbound->uri()};
  s.message_id = RandomAlnum(8);
  s.byte_range = "1-7/7";
  s.body = "inbound";
  inbound->Write(BuildSend(s));
  CHECK(inbound->ReadFrame().StartLine() == "MSRP " + s.tid + " 200 OK");
  Frame got = p.b->ReadFrame(kFrameTimeout, "the inbound delivery");
  p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));

  // The failing peer sends an AUTH without credentials (401) and a SEND to an unknown session
  // (481) every 300 ms: busy, never successful.
  bool closed = false;
  int requests = 0;
  while (ElapsedMs(start) < 10000) {
    std::string tid = NewTid();
    std::string req = (requests % 2 == 0)
        ? EncodeFrame(tid, "AUTH", {{"To-Path", "msrps://relay.test;tcp"}, {"From-Path", failing->uri()}}, std::nullopt)
        : BuildSend([&] {
            SendSpec f = SendBetween(p.a, p.b, "x");
            f.tid = tid;
            f.to_path = {relay.SessionUri("nosuchsession0000000000"), p.b.uri()};
            f.from_path = {failing->uri()};
            return f;
          }());
    if (!failing->TryWrite(req, Millis(2000))) {
      closed = true;
      break;
    }
    ++requests;
    Frame f;
    ReadStatus st = failing->Read(&f, Millis(2000));
    if (st == ReadStatus::kClosed) {
      closed = true;
      break;
    }
    REQUIRE(st == ReadStatus::kFrame);
    CHECK((f.status == 401 || f.status == 481));
    if (failing->WaitClosed(Millis(300))) {  // also paces the requests
      closed = true;
      break;
    }
  }
  long ms = ElapsedMs(start);
  CHECK_MESSAGE(closed, "a connection with only failed requests stayed open 10 s (probation 3 s)");
  CHECK_MESSAGE(ms >= 2500, "closed after " << ms << " ms, probation is 3 s");
  CHECK(requests >= 5);
  MESSAGE("failing connection closed after " << ms << " ms and " << requests << " requests");

  // The inbound peer passed probation: still open, and it can deliver again.
  CHECK_SILENT(*inbound, 500);
  s.tid = NewTid();
  s.message_id = RandomAlnum(8);
  inbound->Write(BuildSend(s));
  CHECK(inbound->ReadFrame().StartLine() == "MSRP " + s.tid + " 200 OK");
  got = p.b->ReadFrame(kFrameTimeout, "the second inbound delivery");
  p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
  RequireRelayStillWorks(relay);
  RelayCounters c = StopAndReadCounters(relay);
  CHECK(c["probation_closes"] == 1);
}

TEST_CASE("S-06, C-08: limits.idle_timeout closes a connection without a session that idles; "
          "connections holding a live session are never closed for idleness") {
  RelayOptions o;
  o.limits["idle_timeout"] = "2";
  o.limits["probation"] = "30";
  RelayProcess relay(o);
  PeerPair p = AuthenticatedPair(relay);
  auto c = relay.Connect("carol");  // a relay-less peer: delivers to B, never authenticates
  SendSpec s;
  s.tid = NewTid();
  s.to_path = {p.b.use_path, p.b.uri()};
  s.from_path = {c->uri()};
  s.message_id = RandomAlnum(8);
  s.byte_range = "1-5/5";
  s.body = "hello";
  c->Write(BuildSend(s));
  CHECK(c->ReadFrame().StartLine() == "MSRP " + s.tid + " 200 OK");
  Frame got = p.b->ReadFrame(kFrameTimeout, "the inbound delivery");
  p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
  auto start = Clock::now();

  bool closed = c->WaitClosed(Millis(8000));
  long ms = ElapsedMs(start);
  CHECK_MESSAGE(closed, "an idle connection without a session stayed open 8 s (idle_timeout 2 s)");
  CHECK_MESSAGE(ms >= 1500, "closed after " << ms << " ms, idle_timeout is 2 s");
  CHECK(relay.Log().find("idle without a session (limits.idle_timeout)") != std::string::npos);

  // A and B idled just as long (and a bit more) but hold sessions.
  CHECK_SILENT(*p.a.client, 1500);
  CHECK_SILENT(*p.b.client, 100);
  RequireExchange(p.a, p.b, "we are still here");
  RequireExchange(p.b, p.a, "yes");
  RequireRelayStillWorks(relay);
  RelayCounters counters = StopAndReadCounters(relay);
  CHECK(counters["idle_closes"] == 1);
}

TEST_CASE("F-12, R-13: limits.max_non_send_body: a NICKNAME body over the limit gets 400, a "
          "REPORT body over it gets nothing; nothing reaches B") {
  RelayOptions o;
  o.limits["max_non_send_body"] = "1000";
  RelayProcess relay(o);
  PeerPair p = AuthenticatedPair(relay);

  // At the limit: forwarded whole, and B's answer comes back.
  std::string tid0 = NewTid();
  std::string at_limit = NicknameWithBody(tid0, p, 1000);
  p.a->Write(at_limit);
  Frame fwd = p.b->ReadFrame(kFrameTimeout, "the NICKNAME of 1000 octets");
  CHECK_BYTES(fwd.raw, ExpectedSendAtPeer(at_limit, fwd.tid, p.a, p.b));
  p.b->Write(BuildResponse(fwd.tid, 200, "OK", {p.b.use_path, p.a.use_path, p.a.uri()}, {p.b.uri()}));
  CHECK(p.a->ReadFrame().StartLine() == "MSRP " + tid0 + " 200 OK");

  SUBCASE("NICKNAME with 1001 octets: 400 to the whole From-Path") {
    std::string tid = NewTid();
    p.a->Write(NicknameWithBody(tid, p, 1001));
    Frame r = p.a->ReadFrame(kFrameTimeout, "400");
    CHECK_BYTES(r.raw, BuildResponse(tid, 400, "Bad Request", {p.a.uri()}, {p.a.use_path}));
  }
  SUBCASE("NICKNAME with 50000 octets in many records: one 400") {
    std::string tid = NewTid();
    std::string big = NicknameWithBody(tid, p, 50000);
    for (size_t off = 0; off < big.size(); off += 4096) p.a->Write(big.substr(off, 4096));
    Frame r = p.a->ReadFrame(kFrameTimeout, "400");
    CHECK_BYTES(r.raw, BuildResponse(tid, 400, "Bad Request", {p.a.uri()}, {p.a.use_path}));
  }
  SUBCASE("REPORT with 1001 octets: no answer (R-13)") {
    std::string tid = NewTid();
    p.a->Write(EncodeFrame(tid, "REPORT",
                           {{"To-Path", JoinPath({p.a.use_path, p.b.use_path, p.b.uri()})},
                            {"From-Path", p.a.uri()},
                            {"Message-ID", RandomAlnum(8)},
                            {"Byte-Range", "1-10/10"},
                            {"Status", "000 200 OK"},
                            {"Content-Type", "text/plain"}},
                           std::string(1001, 'r')));
    CHECK_SILENT(*p.a.client, 800);
  }
  CHECK_SILENT(*p.b.client, 300);
  // The connection stays usable.
  RequireExchange(p.a, p.b, "after the refused body");
  RequireRelayStillWorks(relay);
  RelayCounters c = StopAndReadCounters(relay);
  CHECK(c["non_send_body_refusals"] == 1);
}

TEST_CASE("S-06: limits.max_pending_transactions: with 5 unanswered SENDs pending, the 6th gets "
          "403; an answer frees a place; Failure-Report no is not counted") {
  RelayOptions o;
  o.limits["max_pending_transactions"] = "5";
  o.limits["transaction_timeout"] = "60";  // nothing expires during the test
  RelayProcess relay(o);
  PeerPair p = AuthenticatedPair(relay);
  std::vector<Frame> at_b;
  for (int i = 0; i < 5; ++i) {
    SendSpec s = SendBetween(p.a, p.b, "pending " + std::to_string(i));
    s.failure_report = "yes";
    p.a->Write(BuildSend(s));
    std::string problems = CheckRelay200(p.a->ReadFrame(), s.tid, p.a);
    CHECK_MESSAGE(problems.empty(), problems);
    at_b.push_back(p.b->ReadFrame(kFrameTimeout, "a forwarded SEND (left unanswered)"));
  }
  SendSpec sixth = SendBetween(p.a, p.b, "one too many");
  sixth.failure_report = "yes";
  p.a->Write(BuildSend(sixth));
  Frame r = p.a->ReadFrame(kFrameTimeout, "403");
  CHECK_BYTES(r.raw, BuildResponse(sixth.tid, 403, "Forbidden", {p.a.uri()}, {p.a.use_path}));
  CHECK_SILENT(*p.b.client, 300);

  // Failure-Report no creates no transaction state: still forwarded.
  SendSpec fire = SendBetween(p.a, p.b, "fire and forget");
  fire.failure_report = "no";
  std::string fire_bytes = BuildSend(fire);
  p.a->Write(fire_bytes);
  Frame f = p.b->ReadFrame(kFrameTimeout, "the Failure-Report no SEND");
  CHECK_BYTES(f.raw, ExpectedSendAtPeer(fire_bytes, f.tid, p.a, p.b));

  // B answers one: a place is free again.
  p.b->Write(BuildResponse(at_b[0].tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
  CHECK_SILENT(*p.a.client, 300);  // the 200 is consumed (R-21)
  RequireExchange(p.a, p.b, "room again");
  // Other clients have their own count.
  RequireRelayStillWorks(relay);
  RelayCounters c = StopAndReadCounters(relay);
  CHECK(c["pending_transaction_refusals"] == 1);
}

TEST_CASE("E-03: limits.max_message_bytes (100000): 413 for a message declared or streamed past "
          "the limit; B's chunk ends with #") {
  RelayOptions o;
  o.limits["max_message_bytes"] = "100000";
  RelayProcess relay(o);
  PeerPair p = AuthenticatedPair(relay);
  const std::string body = PseudoRandomBytes(200000, 3);
  uint64_t expected_refusals = 1;

  SUBCASE("declared total 200000: 413 at the head, nothing forwarded") {
    SendSpec s = SendBetween(p.a, p.b, body);
    s.byte_range = "1-*/200000";
    std::string sent = BuildSend(s);
    size_t head = sent.find("\r\n\r\n") + 4;
    p.a->Write(sent.substr(0, head + 1000));
    Frame r = p.a->ReadFrame(kFrameTimeout, "413 before the chunk ends");
    CHECK_BYTES(r.raw, BuildResponse(s.tid, 413, "Stop Sending Message", {p.a.uri()}, {p.a.use_path}));
    p.a->Write(sent.substr(head + 1000));
    CHECK_SILENT(*p.a.client, 500);  // no 200 at the end-line
    CHECK_SILENT(*p.b.client, 100);
  }
  SUBCASE("a chunk starting past the limit (150001-150010/*): 413") {
    SendSpec s = SendBetween(p.a, p.b, body.substr(0, 10));
    s.byte_range = "150001-150010/*";
    p.a->Write(BuildSend(s));
    Frame r = p.a->ReadFrame(kFrameTimeout, "413");
    CHECK_BYTES(r.raw, BuildResponse(s.tid, 413, "Stop Sending Message", {p.a.uri()}, {p.a.use_path}));
    CHECK_SILENT(*p.b.client, 300);
  }
  SUBCASE("1-*/* streaming 200000 octets: 413 mid-chunk, B's chunk is cut with #") {
    SendSpec s = SendBetween(p.a, p.b, body);
    s.byte_range = "1-*/*";
    std::string sent = BuildSend(s);
    size_t head = sent.find("\r\n\r\n") + 4;
    p.a->Write(sent.substr(0, head + 150000));
    Frame r = p.a->ReadFrame(kFrameTimeout, "413 in the middle of the chunk");
    CHECK_BYTES(r.raw, BuildResponse(s.tid, 413, "Stop Sending Message", {p.a.uri()}, {p.a.use_path}));
    Frame cut = p.b->ReadFrame(kFrameTimeout, "the aborted chunk");
    CHECK(cut.flag == '#');
    CHECK(cut.Header("Byte-Range") == std::optional<std::string>("1-*/*"));
    CHECK(cut.Header("Message-ID") == std::optional<std::string>(s.message_id));
    CHECK(cut.body.size() <= 100000);
    CHECK(cut.body == body.substr(0, cut.body.size()));
    MESSAGE("B got " << cut.body.size() << " octets before the #");
    p.a->Write(sent.substr(head + 150000));
    CHECK_SILENT(*p.a.client, 500);
    CHECK_SILENT(*p.b.client, 100);
  }
  SUBCASE("exactly 100000 octets (1-100000/100000): relayed") {
    RequireExchange(p.a, p.b, body.substr(0, 100000));
    expected_refusals = 0;
  }
  // The sender's connection stays usable after 413.
  RequireExchange(p.a, p.b, "smaller message");
  RequireRelayStillWorks(relay);
  RelayCounters c = StopAndReadCounters(relay);
  CHECK(c["message_size_refusals"] == expected_refusals);
}

TEST_CASE("S-06, R-08, C-10: limits.stall_timeout closes a receiver that never reads; the sender "
          "gets REPORT 408 for its armed SEND and 481 for the chunk in flight") {
  RelayOptions o;
  o.limits["stall_timeout"] = "2";
  o.limits["transaction_timeout"] = "60";
  o.limits["high_watermark"] = "262144";
  o.limits["low_watermark"] = "65536";
  RelayProcess relay(o);
  Peer a = AuthenticatedPeer(relay, "alice", "alice", "alicepw");
  Peer b;
  {
    ClientOptions co = relay.ClientOptionsFor("bob");
    co.rcvbuf = 16384;
    b.client = std::make_unique<MsrpClient>(relay.port(), co);
    b.use_path = b.client->Authenticate("bob", "bobpw").use_path;
  }
  std::string btag = ConnectionTag(relay, LocalPort(b->fd()));
  BackgroundExchange bystanders(relay);

  // M1: complete, answered 200 by the relay, never by B: armed (R-08).
  SendSpec m1 = SendBetween(a, b, "armed and unanswered");
  a->Write(BuildSend(m1));
  std::string problems = CheckRelay200(a->ReadFrame(), m1.tid, a);
  CHECK_MESSAGE(problems.empty(), problems);

  // M2: a 64 MiB chunk streamed to B, who reads nothing.
  SendSpec m2 = SendBetween(a, b, "");
  m2.byte_range = "1-*/67108864";
  m2.body.reset();
  std::string head = BuildSend(m2);
  head = head.substr(0, head.find("-------"));  // start line and headers
  head += "Content-Type: text/plain\r\n\r\n";
  const std::string block = PseudoRandomBytes(1 << 16, 9);
  a->Write(head);
  uint64_t written = 0;
  size_t offset = 0;
  std::string closed_line;
  auto start = Clock::now();
  while (ElapsedMs(start) < 30000 && written < (64u << 20)) {
    bool failed = false;
    size_t n = a->WriteSome(std::string_view(block).substr(offset), Millis(100), &failed);
    REQUIRE_FALSE_MESSAGE(failed, "A's connection broke");
    written += n;
    offset = (offset + n) % block.size();
    closed_line = WaitConnectionClosed(relay, btag, Millis(0));
    if (!closed_line.empty()) break;
  }
  MESSAGE("A wrote " << (written >> 10) << " KiB before B was closed after " << ElapsedMs(start) << " ms: "
                     << closed_line);
  REQUIRE_MESSAGE(closed_line.find("peer not reading: outbound queue stalled") != std::string::npos,
                  "B was not closed as stalled within 30 s: " << closed_line);

  // The armed M1 is reported 408 at once (C-10)...
  Frame rep = a->ReadFrame(kFrameTimeout, "REPORT 408 for M1");
  CHECK_BYTES(rep.raw, BuildReport(rep.tid, {a.uri()}, {a.use_path}, m1.message_id,
                                   *m1.byte_range, "000 408 Request Timeout"));
  // ...and the chunk in flight, once A ends it (here: interrupted with +), gets 481. A first
  // completes the TLS record its last write left pending (the relay resumed reading A).
  a->Write(std::string_view(block).substr(offset), Millis(20000));
  a->Write("\r\n-------" + m2.tid + "+\r\n");
  Frame r = a->ReadFrame(Millis(10000), "481 for the chunk in flight");
  CHECK_BYTES(r.raw, BuildResponse(m2.tid, 481, "Session Does Not Exist", {a.uri()}, {a.use_path}));
  CHECK_SILENT(*a.client, 500);
  CHECK(b->WaitClosed(Millis(10000)));

  CHECK(bystanders.Stop() == "");
  CHECK(bystanders.round_trips() > 0);
  RequireExchange(a, AuthenticatedPeer(relay, "bob2", "bob", "bobpw"), "A still works");
  RequireRelayStillWorks(relay);
  RelayCounters c = StopAndReadCounters(relay);
  CHECK(c["stalled_closes"] == 1);
  CHECK(c["queue_overflow_closes"] == 0);
}

TEST_CASE("S-06, C-10: limits.max_queue_bytes: a receiver whose queue passes the cap is closed at "
          "once; its senders get 481 for what they were sending and keep working") {
  // NICKNAMEs with 100 kB bodies are sent whole at their end-line (F-12), so several senders
  // push B's queue past high_watermark + 60000 before each of them is paused.
  RelayOptions o;
  o.limits["max_non_send_body"] = "100000";
  o.limits["high_watermark"] = "262144";
  o.limits["low_watermark"] = "65536";
  o.limits["max_queue_bytes"] = "322144";
  o.limits["stall_timeout"] = "20";  // fallback only: the cap must fire first
  o.limits["transaction_timeout"] = "60";
  RelayProcess relay(o);
  Peer b;
  {
    ClientOptions co = relay.ClientOptionsFor("bob");
    co.rcvbuf = 16384;
    b.client = std::make_unique<MsrpClient>(relay.port(), co);
    b.use_path = b.client->Authenticate("bob", "bobpw").use_path;
  }
  std::string btag = ConnectionTag(relay, LocalPort(b->fd()));
  constexpr int kSenders = 4;
  std::vector<Peer> senders;
  for (int i = 0; i < kSenders; ++i) {
    senders.push_back(AuthenticatedPeer(relay, "sender" + std::to_string(i), "alice", "alicepw"));
  }
  std::atomic<bool> stop{false};
  std::vector<std::vector<std::string>> tids(kSenders);
  std::vector<std::unique_ptr<BackgroundWriter>> writers;
  for (int i = 0; i < kSenders; ++i) {
    writers.push_back(std::make_unique<BackgroundWriter>([&, i] {
      const Peer& s = senders[i];
      while (!stop) {
        std::string tid = NewTid();
        tids[i].push_back(tid);
        s->Write(EncodeFrame(tid, "NICKNAME",
                             {{"To-Path", JoinPath({s.use_path, b.use_path, b.uri()})},
                              {"From-Path", s.uri()},
                              {"Content-Type", "text/plain"}},
                             std::string(100000, static_cast<char>('a' + i))),
                 Millis(40000));
      }
    }));
  }
  std::string closed_line = WaitConnectionClosed(relay, btag, Millis(30000));
  stop = true;
  for (auto& w : writers) CHECK(w->Join() == "");
  MESSAGE("B: " << closed_line);
  CHECK_MESSAGE(closed_line.find("outbound queue over 322144 bytes") != std::string::npos,
                "B was not closed by the queue cap: " << closed_line);

  // Each sender: nothing but 481 for NICKNAMEs it sent (the one in flight, later ones).
  int got_481 = 0;
  for (int i = 0; i < kSenders; ++i) {
    for (;;) {
      Frame f;
      ReadStatus st = senders[i]->Read(&f, Millis(1000));
      if (st != ReadStatus::kFrame) {
        CHECK(st == ReadStatus::kTimeout);
        break;
      }
      CHECK_MESSAGE((!f.is_request && f.status == 481), f.Describe());
      CHECK(std::find(tids[i].begin(), tids[i].end(), f.tid) != tids[i].end());
      ++got_481;
    }
  }
  CHECK(got_481 >= 1);
  CHECK(b->WaitClosed(Millis(10000)));
  // The senders keep working.
  Peer b2 = AuthenticatedPeer(relay, "bob2", "bob", "bobpw");
  for (const Peer& s : senders) RequireExchange(s, b2, "after the overflow");
  RequireRelayStillWorks(relay);
  RelayCounters c = StopAndReadCounters(relay);
  CHECK(c["queue_overflow_closes"] == 1);
  CHECK(c["stalled_closes"] == 0);
}

}  // namespace msrp::test
