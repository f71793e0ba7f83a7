// The relay engine (sans-I/O): request checks, AUTH policy, sessions, routing to next hops,
// transactions and their timers, streaming and multiplexing, hop-by-hop responses and
// REPORTs (RFC 4975, RFC 4976). It owns no socket, no TLS and no event loop: it is driven by
// events (a connection opened, bytes read, bytes written, an outbound connection established,
// a connection closed, a tick, deferred work) and acts through a Transport. The libuv + TLS
// server (relay/net/) drives it in the daemon; the fuzzer and the simulation tests drive it
// through an in-memory transport with a simulated clock.
//
// Every event handler must be called from the transport's loop, never from inside a
// Transport call (see transport.h). A connection closed during an event is destroyed when
// that event returns.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/user_db.h"
#include "config/config.h"
#include "relay/engine/auth_handler.h"
#include "relay/engine/connection.h"
#include "relay/engine/forwarder.h"
#include "relay/engine/next_hop_pool.h"
#include "relay/engine/relay_context.h"
#include "relay/engine/transport.h"

namespace msrp::relay {

class Engine : private ConnectionEvents {
 public:
  /// `config` and `users`: validated and loaded by the caller. `transport` outlives the engine.
  Engine(Transport& transport, std::shared_ptr<const config::Config> config, std::shared_ptr<const UserDb> users);
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// The bound listener ports (our URIs carry one of them, U-04) and the first TLS
  /// listener's port (put in URIs minted over a connection we dialled).
  void SetListenerPorts(std::set<uint16_t> ports, uint16_t tls_port);

  // Events from the transport.

  /// An inbound connection was accepted (its TLS handshake may still be running).
  void OnOpened(ConnectionId id, PeerInfo info);
  /// Plaintext bytes read from `id`, in order (MSRP framing, RFC 4975 §7.1).
  void OnRead(ConnectionId id, std::string_view bytes);
  /// Some of `id`'s queue was written: watermarks are re-checked (backpressure).
  void OnWritten(ConnectionId id);
  /// Outbound `id` is up (TCP connected; with TLS the peer's certificate verified, C-03).
  /// `peer` names it for logs from now on.
  void OnEstablished(ConnectionId id, const std::string& peer);
  /// The transport closed `id` (peer closed, I/O error, dial or handshake failure,
  /// CloseAfterFlush done). `tls_failed`: an outbound TLS handshake failed (C-03).
  void OnClosed(ConnectionId id, const std::string& reason, bool tls_failed);
  /// Timers (call about every 200 ms): transaction timeouts, session expiry,
  /// probation (C-05), idle, stall and connect timeouts, drain.
  void OnTick();
  /// Work deferred with Transport::ScheduleDeferred(): waiting sources handed a stream, bytes
  /// held while a connection was paused.
  void RunDeferred();

  // Control.

  /// Applies a new validated config and users (SIGHUP): limits, timeouts and users apply to
  /// new work at once.
  void Reload(std::shared_ptr<const config::Config> config, std::shared_ptr<const UserDb> users);
  /// Starts draining (SIGTERM): connections close as their chunks end, new requests close
  /// their connection; after limits.drain_timeout everything closes. The first step runs now.
  void StartDrain();
  /// True once draining is over and every connection is closed.
  bool drained() const { return drained_; }
  /// Closes every connection now.
  void CloseAll(const std::string& reason);

  // Inspection.

  const config::Config& config() const { return *ctx_.config; }
  Counters& counters() { return ctx_.counters; }
  const Counters& counters() const { return ctx_.counters; }
  size_t connection_count() const { return ctx_.connections.size(); }
  size_t session_count() const { return ctx_.sessions.size(); }
  size_t pending_transaction_count() const { return ctx_.transactions.size(); }
  bool draining() const { return ctx_.draining; }
  /// The open connection `id`, or nullptr (for metrics, tests and the fuzzer's invariants).
  const Connection* Find(ConnectionId id) const;
  /// Calls `fn` for every open connection.
  void ForEachConnection(const std::function<void(const Connection&)>& fn) const;
  /// True when `conn` is pooled for next hops (outbound, or an inbound relay connection).
  bool IsNextHop(const Connection& conn) const { return next_hops_.Contains(conn); }

 private:
  // ConnectionEvents
  void OnHead(Connection& conn, MessageHead& head) override;
  void OnBody(Connection& conn, std::string_view bytes) override;
  void OnEnd(Connection& conn, EndFlag flag) override;
  void OnDrained(Connection& conn) override;
  void OnClosing(Connection& conn) override;
  void ScheduleProcess(Connection& conn) override;

  /// NextHopPool dialer: a new outbound connection (C-06).
  Connection* Dial(const DialTarget& target);
  /// Logs the accounting line of each session bound to `conn` and removes them (C-10, A-14).
  void EndSessionsOf(Connection& conn);
  /// Removes expired sessions and logs their accounting line.
  void ExpireSessions(uint64_t now);
  /// The close reason for `conn` at `now` by the connection timers, or "" to keep it.
  std::string TimerCloseReason(const Connection& conn, uint64_t now);
  /// One drain step: closes connections with nothing in flight; everything after the deadline.
  void DrainStep(uint64_t now);
  /// Destroys the connections closed during the event that is ending.
  void CollectClosed();
  FramerLimits framer_limits() const;
  QueueLimits queue_limits() const;

  RelayContext ctx_;
  NextHopPool next_hops_;
  AuthHandler auth_;
  Forwarder forwarder_;
  std::vector<ConnectionId> to_process_;   ///< connections to feed from RunDeferred
  std::vector<std::unique_ptr<Connection>> closed_;  ///< closed during this event
  uint64_t drain_deadline_ms_ = 0;
  bool drained_ = false;
};

}  // namespace msrp::relay
