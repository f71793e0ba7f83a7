// What a connection does with the bytes of the message it is currently reading: forward them
// to another connection, or discard them (after an error answer or for a local request).
#pragma once

#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "common/end_line_scanner.h"
#include "common/header_values.h"
#include "common/message_head.h"

namespace msrp::relay {

/// Per-source state of the message being read, set in OnHead and cleared in OnEnd.
struct InboundRoute {
  enum class Kind {
    kNone,     ///< between messages
    kForward,  ///< stream the body to `dest` under `out_tid` (RFC 4976 §6.4)
    kDiscard,  ///< read and drop the body (already answered, or nothing to do)
  };
  Kind kind = Kind::kNone;
  bool is_send = false;
  bool is_report = false;        ///< REPORTs are never answered (R-13)
  bool has_body = false;
  uint64_t dest = 0;             ///< destination connection id (kForward)
  std::string out_tid;           ///< transaction id on the destination hop
  uint64_t body_bytes = 0;       ///< body bytes read so far
  uint64_t max_body = 0;         ///< 0 = unbounded (SEND); F-12 bound for other methods
  std::string held_request;      ///< any request but a SEND with a body: its downstream head and
                                 ///< body, held until the end-line and sent as one frame (F-12:
                                 ///< such requests cannot be interrupted, so never half-sent)
  bool respond_ok_at_end = false;  ///< SEND with Failure-Report yes: 200 after the end-line (R-05)
  std::string in_tid;            ///< the request's transaction id on the source hop
  std::string response_to;       ///< To-Path of our response: From-Path[0] as received (R-07)
  std::string response_from;     ///< From-Path of our response: To-Path[0] as received
  FailureReport failure_report = FailureReport::kYes;  ///< SEND only (R-05, R-06)
  std::string from_path;         ///< the request's From-Path as received (REPORT To-Path)
  std::string message_id;        ///< the request's Message-ID, empty when absent
  std::string byte_range;        ///< the request's Byte-Range as received, empty when absent
  int fail_code_at_end = 0;      ///< non-zero: forwarding failed mid-chunk, answer this at the end
  std::string method;            ///< request method
  std::vector<Header> out_headers;  ///< SEND with body: the downstream head, to open further pieces
  ByteRange range;               ///< the request's Byte-Range (defaults when absent)
  uint64_t piece_offset = 0;     ///< body bytes forwarded in earlier downstream pieces of this chunk
  uint64_t piece_bytes = 0;      ///< body bytes in the current downstream piece
  uint32_t pieces_sent = 0;      ///< downstream pieces of this chunk already ended
  bool piece_open = false;       ///< the current piece's head is on `dest` (it owns dest's stream)
  bool waiting = false;          ///< queued in dest's stream_waiters, reading paused
  bool handed = false;           ///< given dest's stream while waiting: FlushWaiting pending, still paused
  bool end_pending = false;      ///< the end-line arrived while waiting: finish after the body
  EndFlag end_flag = EndFlag::kComplete;  ///< that end-line's flag
  std::string waiting_body;      ///< body bytes read while waiting for dest's stream (at most
                                 ///< one plaintext buffer: reading is paused meanwhile)
  EndLineScanner out_scanner;    ///< F-11: finds the downstream end-line inside the body
  std::string sender_session;    ///< session whose client sent this (outbound), for accounting
  std::string receiver_session;  ///< session whose client receives it, for accounting
  std::vector<Header> spent_headers;  ///< the previous message's out_headers, for the framer to
                                      ///< reuse (Forwarder swaps them into the next head)

  /// Makes this the route of no message, as a fresh InboundRoute, except that the short
  /// strings keep their capacity and out_headers moves to spent_headers: a connection reading
  /// message after message allocates nothing here once warm. Strings longer than
  /// kKeptCapacity (a held body) are freed, so an idle connection keeps little.
  void Reset() {
    std::string* kept[] = {&out_tid, &held_request, &in_tid, &response_to, &response_from, &from_path,
                           &message_id, &byte_range, &method, &sender_session, &receiver_session};
    std::string saved[std::size(kept)];
    for (size_t i = 0; i < std::size(kept); ++i) {
      if (kept[i]->capacity() <= kKeptCapacity) saved[i].swap(*kept[i]);
    }
    std::vector<Header> spent;
    spent.swap(out_headers.empty() ? spent_headers : out_headers);
    *this = InboundRoute{};
    for (size_t i = 0; i < std::size(kept); ++i) {
      saved[i].clear();
      kept[i]->swap(saved[i]);
    }
    spent_headers.swap(spent);
  }

  static constexpr size_t kKeptCapacity = 1024;
};

}  // namespace msrp::relay
