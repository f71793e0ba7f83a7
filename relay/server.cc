// Server: listeners, accept with connection limits, per-connection event dispatch, the
// housekeeping tick, deferred processing of resumed connections, stop and reload.
#include "relay/server.h"

#include <sys/resource.h>

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include <spdlog/spdlog.h>

#include "relay/logging.h"
#include "relay/metrics_exposition.h"
#include "relay/service_notify.h"

namespace msrp::relay {

namespace {
constexpr uint64_t kTickMs = 200;
/// A connection with no I/O for this long (ms) gives back its buffers' capacity.
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

/// Milliseconds since `conn` last carried a byte, 0 while it has work in flight.
uint64_t IdleFor(const Connection& conn, uint64_t now) {
  if (conn.framer_in_body() || conn.pending_bytes() > 0 || conn.stream_owner != 0) return 0;
  return now - conn.last_activity_ms();
}
constexpr uint64_t kFlushCloseGraceMs = 5000;
}  // namespace

Server::Server(uv_loop_t* loop, std::shared_ptr<const config::Config> config, SslCtxPtr tls,
               SslCtxPtr client_tls, std::shared_ptr<const UserDb> users)
    : tls_(std::move(tls)),
      client_tls_(std::move(client_tls)),
      resolver_(loop),
      next_hops_(ctx_, resolver_, [this](bool tls, const std::string& host) { return OpenOutbound(tls, host); }),
      auth_(ctx_),
      forwarder_(ctx_, auth_) {
  ctx_.loop = loop;
  ctx_.next_hops = &next_hops_;
  ctx_.config = std::move(config);
  ctx_.users = std::move(users);
  ctx_.nonces = std::make_unique<NonceService>(NonceService::RandomSecret(), ctx_.config->auth.nonce_lifetime);
  auth_.set_forwarder(&forwarder_);
  resolver_.SetStaticHosts(ctx_.config->peers.hosts);
  uv_timer_init(loop, &tick_);
  tick_.data = this;
  uv_idle_init(loop, &idle_);
  idle_.data = this;
  uv_check_init(loop, &encrypt_check_);
  encrypt_check_.data = this;
}

Server::~Server() = default;

FramerLimits Server::framer_limits() const {
  return FramerLimits{ctx_.config->limits.max_head_bytes, ctx_.config->limits.max_headers};
}

QueueLimits Server::queue_limits() const {
  const auto& l = ctx_.config->limits;
  return QueueLimits{l.high_watermark, l.low_watermark, l.max_queue_bytes};
}

Result<bool> Server::Start() {
  for (const auto& lc : ctx_.config->relay.listen) {
    auto listener = std::make_unique<Listener>();
    listener->server = this;
    listener->transport = lc.transport;
    uv_tcp_init(ctx_.loop, &listener->tcp);
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
    ctx_.ports.insert(listener->port);
    if (lc.transport == config::Transport::kTls && ctx_.tls_port == 0) ctx_.tls_port = listener->port;
    SPDLOG_INFO("listening on {}:{} ({})", where, listener->port,
                lc.transport == config::Transport::kTls ? "tls" : "tcp");
    listeners_.push_back(std::move(listener));
  }
  const auto& m = ctx_.config->metrics;
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
    self->ctx_.counters.accept_errors++;
    uint64_t now = self->ctx_.now_ms();
    if (now - self->last_accept_warning_ms_ >= 1000) {
      self->last_accept_warning_ms_ = now;
      SPDLOG_WARN("accept failed: {} ({} so far)", uv_strerror(status), self->ctx_.counters.accept_errors);
    }
    return;
  }
  listener->server->Accept(*listener);
}

void Server::Accept(Listener& listener) {
  if (stopping_) return;
  uint64_t id = next_id_++;
  SSL_CTX* ssl_ctx = listener.transport == config::Transport::kTls ? tls_.get() : nullptr;
  auto conn = std::make_unique<Connection>(ctx_.loop, id, ssl_ctx, this, framer_limits(), queue_limits(),
                                           listener.port, &ctx_.counters);
  Connection* raw = conn.get();
  ctx_.connections.emplace(id, std::move(conn));
  int rc = raw->Accept(reinterpret_cast<uv_stream_t*>(&listener.tcp));
  if (rc != 0) {
    SPDLOG_WARN("accept failed: {}", uv_strerror(rc));
    raw->Close("accept failed");
    return;
  }
  raw->nonce_binding = std::to_string(id) + ":" + RandomToken(16);
  raw->opaque = RandomToken(12);
  ctx_.counters.connections_accepted++;
  uint32_t& from_ip = per_ip_[raw->peer_ip()];
  from_ip++;
  if (ctx_.connections.size() > ctx_.config->limits.max_connections) {
    ctx_.counters.connections_refused_total_limit++;
    raw->Close("connection limit reached (limits.max_connections " +
               std::to_string(ctx_.config->limits.max_connections) + ")");
    return;
  }
  if (from_ip > ctx_.config->limits.max_connections_per_ip) {
    ctx_.counters.connections_refused_per_ip_limit++;
    raw->Close("per-address connection limit reached (limits.max_connections_per_ip " +
               std::to_string(ctx_.config->limits.max_connections_per_ip) + ")");
    return;
  }
  SPDLOG_INFO("[c{} {}] connection opened ({})", id, raw->peer(), ssl_ctx ? "tls" : "tcp");
}

