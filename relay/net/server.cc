// Server: listeners, accept with connection limits, sockets, the engine's Transport, the
// housekeeping tick, the loop hooks (deferred work, TLS batching), stop and reload.
#include "relay/net/server.h"

#include <sys/resource.h>

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <set>

#include <spdlog/spdlog.h>

#include "relay/engine/log_safe.h"
#include "relay/ops/metrics_exposition.h"
#include "relay/ops/service_notify.h"

namespace msrp::relay {

namespace {
constexpr uint64_t kTickMs = 200;
/// A socket with no I/O for this long (ms) gives back its buffers' capacity.
constexpr uint64_t kBufferQuietMs = 1000;

/// Descriptors open in this process (/proc/self/fd, not counting the one used to list it);
/// UINT64_MAX when none was left to list them (EMFILE/ENFILE), 0 when unreadable otherwise.
uint64_t CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return errno == EMFILE || errno == ENFILE ? UINT64_MAX : 0;
  uint64_t n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n > 0 ? n - 1 : 0;
}
}  // namespace

Server::Server(uv_loop_t* loop, std::shared_ptr<const config::Config> config, SslCtxPtr tls,
               SslCtxPtr client_tls, std::shared_ptr<const UserDb> users)
    : loop_(loop),
      tls_(std::move(tls)),
      client_tls_(std::move(client_tls)),
      resolver_(loop),
      engine_(*this, config, std::move(users)) {
  resolver_.SetStaticHosts(config->peers.hosts);
  uv_timer_init(loop, &tick_);
  tick_.data = this;
  uv_idle_init(loop, &idle_);
  idle_.data = this;
  uv_check_init(loop, &encrypt_check_);
  encrypt_check_.data = this;
}

Server::~Server() = default;

Result<bool> Server::Start() {
  std::set<uint16_t> ports;
  uint16_t tls_port = 0;
  for (const auto& lc : engine_.config().relay.listen) {
    auto listener = std::make_unique<Listener>();
    listener->server = this;
    listener->transport = lc.transport;
    uv_tcp_init(loop_, &listener->tcp);
    listener->tcp.data = listener.get();
    sockaddr_storage addr{};
    bool v6 = lc.address.find(':') != std::string::npos;
    int rc = v6 ? uv_ip6_addr(lc.address.c_str(), lc.port, reinterpret_cast<sockaddr_in6*>(&addr))
                : uv_ip4_addr(lc.address.c_str(), lc.port, reinterpret_cast<sockaddr_in*>(&addr));
    std::string where = (v6 ? "[" + lc.address + "]" : lc.address);
    if (rc == 0) rc = uv_tcp_bind(&listener->tcp, reinterpret_cast<sockaddr*>(&addr), 0);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener->tcp), 511, &Server::OnConnection);
    if (rc != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&listener->tcp), nullptr);
      listeners_.push_back(std::move(listener));
      return Err("cannot listen on " + where + ":" + std::to_string(lc.port) + ": " + uv_strerror(rc));
    }
    sockaddr_storage bound{};
    int len = sizeof bound;
    uv_tcp_getsockname(&listener->tcp, reinterpret_cast<sockaddr*>(&bound), &len);
    listener->port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                       : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    ports.insert(listener->port);
    if (lc.transport == config::Transport::kTls && tls_port == 0) tls_port = listener->port;
    SPDLOG_INFO("listening on {}:{} ({})", where, listener->port,
                lc.transport == config::Transport::kTls ? "tls" : "tcp");
    listeners_.push_back(std::move(listener));
  }
  engine_.SetListenerPorts(ports, tls_port);
  const auto& m = engine_.config().metrics;
  if (m.enabled) {
    auto port = metrics_.Start(m.address, m.port);
    if (!port.ok()) return Err(port.error());
    std::string where = m.address.find(':') != std::string::npos ? "[" + m.address + "]" : m.address;
    SPDLOG_INFO("metrics listening on {}:{} (http)", where, port.value());
  }
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) fd_limit_ = nofile.rlim_cur;
  base_fds_ = CountOpenFds();
  PublishMetrics();
  metrics_.SetReady(true);
  uv_timer_start(&tick_, &Server::OnTick, kTickMs, kTickMs);
  return true;
}

void Server::OnConnection(uv_stream_t* stream, int status) {
  auto* listener = static_cast<Listener*>(stream->data);
  if (status != 0) {
    // E.g. EMFILE: libuv drops the pending connection and keeps listening; existing
    // connections are unaffected and accepting resumes once descriptors are free.
    Server* self = listener->server;
    self->engine_.counters().accept_errors++;
    uint64_t now = self->NowMs();
    if (now - self->last_accept_warning_ms_ >= 1000) {
      self->last_accept_warning_ms_ = now;
      SPDLOG_WARN("accept failed: {} ({} so far)", uv_strerror(status), self->engine_.counters().accept_errors);
    }
    return;
  }
  listener->server->Accept(*listener);
}

