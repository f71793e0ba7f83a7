// End-to-end fault injection: peers that reset mid-chunk, TLS garbage, half-open and silent
// connections, slow-loris heads, clients that never read, and file-descriptor exhaustion; an
// unrelated pair keeps exchanging throughout (R-17, C-05, C-08, C-10, S-06, A-15, E-05).
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
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

// Checks the bystander pair ran and saw no deviation.
void CheckBystanders(BackgroundExchange& bystanders) {
  std::string error = bystanders.Stop();
  CHECK_MESSAGE(error.empty(), error);
  CHECK(bystanders.round_trips() > 0);
  MESSAGE("bystanders: " << bystanders.round_trips() << " round trips, slowest " << bystanders.max_latency_ms()
                         << " ms");
}

// B sends to A's (dead) Use-Path and must get 481 (C-10, E-05).
void ExpectDeadSession(const Peer& b, const std::string& dead_use_path, const std::string& dead_uri) {
  SendSpec s;
  s.tid = NewTid();
  s.to_path = {b.use_path, dead_use_path, dead_uri};
  s.from_path = {b.uri()};
  s.message_id = RandomAlnum(8);
  s.byte_range = "1-4/4";
  s.body = "gone";
  b->Write(BuildSend(s));
  Frame r = b->ReadFrame(kFrameTimeout, "481 for the dead session");
  CHECK_BYTES(r.raw, BuildResponse(s.tid, 481, "Session Does Not Exist", {b.uri()}, {b.use_path}));
}

// A SEND of `body` from a to b whose bytes the caller writes itself (Failure-Report as given).
SendSpec BigSend(const Peer& a, const Peer& b, const std::string& body, const char* failure_report) {
  SendSpec s = SendBetween(a, b, body);
  if (failure_report != nullptr) s.failure_report = failure_report;
  return s;
}

