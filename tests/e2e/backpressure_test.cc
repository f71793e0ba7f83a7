// End-to-end test of flow control (RFC 4976 §6.4.1 streaming, S-06, BR-09, R-16, R-18): a receiver
// that stops reading must make the relay stop reading the sender, with bounded relay memory.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "tests/support/crypto_util.h"
#include "tests/support/expect.h"
#include "tests/support/msrp_client.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"

namespace msrp::test {
namespace {

using Clock = std::chrono::steady_clock;

// Drains whatever A has received (200s, REPORTs) without waiting; returns REPORTs seen.
int DrainReports(MsrpClient& c, std::vector<Frame>* log) {
  int reports = 0;
  for (;;) {
    Frame f;
    if (c.Read(&f, Millis(0)) != ReadStatus::kFrame) return reports;
    if (f.is_request && f.method == "REPORT") ++reports;
    log->push_back(std::move(f));
  }
}

}  // namespace

TEST_CASE("S-06, BR-09, R-16, R-18: a receiver that stops reading stalls the sender with bounded "
          "relay memory; closing it frees the sender") {
  RelayProcess relay;
  Peer a = AuthenticatedPeer(relay, "alice", "alice", "alicepw");
  Peer b;
  {
    ClientOptions o = relay.ClientOptionsFor("bob");
    o.rcvbuf = 64 * 1024;  // keep the kernel from soaking up much of the test traffic
    b.client = std::make_unique<MsrpClient>(relay.port(), o);
    b.use_path = b.client->Authenticate("bob", "bobpw").use_path;
  }
  const long baseline_kb = relay.VmRssKb();
  REQUIRE(baseline_kb > 0);
  // AddressSanitizer's quarantine keeps freed chunks resident: the bound is meaningless there.
  const long rss_slack_kb = relay.IsSanitized() ? 1024 * 1024 : 64 * 1024;

  const uint64_t kChunk = 1u << 20, kTotal = 200ull << 20;
  const std::string payload = PseudoRandomBytes(kChunk, 42);
  const std::string mid = "bp-" + RandomAlnum(8);
  auto make_chunk = [&](uint64_t index) {
    SendSpec s = SendBetween(a, b, payload);
    s.message_id = mid;
    s.byte_range = std::to_string(index * kChunk + 1) + "-" + std::to_string((index + 1) * kChunk) +
                   "/" + std::to_string(kTotal);
    s.flag = (index + 1) * kChunk < kTotal ? '+' : '$';
    return BuildSend(s);
  };

  // Phase 1: write for up to ~20 s; stop once no octet was accepted for 3 s.
  uint64_t index = 0, written = 0;
  std::string current = make_chunk(0);
  size_t offset = 0;
  long max_rss_kb = baseline_kb;
  bool stalled = false, broke = false;
  std::vector<Frame> a_frames;
  auto start = Clock::now(), last_progress = start;
  while (Clock::now() - start < std::chrono::seconds(20) && index * kChunk < kTotal) {
    bool failed = false;
    size_t n = a->WriteSome(std::string_view(current).substr(offset), Millis(100), &failed);
    if (failed) {
      broke = true;
      break;
    }
    offset += n;
    written += n;
    if (n > 0) last_progress = Clock::now();
    if (offset == current.size()) {
      ++index;
      offset = 0;
      if (index * kChunk < kTotal) current = make_chunk(index);
    }
    max_rss_kb = std::max(max_rss_kb, relay.VmRssKb());
    DrainReports(*a.client, &a_frames);
    if (Clock::now() - last_progress > std::chrono::seconds(3)) {
      stalled = true;
      break;
    }
  }
  relay.RequireAlive();
  MESSAGE("wrote " << (written >> 20) << " MiB before " << std::string(stalled ? "stalling" : "the time bound")
                   << "; relay VmRSS " << baseline_kb / 1024 << " MiB -> max " << max_rss_kb / 1024
                   << " MiB");
  REQUIRE_FALSE_MESSAGE(broke, "A's connection broke while writing");
  CHECK_MESSAGE(stalled, "A's writes never blocked: the relay kept reading from A");
  CHECK(written < kTotal);
  CHECK_MESSAGE(max_rss_kb < baseline_kb + rss_slack_kb,
                "relay VmRSS grew from " << baseline_kb << " kB to " << max_rss_kb << " kB");

  // Other sessions are still served while A is stalled.
  RequireRelayStillWorks(relay);
  max_rss_kb = std::max(max_rss_kb, relay.VmRssKb());
  CHECK(max_rss_kb < baseline_kb + rss_slack_kb);

  // Phase 2: B goes away. A must get a REPORT, or be able to finish its chunk and keep using
  // the connection (an AUTH then gets its 401).
  b->Abort();
  const size_t frames_before_close = a_frames.size();
  // The current chunk is completed even when offset is 0: a write of its first octets may have
  // stalled inside TLS (SSL_write then wants a retry with the same octets), so no other bytes
  // may be written before it.
  bool got_report = false, finished_chunk = index * kChunk >= kTotal, usable = false;
  auto deadline = Clock::now() + std::chrono::seconds(20);
  std::string probe_tid;
  while (Clock::now() < deadline && !got_report && !usable) {
    if (!finished_chunk) {
      bool failed = false;
      offset += a->WriteSome(std::string_view(current).substr(offset), Millis(100), &failed);
      if (failed) break;
      if (offset == current.size()) finished_chunk = true;
    } else if (probe_tid.empty()) {
      probe_tid = NewTid();
      if (!a->TryWrite(EncodeFrame(probe_tid, "AUTH", {{"To-Path", "msrps://relay.test;tcp"},
                                                       {"From-Path", a.uri()}}, std::nullopt))) {
        break;
      }
    }
    Frame f;
    ReadStatus st = a->Read(&f, Millis(finished_chunk ? 200 : 0));
    if (st == ReadStatus::kClosed || st == ReadStatus::kMalformed) break;
    if (st == ReadStatus::kFrame) {
      if (f.is_request && f.method == "REPORT") got_report = true;
      if (!probe_tid.empty() && !f.is_request && f.tid == probe_tid && f.status == 401) usable = true;
      a_frames.push_back(std::move(f));
    }
  }
  got_report = got_report || DrainReports(*a.client, &a_frames) > 0 ||
               std::any_of(a_frames.begin() + frames_before_close, a_frames.end(),
                           [](const Frame& f) { return f.is_request && f.method == "REPORT"; });
  CHECK_MESSAGE((got_report || usable),
                "after B closed, A got no REPORT and its connection is not usable (chunk finished: "
                    << finished_chunk << ", closed: " << a->closed() << " (" << a->close_reason()
                    << "))\nrelay log tail:\n" << relay.LogTail(40));
  for (const Frame& f : a_frames) {
    if (f.is_request && f.method == "REPORT") {
      INFO("REPORT:\n" << f.Describe());
      CHECK(f.Header("Message-ID") == std::optional<std::string>(mid));
      CHECK(f.Header("Status").value_or("").rfind("000 ", 0) == 0);
    }
  }
  RequireRelayStillWorks(relay);
  CHECK(relay.VmRssKb() < baseline_kb + rss_slack_kb);
}


TEST_CASE("BR-03, C-10: connections that come and go release their file descriptors and memory") {
  RelayProcess relay;
  RequireRelayStillWorks(relay);  // warm up lazily created resources
  auto settle = [&](int limit) {
    int n = relay.OpenFdCount();
    for (int i = 0; i < 50 && n > limit; ++i) {  // bounded polling, up to 5 s
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      n = relay.OpenFdCount();
    }
    return n;
  };
  // Baseline: the fd count once two readings 200 ms apart agree (bounded polling).
  int fd_base = relay.OpenFdCount();
  for (int i = 0; i < 25; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    int n = relay.OpenFdCount();
    if (n == fd_base) break;
    fd_base = n;
  }
  long rss_base = relay.VmRssKb();
  const long rss_slack_kb = relay.IsSanitized() ? 1024 * 1024 : 16 * 1024;  // ASan quarantine
  REQUIRE(fd_base > 0);
  for (int round = 0; round < 40; ++round) {
    PeerPair p = AuthenticatedPair(relay);
    SendSpec s = SendBetween(p.a, p.b, PseudoRandomBytes(20000, round));
    p.a->Write(BuildSend(s));
    p.a->ReadFrame(kFrameTimeout, "200");
    Frame got = p.b->ReadFrame(kFrameTimeout, "SEND");
    switch (round % 4) {
      case 0:  // orderly: B answers, both close with close_notify
        p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
        break;
      case 1:  // B vanishes with a transaction pending
        p.b->Abort();
        break;
      case 2:  // A vanishes first
        p.a->Abort();
        break;
      default:  // both reset
        p.a->Abort();
        p.b->Abort();
        break;
    }
  }
  int fd_after = settle(fd_base);
  CHECK_MESSAGE(fd_after <= fd_base, "relay fds: " << fd_base << " before, " << fd_after
                                                    << " after 40 closed pairs");
  long rss_after = relay.VmRssKb();
  CHECK_MESSAGE(rss_after < rss_base + rss_slack_kb,
                "relay VmRSS " << rss_base << " kB -> " << rss_after << " kB");
  RequireRelayStillWorks(relay);
}

}  // namespace msrp::test
