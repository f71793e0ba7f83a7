// The engine's side of one connection (sans-I/O): the MSRP framer fed with the bytes the
// transport read, the counted read pause, the outbound queue's watermarks (the queue itself
// is the transport's), and the MSRP state the relay keeps per connection. No sockets, no TLS.
//
// Lifetime: Open --Close(reason) or transport close--> Closing --(end of the event)--> gone.
// The Engine owns every Connection (by id). Close() may be called any number of times; the
// engine's closing step runs once, synchronously, and the object is destroyed only once the
// event that closed it is over. A Connection& is valid only during an engine event.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/framer.h"
#include "relay/engine/counters.h"
#include "relay/engine/inbound_route.h"
#include "relay/engine/path.h"
#include "relay/engine/transport.h"

namespace msrp::relay {

class Connection;

/// What the transport knows of a connection when it is opened.
struct PeerInfo {
  std::string peer;             ///< "ip:port" (inbound) or the dialled "host:port", for logs
  std::string peer_ip;          ///< the peer's IP address without port (per-address limits)
  bool tls = false;             ///< TLS (msrps) or plain TCP (msrp)
  uint16_t listener_port = 0;   ///< the port it came in on; 0 for outbound
};

/// Watermarks and caps for one connection's outbound queue (bytes).
struct QueueLimits {
  uint64_t high_watermark = 1 << 20;
  uint64_t low_watermark = 1 << 18;
  uint64_t max_queue_bytes = 16 << 20;
};

/// Receives a connection's events. Implemented by the Engine.
class ConnectionEvents {
 public:
  virtual ~ConnectionEvents() = default;
  virtual void OnHead(Connection& conn, MessageHead& head) = 0;
  virtual void OnBody(Connection& conn, std::string_view bytes) = 0;
  virtual void OnEnd(Connection& conn, EndFlag flag) = 0;
  /// The outbound queue fell below the low watermark after having passed the high one.
  virtual void OnDrained(Connection& conn) = 0;
  /// The connection is closing: detach sessions, fail transactions. Called once.
  virtual void OnClosing(Connection& conn) = 0;
  /// Asks for Connection::ProcessHeld() (and the forwarder's waiting work) to run later, from
  /// the loop, never re-entrantly.
  virtual void ScheduleProcess(Connection& conn) = 0;
};

class Connection : private Framer::Sink {
 public:
  /// `outbound`: a connection this relay dialled (Transport::Dial returned `id`).
  Connection(ConnectionId id, Transport& transport, ConnectionEvents& events, FramerLimits framer_limits,
             QueueLimits queue_limits, Counters& counters, PeerInfo info, bool outbound);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Bytes read from the peer (plaintext), in order. While reading is paused they are held
  /// (at most what one transport read delivers after a pause) and fed by ProcessHeld().
  void Feed(std::string_view plain);

  /// Feeds the bytes held back while reading was paused. Called from the loop.
  void ProcessHeld();

  /// Queues bytes for the peer (Transport::Write) and checks the watermarks. Ignored once
  /// closing.
  void Send(std::string_view bytes);

  /// Bytes queued for the peer and not yet written.
  uint64_t pending_bytes() const { return transport_.QueuedBytes(id_); }

  /// Counted read pause (several destinations may pause one source). Reading resumes when
  /// every PauseReading has been matched by a ResumeReading.
  void PauseReading();
  void ResumeReading();

  /// Starts closing: stops reading, runs the engine's closing step, tells the transport to
  /// close (`by_transport`: the transport closed it already). Idempotent.
  void Close(const std::string& reason, bool by_transport = false);

  /// Stops reading and closes once the outbound queue has been written (e.g. after a final
  /// response). The engine closes it anyway if the peer never reads (tick).
  void CloseAfterFlush(const std::string& reason);

  /// The transport wrote some of the queue: re-checks the watermarks (OnDrained).
  void OnWritten();

  /// The outbound connection is up (TCP, and TLS with a verified peer).
  void MarkEstablished() { established_ = true; }
  /// The outbound TLS handshake failed (C-03): what was queued fails with 403, not 408.
  void MarkTlsFailed() { tls_failed_ = true; }

  /// the end-line of transaction `out_tid` (one of ours, 16 characters) was just sent
  /// here; its timer starts once the transport has written it (TakeWrittenEnds).
  void NoteTransactionEnd(std::string_view out_tid);
  /// Calls `fn(tid)` for each transaction whose end-line the transport has written since the
  /// last call, in order (each once). `fn` must not note further ends.
  template <typename Fn>
  void TakeWrittenEnds(Fn&& fn) {
    if (pending_ends_head_ == pending_ends_.size()) return;
    const uint64_t written = written_total();
    while (pending_ends_head_ < pending_ends_.size() && pending_ends_[pending_ends_head_].end_offset <= written) {
      const PendingEnd& e = pending_ends_[pending_ends_head_++];
      fn(std::string_view(e.tid, e.tid_size));
    }
    CompactPendingEnds();
  }

  /// Frees what a quiet connection need not keep (parsed-path caches, the framer's spare
  /// headers) when nothing was read or written for `quiet_ms` (ms) before `now_ms`.
  void ReleaseIdleState(uint64_t now_ms, uint64_t quiet_ms);

  /// Asks the engine to call back from the loop (e.g. to finish work deferred while the
  /// connection waited for another one).
  void RequestProcess() { events_.ScheduleProcess(*this); }

