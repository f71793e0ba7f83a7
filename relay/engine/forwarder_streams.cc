// Forwarder, per-destination multiplexing (RFC 4975 §7.1.1, R-11, R-17, R-18): one source at a
// time streams a piece to a connection, whole frames cut the open piece with '+', waiting
// sources take turns, long chunks are split at limits.outgoing_chunk_bytes, and bodies are
// scanned for the downstream end-line (F-11).
#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/writer.h"
#include "relay/engine/forwarder.h"

namespace msrp::relay {

void Forwarder::SendFrame(Connection& dest, std::string_view frame) {
  CutOpenPiece(dest);
  dest.Send(frame);
}

void Forwarder::CutOpenPiece(Connection& dest) {
  // nothing goes inside another source's piece: end that piece here ('+'); its source
  // opens the next piece with its next body bytes.
  if (dest.stream_owner == 0) return;
  auto it = ctx_.connections.find(dest.stream_owner);
  if (it == ctx_.connections.end()) return;
  InboundRoute& owner = it->second->route;
  if (owner.piece_open && owner.dest == dest.id()) {
    ClosePiece(owner, dest, EndFlag::kMore);
    ctx_.counters.pieces_cut_for_frames++;
  }
}

bool Forwarder::AcquireStream(Connection& src, InboundRoute& r, Connection& dest) {
  if (dest.stream_owner == src.id()) return true;
  if (dest.stream_owner == 0 && dest.stream_waiters.empty()) {
    dest.stream_owner = src.id();
    return true;
  }
  if (!r.waiting) {
    r.waiting = true;
    dest.stream_waiters.push_back(src.id());
    src.PauseReading();
    ctx_.counters.stream_waits++;
    SPDLOG_DEBUG("[c{}] waits for c{}'s stream (owner c{}, {} waiting)", src.id(), dest.id(), dest.stream_owner,
                 dest.stream_waiters.size());
  }
  return false;
}

void Forwarder::ReleaseStream(Connection& dest) {
  dest.stream_owner = 0;
  while (!dest.stream_waiters.empty()) {
    uint64_t next = dest.stream_waiters.front();
    dest.stream_waiters.erase(dest.stream_waiters.begin());
    Connection* w = ctx_.Live(next);
    if (w == nullptr || !w->route.waiting) continue;
    // Hand the stream over directly, so no later source overtakes the waiter while it is
    // scheduled. It stays paused until its held body (and end-line) went out from the loop
    // (FlushWaiting), so nothing it reads can overtake those bytes.
    dest.stream_owner = next;
    w->route.waiting = false;
    w->route.handed = true;
    w->RequestProcess();
    return;
  }
}

void Forwarder::FlushWaiting(Connection& conn) {
  InboundRoute& r = conn.route;
  if (!r.handed) return;
  r.handed = false;
  std::string body;
  body.swap(r.waiting_body);
  Connection* dest = r.kind == InboundRoute::Kind::kForward ? ctx_.Live(r.dest) : nullptr;
  if (dest == nullptr) {
    if (r.kind == InboundRoute::Kind::kForward) {
      r.kind = InboundRoute::Kind::kDiscard;
      if (r.fail_code_at_end == 0) r.fail_code_at_end = 481;
    }
  } else if (!body.empty()) {
    StreamBody(conn, r, *dest, body);
    PauseIfBusy(conn, *dest);
  }
  if (r.end_pending && !r.waiting) {
    r.end_pending = false;
    FinishRequest(conn, r.end_flag);
  }
  conn.ResumeReading();  // the pause taken when it started waiting
}

void Forwarder::StreamBody(Connection& src, InboundRoute& r, Connection& dest, std::string_view bytes) {
  if (r.waiting || r.handed || !AcquireStream(src, r, dest)) {
    r.waiting_body.append(bytes);
    return;
  }
  const uint64_t limit = ctx_.config->limits.outgoing_chunk_bytes;
  while (!bytes.empty()) {
    // A Send may close either end (a queue over limits.max_queue_bytes), and closing a
    // connection resets its route: nothing more of these bytes goes anywhere then.
    if (src.closing() || dest.closing()) return;
    // a full piece is ended, unless the source is at limits.max_pending_transactions
    // (each piece is a transaction of its own): then the piece grows instead.
    if (r.piece_open && limit != 0 && PieceFill(r) >= limit &&
        ctx_.transactions.CountBySource(src.id()) < ctx_.config->limits.max_pending_transactions) {
      // the piece is full: end it; another source waiting for dest goes next.
      ClosePiece(r, dest, EndFlag::kMore);
      ctx_.counters.pieces_split_for_size++;
      if (!dest.stream_waiters.empty()) {
        r.waiting = true;
        dest.stream_waiters.push_back(src.id());
        src.PauseReading();
        ReleaseStream(dest);
        r.waiting_body.append(bytes);
        return;
      }
    }
    if (!r.piece_open) OpenPiece(src, r, dest);
    size_t n = bytes.size();
    if (limit != 0 && PieceFill(r) < limit) n = static_cast<size_t>(std::min<uint64_t>(n, limit - PieceFill(r)));
    ForwardBody(r, dest, bytes.substr(0, n));
    bytes.remove_prefix(n);
  }
}

uint64_t Forwarder::PieceFill(const InboundRoute& r) { return r.piece_bytes + r.out_scanner.held(); }

std::string Forwarder::NextPieceHead(InboundRoute& r) {
  if (r.pieces_sent > 0) {
    // A further piece of the same chunk: fresh tid, Byte-Range start moved on.
    ByteRange next;
    next.start = r.range.start + r.piece_offset;
    next.total = r.range.total;
    bool replaced = false;
    for (auto& h : r.out_headers) {
      if (EqualsIgnoreCase(h.name, "Byte-Range")) {
        h.value = FormatByteRange(next);
        replaced = true;
      }
    }
    // Later chunks MUST carry Byte-Range (F-15); Content-Type stays last (F-07).
    if (!replaced) r.out_headers.insert(r.out_headers.end() - 1, Header{"Byte-Range", FormatByteRange(next)});
    std::string tid = NewTransactionId();
    if (PendingTransaction* old = ctx_.transactions.Find(r.dest, r.out_tid)) {
      PendingTransaction txn = *old;
      txn.out_tid = tid;
      txn.range = next;
      txn.bytes_forwarded = 0;
      txn.armed = false;
      txn.ended = false;
      ctx_.transactions.Add(std::move(txn));
    }
    r.out_tid = std::move(tid);
    r.out_scanner.Reset(r.out_tid);
  }
  std::string head;
  AppendRequestHead(head, r.out_tid, r.method, r.out_headers, true);
  return head;
}

void Forwarder::OpenPiece(Connection& src, InboundRoute& r, Connection& dest) {
  dest.Send(NextPieceHead(r));
  dest.stream_owner = src.id();
  r.piece_open = true;
  r.piece_bytes = 0;
}

void Forwarder::ClosePiece(InboundRoute& r, Connection& dest, EndFlag flag) {
  std::string held;
  if (r.out_scanner.held() + 2 == r.out_scanner.end_line_length()) {
    // F-11: the body bytes held back are this piece's whole end-line but its CRLF; the CRLF
    // that starts our end-line would complete it. They go into a piece of their own instead
    // (under a fresh tid they are plain body), and that piece is closed with `flag`.
    r.out_scanner.Flush([&](std::string_view b) { held.assign(b); });
  } else {
    r.out_scanner.Flush([&](std::string_view b) { SendPiece(r, dest, b); });
  }
  std::string end;
  AppendEndLine(end, r.out_tid, held.empty() ? flag : EndFlag::kMore, true);
  dest.Send(end);
  if (PendingTransaction* txn = ctx_.transactions.Find(r.dest, r.out_tid)) {
    EndTransaction(txn, dest);
  }
  r.piece_open = false;
  r.piece_offset += r.piece_bytes;
  r.piece_bytes = 0;
  r.pieces_sent++;
  if (held.empty()) return;
  dest.Send(NextPieceHead(r));
  r.piece_open = true;
  SendPiece(r, dest, held);  // starts with the old tid's end-line: cannot match the new one
  ClosePiece(r, dest, flag);
}

void Forwarder::EndChunk(Connection& src, InboundRoute& r, Connection& dest, EndFlag flag) {
  if (r.out_headers.empty()) {
    // Sent whole: head, body and end-line in one frame; an upstream '#' too (R-17: the
    // receiver learns that the message was aborted).
    AppendEndLine(r.held_request, r.out_tid, flag, r.has_body);
    SendFrame(dest, r.held_request);
    if (PendingTransaction* txn = ctx_.transactions.Find(r.dest, r.out_tid)) {
      EndTransaction(txn, dest);
    }
    r.held_request.clear();
  } else if (r.piece_open) {
    ClosePiece(r, dest, flag);
  } else if (!r.waiting_body.empty()) {
    // Body bytes still wait for dest's stream (the source is closing or over a limit): they
    // go out now as one piece between the owner's pieces, like a frame.
    const uint64_t owner = dest.stream_owner;
    if (owner != src.id()) CutOpenPiece(dest);
    std::string body;
    body.swap(r.waiting_body);
    OpenPiece(src, r, dest);
    ForwardBody(r, dest, body);
    ClosePiece(r, dest, flag);
    dest.stream_owner = owner;
  } else {
    // No piece open (an empty body, or the last piece was cut for a frame): the end-line goes
    // out in a piece of its own, as one frame; '#' too, even with nothing before it (R-17:
    // earlier chunks of the message may have gone out, and the receiver must learn of the
    // abort).
    std::string frame = NextPieceHead(r);
    AppendEndLine(frame, r.out_tid, flag, true);
    SendFrame(dest, frame);
    r.pieces_sent++;
    if (PendingTransaction* txn = ctx_.transactions.Find(r.dest, r.out_tid)) {
      EndTransaction(txn, dest);
    }
  }
  LeaveStream(src, r, dest);
}

void Forwarder::LeaveStream(Connection& src, InboundRoute& r, Connection& dest) {
  if (r.waiting) {
    auto& w = dest.stream_waiters;
    w.erase(std::remove(w.begin(), w.end(), src.id()), w.end());
    r.waiting = false;
    src.ResumeReading();
  }
  if (r.handed) {
    r.handed = false;
    src.ResumeReading();
  }
  r.waiting_body.clear();
  if (dest.stream_owner == src.id()) ReleaseStream(dest);
}

void Forwarder::SendPiece(InboundRoute& r, Connection& dest, std::string_view bytes) {
  dest.Send(bytes);
  r.piece_bytes += bytes.size();
  if (PendingTransaction* txn = ctx_.transactions.Find(r.dest, r.out_tid)) txn->bytes_forwarded += bytes.size();
}

void Forwarder::ForwardBody(InboundRoute& r, Connection& dest, std::string_view bytes) {
  while (!bytes.empty()) {
    if (dest.closing() || r.kind != InboundRoute::Kind::kForward) return;  // see StreamBody
    auto step = r.out_scanner.Scan(bytes, [&](std::string_view b) { SendPiece(r, dest, b); });
    if (!step.found) return;
    // The body holds "CRLF -------<our tid><flag> CRLF": cut the piece before it, and send
    // those bytes as body of the next piece, whose tid differs (F-11).
    std::string matched = "\r\n-------" + r.out_tid;
    matched.push_back(static_cast<char>(step.flag));
    matched.append("\r\n");
    ClosePiece(r, dest, EndFlag::kMore);
    dest.Send(NextPieceHead(r));
    r.piece_open = true;
    SendPiece(r, dest, matched);
    bytes.remove_prefix(step.consumed);
  }
}

}  // namespace msrp::relay
