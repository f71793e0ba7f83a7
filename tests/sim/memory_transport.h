// An in-memory Transport for the relay engine (sans-I/O): connections are byte queues in this
// process and time is a number the test advances. The fuzzer (fuzz/fuzz_relay.cc) and the
// simulation tests (tests/sim/) drive the real Engine through it: they open connections, feed
// bytes in any split, take what the engine wrote, let queues drain or stall, finish or fail
// dials, close connections and advance the clock, with no socket and no sleeping.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "relay/engine/engine.h"
#include "relay/engine/transport.h"

namespace msrp::sim {

using relay::ConnectionId;

/// One connection as the transport sees it.
struct MemoryConnection {
  ConnectionId id = 0;
  bool outbound = false;
  bool tls = true;
  relay::DialTarget target;       ///< outbound: what the engine dialled
  std::string written;            ///< bytes the engine wrote and the peer has not taken yet
  uint64_t written_total = 0;     ///< every byte the engine ever wrote here
  bool paused = false;            ///< the engine paused reading
  bool closed = false;            ///< closed (by the engine, or reported to it)
  bool closed_by_engine = false;
  std::string close_reason;
  bool close_after_flush = false; ///< the engine asked to close once written is taken
  bool established = false;       ///< outbound: OnEstablished was delivered
  /// Host names the peer's client certificate verified for; empty: no certificate.
  std::vector<std::string> certificate_names;
};

/// The Transport, plus the controls a simulation uses. Single-threaded; deterministic.
class MemoryTransport : public relay::Transport {
 public:
  /// `start_ms`: the simulated clock's start (monotonic ms); `wall_start_s`: wall clock (s).
  explicit MemoryTransport(uint64_t start_ms = 1'000'000, uint64_t wall_start_s = 1'700'000'000);

  /// The engine driven through this transport (set once, before any event).
  void set_engine(relay::Engine* engine) { engine_ = engine; }

  // Controls. Each delivers at most one engine event, then runs deferred work the engine
  // asked for (RunDeferred), as a loop would.

  /// Opens an inbound connection (TLS or plain TCP) on `listener_port`; returns its id.
  ConnectionId Open(bool tls, uint16_t listener_port, std::string peer_ip = "192.0.2.1",
                    std::vector<std::string> certificate_names = {});
  /// The peer of `id` sends `bytes`. While the engine has reading paused the bytes wait here
  /// (as they would in the kernel) and are delivered on resume. False when `id` is closed.
  bool Send(ConnectionId id, std::string_view bytes);
  /// The peer of `id` reads up to `max_bytes` (all when 0) of what the engine wrote; the
  /// engine hears of it (OnWritten). Returns the bytes taken.
  std::string Take(ConnectionId id, size_t max_bytes = 0);
  /// The peer (or the network) closes `id`.
  void PeerClose(ConnectionId id, const std::string& reason = "peer closed");
  /// Outbound `id` comes up (TLS verified), or fails (`tls_failed`: certificate mismatch).
  void Establish(ConnectionId id);
  void FailDial(ConnectionId id, bool tls_failed, const std::string& reason = "connect failed");
  /// Advances the clock by `ms` and delivers engine ticks every `tick_ms` on the way.
  void Advance(uint64_t ms, uint64_t tick_ms = 200);
  /// Advances the clock by `ms` with no tick: time passing between two ticks of a loop (events
  /// delivered meanwhile see the new time; timers fire at the next Advance).
  void Skip(uint64_t ms) { now_ms_ += ms; }
  /// Runs deferred work until the engine asks for none (bounded).
  void RunDeferred();

  /// Every connection this transport knows (open or closed), by id.
  const std::map<ConnectionId, MemoryConnection>& connections() const { return conns_; }
  MemoryConnection* Get(ConnectionId id);
  /// Outbound connections the engine dialled, in order.
  const std::vector<ConnectionId>& dials() const { return dials_; }
  /// Bytes sent by a peer and held while the engine paused reading.
  size_t held_for(ConnectionId id) const;
  /// The most bytes the engine passed to one Write() call so far (bounds a queue's overshoot).
  size_t largest_write() const { return largest_write_; }

  // Transport
  void Write(ConnectionId id, std::string_view bytes) override;
  uint64_t QueuedBytes(ConnectionId id) const override;
  void PauseReading(ConnectionId id) override;
  void ResumeReading(ConnectionId id) override;
  void Close(ConnectionId id, const std::string& reason) override;
  void CloseAfterFlush(ConnectionId id, const std::string& reason) override;
  ConnectionId Dial(const relay::DialTarget& target) override;
  bool PeerCertificateMatches(ConnectionId id, std::string_view host) override;
  void ScheduleDeferred() override { deferred_ = true; }
  uint64_t NowMs() const override { return now_ms_; }
  uint64_t WallSeconds() const override { return wall_start_s_ + (now_ms_ - start_ms_) / 1000; }

 private:
  /// Delivers bytes held while paused, and closes after flush, once allowed.
  void DeliverPending();
  void ReportClosed(ConnectionId id, const std::string& reason, bool tls_failed);

  relay::Engine* engine_ = nullptr;
  std::map<ConnectionId, MemoryConnection> conns_;
  std::map<ConnectionId, std::string> inbox_;  ///< peer bytes waiting for a resume
  std::set<ConnectionId> flush_waiting_;       ///< close after flush asked, not closed yet
  std::vector<ConnectionId> dials_;
  ConnectionId next_id_ = 1;
  uint64_t start_ms_;
  uint64_t now_ms_;
  uint64_t wall_start_s_;
  bool deferred_ = false;
  size_t largest_write_ = 0;
};

/// A config for simulations: hostname relay.example.com, realm example.com, one TLS listener
/// on `tls_port` and one TCP listener on `tcp_port`, msrp: next hops allowed, default limits
/// (a test changes the fields it needs), logging off.
std::shared_ptr<config::Config> SimConfig(uint16_t tls_port = 2855, uint16_t tcp_port = 2856);

}  // namespace msrp::sim