// Open descriptors of `pid` numbered below `limit`.
int FdsBelow(int pid, int limit) {
  int n = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end;
       !ec && it != end; it.increment(ec)) {
    if (std::stoi(it->path().filename().string()) < limit) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("R-17, C-10: a sender reset mid-chunk: B's chunk ends with + at the octet reached, B "
          "and everyone else keep working") {
  RelayProcess relay;
  BackgroundExchange bystanders(relay);
  PeerPair p = AuthenticatedPair(relay);
  const std::string body = PseudoRandomBytes(300000, 7);
  SendSpec s = BigSend(p.a, p.b, body, "yes");
  std::string sent = BuildSend(s);
  p.a->Write(sent.substr(0, 120000));
  // The relay has forwarded the head (and maybe some body) once B's socket turns readable.
  REQUIRE(WaitReadable(p.b->fd(), Millis(5000)));
  std::string dead_use_path = p.a.use_path, dead_uri = p.a.uri();
  p.a->Abort();  // RST

  Frame got = p.b->ReadFrame(kFrameTimeout, "the interrupted chunk");
  CHECK(got.flag == '+');
  CHECK(got.Header("Byte-Range") == std::optional<std::string>("1-*/300000"));
  CHECK(got.Header("Message-ID") == std::optional<std::string>(s.message_id));
  CHECK(got.body.size() < 120000);
  CHECK(got.body == body.substr(0, got.body.size()));
  MESSAGE("B got " << got.body.size() << " octets, then +");
  // B's answer to the piece goes nowhere; B keeps working with a new peer.
  p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
  CHECK_SILENT(*p.b.client, 300);
  ExpectDeadSession(p.b, dead_use_path, dead_uri);
  Peer a2 = AuthenticatedPeer(relay, "alice2", "alice", "alicepw");
  RequireExchange(a2, p.b, "I am back");
  RequireExchange(p.b, a2, "welcome");
  CheckBystanders(bystanders);
  RequireRelayStillWorks(relay);
}

TEST_CASE("C-10, R-06, R-09: a receiver reset mid-chunk: the sender gets 481 at its chunk's "
          "end-line (Failure-Report yes), a REPORT 000 481 (partial) or nothing (no)") {
  RelayProcess relay;
  BackgroundExchange bystanders(relay);
  PeerPair p = AuthenticatedPair(relay);
  const char* fr = "yes";
  SUBCASE("Failure-Report yes") { fr = "yes"; }
  SUBCASE("Failure-Report partial") { fr = "partial"; }
  SUBCASE("Failure-Report no") { fr = "no"; }
  const std::string body = PseudoRandomBytes(300000, 8);
  SendSpec s = BigSend(p.a, p.b, body, fr);
  std::string sent = BuildSend(s);
  p.a->Write(sent.substr(0, 120000));
  // The relay has forwarded the head (and maybe some body) once B's socket turns readable.
  REQUIRE(WaitReadable(p.b->fd(), Millis(5000)));
  std::string btag = ConnectionTag(relay, LocalPort(p.b->fd()));
  p.b->Abort();  // RST
  REQUIRE(!WaitConnectionClosed(relay, btag, Millis(5000)).empty());
  p.a->Write(sent.substr(120000));  // the rest of the chunk and its end-line

  if (std::string(fr) == "yes") {
    Frame r = p.a->ReadFrame(kFrameTimeout, "481 at the end-line");
    CHECK_BYTES(r.raw, BuildResponse(s.tid, 481, "Session Does Not Exist", {p.a.uri()}, {p.a.use_path}));
  } else if (std::string(fr) == "partial") {
    Frame r = p.a->ReadFrame(kFrameTimeout, "REPORT 000 481");
    CHECK(IsFreshRelayTid(r.tid, s.tid));
    CHECK_BYTES(r.raw, BuildReport(r.tid, {p.a.uri()}, {p.a.use_path}, s.message_id, "1-300000/300000",
                                   "000 481 Session Does Not Exist"));
  }
  CHECK_SILENT(*p.a.client, 800);  // nothing else: no 200, no 408

  // A's own session is intact.
  Peer b2 = AuthenticatedPeer(relay, "bob2", "bob", "bobpw");
  RequireExchange(p.a, b2, "hello again");
  RequireExchange(b2, p.a, "hi");
  CheckBystanders(bystanders);
  RequireRelayStillWorks(relay);
}

TEST_CASE("C-10, E-01: TLS garbage after a good handshake closes that connection only") {
  RelayProcess relay;
  BackgroundExchange bystanders(relay);
  PeerPair p = AuthenticatedPair(relay);
  const std::string garbage = "this is not a TLS record\r\n" + PseudoRandomBytes(400, 12);
  std::string atag = ConnectionTag(relay, LocalPort(p.a->fd()));
  std::string dead_use_path = p.a.use_path, dead_uri = p.a.uri();
  SUBCASE("between messages") {
    RequireExchange(p.a, p.b, "a good message first");
    REQUIRE(send(p.a->fd(), garbage.data(), garbage.size(), MSG_NOSIGNAL) > 0);
  }
  SUBCASE("in the middle of a chunk: B's chunk ends with +") {
    const std::string body = PseudoRandomBytes(200000, 13);
    SendSpec s = BigSend(p.a, p.b, body, "yes");
    std::string sent = BuildSend(s);
      p.a->Write(sent.substr(0, 60000));
    // The relay has forwarded the head (and maybe some body) once B's socket turns readable.
  REQUIRE(WaitReadable(p.b->fd(), Millis(5000)));
    REQUIRE(send(p.a->fd(), garbage.data(), garbage.size(), MSG_NOSIGNAL) > 0);
    Frame got = p.b->ReadFrame(kFrameTimeout, "the interrupted chunk");
    CHECK(got.flag == '+');
    CHECK(got.body == body.substr(0, got.body.size()));
  }
  CHECK(p.a->WaitClosed(Millis(5000)));
  std::string line = WaitConnectionClosed(relay, atag, Millis(5000));
  CHECK_MESSAGE(line.find("TLS error") != std::string::npos, line);
  CHECK_SILENT(*p.b.client, 300);
  ExpectDeadSession(p.b, dead_use_path, dead_uri);
  CheckBystanders(bystanders);
  RequireRelayStillWorks(relay);
}

TEST_CASE("C-10: a client that half-closes (FIN) after its SEND: the SEND is delivered, then the "
          "relay closes the connection and ends its session") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  std::string dead_use_path = p.a.use_path, dead_uri = p.a.uri();
  SendSpec s = SendBetween(p.a, p.b, "last words");
  std::string sent = BuildSend(s);
  p.a->Write(sent);
  REQUIRE(shutdown(p.a->fd(), SHUT_WR) == 0);
  Frame got = p.b->ReadFrame(kFrameTimeout, "the SEND written before the FIN");
  CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, p.a, p.b));
  p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
  std::vector<Frame> frames;
  CHECK(p.a->WaitClosed(Millis(5000), &frames));
  // The relay's 200 may or may not make it out before it closes on EOF; nothing else may.
  for (const Frame& f : frames) CHECK_MESSAGE(f.StartLine() == "MSRP " + s.tid + " 200 OK", f.Describe());
  MESSAGE("A read " << frames.size() << " frame(s) before the close");
  CHECK(relay.Log().find("connection closed: peer closed") != std::string::npos);
  ExpectDeadSession(p.b, dead_use_path, dead_uri);
  RequireRelayStillWorks(relay);
}