Connection* Server::OpenOutbound(bool tls, const std::string& host) {
  if (stopping_) return nullptr;
  if (tls && !client_tls_) {
    SPDLOG_ERROR("no TLS client context: cannot open an outbound connection to {}", LogSafe(host, 100));
    return nullptr;
  }
  uint64_t id = next_id_++;
  auto conn = std::make_unique<Connection>(ctx_.loop, id, tls ? client_tls_.get() : nullptr, this, framer_limits(),
                                           queue_limits(), 0, &ctx_.counters, true);
  conn->had_success = true;  // no probation for connections we opened (C-05 is about accepts)
  Connection* raw = conn.get();
  ctx_.connections.emplace(id, std::move(conn));
  if (tls) {
    auto prepared = PrepareClientSsl(raw->ssl(), host);
    if (!prepared.ok()) {
      SPDLOG_ERROR("cannot prepare TLS for {}: {}", LogSafe(host, 100), prepared.error());
      raw->Close("TLS setup failed");
      return nullptr;
    }
    raw->relay_identity = ToLowerAscii(host);  // proven by the handshake (C-03) before any request
  }
  return raw;
}

void Server::OnEstablished(Connection& conn) {
  forwarder_.OnEstablished(conn);
  SPDLOG_INFO("[c{} {}] outbound connection established ({}{})", conn.id(), conn.peer(),
              conn.is_tls() ? SSL_get_version(conn.ssl()) : "tcp", conn.is_tls() ? ", peer certificate verified" : "");
}

void Server::OnHead(Connection& conn, MessageHead& head) {
  if (head.is_request) {
    forwarder_.OnRequestHead(conn, head);
  } else {
    forwarder_.OnResponseHead(conn, head);
  }
}

void Server::OnBody(Connection& conn, std::string_view bytes) { forwarder_.OnBody(conn, bytes); }
void Server::OnEnd(Connection& conn, EndFlag flag) { forwarder_.OnEnd(conn, flag); }
void Server::OnDrained(Connection& conn) { forwarder_.OnDrained(conn); }

void Server::OnClosing(Connection& conn) {
  if (conn.outbound() && !conn.established()) ctx_.counters.outbound_connect_failures++;
  forwarder_.OnConnectionClosing(conn);
  next_hops_.Forget(conn);
  // C-10, A-14: the URIs bound to this client connection die with it.
  for (const auto& id : conn.session_ids) {
    if (Session* s = ctx_.sessions.Find(id, 0)) {
      SPDLOG_INFO("[c{}] session {} of user '{}' realm '{}' ended after {} s: sent {} messages {} B, "
                  "received {} messages {} B; connection closed: {}",
                  conn.id(), s->id.substr(0, 4) + "...", s->user, ctx_.config->auth.realm,
                  (ctx_.now_ms() - s->created_ms) / 1000, s->messages_in, s->bytes_in, s->messages_out,
                  s->bytes_out, conn.close_reason());
    }
    ctx_.sessions.Remove(id);
  }
  conn.session_ids.clear();
}

void Server::OnClosed(Connection& conn) {
  auto ip = per_ip_.find(conn.peer_ip());
  if (ip != per_ip_.end() && --ip->second == 0) per_ip_.erase(ip);
  ctx_.connections.erase(conn.id());  // destroys conn
  if (stopping_ && ctx_.connections.empty()) {
    SPDLOG_INFO("all connections closed");
  }
}

void Server::ScheduleEncrypt(Connection& conn) {
  if (finished_) return;  // the loop is ending: nothing more is written
  to_encrypt_.push_back(conn.id());
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&encrypt_check_))) {
    uv_check_start(&encrypt_check_, &Server::OnEncryptCheck);
  }
}

void Server::OnEncryptCheck(uv_check_t* check) {
  auto* self = static_cast<Server*>(check->data);
  // Encrypting rarely queues more (a close it causes may send REPORTs elsewhere): those wait
  // for the next turn.
  std::vector<uint64_t> ids;
  ids.swap(self->to_encrypt_);
  for (uint64_t id : ids) {
    auto it = self->ctx_.connections.find(id);
    if (it != self->ctx_.connections.end()) it->second->EncryptPending();
  }
  if (self->to_encrypt_.empty()) uv_check_stop(check);
}