void Server::Accept(Listener& listener) {
  if (stopping_) return;
  const ConnectionId id = next_id_++;
  SSL_CTX* ssl_ctx = listener.transport == config::Transport::kTls ? tls_.get() : nullptr;
  auto sock = std::make_unique<SocketConnection>(loop_, id, ssl_ctx, static_cast<SocketEvents*>(this), &engine_.counters());
  SocketConnection* raw = sock.get();
  sockets_.emplace(id, std::move(sock));
  int rc = raw->Accept(reinterpret_cast<uv_stream_t*>(&listener.tcp));
  if (rc != 0) {
    SPDLOG_WARN("accept failed: {}", uv_strerror(rc));
    raw->Close("accept failed", false);
    return;
  }
  AdmitAccepted(*raw, listener);
}

void Server::AdmitAccepted(SocketConnection& sock, Listener& listener) {
  const auto& limits = engine_.config().limits;
  Counters& counters = engine_.counters();
  sock.listener_port = listener.port;
  counters.connections_accepted++;
  uint32_t& from_ip = per_ip_[sock.peer_ip()];
  from_ip++;
  if (sockets_.size() > limits.max_connections) {
    counters.connections_refused_total_limit++;
    sock.Close("connection limit reached (limits.max_connections " + std::to_string(limits.max_connections) + ")",
               false);
    return;
  }
  if (from_ip > limits.max_connections_per_ip) {
    counters.connections_refused_per_ip_limit++;
    sock.Close("per-address connection limit reached (limits.max_connections_per_ip " +
                   std::to_string(limits.max_connections_per_ip) + ")",
               false);
    return;
  }
  SPDLOG_INFO("[c{} {}] connection opened ({})", sock.id(), sock.peer(), sock.is_tls() ? "tls" : "tcp");
  EngineCall call(*this);
  engine_.OnOpened(sock.id(), PeerInfo{sock.peer(), sock.peer_ip(), sock.is_tls(), listener.port});
}

SocketConnection* Server::LiveSocket(ConnectionId id) const {
  auto it = sockets_.find(id);
  if (it == sockets_.end() || it->second->closing()) return nullptr;
  return it->second.get();
}

void Server::Write(ConnectionId id, std::string_view bytes) {
  if (SocketConnection* sock = LiveSocket(id)) sock->Send(bytes);
}

uint64_t Server::QueuedBytes(ConnectionId id) const {
  SocketConnection* sock = LiveSocket(id);
  return sock != nullptr ? sock->pending_bytes() : 0;
}

void Server::PauseReading(ConnectionId id) {
  if (SocketConnection* sock = LiveSocket(id)) sock->PauseReading();
}

void Server::ResumeReading(ConnectionId id) {
  if (SocketConnection* sock = LiveSocket(id)) sock->ResumeReading();
}

void Server::Close(ConnectionId id, const std::string& reason) {
  if (SocketConnection* sock = LiveSocket(id)) sock->Close(reason, false);
}

void Server::CloseAfterFlush(ConnectionId id, const std::string& reason) {
  if (SocketConnection* sock = LiveSocket(id)) sock->CloseAfterFlush(reason);
}

uint64_t Server::WallSeconds() const { return static_cast<uint64_t>(std::time(nullptr)); }

bool Server::PeerCertificateMatches(ConnectionId id, std::string_view host) {
  SocketConnection* sock = LiveSocket(id);
  return sock != nullptr && sock->ssl() != nullptr && relay::PeerCertificateMatches(sock->ssl(), host);
}

