// Receiver: Message-ID/Byte-Range parsing, byte-exact verification, 200 OK per SEND, delivery.
#include "tools/bench/receiver.h"

#include <charconv>

#include "tools/bench/sender.h"

namespace msrp::bench {

namespace {

bool ParseUint(std::string_view s, uint64_t* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

/// "P<pair>S<seq>" -> pair, seq.
bool ParseMessageId(std::string_view id, uint64_t* pair, uint64_t* seq) {
  if (id.size() < 4 || id[0] != 'P') return false;
  auto s = id.find('S');
  if (s == std::string_view::npos) return false;
  return ParseUint(id.substr(1, s - 1), pair) && ParseUint(id.substr(s + 1), seq);
}

/// Start of "start-end/total" (end may be '*', total may be '*').
bool ParseRangeStart(std::string_view range, uint64_t* start) {
  auto dash = range.find('-');
  return dash != std::string_view::npos && ParseUint(range.substr(0, dash), start) && *start >= 1;
}

}  // namespace

void Receiver::OnTrafficHead(const FrameHead& head) {
  in_send_ = false;
  if (!head.is_request) return;  // nothing is expected; responses to receivers are ignored
  if (head.method != "SEND") return;
  uint64_t pair = 0, seq = 0, start = 0;
  if (!ParseMessageId(head.Get("Message-ID"), &pair, &seq) || pair >= run_.pairs.size()) {
    Abort("SEND with a foreign Message-ID");
    return;
  }
  if (pair_ == nullptr) {
    pair_ = &run_.pairs[pair];  // direct mode: bind on the first SEND
    if (uri.empty()) uri = pair_->receiver_uri;
  } else if (pair_->index != pair) {
    Abort("SEND delivered to the wrong receiver");
    return;
  }
  std::string_view range = head.Get("Byte-Range");
  if (range.empty()) {
    start = 1;
  } else if (!ParseRangeStart(range, &start)) {
    Abort("SEND with a bad Byte-Range");
    return;
  }
  std::string_view from = head.Get("From-Path");
  reply_to_.assign(from.substr(0, from.find(' ')));
  tid_ = head.tid;
  in_send_ = true;
  cur_pair_ = static_cast<uint32_t>(pair);
  cur_seq_ = seq;
  cur_offset_ = start - 1;
  chunk_bytes_ = 0;
  chunk_bad_ = false;
}

void Receiver::OnTrafficBody(std::string_view bytes) {
  if (!in_send_) return;
  if (cur_offset_ + bytes.size() > run_.options.size ||
      !run_.payload.Matches(cur_pair_, cur_seq_, cur_offset_, bytes)) {
    run_.totals.mismatched_bytes += bytes.size();
    chunk_bad_ = true;
  }
  cur_offset_ += bytes.size();
  chunk_bytes_ += bytes.size();
}

void Receiver::OnTrafficEnd(char flag) {
  if (!in_send_) return;
  in_send_ = false;
  // Answer the SEND hop by hop, as an endpoint does (RFC 4975 §7.2).
  out_.clear();
  out_ += "MSRP ";
  out_ += tid_;
  out_ += " 200 OK\r\nTo-Path: ";
  out_ += reply_to_;
  out_ += "\r\nFrom-Path: ";
  out_ += uri;
  out_ += "\r\n-------";
  out_ += tid_;
  out_ += "$\r\n";
  conn().Write(out_);

  PairState& pair = run_.pairs[cur_pair_];
  if (chunk_bad_) run_.Error("body bytes did not match");
  auto it = pair.inflight.find(cur_seq_);
  if (it == pair.inflight.end()) {
    run_.Error("chunk of a message not in flight");
    return;
  }
  InFlight& m = it->second;
  if (cur_offset_ - chunk_bytes_ != m.next_offset) run_.totals.out_of_order_chunks++;
  m.next_offset = cur_offset_;
  if (!chunk_bad_) {
    m.received += chunk_bytes_;
    run_.totals.delivered_bytes += chunk_bytes_;
  }
  if (flag == '#') {
    run_.Error("message aborted ('#')");
    run_.Abandon(pair, cur_seq_);
    if (pair.sender != nullptr && run_.sending) pair.sender->Pump();
    return;
  }
  if (m.received > run_.options.size) {
    run_.Error("more bytes than the message has");
    run_.Abandon(pair, cur_seq_);
    if (pair.sender != nullptr && run_.sending) pair.sender->Pump();
    return;
  }
  // Chunks may arrive out of order (a relay with several workers): the message is delivered
  // when all its bytes are here, whichever chunk carried the '$'.
  if (m.received < run_.options.size) return;
  uint64_t now = RunState::NowNs();
  m.delivered = true;
  run_.latency.Add(now - m.start_ns);
  run_.totals.delivered++;
  run_.last_done_ns = now;
  run_.MaybeFinish(pair, cur_seq_);
}

void Receiver::OnLost(const std::string& why) {
  if (pair_ == nullptr) return;
  pair_->dead = true;
  if (!pair_->inflight.empty()) run_.Error("lost with its connection", pair_->inflight.size());
  pair_->inflight.clear();
  if (!run_.sending && run_.on_quiet) run_.on_quiet();
}

}  // namespace msrp::bench