void Server::ScheduleProcess(Connection& conn) {
  to_process_.push_back(conn.id());
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&idle_))) uv_idle_start(&idle_, &Server::OnIdle);
}

void Server::OnIdle(uv_idle_t* idle) {
  auto* self = static_cast<Server*>(idle->data);
  uv_idle_stop(idle);
  std::vector<uint64_t> ids;
  ids.swap(self->to_process_);
  for (uint64_t id : ids) {
    Connection* c = self->ctx_.Live(id);
    if (c == nullptr) continue;
    self->forwarder_.FlushWaiting(*c);
    if (self->ctx_.Live(id) == c) c->ProcessBuffered();
  }
}

void Server::OnTick(uv_timer_t* timer) { static_cast<Server*>(timer->data)->Tick(); }

void Server::PublishMetrics() {
  Gauges g;
  for (const auto& [id, conn] : ctx_.connections) {
    if (conn->closing()) continue;
    ConnectionsByRole& by_role = conn->is_tls() ? g.tls : g.tcp;
    if (conn->outbound()) {
      by_role.outbound++;
    } else if (!conn->relay_identity.empty()) {
      by_role.relay++;
    } else {
      by_role.client++;
    }
    g.queued_bytes += conn->pending_bytes();
  }
  g.sessions = ctx_.sessions.size();
  g.pending_transactions = ctx_.transactions.size();
  g.draining = stopping_;
  metrics_.Publish(FormatExposition(ctx_.counters, g, MSRP_RELAY_VERSION));
}

void Server::Tick() {
  uint64_t now = ctx_.now_ms();
  if (stopping_) {
    Drain(now);
    if (finished_) return;
  }
  forwarder_.ExpireTransactions(now);
  for (auto& s : ctx_.sessions.TakeExpired(now)) {
    SPDLOG_INFO("[c{}] session {} of user '{}' realm '{}' ended after {} s: sent {} messages {} B, "
                "received {} messages {} B; expired",
                s.owner, s.id.substr(0, 4) + "...", s.user, ctx_.config->auth.realm, (now - s.created_ms) / 1000,
                s.messages_in, s.bytes_in, s.messages_out, s.bytes_out);
    if (Connection* c = ctx_.Live(s.owner)) {
      auto& ids = c->session_ids;
      ids.erase(std::remove(ids.begin(), ids.end(), s.id), ids.end());
    }
  }
  const auto& limits = ctx_.config->limits;
  const auto& peers = ctx_.config->peers;
  std::vector<std::pair<Connection*, std::string>> to_close;
  for (auto& [id, conn] : ctx_.connections) {
    if (conn->closing()) continue;
    conn->ReleaseIdleBuffers(now, kBufferQuietMs);
    uint64_t age = now - conn->opened_ms;
    const bool pooled = next_hops_.Contains(*conn);
    if (conn->outbound()) {
      // Ours: C-05 probation does not apply; connect_timeout bounds DNS + TCP + TLS, and
      // peers.idle_timeout closes it once unused (C-08).
      if (!conn->established() && age > uint64_t{peers.connect_timeout} * 1000) {
        to_close.emplace_back(conn.get(), "connect timeout (peers.connect_timeout " +
                                              std::to_string(peers.connect_timeout) + " s)");
      } else if (conn->above_high() && now - conn->above_high_since_ms() > uint64_t{limits.stall_timeout} * 1000) {
        ctx_.counters.stalled_closes++;
        to_close.emplace_back(conn.get(), "peer not reading: outbound queue stalled");
      } else if (conn->established() && IdleFor(*conn, now) > uint64_t{peers.idle_timeout} * 1000) {
        ctx_.counters.outbound_idle_closes++;
        to_close.emplace_back(conn.get(), "unused (peers.idle_timeout)");
      }
      continue;
    }
    if (pooled && IdleFor(*conn, now) > uint64_t{peers.idle_timeout} * 1000) {
      ctx_.counters.outbound_idle_closes++;
      to_close.emplace_back(conn.get(), "relay connection unused (peers.idle_timeout)");
      continue;
    }
    if (conn->is_tls() && !conn->handshake_done() && age > uint64_t{limits.handshake_timeout} * 1000) {
      ctx_.counters.handshake_timeouts++;
      to_close.emplace_back(conn.get(), "TLS handshake timeout");
    } else if (!conn->had_success && age > uint64_t{limits.probation} * 1000) {
      ctx_.counters.probation_closes++;
      to_close.emplace_back(conn.get(), "no successful request within the probation period");  // C-05
    } else if (conn->above_high() && now - conn->above_high_since_ms() > uint64_t{limits.stall_timeout} * 1000) {
      ctx_.counters.stalled_closes++;
      to_close.emplace_back(conn.get(), "peer not reading: outbound queue stalled");
    } else if (!pooled && conn->session_ids.empty() && !conn->framer_in_body() && conn->pending_bytes() == 0 &&
               now - conn->last_activity_ms() > uint64_t{limits.idle_timeout} * 1000) {
      ctx_.counters.idle_closes++;
      to_close.emplace_back(conn.get(), "idle without a session (limits.idle_timeout)");
    } else if (conn->close_after_flush() && now - conn->close_requested_ms > kFlushCloseGraceMs) {
      to_close.emplace_back(conn.get(), "peer did not read its final response");
    }
  }
  for (auto& [conn, reason] : to_close) conn->Close(reason);
  CheckDescriptors();
  PublishMetrics();
}

