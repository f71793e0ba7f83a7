// Request routing and streaming forwarding (RFC 4976 §6.2-§6.4, RFC 4975 §7): checks a request
// head, decides where it goes (or answers it), rewrites To-Path/From-Path with a fresh
// transaction id, streams the body as it arrives, answers SENDs hop by hop, maps responses back
// and generates failure REPORTs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/message_head.h"
#include "relay/engine/path.h"
#include "relay/engine/relay_context.h"

namespace msrp::relay {

class AuthHandler;

class Forwarder {
 public:
  Forwarder(RelayContext& ctx, AuthHandler& auth) : ctx_(ctx), auth_(auth) {}

  /// A request head arrived on `conn`: the request path of request_path.cc (R-01, R-02,
  /// R-03, S-01, E-05).
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
  /// A source was handed its destination's stream (or the destination closed) while it
  /// waited: forwards the body bytes it read meanwhile, then its end-line if that arrived
  /// too, then lets it read on. Called from the loop (never re-entrantly).
  void FlushWaiting(Connection& conn);
  /// Fires transaction timers due at `now_ms` (R-08: REPORT 408).
  void ExpireTransactions(uint64_t now_ms);

  /// Some of `conn`'s queue was written (or an outbound connection came up and flushed what
  /// it queued): the timers of the transactions whose end-line is now written start.
  void ArmWrittenTransactions(Connection& conn);

  /// Sends a bodiless response on `conn` and pauses reading it while its own queue is full.
  void SendResponse(Connection& conn, std::string_view tid, int code, std::string_view to_path,
                    std::string_view from_path, const std::vector<Header>& extra = {});

 private:
  /// Answers a request the relay will not forward, following Failure-Report for SEND,
  /// never answering REPORT, and discards its body.
  void Reject(Connection& conn, int code, const std::string& why);
  void SendReport(const PendingTransaction& txn, int code, std::string_view comment);
  /// Sends a whole frame (response, REPORT, held request) on `dest`. A piece another source
  /// has open there is ended first with '+', so frames never land inside a body.
  void SendFrame(Connection& dest, std::string_view frame);
  /// Ends the piece another source has open on `dest` with '+'.
  void CutOpenPiece(Connection& dest);
  /// True when `src` owns `dest`'s stream (taking it when free and nobody waits); otherwise
  /// queues `src` as a waiter and pauses its reading.
  bool AcquireStream(Connection& src, InboundRoute& r, Connection& dest);
  /// Frees `dest`'s stream and hands it to the first live waiter, which resumes reading.
  void ReleaseStream(Connection& dest);
  /// `src` is done with `dest` (chunk ended or source closing): leaves its waiter slot or
  /// releases the stream it owns.
  void LeaveStream(Connection& src, InboundRoute& r, Connection& dest);
  /// Forwards SEND body bytes: waits for dest's stream, opens pieces, ends a piece once it
  /// holds limits.outgoing_chunk_bytes and then lets a waiting source go first.
  void StreamBody(Connection& src, InboundRoute& r, Connection& dest, std::string_view bytes);
  /// Body bytes of the current piece, sent or held back by the F-11 scanner.
  static uint64_t PieceFill(const InboundRoute& r);
  /// Head of the next downstream piece; for a further piece of the chunk a fresh transaction
  /// id (with its own pending transaction) and the Byte-Range start moved on.
  std::string NextPieceHead(InboundRoute& r);
  /// Sends the next piece's head on `dest` and makes `src` the stream owner.
  void OpenPiece(Connection& src, InboundRoute& r, Connection& dest);
  /// Marks `txn`'s end-line as sent on `dest`; its timer starts once the transport has
  /// written it (R-08: "when the last byte of the forwarded chunk has been written"), at once
  /// when nothing is queued before it.
  void EndTransaction(PendingTransaction* txn, Connection& dest);
  /// The end of the current request: ends what went downstream, answers the sender (200 or
  /// the failure), counts it and clears the route.
  void FinishRequest(Connection& conn, EndFlag flag);
  /// Writes the held-back body bytes and the end-line with `flag` for the open piece and arms
  /// its transaction timer.
  void ClosePiece(InboundRoute& r, Connection& dest, EndFlag flag);
  /// The upstream end-line (or an abort) for the current request: ends the open piece, or
  /// sends the held request or a bodiless final piece as one frame; then leaves the stream.
  void EndChunk(Connection& src, InboundRoute& r, Connection& dest, EndFlag flag);
  /// Streams body bytes into the open piece, cutting it where the body holds its own
  /// end-line (F-11).
  void ForwardBody(InboundRoute& r, Connection& dest, std::string_view bytes);
  /// Sends body bytes of the current downstream piece and counts them.
  void SendPiece(InboundRoute& r, Connection& dest, std::string_view bytes);
  void SendLocalReport(Connection& conn, int code);
  void PauseIfBusy(Connection& source, Connection& dest);
  /// Adds a forwarded request's body bytes to its sessions' counters, and counts a message
  /// once its last chunk ended (`flag` not '+': a message sent in 1024 chunks is one message).
  void Account(const InboundRoute& r, EndFlag flag);