TEST_CASE("A-15, S-06, C-08: a silent (half-open) client is closed once its session expired and "
          "idle_timeout passed; messages to it before that are delivered to its socket") {
  RelayOptions o;
  o.expires_min = 1;
  o.expires_default = 2;
  o.limits["idle_timeout"] = "2";
  RelayProcess relay(o);
  Peer a = AuthenticatedPeer(relay, "alice", "alice", "alicepw");  // Expires 2
  Peer b;
  b.client = relay.Connect("bob");
  AuthOptions ao;
  ao.expires = 600;
  b.use_path = b.client->Authenticate("bob", "bobpw", ao).use_path;
  auto start = Clock::now();
  // A goes silent: it neither writes nor reads from here on (as if its network vanished).
  SendSpec s = SendBetween(b, a, "are you there?");
  b->Write(BuildSend(s));
  std::string problems = CheckRelay200(b->ReadFrame(), s.tid, b);
  CHECK_MESSAGE(problems.empty(), problems);
  // Bounded polling of the relay's log; A's socket is not touched.
  std::string atag = ConnectionTag(relay, LocalPort(a->fd()));
  std::string line = WaitConnectionClosed(relay, atag, Millis(10000));
  long ms = ElapsedMs(start);
  CHECK_MESSAGE(line.find("idle without a session") != std::string::npos, line);
  CHECK_MESSAGE(ms >= 1500, "closed after " << ms << " ms");
  MESSAGE("silent client closed after " << ms << " ms");
  // B's unanswered SEND: REPORT 408 (transaction_timeout 2 s) or nothing, then the dead URI.
  Frame f;
  if (b->Read(&f, Millis(3000)) == ReadStatus::kFrame) {
    CHECK_MESSAGE((f.method == "REPORT" && f.Header("Status").value_or("").rfind("000 408", 0) == 0), f.Describe());
  }
  ExpectDeadSession(b, a.use_path, a.uri());
  CHECK(a->WaitClosed(Millis(2000)));
  RequireRelayStillWorks(relay);
}