ConnectionId Server::Dial(const DialTarget& target) {
  if (stopping_) return 0;
  if (target.tls && !client_tls_) {
    SPDLOG_ERROR("no TLS client context: cannot open an outbound connection to {}", LogSafe(target.host, 100));
    return 0;
  }
  const ConnectionId id = next_id_++;
  auto sock = std::make_unique<SocketConnection>(loop_, id, target.tls ? client_tls_.get() : nullptr, static_cast<SocketEvents*>(this),
                                                 &engine_.counters(), true);
  SocketConnection* raw = sock.get();
  sockets_.emplace(id, std::move(sock));
  if (target.tls) {
    auto prepared = PrepareClientSsl(raw->ssl(), target.host);
    if (!prepared.ok()) {
      SPDLOG_ERROR("cannot prepare TLS for {}: {}", LogSafe(target.host, 100), prepared.error());
      raw->Close("TLS setup failed", false);
      return 0;
    }
  }
  std::string name = (target.host.find(':') != std::string::npos ? "[" + target.host + "]" : target.host) +
                     (target.port ? ":" + std::to_string(*target.port) : std::string());
  // The callback never runs from inside Resolve(): always later, from the loop.
  raw->lookup = resolver_.Resolve(target.host, target.port, target.tls,
                                  [this, id, name](Result<std::vector<ResolvedAddress>> r) {
    SocketConnection* s = LiveSocket(id);
    if (s == nullptr) return;
    s->lookup = 0;
    if (!r.ok()) {
      s->Close("name lookup failed: " + r.error());
      return;
    }
    std::vector<sockaddr_storage> addrs;
    std::vector<std::string> texts;
    for (const auto& a : r.value()) {
      addrs.push_back(a.addr);
      texts.push_back(a.text);
    }
    s->Connect(std::move(addrs), std::move(texts), name);
  });
  return id;
}

void Server::OnPlaintext(SocketConnection& sock, std::string_view bytes) {
  EngineCall call(*this);
  engine_.OnRead(sock.id(), bytes);
}

void Server::OnWritten(SocketConnection& sock) {
  EngineCall call(*this);
  engine_.OnWritten(sock.id());
}

void Server::OnEstablished(SocketConnection& sock) {
  EngineCall call(*this);
  engine_.OnEstablished(sock.id(), sock.peer());
}

void Server::OnSocketClosed(SocketConnection& sock) {
  if (sock.lookup != 0) {
    resolver_.Cancel(sock.lookup);
    sock.lookup = 0;
  }
  if (finished_) return;
  if (engine_calls_ == 0) {
    EngineCall call(*this);
    engine_.OnClosed(sock.id(), sock.close_reason(), sock.tls_failed());
    return;
  }
  closed_reports_.push_back(ClosedReport{sock.id(), sock.close_reason(), sock.tls_failed()});
  WakeIdle();
}

void Server::OnHandleClosed(SocketConnection& sock) {
  if (sock.lookup != 0) resolver_.Cancel(sock.lookup);
  if (sock.listener_port != 0) {
    auto ip = per_ip_.find(sock.peer_ip());
    if (ip != per_ip_.end() && --ip->second == 0) per_ip_.erase(ip);
  }
  sockets_.erase(sock.id());  // destroys sock
  if (stopping_ && sockets_.empty()) SPDLOG_INFO("all connections closed");
}

void Server::ScheduleEncrypt(SocketConnection& sock) {
  if (finished_) return;  // the loop is ending: nothing more is written
  to_encrypt_.push_back(sock.id());
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&encrypt_check_))) {
    uv_check_start(&encrypt_check_, &Server::OnEncryptCheck);
  }
}

void Server::OnEncryptCheck(uv_check_t* check) {
  auto* self = static_cast<Server*>(check->data);
  // Encrypting rarely queues more (a close it causes may send REPORTs elsewhere): those wait
  // for the next turn.
  std::vector<ConnectionId> ids;
  ids.swap(self->to_encrypt_);
  for (ConnectionId id : ids) {
    auto it = self->sockets_.find(id);
    if (it != self->sockets_.end()) it->second->EncryptPending();
  }
  if (self->to_encrypt_.empty()) uv_check_stop(check);
}

void Server::ScheduleProcess(SocketConnection& sock) {
  to_process_.push_back(sock.id());
  WakeIdle();
}

void Server::ScheduleDeferred() {
  engine_deferred_ = true;
  WakeIdle();
}

void Server::WakeIdle() {
  if (finished_) return;
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&idle_))) uv_idle_start(&idle_, &Server::OnIdle);
}

void Server::OnIdle(uv_idle_t* idle) {
  auto* self = static_cast<Server*>(idle->data);
  uv_idle_stop(idle);
  {
    EngineCall call(*self);
    // Closes first, so that the engine no longer routes to them; then the engine's deferred
    // work (its held bytes go before anything the sockets read next); then the sockets'.
    std::vector<ClosedReport> closed;
    closed.swap(self->closed_reports_);
    for (const auto& c : closed) self->engine_.OnClosed(c.id, c.reason, c.tls_failed);
    if (self->engine_deferred_) {
      self->engine_deferred_ = false;
      self->engine_.RunDeferred();
    }
  }
  std::vector<ConnectionId> ids;
  ids.swap(self->to_process_);
  for (ConnectionId id : ids) {
    if (SocketConnection* sock = self->LiveSocket(id)) sock->ProcessBuffered();
  }
}

