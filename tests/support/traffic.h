// Background traffic for the e2e fault tests: an independent authenticated pair that keeps
// exchanging SENDs (and checking every byte and 200) while a test hurts other connections.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"

namespace msrp::test {

/// One SEND of `body` from `from` to `to`, checked byte for byte: the relay's 200 to `from`, the
/// forwarded SEND at `to` (which answers 200). Throws with a description on any deviation.
void RequireExchange(const Peer& from, const Peer& to, const std::string& body,
                     Millis timeout = kFrameTimeout);

/// Two peers (user carol, names "bystander1"/"bystander2") authenticated in the constructor; a
/// thread then sends SENDs back and forth, one at a time (each answered by the relay's 200 and
/// the receiver's 200), until Stop(). Any deviation or a round trip slower than `max_latency`
/// ends the thread with an error.
class BackgroundExchange {
 public:
  explicit BackgroundExchange(RelayProcess& relay, Millis max_latency = Millis(3000));
  ~BackgroundExchange();
  BackgroundExchange(const BackgroundExchange&) = delete;
  BackgroundExchange& operator=(const BackgroundExchange&) = delete;

  /// Stops the thread and returns "" or its first error. Idempotent.
  std::string Stop();
  /// Completed round trips so far.
  int round_trips() const { return round_trips_.load(); }
  /// Slowest round trip so far, in milliseconds.
  long max_latency_ms() const { return max_latency_ms_.load(); }

 private:
  void Run();

  Peer x_;
  Peer y_;
  Millis max_latency_;
  std::atomic<bool> stop_{false};
  std::atomic<int> round_trips_{0};
  std::atomic<long> max_latency_ms_{0};
  std::string error_;
  std::thread thread_;
  bool joined_ = false;
};

}  // namespace msrp::test
