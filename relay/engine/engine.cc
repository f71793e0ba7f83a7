// Engine: connection lifecycle, event dispatch to the Forwarder, the connection timers, session
// expiry and draining.
#include "relay/engine/engine.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/digest.h"
#include "common/header_values.h"
#include "relay/engine/log_safe.h"

namespace msrp::relay {

namespace {
/// A connection with no I/O for this long (ms) gives back what it keeps for speed.
constexpr uint64_t kQuietMs = 1000;
/// A connection closing after a final response gets this long (ms) for the peer to read it.
constexpr uint64_t kFlushCloseGraceMs = 5000;

/// Milliseconds since `conn` last carried a byte, 0 while it has work in flight.
uint64_t IdleFor(const Connection& conn, uint64_t now) {
  if (conn.framer_in_body() || conn.pending_bytes() > 0 || conn.stream_owner != 0) return 0;
  return now - conn.last_activity_ms();
}

/// "host:port" as a URI names it (IPv6 literals in brackets; no port when the URI has none).
std::string DialName(const DialTarget& target) {
  std::string name = target.host.find(':') != std::string::npos ? "[" + target.host + "]" : target.host;
  if (target.port) name += ":" + std::to_string(*target.port);
  return name;
}

/// The session accounting line (one per session end).
void LogSessionEnd(uint64_t conn_id, const Session& s, const std::string& realm, uint64_t now,
                   const std::string& why) {
  SPDLOG_INFO("[c{}] session {} of user '{}' realm '{}' ended after {} s: sent {} messages {} B, "
              "received {} messages {} B; {}",
              conn_id, s.id.substr(0, 4) + "...", s.user, realm, (now - s.created_ms) / 1000, s.messages_in,
              s.bytes_in, s.messages_out, s.bytes_out, why);
}
}  // namespace

Engine::Engine(Transport& transport, std::shared_ptr<const config::Config> config,
               std::shared_ptr<const UserDb> users)
    : next_hops_(ctx_, [this](const DialTarget& target) { return Dial(target); }),
      auth_(ctx_),
      forwarder_(ctx_, auth_) {
  ctx_.transport = &transport;
  ctx_.next_hops = &next_hops_;
  ctx_.config = std::move(config);
  ctx_.users = std::move(users);
  ctx_.nonces = std::make_unique<NonceService>(NonceService::RandomSecret(), ctx_.config->auth.nonce_lifetime);
  auth_.set_forwarder(&forwarder_);
}

Engine::~Engine() = default;

void Engine::SetListenerPorts(std::set<uint16_t> ports, uint16_t tls_port) {
  ctx_.ports = std::move(ports);
  ctx_.tls_port = tls_port;
}

FramerLimits Engine::framer_limits() const {
  return FramerLimits{ctx_.config->limits.max_head_bytes, ctx_.config->limits.max_headers};
}

QueueLimits Engine::queue_limits() const {
  const auto& l = ctx_.config->limits;
  return QueueLimits{l.high_watermark, l.low_watermark, l.max_queue_bytes};
}

const Connection* Engine::Find(ConnectionId id) const {
  auto it = ctx_.connections.find(id);
  return it == ctx_.connections.end() || it->second->closing() ? nullptr : it->second.get();
}

void Engine::ForEachConnection(const std::function<void(const Connection&)>& fn) const {
  for (const auto& [id, conn] : ctx_.connections) {
    if (!conn->closing()) fn(*conn);
  }
}

void Engine::OnOpened(ConnectionId id, PeerInfo info) {
  auto conn = std::make_unique<Connection>(id, *ctx_.transport, static_cast<ConnectionEvents&>(*this), framer_limits(), queue_limits(),
                                           ctx_.counters, std::move(info), false);
  conn->nonce_binding = std::to_string(id) + ":" + RandomToken(16);
  conn->opaque = RandomToken(12);
  ctx_.connections.emplace(id, std::move(conn));
}

void Engine::OnRead(ConnectionId id, std::string_view bytes) {
  if (Connection* conn = ctx_.Live(id)) conn->Feed(bytes);
  CollectClosed();
}

void Engine::OnWritten(ConnectionId id) {
  if (Connection* conn = ctx_.Live(id)) {
    conn->OnWritten();
    if (!conn->closing()) forwarder_.ArmWrittenTransactions(*conn);
  }
  CollectClosed();
}

Connection* Engine::Dial(const DialTarget& target) {
  if (ctx_.draining) return nullptr;
  const ConnectionId id = ctx_.transport->Dial(target);
  if (id == 0) return nullptr;
  PeerInfo info{DialName(target), "", target.tls, 0};
  auto conn = std::make_unique<Connection>(id, *ctx_.transport, static_cast<ConnectionEvents&>(*this), framer_limits(), queue_limits(),
                                           ctx_.counters, std::move(info), true);
  conn->had_success = true;  // no probation for connections we opened (C-05 is about accepts)
  // TLS: the handshake proves this name (C-03) before any request is read from it.
  if (target.tls) conn->relay_identity = ToLowerAscii(target.host);
  Connection* raw = conn.get();
  ctx_.connections.emplace(id, std::move(conn));
  return raw;
}

void Engine::OnEstablished(ConnectionId id, const std::string& peer) {
  Connection* conn = ctx_.Live(id);
  if (conn == nullptr || !conn->outbound()) return;
  conn->MarkEstablished();
  SPDLOG_INFO("[c{} {}] outbound connection established ({})", id, peer,
              conn->is_tls() ? "tls, peer certificate verified" : "tcp");
  conn->OnWritten();  // what was queued while connecting may have left
  if (!conn->closing()) forwarder_.ArmWrittenTransactions(*conn);
  CollectClosed();
}

void Engine::OnClosed(ConnectionId id, const std::string& reason, bool tls_failed) {
  if (Connection* conn = ctx_.Live(id)) {
    if (tls_failed) conn->MarkTlsFailed();
    conn->Close(conn->close_after_flush() ? conn->close_after_flush_reason() : reason, true);
  }
  CollectClosed();
}

void Engine::OnHead(Connection& conn, MessageHead& head) {
  if (head.is_request) {
    forwarder_.OnRequestHead(conn, head);
  } else {
    forwarder_.OnResponseHead(conn, head);
  }
}

void Engine::OnBody(Connection& conn, std::string_view bytes) { forwarder_.OnBody(conn, bytes); }
void Engine::OnEnd(Connection& conn, EndFlag flag) { forwarder_.OnEnd(conn, flag); }
void Engine::OnDrained(Connection& conn) { forwarder_.OnDrained(conn); }

void Engine::OnClosing(Connection& conn) {
  if (conn.outbound() && !conn.established()) ctx_.counters.outbound_connect_failures++;
  forwarder_.OnConnectionClosing(conn);
  next_hops_.Forget(conn);
  EndSessionsOf(conn);
  // Destroyed once this event is over: callers up the stack may still hold it.
  auto it = ctx_.connections.find(conn.id());
  if (it != ctx_.connections.end()) {
    closed_.push_back(std::move(it->second));
    ctx_.connections.erase(it);
  }
}

void Engine::EndSessionsOf(Connection& conn) {
  // C-10, A-14: the URIs bound to this client connection die with it.
  const uint64_t now = ctx_.now_ms();
  for (const auto& id : conn.session_ids) {
    if (Session* s = ctx_.sessions.Find(id, 0)) {
      LogSessionEnd(conn.id(), *s, ctx_.config->auth.realm, now, "connection closed: " + conn.close_reason());
    }
    ctx_.sessions.Remove(id);
  }
  conn.session_ids.clear();
}

void Engine::CollectClosed() { closed_.clear(); }

void Engine::ScheduleProcess(Connection& conn) {
  to_process_.push_back(conn.id());
  ctx_.transport->ScheduleDeferred();
}

void Engine::RunDeferred() {
  std::vector<ConnectionId> ids;
  ids.swap(to_process_);
  for (ConnectionId id : ids) {
    Connection* c = ctx_.Live(id);
    if (c == nullptr) continue;
    forwarder_.FlushWaiting(*c);
    if (ctx_.Live(id) == c) c->ProcessHeld();
  }
  CollectClosed();
}

void Engine::ExpireSessions(uint64_t now) {
  for (auto& s : ctx_.sessions.TakeExpired(now)) {
    LogSessionEnd(s.owner, s, ctx_.config->auth.realm, now, "expired");
    if (Connection* c = ctx_.Live(s.owner)) {
      auto& ids = c->session_ids;
      ids.erase(std::remove(ids.begin(), ids.end(), s.id), ids.end());
    }
  }
}

std::string Engine::TimerCloseReason(const Connection& conn, uint64_t now) {
  const auto& limits = ctx_.config->limits;
  const auto& peers = ctx_.config->peers;
  const uint64_t age = now - conn.opened_ms;
  const bool stalled =
      conn.over_high() && now - conn.over_high_since_ms() > uint64_t{limits.stall_timeout} * 1000;
  if (conn.outbound()) {
    // Ours: C-05 probation does not apply; connect_timeout bounds DNS + TCP + TLS, and
    // peers.idle_timeout closes it once unused (C-08).
    if (!conn.established() && age > uint64_t{peers.connect_timeout} * 1000) {
      return "connect timeout (peers.connect_timeout " + std::to_string(peers.connect_timeout) + " s)";
    }
    if (stalled) {
      ctx_.counters.stalled_closes++;
      return "peer not reading: outbound queue stalled";
    }
    if (conn.established() && IdleFor(conn, now) > uint64_t{peers.idle_timeout} * 1000) {
      ctx_.counters.outbound_idle_closes++;
      return "unused (peers.idle_timeout)";
    }
    return "";
  }
  const bool pooled = next_hops_.Contains(conn);
  if (pooled && IdleFor(conn, now) > uint64_t{peers.idle_timeout} * 1000) {
    ctx_.counters.outbound_idle_closes++;
    return "relay connection unused (peers.idle_timeout)";
  }
  if (!conn.had_success && age > uint64_t{limits.probation} * 1000) {
    ctx_.counters.probation_closes++;
    return "no successful request within the probation period";  // C-05
  }
  if (stalled) {
    ctx_.counters.stalled_closes++;
    return "peer not reading: outbound queue stalled";
  }
  if (!pooled && conn.session_ids.empty() && !conn.framer_in_body() && conn.pending_bytes() == 0 &&
      now - conn.last_activity_ms() > uint64_t{limits.idle_timeout} * 1000) {
    ctx_.counters.idle_closes++;
    return "idle without a session (limits.idle_timeout)";
  }
  if (conn.close_after_flush() && now - conn.close_requested_ms > kFlushCloseGraceMs) {
    return "peer did not read its final response";
  }
  return "";
}

void Engine::OnTick() {
  const uint64_t now = ctx_.now_ms();
  if (ctx_.draining) {
    DrainStep(now);
    if (drained_) {
      CollectClosed();
      return;
    }
  }
  forwarder_.ExpireTransactions(now);
  ExpireSessions(now);
  std::vector<std::pair<ConnectionId, std::string>> to_close;
  for (auto& [id, conn] : ctx_.connections) {
    if (conn->closing()) continue;
    conn->ReleaseIdleState(now, kQuietMs);
    std::string reason = TimerCloseReason(*conn, now);
    if (!reason.empty()) to_close.emplace_back(id, std::move(reason));
  }
  for (auto& [id, reason] : to_close) {
    if (Connection* c = ctx_.Live(id)) c->Close(reason);
  }
  CollectClosed();
}

void Engine::StartDrain() {
  if (ctx_.draining) return;
  ctx_.draining = true;
  drain_deadline_ms_ = ctx_.now_ms() + uint64_t{ctx_.config->limits.drain_timeout} * 1000;
  DrainStep(ctx_.now_ms());
  CollectClosed();
}

void Engine::DrainStep(uint64_t now) {
  if (drained_) return;
  if (now >= drain_deadline_ms_) {
    SPDLOG_INFO("drain time over: closing {} connection(s)", ctx_.connections.size());
    CloseAll("relay stopping");
    drained_ = true;
    return;
  }
  // A connection is busy while it streams a chunk, receives one, or has bytes to write.
  std::vector<ConnectionId> receiving;
  for (auto& [id, conn] : ctx_.connections) {
    if (conn->route.kind == InboundRoute::Kind::kForward) receiving.push_back(conn->route.dest);
  }
  std::vector<ConnectionId> idle;
  for (auto& [id, conn] : ctx_.connections) {
    if (conn->closing()) continue;
    bool busy = conn->route.kind == InboundRoute::Kind::kForward || conn->framer_in_body() ||
                conn->pending_bytes() > 0 || std::find(receiving.begin(), receiving.end(), id) != receiving.end();
    if (!busy) idle.push_back(id);
  }
  for (ConnectionId id : idle) {
    if (Connection* c = ctx_.Live(id)) c->Close("relay stopping");
  }
  drained_ = ctx_.connections.empty();
}

void Engine::CloseAll(const std::string& reason) {
  std::vector<ConnectionId> all;
  for (auto& [id, conn] : ctx_.connections) all.push_back(id);
  for (ConnectionId id : all) {
    if (Connection* c = ctx_.Live(id)) c->Close(reason);
  }
  CollectClosed();
}

void Engine::Reload(std::shared_ptr<const config::Config> config, std::shared_ptr<const UserDb> users) {
  ctx_.config = std::move(config);
  ctx_.users = std::move(users);
  ctx_.nonces->set_lifetime(ctx_.config->auth.nonce_lifetime);
  for (auto& [id, conn] : ctx_.connections) {
    conn->set_framer_limits(framer_limits());
    conn->set_queue_limits(queue_limits());
  }
}

}  // namespace msrp::relay