void Server::OnTick(uv_timer_t* timer) { static_cast<Server*>(timer->data)->Tick(); }

void Server::PublishMetrics() {
  Gauges g;
  engine_.ForEachConnection([&](const Connection& conn) {
    ConnectionsByRole& by_role = conn.is_tls() ? g.tls : g.tcp;
    if (conn.outbound()) {
      by_role.outbound++;
    } else if (!conn.relay_identity.empty()) {
      by_role.relay++;
    } else {
      by_role.client++;
    }
    g.queued_bytes += conn.pending_bytes();
  });
  g.sessions = engine_.session_count();
  g.pending_transactions = engine_.pending_transaction_count();
  g.draining = stopping_;
  metrics_.Publish(FormatExposition(engine_.counters(), g, MSRP_RELAY_VERSION));
}

void Server::CloseSlowHandshakes(uint64_t now) {
  const uint64_t limit_ms = uint64_t{engine_.config().limits.handshake_timeout} * 1000;
  std::vector<SocketConnection*> slow;
  for (auto& [id, sock] : sockets_) {
    if (sock->closing() || sock->outbound() || !sock->is_tls() || sock->handshake_done()) continue;
    if (now - sock->opened_ms() > limit_ms) slow.push_back(sock.get());
  }
  for (SocketConnection* sock : slow) {
    engine_.counters().handshake_timeouts++;
    sock->Close("TLS handshake timeout");
  }
}

void Server::Tick() {
  const uint64_t now = NowMs();
  {
    EngineCall call(*this);
    engine_.OnTick();
  }
  if (stopping_ && engine_.drained()) {
    Finish();
    return;
  }
  CloseSlowHandshakes(now);
  for (auto& [id, sock] : sockets_) {
    if (!sock->closing()) sock->ReleaseIdleBuffers(now, kBufferQuietMs);
  }
  CheckDescriptors();
  PublishMetrics();
}

void Server::CheckDescriptors() {
  if (fd_limit_ == 0) return;
  bool exhausted = false;
  // Only near the limit is it worth listing /proc/self/fd.
  if (base_fds_ + sockets_.size() + 8 >= fd_limit_) {
    uint64_t open = CountOpenFds();
    exhausted = open == UINT64_MAX || open + 1 >= fd_limit_;
  }
  if (exhausted && !fds_exhausted_) {
    engine_.counters().fd_limit_reached++;
    SPDLOG_WARN("file descriptors exhausted (RLIMIT_NOFILE {}, {} connections): new connections are shed until "
                "some close; existing sessions are served",
                fd_limit_, sockets_.size());
  } else if (!exhausted && fds_exhausted_) {
    SPDLOG_INFO("file descriptors available again ({} connections)", sockets_.size());
  }
  fds_exhausted_ = exhausted;
}

void Server::Stop(const std::string& reason) {
  if (stopping_) return;
  stopping_ = true;
  metrics_.SetReady(false);
  uint32_t drain_s = engine_.config().limits.drain_timeout;
  SPDLOG_INFO("stopping ({}): no new connections; in-flight chunks have {} s to finish", reason, drain_s);
  NotifyStopping("draining: " + reason);
  for (auto& l : listeners_) {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&l->tcp))) uv_close(reinterpret_cast<uv_handle_t*>(&l->tcp), nullptr);
  }
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&tick_))) {
    Finish();  // startup failed: nothing to drain
    return;
  }
  {
    EngineCall call(*this);
    engine_.StartDrain();
  }
  if (engine_.drained()) Finish();
}

void Server::Finish() {
  if (finished_) return;
  finished_ = true;
  SPDLOG_INFO("counters: {}", engine_.counters().Summary());
  {
    EngineCall call(*this);
    engine_.CloseAll("relay stopping");
  }
  std::vector<SocketConnection*> all;
  for (auto& [id, sock] : sockets_) all.push_back(sock.get());
  for (SocketConnection* s : all) s->Close("relay stopping", false);
  uv_timer_stop(&tick_);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
  uv_idle_stop(&idle_);
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_), nullptr);
  uv_check_stop(&encrypt_check_);
  uv_close(reinterpret_cast<uv_handle_t*>(&encrypt_check_), nullptr);
  metrics_.Stop();
}

void Server::Reload(std::shared_ptr<const config::Config> config, SslCtxPtr tls, SslCtxPtr client_tls,
                    std::shared_ptr<const UserDb> users) {
  resolver_.SetStaticHosts(config->peers.hosts);
  if (client_tls) client_tls_ = std::move(client_tls);
  if (tls) tls_ = std::move(tls);
  engine_.Reload(std::move(config), std::move(users));
}

}  // namespace msrp::relay
