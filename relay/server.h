// The relay server: owns the libuv listeners, every connection, the shared relay state and the
// housekeeping timer (probation, handshake and stall timeouts, session expiry, transaction
// timers). Dispatches connection events to the Forwarder.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <uv.h>

#include "common/result.h"
#include "relay/auth_handler.h"
#include "relay/forwarder.h"
#include "relay/metrics_server.h"
#include "relay/next_hop_pool.h"
#include "relay/resolver.h"
#include "relay/relay_context.h"
#include "relay/tls_context.h"

namespace msrp::relay {

class Server : public ConnectionHandler {
 public:
  /// `config`, `tls`, `users`: validated and loaded by the caller.
  /// `tls`: server role; `client_tls`: outbound connections (C-03).
  Server(uv_loop_t* loop, std::shared_ptr<const config::Config> config, SslCtxPtr tls, SslCtxPtr client_tls,
         std::shared_ptr<const UserDb> users);
  ~Server() override;

  /// Binds every listener and starts the housekeeping timer. Logs "listening on ADDR:PORT
  /// (tls|tcp)" per listener. Errors name the address and libuv's reason.
  Result<bool> Start();

  /// Graceful stop: closes the listeners, lets in-flight chunks finish for up to
  /// limits.drain_timeout, then closes every connection and the timers; the loop then ends.
  void Stop(const std::string& reason);

  /// Applies a new validated config, users and TLS context (SIGHUP). Listeners are not
  /// changed; limits, timeouts, users and certificates apply to new work at once.
  void Reload(std::shared_ptr<const config::Config> config, SslCtxPtr tls, SslCtxPtr client_tls,
              std::shared_ptr<const UserDb> users);

  size_t connection_count() const { return ctx_.connections.size(); }
  /// The configuration in force.
  const config::Config& config() const { return *ctx_.config; }

 private:
  struct Listener {
    uv_tcp_t tcp;
    Server* server = nullptr;
    config::Transport transport = config::Transport::kTls;
    uint16_t port = 0;
  };

  static void OnConnection(uv_stream_t* stream, int status);
  static void OnTick(uv_timer_t* timer);
  static void OnIdle(uv_idle_t* idle);
  void Accept(Listener& listener);
  void Tick();
  /// Closes connections that carry no chunk in flight; everything once the deadline passed.
  void Drain(uint64_t now);
  /// Closes every connection, the timers and the metrics server.
  void Finish();
  void PublishMetrics();
  /// Near RLIMIT_NOFILE: counts open descriptors and logs and counts running out of them (libuv
  /// then sheds new connections by itself, unreported; existing ones are served).
  void CheckDescriptors();

  // ConnectionHandler
  void OnHead(Connection& conn, MessageHead& head) override;
  void OnBody(Connection& conn, std::string_view bytes) override;
  void OnEnd(Connection& conn, EndFlag flag) override;
  void OnDrained(Connection& conn) override;
  void OnEstablished(Connection& conn) override;
  void OnClosing(Connection& conn) override;
  void OnClosed(Connection& conn) override;
  void ScheduleProcess(Connection& conn) override;
  void ScheduleEncrypt(Connection& conn) override;
  static void OnEncryptCheck(uv_check_t* check);

  /// NextHopPool factory: a new outbound connection, TLS client role when `tls`.
  Connection* OpenOutbound(bool tls, const std::string& host);
  FramerLimits framer_limits() const;
  QueueLimits queue_limits() const;

  RelayContext ctx_;
  SslCtxPtr tls_;
  SslCtxPtr client_tls_;
  Resolver resolver_;
  NextHopPool next_hops_;
  AuthHandler auth_;
  Forwarder forwarder_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  uv_timer_t tick_;
  uv_idle_t idle_;
  uv_check_t encrypt_check_;             ///< after each poll: encrypt what connections sent
  std::vector<uint64_t> to_encrypt_;     ///< connections with plaintext waiting for TLS
  std::vector<uint64_t> to_process_;  ///< connections resumed, to feed from the loop
  std::unordered_map<std::string, uint32_t> per_ip_;  ///< open connections per source address
  uint64_t last_accept_warning_ms_ = 0;
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  bool finished_ = false;
  uint64_t drain_deadline_ms_ = 0;
  uint64_t fd_limit_ = 0;      ///< RLIMIT_NOFILE soft limit (0 = unknown)
  uint64_t base_fds_ = 0;      ///< descriptors open after Start() besides connections
  bool fds_exhausted_ = false;
  MetricsServer metrics_;
};

}  // namespace msrp::relay
