// State shared by the engine's request handlers: the transport (and its clock), the live
// config, connections by id, sessions, pending transactions, users and the nonce service. One
// per engine; single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "common/digest.h"
#include "common/uri.h"
#include "common/user_db.h"
#include "config/config.h"
#include "relay/engine/connection.h"
#include "relay/engine/counters.h"
#include "relay/engine/session_table.h"
#include "relay/engine/transaction_table.h"

namespace msrp::relay {

class NextHopPool;

struct RelayContext {
  Transport* transport = nullptr;
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const UserDb> users;
  std::unique_ptr<NonceService> nonces;
  std::unordered_map<ConnectionId, std::unique_ptr<Connection>> connections;
  SessionTable sessions;
  TransactionTable transactions;
  std::set<uint16_t> ports;  ///< bound listener ports: our URIs carry one of them
  uint16_t tls_port = 0;     ///< the first TLS listener's port (URIs minted off a listener)
  Counters counters;
  NextHopPool* next_hops = nullptr;  ///< connections to other relays and relay-less peers (C-06)
  bool draining = false;     ///< shutting down: connections close as their chunks end

  /// The connection with `id` if it exists and is not closing, else nullptr.
  Connection* Live(uint64_t id) {
    auto it = connections.find(id);
    if (it == connections.end() || it->second->closing()) return nullptr;
    return it->second.get();
  }

  /// Engine time in milliseconds (Transport::NowMs).
  uint64_t now_ms() const { return transport->NowMs(); }

  /// True when `uri` names this relay's host (U-03: case-insensitive, userinfo ignored) with
  /// no port or one of our ports.
  bool IsOurHost(const Uri& uri) const;

  /// True when `uri` is this relay's host with an explicit port of ours (U-04, U-07).
  bool IsOurHostAndPort(const Uri& uri) const;
};

}  // namespace msrp::relay
