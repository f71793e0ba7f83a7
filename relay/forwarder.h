// Request routing and streaming forwarding (RFC 4976 §6.2-§6.4, RFC 4975 §7): checks a request
// head, decides where it goes (or answers it), rewrites To-Path/From-Path with a fresh
// transaction id, streams the body as it arrives, answers SENDs hop by hop, maps responses back
// and generates failure REPORTs.
#pragma once

#include <string>
#include <string_view>

#include "common/message_head.h"
#include "relay/path.h"
#include "relay/relay_context.h"

namespace msrp::relay {

class AuthHandler;

class Forwarder {
 public:
  Forwarder(RelayContext& ctx, AuthHandler& auth) : ctx_(ctx), auth_(auth) {}

  /// A request head arrived on `conn` (R-01, R-02, R-03, S-01, E-05).
  void OnRequestHead(Connection& conn, MessageHead& head);
  /// A response head arrived on `conn` (R-19..R-21).
  void OnResponseHead(Connection& conn, MessageHead& head);
  /// Body bytes of the current message of `conn`.
  void OnBody(Connection& conn, std::string_view bytes);
  /// End-line of the current message of `conn`.
  void OnEnd(Connection& conn, EndFlag flag);

  /// `conn` is closing: interrupt what it was streaming, fail what was forwarded to it
  /// (REPORTs per Failure-Report, C-10), wake the sources it paused.
  void OnConnectionClosing(Connection& conn);
  /// `conn`'s outbound queue drained below the low watermark: resume the sources it paused.
  void OnDrained(Connection& conn);
  /// Fires transaction timers due at `now_ms` (R-08: REPORT 408).
  void ExpireTransactions(uint64_t now_ms);

  /// Sends a bodiless response on `conn` and pauses reading it while its own queue is full.
  void SendResponse(Connection& conn, std::string_view tid, int code, std::string_view to_path,
                    std::string_view from_path, const std::vector<Header>& extra = {});

 private:
  /// Answers a request the relay will not forward, following Failure-Report for SEND,
  /// never answering REPORT, and discards its body.
  void Reject(Connection& conn, int code, const std::string& why);
  void SendReport(const PendingTransaction& txn, int code, std::string_view comment);
  /// Streams SEND body bytes to `dest`, cutting the downstream chunk where the body holds its
  /// own end-line (F-11). Other methods' bodies are sent as they are.
  void ForwardBody(InboundRoute& r, Connection& dest, std::string_view bytes);
  /// Sends body bytes of the current downstream piece and counts them.
  void SendPiece(InboundRoute& r, Connection& dest, std::string_view bytes);
  /// Ends the current downstream piece with '+' and opens the next one: fresh transaction id,
  /// Byte-Range start moved on.
  void StartNewPiece(InboundRoute& r, Connection& dest);
  /// Writes the held-back body bytes and the end-line with `flag` for the current piece.
  void EndPiece(InboundRoute& r, Connection& dest, EndFlag flag);
  void SendLocalReport(Connection& conn, int code);
  void PauseIfBusy(Connection& source, Connection& dest);
  /// Adds a forwarded message's body bytes to its sessions' counters.
  void Account(const InboundRoute& r);

  RelayContext& ctx_;
  AuthHandler& auth_;
};

}  // namespace msrp::relay