  /// who sent a request on `conn`, given its From-Path[0].
  enum class PeerKind { kClient, kRelay, kDeniedRelay };
  /// A relay when the connection is TLS and the peer is already known as the relay named by
  /// From-Path[0], or its client certificate verifies and matches that host (then it is
  /// remembered, and the connection joins the next-hop pool for that URI, C-06); a relay
  /// refused by peers.relays is kDeniedRelay; anything else is a client.
  PeerKind ClassifyPeer(Connection& conn, const Uri& from0);
  /// True when `next` is an msrps: URI of the relay `relay` (lower-case host).
  static bool TowardRelay(const Uri& next, const std::string& relay);
  /// The connection toward a next hop that is not this relay (NextHopPool::Get); on failure
  /// rejects the request with 403 and returns nullptr.
  Connection* NextHopConnection(Connection& conn, const Uri& next);

  // The request path (request_path.cc), in order.

  /// The paths of a request head as received: parsed (cached per connection) or the error.
  struct RequestPaths {
    const Result<ParsedPath>* to = nullptr;
    const Result<ParsedPath>* from = nullptr;
    std::string_view from_value;  ///< the From-Path header as received (empty when absent)
  };
  /// Where a request goes: our URIs it consumes (1 or 2, To-Path order) and the connection.
  struct NextHop {
    std::vector<std::string> hops;
    ConnectionId dest = 0;
  };
  /// Step 1: resets the route of `conn` for `head` and reads the fields every later step and
  /// every answer needs (tid, method, Message-ID, Byte-Range, where a response goes).
  RequestPaths ReadRequestHeaders(Connection& conn, const MessageHead& head);
  /// Step 2 (RFC 4975 §9, RFC 4976 §6.2, §8): header order, parsable paths, ports (U-07),
  /// Byte-Range on any method (F-15), Failure-Report, the message size limit (E-03). On a
  /// problem answers it (400, 413; a REPORT gets nothing, R-13) or closes the connection when
  /// no answer can be addressed, and returns false.
  bool CheckRequest(Connection& conn, const MessageHead& head, const RequestPaths& paths);
  /// Step 5 (RFC 4976 §6.4, R-01, R-02, S-01..S-04): our URI first, a live session, the
  /// sender allowed to use it, and the connection toward the next hop. Rejects (403, 481,
  /// 501) and returns false otherwise.
  bool ChooseNextHop(Connection& conn, const MessageHead& head, const ParsedPath& to, PeerKind peer_kind,
                     NextHop& next);
  /// Step 6: rewrites To-Path and From-Path in place, gives the hop a fresh
  /// transaction id, records the pending transaction and routes the body to `next.dest`.
  void ForwardRequest(Connection& conn, MessageHead& head, const ParsedPath& to, NextHop& next);

  RelayContext& ctx_;
  AuthHandler& auth_;
};

}  // namespace msrp::relay
