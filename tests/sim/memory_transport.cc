// MemoryTransport: byte queues and a simulated clock for the relay engine.
#include "tests/sim/memory_transport.h"

#include <algorithm>

#include "common/header_values.h"

namespace msrp::sim {

MemoryTransport::MemoryTransport(uint64_t start_ms, uint64_t wall_start_s)
    : start_ms_(start_ms), now_ms_(start_ms), wall_start_s_(wall_start_s) {}

MemoryConnection* MemoryTransport::Get(ConnectionId id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : &it->second;
}

size_t MemoryTransport::held_for(ConnectionId id) const {
  auto it = inbox_.find(id);
  return it == inbox_.end() ? 0 : it->second.size();
}

ConnectionId MemoryTransport::Open(bool tls, uint16_t listener_port, std::string peer_ip,
                                   std::vector<std::string> certificate_names) {
  const ConnectionId id = next_id_++;
  MemoryConnection& c = conns_[id];
  c.id = id;
  c.tls = tls;
  c.certificate_names = std::move(certificate_names);
  engine_->OnOpened(id, relay::PeerInfo{peer_ip + ":" + std::to_string(40000 + id % 20000), peer_ip, tls,
                                        listener_port});
  RunDeferred();
  return id;
}

bool MemoryTransport::Send(ConnectionId id, std::string_view bytes) {
  MemoryConnection* c = Get(id);
  if (c == nullptr || c->closed) return false;
  if (c->outbound && !c->established) return false;  // nothing is read before it is up
  if (c->paused || c->close_after_flush || held_for(id) > 0) {
    inbox_[id].append(bytes);
    return true;
  }
  engine_->OnRead(id, bytes);
  RunDeferred();
  return true;
}

std::string MemoryTransport::Take(ConnectionId id, size_t max_bytes) {
  MemoryConnection* c = Get(id);
  if (c == nullptr) return {};
  size_t n = max_bytes == 0 ? c->written.size() : std::min(max_bytes, c->written.size());
  std::string out = c->written.substr(0, n);
  c->written.erase(0, n);
  if (n > 0 && !c->closed) {
    engine_->OnWritten(id);
    RunDeferred();
  }
  DeliverPending();
  return out;
}

void MemoryTransport::PeerClose(ConnectionId id, const std::string& reason) {
  MemoryConnection* c = Get(id);
  if (c == nullptr || c->closed) return;
  ReportClosed(id, reason, false);
}

void MemoryTransport::Establish(ConnectionId id) {
  MemoryConnection* c = Get(id);
  if (c == nullptr || c->closed || !c->outbound || c->established) return;
  c->established = true;
  engine_->OnEstablished(id, c->target.host);
  RunDeferred();
}

void MemoryTransport::FailDial(ConnectionId id, bool tls_failed, const std::string& reason) {
  MemoryConnection* c = Get(id);
  if (c == nullptr || c->closed || !c->outbound || c->established) return;
  ReportClosed(id, reason, tls_failed);
}

void MemoryTransport::ReportClosed(ConnectionId id, const std::string& reason, bool tls_failed) {
  MemoryConnection* c = Get(id);
  c->closed = true;
  c->close_reason = reason;
  inbox_.erase(id);
  flush_waiting_.erase(id);
  engine_->OnClosed(id, reason, tls_failed);
  RunDeferred();
}

void MemoryTransport::Advance(uint64_t ms, uint64_t tick_ms) {
  const uint64_t end = now_ms_ + ms;
  while (now_ms_ < end) {
    now_ms_ = std::min(end, now_ms_ + tick_ms);
    engine_->OnTick();
    RunDeferred();
    DeliverPending();
  }
}

void MemoryTransport::RunDeferred() {
  for (int i = 0; deferred_ && i < 1000; ++i) {
    deferred_ = false;
    engine_->RunDeferred();
  }
}

void MemoryTransport::DeliverPending() {
  // Bytes held while paused go in once reading resumed; a close after flush completes once
  // the peer took everything. Bounded: each pass delivers or closes something, or stops.
  // Only connections with held bytes or a close after flush can have work: they are visited
  // in id order (the others are many in long simulations).
  std::vector<ConnectionId> candidates;
  for (int pass = 0; pass < 1000; ++pass) {
    candidates.clear();
    for (const auto& [id, bytes] : inbox_) candidates.push_back(id);
    for (ConnectionId id : flush_waiting_) candidates.push_back(id);
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    bool progressed = false;
    for (ConnectionId id : candidates) {
      MemoryConnection& c = conns_[id];
      if (c.closed) {
        flush_waiting_.erase(id);
        continue;
      }
      if (c.close_after_flush && c.written.empty()) {
        ReportClosed(id, c.close_reason, false);
        progressed = true;
        break;
      }
      auto in = inbox_.find(id);
      if (in != inbox_.end() && !c.paused && !c.close_after_flush) {
        std::string bytes;
        bytes.swap(in->second);
        inbox_.erase(in);
        engine_->OnRead(id, bytes);
        RunDeferred();
        progressed = true;
        break;
      }
    }
    if (!progressed) return;
  }
}

void MemoryTransport::Write(ConnectionId id, std::string_view bytes) {
  MemoryConnection* c = Get(id);
  if (c == nullptr || c->closed) return;
  c->written.append(bytes);
  c->written_total += bytes.size();
  largest_write_ = std::max(largest_write_, bytes.size());
}

uint64_t MemoryTransport::QueuedBytes(ConnectionId id) const {
  auto it = conns_.find(id);
  return it == conns_.end() || it->second.closed ? 0 : it->second.written.size();
}

void MemoryTransport::PauseReading(ConnectionId id) {
  if (MemoryConnection* c = Get(id)) c->paused = true;
}

void MemoryTransport::ResumeReading(ConnectionId id) {
  // Delivered by the control that runs next (as a loop delivers reads after callbacks).
  if (MemoryConnection* c = Get(id)) c->paused = false;
}

void MemoryTransport::Close(ConnectionId id, const std::string& reason) {
  MemoryConnection* c = Get(id);
  if (c == nullptr || c->closed) return;
  c->closed = true;
  c->closed_by_engine = true;
  c->close_reason = reason;
  inbox_.erase(id);
  flush_waiting_.erase(id);
}

void MemoryTransport::CloseAfterFlush(ConnectionId id, const std::string& reason) {
  MemoryConnection* c = Get(id);
  if (c == nullptr || c->closed) return;
  c->close_after_flush = true;
  c->close_reason = reason;
  flush_waiting_.insert(id);
}

ConnectionId MemoryTransport::Dial(const relay::DialTarget& target) {
  const ConnectionId id = next_id_++;
  MemoryConnection& c = conns_[id];
  c.id = id;
  c.outbound = true;
  c.tls = target.tls;
  c.target = target;
  dials_.push_back(id);
  return id;
}

bool MemoryTransport::PeerCertificateMatches(ConnectionId id, std::string_view host) {
  MemoryConnection* c = Get(id);
  if (c == nullptr || !c->tls || c->outbound) return false;
  for (const auto& name : c->certificate_names) {
    if (EqualsIgnoreCase(name, host)) return true;
  }
  return false;
}

std::shared_ptr<config::Config> SimConfig(uint16_t tls_port, uint16_t tcp_port) {
  auto cfg = std::make_shared<config::Config>();
  cfg->relay.hostname = "relay.example.com";
  cfg->relay.listen = {config::ListenConfig{"127.0.0.1", tls_port, config::Transport::kTls},
                       config::ListenConfig{"127.0.0.1", tcp_port, config::Transport::kTcp}};
  cfg->auth.realm = "example.com";
  cfg->peers.allow_plain_tcp = true;
  cfg->log.level = "off";
  return cfg;
}

}  // namespace msrp::sim