void Server::CheckDescriptors() {
  if (fd_limit_ == 0) return;
  bool exhausted = false;
  // Only near the limit is it worth listing /proc/self/fd.
  if (base_fds_ + ctx_.connections.size() + 8 >= fd_limit_) {
    uint64_t open = CountOpenFds();
    exhausted = open == UINT64_MAX || open + 1 >= fd_limit_;
  }
  if (exhausted && !fds_exhausted_) {
    ctx_.counters.fd_limit_reached++;
    SPDLOG_WARN("file descriptors exhausted (RLIMIT_NOFILE {}, {} connections): new connections are shed until "
                "some close; existing sessions are served",
                fd_limit_, ctx_.connections.size());
  } else if (!exhausted && fds_exhausted_) {
    SPDLOG_INFO("file descriptors available again ({} connections)", ctx_.connections.size());
  }
  fds_exhausted_ = exhausted;
}

void Server::Stop(const std::string& reason) {
  if (stopping_) return;
  stopping_ = true;
  ctx_.draining = true;
  metrics_.SetReady(false);
  uint32_t drain_s = ctx_.config->limits.drain_timeout;
  SPDLOG_INFO("stopping ({}): no new connections; in-flight chunks have {} s to finish", reason, drain_s);
  NotifyStopping("draining: " + reason);
  for (auto& l : listeners_) {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&l->tcp))) uv_close(reinterpret_cast<uv_handle_t*>(&l->tcp), nullptr);
  }
  drain_deadline_ms_ = ctx_.now_ms() + uint64_t{drain_s} * 1000;
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&tick_))) {
    Finish();  // startup failed: nothing to drain
    return;
  }
  Drain(ctx_.now_ms());
}

void Server::Drain(uint64_t now) {
  if (finished_) return;
  if (now >= drain_deadline_ms_) {
    SPDLOG_INFO("drain time over: closing {} connection(s)", ctx_.connections.size());
    Finish();
    return;
  }
  // A connection is busy while it streams a chunk, receives one, or has bytes to write.
  std::vector<uint64_t> receiving;
  for (auto& [id, conn] : ctx_.connections) {
    if (conn->route.kind == InboundRoute::Kind::kForward) receiving.push_back(conn->route.dest);
  }
  std::vector<Connection*> idle;
  for (auto& [id, conn] : ctx_.connections) {
    if (conn->closing()) continue;
    bool busy = conn->route.kind == InboundRoute::Kind::kForward || conn->framer_in_body() ||
                conn->pending_bytes() > 0 ||
                std::find(receiving.begin(), receiving.end(), id) != receiving.end();
    if (!busy) idle.push_back(conn.get());
  }
  for (Connection* c : idle) c->Close("relay stopping");
  bool open = false;
  for (auto& [id, conn] : ctx_.connections) open = open || !conn->closing();
  if (!open) Finish();
}

void Server::Finish() {
  if (finished_) return;
  finished_ = true;
  SPDLOG_INFO("counters: {}", ctx_.counters.Summary());
  std::vector<Connection*> all;
  for (auto& [id, conn] : ctx_.connections) all.push_back(conn.get());
  for (Connection* c : all) c->Close("relay stopping");
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
  ctx_.config = std::move(config);
  resolver_.SetStaticHosts(ctx_.config->peers.hosts);
  if (client_tls) client_tls_ = std::move(client_tls);
  ctx_.users = std::move(users);
  ctx_.nonces->set_lifetime(ctx_.config->auth.nonce_lifetime);
  if (tls) tls_ = std::move(tls);
  for (auto& [id, conn] : ctx_.connections) {
    conn->set_framer_limits(framer_limits());
    conn->set_queue_limits(queue_limits());
  }
}

}  // namespace msrp::relay
