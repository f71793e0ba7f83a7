// Bounded churn soak (BR-03, C-10, S-06, R-17): hundreds of clients connect, authenticate, relay
// and drop at random points (mid-chunk included) under a fixed seed; afterwards the relay's
// descriptors are back to baseline, its RSS stayed flat over the second half, and it still works.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

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

constexpr uint64_t kSeed = 0x5eed2026;
constexpr int kThreads = 4;
constexpr int kSlotsPerThread = 40;  // 160 clients connected at a time at most

// Run length: 60 s, or MSRP_SOAK_SECONDS (10..600) for longer hand runs.
int SoakSeconds() {
  const char* env = std::getenv("MSRP_SOAK_SECONDS");
  if (env == nullptr || *env == '\0') return 60;
  int s = std::atoi(env);
  return std::clamp(s, 10, 600);
}

struct Stats {
  std::atomic<uint64_t> connects{0}, auths{0}, auth_refused{0}, reauths{0}, messages{0}, octets{0};
  std::atomic<uint64_t> sender_drops_mid_chunk{0}, receiver_drops_mid_chunk{0}, idle_drops{0};
  std::atomic<uint64_t> raw_tcp_drops{0}, tls_only_drops{0}, partials_seen{0}, partials_missed{0};
  std::atomic<uint64_t> receiver_drop_481{0}, receiver_drop_200{0}, strays{0};
  std::mutex mu;
  std::vector<std::string> errors;

  void Error(const std::string& e) {
    std::lock_guard<std::mutex> lock(mu);
    if (errors.size() < 20) errors.push_back(e);
  }
};

struct Sample {
  long ms;
  long rss_kb;
  int fds;
};

// One thread's population of clients, driven by its own seeded generator. Every operation is
// synchronous (write, then read the expected frames with timeouts), so the only frames a client
// may find that it did not ask for are the leftovers of deliberate faults: interrupted chunks
// ('+') and 408 REPORTs. Anything else is an error.
class Worker {
 public:
  Worker(RelayProcess& relay, int index, Clock::time_point deadline, Stats& stats)
      : relay_(relay), index_(index), deadline_(deadline), stats_(stats), rng_(kSeed + 7919 * index),
        slots_(kSlotsPerThread) {}

  void Run() {
    while (Clock::now() < deadline_) {
      try {
        Step();
      } catch (const std::exception& e) {
        stats_.Error("[worker " + std::to_string(index_) + " op " + std::to_string(ops_) + "] " + e.what());
        // Drop everything this thread holds: its clients' state is unknown now.
        for (auto& s : slots_) s = Peer{};
      }
      ++ops_;
    }
    for (auto& s : slots_) {
      if (s.client && Pick(2) == 0) s.client->Abort();
      s = Peer{};
    }
  }

 private:
  uint64_t Pick(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }

  std::vector<int> Live() const {
    std::vector<int> out;
    for (int i = 0; i < static_cast<int>(slots_.size()); ++i) {
      if (slots_[i].client) out.push_back(i);
    }
    return out;
  }

  std::string Name(int slot) const {
    return "w" + std::to_string(index_) + "s" + std::to_string(slot) + "n" + std::to_string(ops_);
  }

  // Body size: mostly small, sometimes tens of kB, rarely a few hundred kB.
  size_t BodySize() {
    uint64_t r = Pick(100);
    if (r < 70) return Pick(2000);
    if (r < 95) return 2000 + Pick(62000);
    return 64000 + Pick(200000);
  }

  void Drop(int slot) {
    if (Pick(2) == 0) {
      slots_[slot].client->Abort();  // RST
    } else {
      slots_[slot].client->Close();  // close_notify + FIN
    }
    slots_[slot] = Peer{};
  }

  void Connect(int slot) {
    const char* users[][2] = {{"alice", "alicepw"}, {"bob", "bobpw"}, {"carol", "carolpw"}};
    const auto& u = users[Pick(3)];
    slots_[slot].client = relay_.Connect(Name(slot));
    stats_.connects++;
    slots_[slot].use_path = slots_[slot].client->Authenticate(u[0], u[1]).use_path;
    stats_.auths++;
    if (Pick(10) == 0) {
      // Re-AUTH (nobody knows this Use-Path yet, so nothing else can arrive): same URI, refreshed.
      std::string again = slots_[slot].client->Authenticate(u[0], u[1]).use_path;
      if (again != slots_[slot].use_path) throw std::runtime_error("re-AUTH changed the Use-Path");
      stats_.reauths++;
    }
  }

