// The relay engine's only window on the world (the sans-I/O boundary): what it asks of the
// connections it does not own, and the clock. The libuv + OpenSSL server (relay/net/) is one
// implementation; the in-memory transport of the fuzzer and the simulation tests is another.
//
// The engine calls these from inside its event handlers (Engine::OnRead, OnTick, ...). An
// implementation must never call back into the Engine from inside one of these calls: what
// it has to report (a write error, a finished dial) it reports later, as a new event.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace msrp::relay {

/// Names a connection for the engine and its transport. Never 0; never reused in a process.
using ConnectionId = uint64_t;

/// An outbound connection the engine wants (RFC 4976 §6.4, C-06): to the authority of a
/// next-hop URI.
struct DialTarget {
  bool tls = true;                ///< msrps: TLS with the peer's name verified (C-03); msrp: plain TCP
  std::string host;               ///< DNS name or IP literal (no brackets), as in the URI
  std::optional<uint16_t> port;   ///< nullopt: the URI has none (SRV, then 2855; U-08)
};

class Transport {
 public:
  virtual ~Transport() = default;

  /// Queues `bytes` for the peer of `id`, after everything queued before. Never blocks; an
  /// outbound connection still coming up keeps them until it is established.
  virtual void Write(ConnectionId id, std::string_view bytes) = 0;

  /// Bytes accepted by Write() for `id` and not yet written to the network.
  virtual uint64_t QueuedBytes(ConnectionId id) const = 0;

  /// Stops delivering bytes read from `id` (Engine::OnRead) until ResumeReading(): the peer
  /// is no longer read, so TCP pushes back on it. Bytes of a read already under way may still
  /// arrive once.
  virtual void PauseReading(ConnectionId id) = 0;
  virtual void ResumeReading(ConnectionId id) = 0;

  /// Closes `id` now. `reason` is for the log. The transport reports nothing more for `id`.
  virtual void Close(ConnectionId id, const std::string& reason) = 0;

  /// Stops reading `id` and closes it once its queued bytes are written (a final response).
  /// `reason` is for the log. The transport then reports Engine::OnClosed(id).
  virtual void CloseAfterFlush(ConnectionId id, const std::string& reason) = 0;

  /// Starts an outbound connection (name lookup, connect, TLS client handshake with the peer's
  /// name verified). Returns its id, later followed by Engine::OnEstablished or
  /// Engine::OnClosed; 0 when it cannot even start (e.g. no TLS client context, stopping).
  virtual ConnectionId Dial(const DialTarget& target) = 0;

  /// true when inbound TLS connection `id` presented a client certificate that verified
  /// and names `host` (RFC 6125 rules). False on plain TCP or without a certificate.
  virtual bool PeerCertificateMatches(ConnectionId id, std::string_view host) = 0;

  /// Asks for Engine::RunDeferred() to be called soon from the event loop (never re-entrantly).
  virtual void ScheduleDeferred() = 0;

  /// Monotonic time in milliseconds (the loop's clock; simulated in tests).
  virtual uint64_t NowMs() const = 0;

  /// Wall-clock time in seconds since the epoch (Digest nonce timestamps, A-05, A-08).
  virtual uint64_t WallSeconds() const = 0;
};

}  // namespace msrp::relay
