// BackgroundExchange: a bystander pair exchanging SENDs in a thread.
#include "tests/support/traffic.h"

#include <stdexcept>

#include "tests/support/crypto_util.h"

namespace msrp::test {

void RequireExchange(const Peer& from, const Peer& to, const std::string& body, Millis timeout) {
  SendSpec s = SendBetween(from, to, body);
  std::string bytes = BuildSend(s);
  from->Write(bytes, timeout);
  std::string problems = CheckRelay200(from->ReadFrame(timeout, "the relay's 200"), s.tid, from);
  if (!problems.empty()) {
    throw std::runtime_error("[" + from->name() + " -> " + to->name() + "] " + problems);
  }
  Frame got = to->ReadFrame(timeout, "a forwarded SEND");
  if (got.raw != ExpectedSendAtPeer(bytes, got.tid, from, to)) {
    throw std::runtime_error("[" + from->name() + " -> " + to->name() + "] forwarded SEND differs:\n" +
                             got.Describe());
  }
  to->Write(BuildResponse(got.tid, 200, "OK", {to.use_path}, {to.uri()}), timeout);
}

BackgroundExchange::BackgroundExchange(RelayProcess& relay, Millis max_latency)
    : x_(AuthenticatedPeer(relay, "bystander1", "carol", "carolpw")),
      y_(AuthenticatedPeer(relay, "bystander2", "carol", "carolpw")),
      max_latency_(max_latency) {
  thread_ = std::thread([this] {
    try {
      Run();
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  });
}

BackgroundExchange::~BackgroundExchange() { Stop(); }

std::string BackgroundExchange::Stop() {
  stop_ = true;
  if (!joined_) {
    thread_.join();
    joined_ = true;
  }
  return error_;
}

void BackgroundExchange::Run() {
  using Clock = std::chrono::steady_clock;
  for (uint64_t i = 0; !stop_; ++i) {
    Peer& from = i % 2 == 0 ? x_ : y_;
    Peer& to = i % 2 == 0 ? y_ : x_;
    auto start = Clock::now();
    try {
      RequireExchange(from, to, PseudoRandomBytes(64 + i % 4000, i), Millis(5000));
    } catch (const std::exception& e) {
      throw std::runtime_error("bystander round " + std::to_string(i) + ": " + e.what());
    }
    long ms = std::chrono::duration_cast<Millis>(Clock::now() - start).count();
    if (ms > max_latency_ms_) max_latency_ms_ = ms;
    if (ms > max_latency_.count()) {
      throw std::runtime_error("bystander round " + std::to_string(i) + " took " + std::to_string(ms) + " ms");
    }
    round_trips_++;
    // Pacing only (not synchronisation): about 50 round trips a second.
    std::this_thread::sleep_for(Millis(20));
  }
}

}  // namespace msrp::test