  ConnectionId id() const { return id_; }
  /// True for a connection this relay opened (to another relay or a relay-less peer).
  bool outbound() const { return outbound_; }
  /// Outbound: TCP connected and, with TLS, the handshake done (peer certificate verified).
  bool established() const { return established_; }
  /// Outbound: the TLS handshake failed (the peer certificate did not verify, C-03).
  bool tls_failed() const { return tls_failed_; }
  bool closing() const { return closing_; }
  bool is_tls() const { return info_.tls; }
  const std::string& peer() const { return info_.peer; }
  const std::string& peer_ip() const { return info_.peer_ip; }
  uint16_t listener_port() const { return info_.listener_port; }
  /// Engine time of the last byte read or queued.
  uint64_t last_activity_ms() const { return last_activity_ms_; }
  /// Reading of the sources is paused for this destination: the queue passed the high
  /// watermark and has not yet fallen below the low one (hysteresis).
  bool above_high() const { return above_high_; }
  /// The queue is above the high watermark now, and has been since over_high_since_ms()
  /// (limits.stall_timeout measures this, not the pause).
  bool over_high() const { return over_high_; }
  uint64_t over_high_since_ms() const { return over_high_since_ms_; }
  /// Bytes ever passed to Send(), and of those the ones the transport has written (exact when
  /// the queue is empty; TLS record overhead in the queue may make it lag by a few bytes).
  uint64_t queued_total() const { return queued_total_; }
  uint64_t written_total() const;
  bool close_after_flush() const { return close_after_flush_; }
  /// Why the connection closed (empty before).
  const std::string& close_reason() const { return close_reason_; }
  /// The reason given to CloseAfterFlush (empty before).
  const std::string& close_after_flush_reason() const { return close_reason_pending_; }
  /// True while a message body is being read.
  bool framer_in_body() const { return framer_.in_body(); }
  /// Bytes held back while paused (bounded: one transport read).
  size_t held_bytes() const { return held_plain_.size(); }
  void set_framer_limits(FramerLimits limits) { framer_.set_limits(limits); }
  void set_queue_limits(QueueLimits limits) { queue_limits_ = limits; }

  /// MSRP state the engine keeps per connection.
  InboundRoute route;                       ///< what to do with the current message's bytes
  std::vector<std::string> session_ids;     ///< sessions minted for this client connection
  std::vector<std::string> relay_session_ids;  ///< relay-bound sessions minted over it (refresh lookup only)
  std::vector<ConnectionId> paused_sources; ///< connections this one paused (above high watermark)
  /// R-18 multiplexing of what goes out on this connection: at most one source streams a SEND
  /// piece at a time; others wait in order; whole frames (responses, REPORTs, other requests)
  /// cut the open piece with '+' and go out between pieces.
  ConnectionId stream_owner = 0;            ///< source connection whose piece is (or may be) open here
  /// Sources waiting to stream here, in arrival order (a vector: an empty std::deque costs an
  /// allocation per connection, and waiters are few).
  std::vector<ConnectionId> stream_waiters;
  PathCache to_path_cache;                  ///< last To-Path received, parsed
  PathCache from_path_cache;                ///< last From-Path received, parsed
  std::string nonce_binding;                ///< binds Digest nonces to this connection (A-05)
  std::string opaque;                       ///< Digest opaque sent in challenges
  std::vector<std::pair<std::string, uint32_t>> nonce_counts;  ///< last nc per nonce (A-18)
  uint32_t auth_failures = 0;               ///< 401s without stale (A-16)
  /// The relay at the other end, lower case, when proven by TLS: the host we dialled and
  /// verified (C-03), or the inbound peer whose client certificate matched From-Path[0].
  std::string relay_identity;
  bool had_success = false;                 ///< a request succeeded (ends probation, C-05)
  uint64_t opened_ms = 0;                   ///< engine time at open
  uint64_t close_requested_ms = 0;          ///< engine time of CloseAfterFlush

 private:
  // Framer::Sink
  void OnHead(MessageHead& head) override;
  void OnBody(std::string_view bytes) override;
  void OnEnd(EndFlag flag) override;
  void OnFrameError(const FrameError& error) override;

  /// Into the framer; keeps what a pause (from inside a callback) left unread.
  void FeedFramer(std::string_view plain);
  void CheckWatermarks();
  /// Drops the taken entries of pending_ends_ (all of them, or once they are most of it).
  void CompactPendingEnds();

  ConnectionId id_;
  Transport& transport_;
  ConnectionEvents& events_;
  Framer framer_;
  QueueLimits queue_limits_;
  Counters& counters_;
  PeerInfo info_;
  uint64_t last_activity_ms_ = 0;
  std::string held_plain_;            ///< plaintext not yet fed (reading paused mid-buffer)
  std::string close_reason_pending_;  ///< reason given to CloseAfterFlush
  std::string close_reason_;          ///< reason given to Close
  bool outbound_ = false;
  bool established_ = false;
  bool tls_failed_ = false;
  bool closing_ = false;
  bool close_after_flush_ = false;
  bool above_high_ = false;
  bool over_high_ = false;
  uint64_t over_high_since_ms_ = 0;
  uint64_t queued_total_ = 0;
  /// transactions whose end-line is queued here and not yet written, in queue order.
  struct PendingEnd {
    uint64_t end_offset;  ///< queued_total() once the end-line was queued
    char tid[16];
    uint8_t tid_size;
  };
  std::vector<PendingEnd> pending_ends_;
  size_t pending_ends_head_ = 0;  ///< entries before it were taken
  int pause_count_ = 0;
};

}  // namespace msrp::relay