TEST_CASE("C-05, S-06: a slow-loris head (one octet per 200 ms) does not hold up others and is "
          "closed after probation unless the connection already succeeded") {
  RelayOptions o;
  o.limits["probation"] = "3";
  RelayProcess relay(o);
  BackgroundExchange bystanders(relay);
  bool authenticated = false;
  SUBCASE("unauthenticated: closed after probation") { authenticated = false; }
  SUBCASE("authenticated: its slow SEND is delivered") { authenticated = true; }

  if (!authenticated) {
    auto loris = relay.Connect("loris");
    std::string head = "MSRP " + NewTid() + " AUTH\r\nTo-Path: msrps://relay.test;tcp\r\nFrom-Path: " +
                       loris->uri() + "\r\n";
    auto start = Clock::now();
    size_t sent = 0;
    bool closed = false;
    while (sent < head.size() && ElapsedMs(start) < 15000) {
      if (!loris->TryWrite(head.substr(sent, 1), Millis(2000))) {
        closed = true;
        break;
      }
      ++sent;
      if (loris->WaitClosed(Millis(200))) {  // the 200 ms pace, watching for the close
        closed = true;
        break;
      }
    }
    long ms = ElapsedMs(start);
    CHECK_MESSAGE(closed, "slow-loris connection still open after " << ms << " ms, " << sent << " octets");
    CHECK_MESSAGE(ms >= 2500, "closed after " << ms << " ms; probation is 3 s");
    CHECK(sent < head.size());
    MESSAGE("slow-loris closed after " << ms << " ms and " << sent << " octets");
  } else {
    PeerPair p = AuthenticatedPair(relay);
    SendSpec s = SendBetween(p.a, p.b, "slowly but surely");
    std::string sent = BuildSend(s);
    const size_t slow = 30;  // the last 30 octets at 200 ms each: 6 s, twice the probation
    p.a->Write(sent.substr(0, sent.size() - slow));
    for (size_t i = sent.size() - slow; i + 1 < sent.size(); ++i) {
      p.a->Write(sent.substr(i, 1));
      std::string quiet = p.a->ExpectSilence(Millis(200));  // pace; nothing may arrive yet
      CHECK_MESSAGE(quiet.empty(), quiet);
      if (!quiet.empty()) break;
    }
    p.a->Write(sent.substr(sent.size() - 1));
    std::string problems = CheckRelay200(p.a->ReadFrame(), s.tid, p.a);
    CHECK_MESSAGE(problems.empty(), problems);
    Frame got = p.b->ReadFrame(kFrameTimeout, "the slowly written SEND");
    CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, p.a, p.b));
    p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
  }
  CheckBystanders(bystanders);
  CHECK(bystanders.max_latency_ms() < 3000);
  RequireRelayStillWorks(relay);
  RelayCounters c = StopAndReadCounters(relay);
  CHECK(c["probation_closes"] == (authenticated ? 0u : 1u));
}