  // Reads frames on `c` until `want` accepts one; leftovers of faults are skipped, anything
  // else throws.
  Frame ReadWanted(MsrpClient& c, const std::function<bool(const Frame&)>& want, const std::string& what) {
    for (;;) {
      Frame f = c.ReadFrame(Millis(10000), what);
      if (want(f)) return f;
      bool leftover = (f.is_request && f.method == "SEND" && f.flag == '+') ||
                      (f.is_request && f.method == "REPORT" &&
                       f.Header("Status").value_or("").rfind("000 408", 0) == 0);
      if (!leftover) throw std::runtime_error("[" + c.name() + "] unexpected frame while waiting for " + what + ":\n" + f.Describe());
      stats_.strays++;
      if (f.is_request && f.method == "SEND") {
        c.Write(BuildResponse(f.tid, 200, "OK", {f.Path("From-Path")[0]}, {c.uri()}));
      }
    }
  }

  void Exchange(int i, int j) {
    Peer& from = slots_[i];
    Peer& to = slots_[j];
    std::string body = PseudoRandomBytes(BodySize(), rng_());
    SendSpec s = SendBetween(from, to, body);
    std::string bytes = BuildSend(s);
    from->Write(bytes);
    Frame ok = ReadWanted(*from.client, [&](const Frame& f) { return !f.is_request && f.tid == s.tid; },
                          "the 200 for " + s.tid);
    std::string problems = CheckRelay200(ok, s.tid, from);
    if (!problems.empty()) throw std::runtime_error(problems);
    Frame got = ReadWanted(*to.client, [&](const Frame& f) {
      return f.is_request && f.Header("Message-ID") == std::optional<std::string>(s.message_id);
    }, "SEND " + s.message_id);
    if (got.raw != ExpectedSendAtPeer(bytes, got.tid, from, to)) {
      throw std::runtime_error("forwarded SEND differs:\n" + got.Describe());
    }
    to->Write(BuildResponse(got.tid, 200, "OK", {to.use_path}, {to.uri()}));
    stats_.messages++;
    stats_.octets += body.size();
  }

  // The sender vanishes (RST or FIN) after part of a chunk: the receiver gets it ended with +.
  void SenderDropsMidChunk(int i, int j) {
    Peer& from = slots_[i];
    Peer& to = slots_[j];
    std::string body = PseudoRandomBytes(2000 + BodySize(), rng_());
    SendSpec s = SendBetween(from, to, body);
    std::string bytes = BuildSend(s);
    size_t head = bytes.find("\r\n\r\n") + 4;
    from->Write(std::string_view(bytes).substr(0, head + Pick(body.size())));
    bool rst = Pick(2) == 0;
    if (rst) {
      from->Abort();
    } else {
      from->Close();
    }
    slots_[i] = Peer{};
    stats_.sender_drops_mid_chunk++;
    // With FIN every written octet reaches the relay; with RST the kernel may discard some.
    Frame f;
    std::string err;
    for (;;) {
      ReadStatus st = to->Read(&f, Millis(rst ? 2000 : 10000), &err);
      if (st != ReadStatus::kFrame) {
        if (st != ReadStatus::kTimeout || !rst) {
          throw std::runtime_error("[" + to->name() + "] no interrupted chunk after the sender's " +
                                   (rst ? "RST" : "FIN") + ": " + err);
        }
        stats_.partials_missed++;
        return;
      }
      if (f.is_request && f.Header("Message-ID") == std::optional<std::string>(s.message_id)) break;
      stats_.strays++;
    }
    if (f.flag != '+' || f.body != body.substr(0, f.body.size())) {
      throw std::runtime_error("interrupted chunk wrong (want + and a prefix of the body):\n" + f.Describe());
    }
    stats_.partials_seen++;
    to->Write(BuildResponse(f.tid, 200, "OK", {to.use_path}, {to.uri()}));
  }

