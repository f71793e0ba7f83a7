// Connections to next hops (RFC 4976 §6.4, §6.5; RFC 4975 §5.4; C-04, C-06, C-08): one
// connection per scheme, host and port, dialled on first use (the transport resolves,
// connects and runs the TLS client handshake with the peer's name verified) and then carrying
// every session. An inbound connection from a relay that proved its name with its certificate
// joins the pool for that relay's own URI, so two relays talking both ways share one
// TCP connection.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "common/uri.h"
#include "relay/engine/connection.h"
#include "relay/engine/relay_context.h"

namespace msrp::relay {

class NextHopPool {
 public:
  /// Dials `target` and returns the new outbound Connection registered with the engine, or
  /// nullptr (after logging) when the transport cannot start the dial.
  using Dialer = std::function<Connection*(const DialTarget& target)>;

  NextHopPool(RelayContext& ctx, Dialer dialer) : ctx_(ctx), dialer_(std::move(dialer)) {}

  /// The connection for next hop `uri`: a live one for its scheme, host (case-insensitive)
  /// and port (C-06), or a new outbound one that connects in the background while requests
  /// queue on it. Errors: an msrp: next hop while peers.allow_plain_tcp is false (C-04), or
  /// no connection could be started.
  Result<Connection*> Get(const Uri& uri);

  /// A-17, C-06: `conn` is an inbound connection from the relay whose own URI is
  /// `relay_uri` (its From-Path[0]); requests for that scheme, host and port may use it.
  void AddInbound(Connection& conn, const Uri& relay_uri);

  /// True when `conn` is in the pool (outbound, or an inbound relay connection).
  bool Contains(const Connection& conn) const { return keys_of_.count(conn.id()) > 0; }

  /// `conn` is closing: forgets it.
  void Forget(const Connection& conn);

 private:
  /// "msrps|host|port" (host lower case; port empty when absent).
  static std::string Key(const Uri& uri);

  RelayContext& ctx_;
  Dialer dialer_;
  std::unordered_map<std::string, ConnectionId> by_key_;                 ///< key -> connection id
  std::unordered_map<ConnectionId, std::vector<std::string>> keys_of_;  ///< connection id -> its keys
};

}  // namespace msrp::relay