TEST_CASE("S-06, R-18, BR-09: a client that pipelines SENDs and never reads its responses is no "
          "longer read; relay memory stays bounded; others are unaffected; reading resumes it") {
  RelayOptions o;
  o.limits["high_watermark"] = "65536";
  o.limits["low_watermark"] = "16384";
  o.limits["transaction_timeout"] = "60";
  o.limits["max_pending_transactions"] = "1000000";  // B may lag: never 403 here
  RelayProcess relay(o);
  Peer a;
  {
    ClientOptions co = relay.ClientOptionsFor("alice");
    co.rcvbuf = 4096;
    a.client = std::make_unique<MsrpClient>(relay.port(), co);
    a.use_path = a.client->Authenticate("alice", "alicepw").use_path;
  }
  Peer b = AuthenticatedPeer(relay, "bob", "bob", "bobpw");
  // B reads and answers every SEND in its own thread.
  std::atomic<bool> stop_b{false};
  std::atomic<int> at_b{0};
  BackgroundWriter b_thread([&] {
    while (!stop_b) {
      Frame f;
      ReadStatus st = b->Read(&f, Millis(100));
      if (st == ReadStatus::kTimeout) continue;
      if (st != ReadStatus::kFrame) throw std::runtime_error("B: connection lost");
      if (!f.is_request || f.method != "SEND") throw std::runtime_error("B: unexpected " + f.Describe());
      b->Write(BuildResponse(f.tid, 200, "OK", {b.use_path}, {b.uri()}));
      at_b++;
    }
  });
  BackgroundExchange bystanders(relay);
  const long baseline_kb = relay.VmRssKb();
  const long slack_kb = relay.IsSanitized() ? 1024 * 1024 : 48 * 1024;

  // A writes batches of 500 SENDs and never reads, until the relay stops taking its bytes.
  std::vector<std::string> tids;
  std::string pending;  // encoded SENDs not yet (fully) written
  size_t pending_off = 0, written_sends = 0;
  std::vector<size_t> send_ends;  // offsets (in `pending`) where each SEND ends
  long max_rss_kb = baseline_kb;
  auto start = Clock::now(), last_progress = start;
  bool stalled = false;
  while (ElapsedMs(start) < 60000) {
    if (pending_off == pending.size()) {
      pending.clear();
      send_ends.clear();
      pending_off = 0;
      for (int i = 0; i < 500; ++i) {
        SendSpec s = SendBetween(a, b, "pipelined " + std::to_string(tids.size()));
        tids.push_back(s.tid);
        pending += BuildSend(s);
        send_ends.push_back(pending.size());
      }
    }
    bool failed = false;
    size_t n = a->WriteSome(std::string_view(pending).substr(pending_off), Millis(100), &failed);
    REQUIRE_FALSE_MESSAGE(failed, "A's connection broke");
    pending_off += n;
    if (n > 0) last_progress = Clock::now();
    max_rss_kb = std::max(max_rss_kb, relay.VmRssKb());
    if (Clock::now() - last_progress > std::chrono::seconds(2)) {
      stalled = true;
      break;
    }
  }
  written_sends = tids.size() - send_ends.size() +
                  static_cast<size_t>(std::upper_bound(send_ends.begin(), send_ends.end(), pending_off) -
                                      send_ends.begin());
  MESSAGE("A wrote " << written_sends << " complete SENDs in " << ElapsedMs(start) << " ms before "
                     << std::string(stalled ? "stalling" : "the time bound") << "; B got " << at_b.load()
                     << "; relay VmRSS " << baseline_kb << " kB -> max " << max_rss_kb << " kB");
  CHECK_MESSAGE(stalled, "the relay kept reading a client that never reads its responses");
  CHECK_MESSAGE(max_rss_kb < baseline_kb + slack_kb, "relay VmRSS " << baseline_kb << " -> " << max_rss_kb << " kB");

  // Others are served meanwhile.
  RequireRelayStillWorks(relay);
  max_rss_kb = std::max(max_rss_kb, relay.VmRssKb());
  CHECK(max_rss_kb < baseline_kb + slack_kb);

  // A starts reading (and finishes writing its last batch): one 200 per SEND, in order; the
  // relay resumes reading A.
  const size_t total = tids.size();
  size_t got = 0;
  bool bad = false;
  auto read_start = Clock::now(), last_read = read_start;
  while (got < total && !bad && Clock::now() - last_read < std::chrono::seconds(5) &&
         ElapsedMs(read_start) < 60000) {
    if (pending_off < pending.size()) {
      bool failed = false;
      pending_off += a->WriteSome(std::string_view(pending).substr(pending_off), Millis(20), &failed);
      REQUIRE_FALSE_MESSAGE(failed, "A's connection broke");
    }
    for (;;) {
      Frame f;
      if (a->Read(&f, Millis(20)) != ReadStatus::kFrame) break;
      last_read = Clock::now();
      if (f.is_request || f.status != 200 || f.tid != tids[got]) {
        FAIL_CHECK("A: want 200 for SEND #" << got << " (" << tids[got] << "), got:\n" << f.Describe());
        bad = true;
        break;
      }
      if (++got == total) break;
    }
  }
  CHECK_MESSAGE(got == total, "A got " << got << " of " << total << " 200s");
  CHECK(PollUntil([&] { return at_b.load() == static_cast<int>(total); }, Millis(10000)));
  stop_b = true;
  CHECK(b_thread.Join() == "");
  CheckBystanders(bystanders);
  RequireRelayStillWorks(relay);
  RelayCounters c = StopAndReadCounters(relay);
  CHECK(c["backpressure_pauses"] >= 1);
}

// A relay limited to 64 descriptors (handshake and probation timers out of the way), with an
// authenticated pair, that was then offered 100 more TCP connections.
struct FdExhaustion {
  RelayProcess relay;
  int base_fds = 0;       ///< relay descriptors before any client
  PeerPair pair;
  std::vector<int> held;  ///< extra connections the relay accepted (still open)
  int shed = 0;           ///< extra connections the relay closed at once
  bool settled = false;   ///< every extra connection was either held or shed
  int full_fds = 0;

  static RelayOptions Options() {
    RelayOptions o;
    o.rlimit_nofile = 64;
    o.limits["handshake_timeout"] = "60";
    o.limits["probation"] = "60";
    return o;
  }

