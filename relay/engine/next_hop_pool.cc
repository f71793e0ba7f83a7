// NextHopPool: find-or-dial next-hop connections, keyed by scheme, host and port.
#include "relay/engine/next_hop_pool.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/header_values.h"
#include "relay/engine/log_safe.h"

namespace msrp::relay {

std::string NextHopPool::Key(const Uri& uri) {
  return std::string(uri.scheme == Scheme::kMsrps ? "msrps|" : "msrp|") + ToLowerAscii(uri.host) + "|" +
         (uri.port ? std::to_string(*uri.port) : std::string());
}

Result<Connection*> NextHopPool::Get(const Uri& uri) {
  const bool tls = uri.scheme == Scheme::kMsrps;
  if (!tls && !ctx_.config->peers.allow_plain_tcp) {
    return Err("msrp: next hop and peers.allow_plain_tcp is false (C-04)");
  }
  const std::string key = Key(uri);
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    if (Connection* conn = ctx_.Live(it->second)) return conn;
  }
  Connection* conn = dialer_(DialTarget{tls, uri.host, uri.port});
  if (conn == nullptr) return Err("cannot open a connection to " + LogSafe(uri.host, 100));
  by_key_[key] = conn->id();
  keys_of_[conn->id()].push_back(key);
  ctx_.counters.outbound_connects++;
  SPDLOG_INFO("[c{}] outbound connection to {} ({}) opening", conn->id(), LogSafe(conn->peer(), 120),
              tls ? "tls" : "tcp");
  return conn;
}

void NextHopPool::AddInbound(Connection& conn, const Uri& relay_uri) {
  const std::string key = Key(relay_uri);
  auto it = by_key_.find(key);
  if (it != by_key_.end() && it->second != conn.id() && ctx_.Live(it->second) != nullptr) return;
  by_key_[key] = conn.id();
  auto& keys = keys_of_[conn.id()];
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  SPDLOG_DEBUG("[c{}] reused for next hop {}", conn.id(), key);
}

void NextHopPool::Forget(const Connection& conn) {
  auto it = keys_of_.find(conn.id());
  if (it == keys_of_.end()) return;
  for (const auto& key : it->second) {
    auto k = by_key_.find(key);
    if (k != by_key_.end() && k->second == conn.id()) by_key_.erase(k);
  }
  keys_of_.erase(it);
}

}  // namespace msrp::relay