  // The receiver vanishes while a chunk streams to it: the sender gets 481, or (if the relay
  // had already forwarded the whole chunk) its 200 and later a 408 REPORT.
  void ReceiverDropsMidChunk(int i, int j) {
    Peer& from = slots_[i];
    std::string body = PseudoRandomBytes(4000 + BodySize(), rng_());
    SendSpec s = SendBetween(from, slots_[j], body);
    std::string bytes = BuildSend(s);
    size_t cut = bytes.find("\r\n\r\n") + 4 + Pick(body.size());
    from->Write(std::string_view(bytes).substr(0, cut));
    Drop(j);
    stats_.receiver_drops_mid_chunk++;
    if (!from->TryWrite(std::string_view(bytes).substr(cut))) throw std::runtime_error("sender lost its connection");
    Frame r = ReadWanted(*from.client, [&](const Frame& f) { return !f.is_request && f.tid == s.tid; },
                         "the response to " + s.tid);
    if (r.status == 481) {
      stats_.receiver_drop_481++;
    } else if (r.status == 200) {
      stats_.receiver_drop_200++;
    } else {
      throw std::runtime_error("want 481 or 200 after the receiver dropped, got:\n" + r.Describe());
    }
  }

  void Step() {
    std::vector<int> live = Live();
    uint64_t r = Pick(100);
    if (live.size() < 2 || r < 25) {
      int free_slot = -1;
      for (int i = 0; i < static_cast<int>(slots_.size()) && free_slot < 0; ++i) {
        if (!slots_[i].client) free_slot = i;
      }
      if (free_slot < 0) {
        Drop(live[Pick(live.size())]);
        stats_.idle_drops++;
      } else {
        Connect(free_slot);
      }
      return;
    }
    int i = live[Pick(live.size())];
    int j = live[Pick(live.size())];
    while (j == i) j = live[Pick(live.size())];
    if (r < 70) {
      Exchange(i, j);  // 45 %
    } else if (r < 77) {
      SenderDropsMidChunk(i, j);
    } else if (r < 82) {
      ReceiverDropsMidChunk(i, j);
    } else if (r < 86) {
      Drop(i);
      stats_.idle_drops++;
    } else if (r < 92) {
      int fd = RawTcpConnectFrom(relay_.port(), "");
      if (fd < 0) throw std::runtime_error("raw TCP connect failed");
      if (Pick(2) == 0) {
        RawAbort(fd);
      } else {
        close(fd);
      }
      stats_.raw_tcp_drops++;
    } else if (r < 95) {
      relay_.Connect(Name(i) + "x")->Abort();  // TLS handshake, then RST before any request
      stats_.tls_only_drops++;
    } else {
      auto c = relay_.Connect(Name(i) + "y");
      Frame ch = c->SendAuth(NewTid(), "msrps://relay.test;tcp", {});
      if (ch.status != 401) throw std::runtime_error("AUTH without credentials: " + ch.Describe());
      try {
        c->Authenticate("alice", "wrong password");
        throw std::runtime_error("a wrong password was accepted");
      } catch (const std::runtime_error& e) {
        if (std::string(e.what()).find("expected 200") == std::string::npos) throw;
      }
      stats_.auth_refused++;
      c->Abort();
    }
  }

  RelayProcess& relay_;
  int index_;
  Clock::time_point deadline_;
  Stats& stats_;
  std::mt19937_64 rng_;
  std::vector<Peer> slots_;
  uint64_t ops_ = 0;
};

long MaxRss(const std::vector<Sample>& s, long from_ms, long to_ms) {
  long m = 0;
  for (const Sample& x : s) {
    if (x.ms >= from_ms && x.ms < to_ms) m = std::max(m, x.rss_kb);
  }
  return m;
}

}  // namespace

