// The daemon's network side (libuv + OpenSSL): listeners, every socket, name resolution for
// dials, the housekeeping tick and the loop hooks. It drives the relay engine
// (relay/engine/) with socket events and is the engine's Transport.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <uv.h>

#include "common/result.h"
#include "relay/engine/engine.h"
#include "relay/engine/transport.h"
#include "relay/net/resolver.h"
#include "relay/net/socket_connection.h"
#include "relay/net/tls_context.h"
#include "relay/ops/metrics_server.h"

namespace msrp::relay {

class Server : public Transport, private SocketEvents {
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

  size_t connection_count() const { return sockets_.size(); }
  /// The configuration in force.
  const config::Config& config() const { return engine_.config(); }

  // Transport (relay/engine/transport.h)
  void Write(ConnectionId id, std::string_view bytes) override;
  uint64_t QueuedBytes(ConnectionId id) const override;
  void PauseReading(ConnectionId id) override;
  void ResumeReading(ConnectionId id) override;
  void Close(ConnectionId id, const std::string& reason) override;
  void CloseAfterFlush(ConnectionId id, const std::string& reason) override;
  ConnectionId Dial(const DialTarget& target) override;
  bool PeerCertificateMatches(ConnectionId id, std::string_view host) override;
  void ScheduleDeferred() override;
  uint64_t NowMs() const override { return uv_now(loop_); }
  uint64_t WallSeconds() const override;

 private:
  struct Listener {
    uv_tcp_t tcp;
    Server* server = nullptr;
    config::Transport transport = config::Transport::kTls;
    uint16_t port = 0;
  };
  /// A close the engine has not heard of yet (reported from the loop, never from inside a
  /// Transport call).
  struct ClosedReport {
    ConnectionId id;
    std::string reason;
    bool tls_failed;
  };

  static void OnConnection(uv_stream_t* stream, int status);
  static void OnTick(uv_timer_t* timer);
  static void OnIdle(uv_idle_t* idle);
  static void OnEncryptCheck(uv_check_t* check);
  void Accept(Listener& listener);
  /// Opens (or refuses, by the connection limits) a socket just accepted.
  void AdmitAccepted(SocketConnection& sock, Listener& listener);
  void Tick();
  /// Closes TLS sockets whose handshake did not finish within limits.handshake_timeout.
  void CloseSlowHandshakes(uint64_t now);
  /// Closes every connection, the timers and the metrics server.
  void Finish();
  void PublishMetrics();
  /// Near RLIMIT_NOFILE: counts open descriptors and logs and counts running out of them (libuv
  /// then sheds new connections by itself, unreported; existing ones are served).
  void CheckDescriptors();
  /// The socket `id` if it exists and is not closing, else nullptr.
  SocketConnection* LiveSocket(ConnectionId id) const;
  void WakeIdle();

  // SocketEvents
  void OnPlaintext(SocketConnection& sock, std::string_view bytes) override;
  void OnWritten(SocketConnection& sock) override;
  void OnEstablished(SocketConnection& sock) override;
  void OnSocketClosed(SocketConnection& sock) override;
  void OnHandleClosed(SocketConnection& sock) override;
  void ScheduleProcess(SocketConnection& sock) override;
  void ScheduleEncrypt(SocketConnection& sock) override;

  uv_loop_t* loop_;
  SslCtxPtr tls_;
  SslCtxPtr client_tls_;
  Resolver resolver_;
  Engine engine_;
  std::unordered_map<ConnectionId, std::unique_ptr<SocketConnection>> sockets_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  uv_timer_t tick_;
  uv_idle_t idle_;
  uv_check_t encrypt_check_;             ///< after each poll: encrypt what connections sent
  std::vector<ConnectionId> to_encrypt_; ///< sockets with plaintext waiting for TLS
  std::vector<ConnectionId> to_process_; ///< sockets resumed, with TLS records to read
  std::vector<ClosedReport> closed_reports_;
  bool engine_deferred_ = false;         ///< the engine asked for RunDeferred
  /// Engine calls under way (a socket that closes meanwhile, e.g. on a write error inside
  /// Transport::Write, is reported once they returned; otherwise at once, so that the engine
  /// never routes to a socket it already read the close of).
  int engine_calls_ = 0;
  /// Marks an engine call under way for its scope.
  struct EngineCall {
    explicit EngineCall(Server& s) : server(s) { ++server.engine_calls_; }
    ~EngineCall() { --server.engine_calls_; }
    Server& server;
  };
  std::unordered_map<std::string, uint32_t> per_ip_;  ///< open inbound connections per source address
  uint64_t last_accept_warning_ms_ = 0;
  ConnectionId next_id_ = 1;
  bool stopping_ = false;
  bool finished_ = false;
  uint64_t fd_limit_ = 0;      ///< RLIMIT_NOFILE soft limit (0 = unknown)
  uint64_t base_fds_ = 0;      ///< descriptors open after Start() besides connections
  bool fds_exhausted_ = false;
  MetricsServer metrics_;
};

}  // namespace msrp::relay