  FdExhaustion() : relay(Options()) {
    base_fds = relay.OpenFdCount();
    pair = AuthenticatedPair(relay);
    REQUIRE(PollUntil([&] { return relay.OpenFdCount() == base_fds + 2; }, Millis(2000)));
    // The kernel completes all 100 (listen backlog); the relay holds what 64 descriptors allow.
    for (int i = 0; i < 100; ++i) {
      int fd = RawTcpConnect(relay.port());
      REQUIRE(fd >= 0);
      held.push_back(fd);
    }
    settled = PollUntil([&] {
      for (auto it = held.begin(); it != held.end();) {
        if (RawWaitClosed(*it, Millis(0))) {
          ++shed;
          close(*it);
          it = held.erase(it);
        } else {
          ++it;
        }
      }
      return shed + (relay.OpenFdCount() - base_fds - 2) == 100;
    }, Millis(5000), Millis(100));
    full_fds = relay.OpenFdCount();
  }

  ~FdExhaustion() { ReleaseHeld(); }

  void ReleaseHeld() {
    for (int fd : held) close(fd);
    held.clear();
  }
};

TEST_CASE("C-08, S-06: out of file descriptors (RLIMIT_NOFILE 64): excess connections are shed, "
          "existing sessions keep relaying, and new clients connect once descriptors are free") {
  FdExhaustion x;
  RelayProcess& relay = x.relay;
  CHECK_MESSAGE(x.settled, "extra connections neither shed nor held after 5 s");
  MESSAGE("relay fds: " << x.base_fds << " at start, " << x.full_fds << " when full; of 100 extra connections "
                        << x.held.size() << " held, " << x.shed << " shed");
  CHECK(x.shed > 0);
  CHECK(x.held.size() > 0);
  // Every descriptor number below the limit is in use (descriptors the relay inherited above
  // it, if any, do not count).
  CHECK_MESSAGE(FdsBelow(relay.pid(), 64) == 64, DescribeFds(relay.pid()));
  CHECK_THROWS_AS(relay.Connect("late"), std::runtime_error);

  // The existing pair still relays both ways.
  RequireExchange(x.pair.a, x.pair.b, "still connected");
  RequireExchange(x.pair.b, x.pair.a, "me too");

  // Free the descriptors: new clients connect and authenticate again.
  x.ReleaseHeld();
  CHECK(PollUntil([&] { return relay.OpenFdCount() <= x.base_fds + 2; }, Millis(5000)));
  RequireRelayStillWorks(relay);
  RequireExchange(x.pair.a, x.pair.b, "and after");
  RelayCounters c = StopAndReadCounters(relay);
  MESSAGE("accept_errors=" << c["accept_errors"] << " connections_accepted=" << c["connections_accepted"]);
}

// libuv sheds connections it cannot accept for lack of descriptors by itself (its EMFILE
// reserve-descriptor trick) without reporting them, so the relay watches its own descriptor
// count near RLIMIT_NOFILE: running out is logged once and counted (fd_limit_reached).
TEST_CASE("C-08, S-06: running out of descriptors is logged and counted (fd_limit_reached); "
          "existing sessions are served meanwhile") {
  FdExhaustion x;
  RelayProcess& relay = x.relay;
  REQUIRE(x.settled);
  REQUIRE(x.shed > 0);
  auto warned = relay.WaitForLog("file descriptors exhausted \\(RLIMIT_NOFILE 64", Millis(3000));
  CHECK_MESSAGE(warned.has_value(), relay.LogTail(20));
  RequireExchange(x.pair.a, x.pair.b, "while out of descriptors");
  x.ReleaseHeld();
  CHECK(relay.WaitForLog("file descriptors available again", Millis(3000)).has_value());
  RequireRelayStillWorks(relay);
  RelayCounters c = StopAndReadCounters(relay);
  CHECK_MESSAGE(c["fd_limit_reached"] >= 1, "fd_limit_reached=" << c["fd_limit_reached"] << " after " << x.shed
                                                                << " connections were shed");
}

}  // namespace msrp::test