TEST_CASE("BR-03, C-10, S-06, R-17: churn soak: clients connect, relay and drop at random points; "
          "descriptors return to baseline, RSS is flat over the second half, the relay still works") {
  const int seconds = SoakSeconds();
  RelayProcess relay;
  const int base_fds = relay.OpenFdCount();
  const long base_rss = relay.VmRssKb();
  REQUIRE(base_fds > 0);
  Stats stats;
  auto start = Clock::now();
  auto deadline = start + std::chrono::seconds(seconds);

  std::vector<Sample> samples;
  std::atomic<bool> sampling{true};
  std::thread sampler([&] {
    while (sampling) {
      samples.push_back({static_cast<long>(std::chrono::duration_cast<Millis>(Clock::now() - start).count()),
                         relay.VmRssKb(), relay.OpenFdCount()});
      std::this_thread::sleep_for(Millis(500));  // sampling period, not synchronisation
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] { Worker(relay, t, deadline, stats).Run(); });
  }
  for (auto& w : workers) w.join();
  sampling = false;
  sampler.join();
  const long run_ms = static_cast<long>(std::chrono::duration_cast<Millis>(Clock::now() - start).count());

  relay.RequireAlive();
  int fds_after = -1;
  bool fds_back = PollUntil([&] {
    fds_after = relay.OpenFdCount();
    return fds_after <= base_fds;
  }, Millis(10000), Millis(100));
  int peak_fds = 0;
  for (const Sample& s : samples) peak_fds = std::max(peak_fds, s.fds);
  const long half = run_ms / 2;
  const long rss_first_half = MaxRss(samples, 0, half);
  const long rss_second_half = MaxRss(samples, half, run_ms + 1);
  const long rss_third_quarter = MaxRss(samples, half, half + half / 2);
  const long rss_last_quarter = MaxRss(samples, half + half / 2, run_ms + 1);
  const long rss_end = relay.VmRssKb();

  MESSAGE("soak: " << seconds << " s, seed " << kSeed << ", " << kThreads << " threads x " << kSlotsPerThread
                   << " slots; connects " << stats.connects.load() << ", AUTH ok " << stats.auths.load() << ", re-AUTH "
                   << stats.reauths.load() << ", wrong-password AUTHs " << stats.auth_refused.load() << "; messages "
                   << stats.messages.load() << " (" << (stats.octets.load() >> 10) << " KiB)");
  MESSAGE("drops: sender mid-chunk " << stats.sender_drops_mid_chunk.load() << " (partial seen " << stats.partials_seen.load()
                                     << ", not seen after RST " << stats.partials_missed.load() << "), receiver mid-chunk "
                                     << stats.receiver_drops_mid_chunk.load() << " (481: " << stats.receiver_drop_481.load()
                                     << ", 200: " << stats.receiver_drop_200.load() << "), idle " << stats.idle_drops.load()
                                     << ", raw TCP " << stats.raw_tcp_drops.load() << ", TLS only " << stats.tls_only_drops.load()
                                     << "; stray frames skipped " << stats.strays.load());
  MESSAGE("relay fds: baseline " << base_fds << ", peak " << peak_fds << ", after " << fds_after
                                 << "; VmRSS kB: baseline " << base_rss << ", max first half " << rss_first_half
                                 << ", max second half " << rss_second_half << " (3rd quarter " << rss_third_quarter
                                 << ", 4th quarter " << rss_last_quarter << "), end " << rss_end);

  {
    std::lock_guard<std::mutex> lock(stats.mu);
    for (const std::string& e : stats.errors) FAIL_CHECK(e);
  }
  CHECK(stats.connects >= 200);
  CHECK(stats.messages >= 100);
  CHECK(stats.sender_drops_mid_chunk > 0);
  CHECK(stats.receiver_drops_mid_chunk > 0);
  CHECK_MESSAGE(fds_back, "relay fds: baseline " << base_fds << ", still " << fds_after << " 10 s after the run:\n"
                                                << DescribeFds(relay.pid()));
  if (!relay.IsSanitized()) {
    // Flat: the second half's peak within 8 MiB (or 10 %) of the first half's, and likewise for
    // the last quarter against the third.
    const long slack = std::max(8L * 1024, rss_first_half / 10);
    CHECK_MESSAGE(rss_second_half <= rss_first_half + slack, "VmRSS grew in the second half");
    CHECK_MESSAGE(rss_last_quarter <= rss_third_quarter + slack, "VmRSS grew in the last quarter");
  }
  RequireRelayStillWorks(relay);
}

}  // namespace msrp::test
