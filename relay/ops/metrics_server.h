// HTTP endpoint for operators (libmicrohttpd, its own thread): GET /metrics (Prometheus text
// exposition 0.0.4), /healthz (200 while the process serves) and /readyz (200 when listeners
// are up and the relay is not shutting down, else 503). The loop thread publishes snapshots;
// the HTTP thread only reads them under a mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "common/result.h"

struct MHD_Daemon;

namespace msrp::relay {

class MetricsServer {
 public:
  MetricsServer() = default;
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  /// Starts serving on `address` (IPv4/IPv6 literal) and `port` (0 = any free port). Returns the
  /// bound port; errors name the address and the reason.
  Result<uint16_t> Start(const std::string& address, uint16_t port);

  /// Stops the HTTP thread (joins it). Idempotent.
  void Stop();

  /// Replaces the text served at /metrics.
  void Publish(std::string exposition);

  /// Sets what /readyz answers.
  void SetReady(bool ready) { ready_.store(ready); }

  /// The text last published (a copy; called from the HTTP thread).
  std::string Snapshot();
  bool ready() const { return ready_.load(); }

 private:

  MHD_Daemon* daemon_ = nullptr;
  std::mutex mu_;
  std::string exposition_;
  std::atomic<bool> ready_{false};
};

}  // namespace msrp::relay
