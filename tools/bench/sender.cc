// Sender: chunking (Byte-Range, '+'/'$' flags), output backpressure, and response accounting.
#include "tools/bench/sender.h"

#include <charconv>

namespace msrp::bench {

namespace {

constexpr size_t kQueueHigh = 256 * 1024;  // stop writing chunks above this much queued output

void AppendNumber(std::string& out, uint64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

/// Parses "s<seq>c<chunk>"; false when the tid is not ours.
bool ParseTid(std::string_view tid, uint64_t* seq) {
  if (tid.size() < 4 || tid[0] != 's') return false;
  auto c = tid.find('c');
  if (c == std::string_view::npos) return false;
  auto [p, ec] = std::from_chars(tid.data() + 1, tid.data() + c, *seq);
  return ec == std::errc() && p == tid.data() + c;
}

}  // namespace

void Sender::Pump() {
  StreamConn& c = conn();
  // Bounded: each round writes one chunk or stops.
  for (int i = 0; i < 100000; ++i) {
    if (!ready() || failed() || c.closed()) return;
    if (c.pending() >= kQueueHigh) {
      c.Flush();
      if (c.closed() || c.pending() >= kQueueHigh) break;
    }
    if (!has_current_) {
      if (!run_.CanStart(*pair_)) break;
      cur_seq_ = pair_->next_seq++;
      cur_offset_ = 0;
      cur_chunk_ = 0;
      has_current_ = true;
      InFlight& m = pair_->inflight[cur_seq_];
      m.start_ns = run_.TakeStartNs(*pair_);
      m.chunks_total = static_cast<uint32_t>((run_.options.size + run_.options.chunk - 1) / run_.options.chunk);
      run_.totals.started++;
    }
    WriteChunk();
  }
  if (!c.closed()) c.Flush();
}

void Sender::WriteChunk() {
  const uint64_t size = run_.options.size;
  const uint64_t len = std::min<uint64_t>(run_.options.chunk, size - cur_offset_);
  const bool last = cur_offset_ + len == size;
  head_.clear();
  std::string tid = "s";
  AppendNumber(tid, cur_seq_);
  tid += 'c';
  AppendNumber(tid, cur_chunk_);
  head_ += "MSRP ";
  head_ += tid;
  head_ += " SEND\r\nTo-Path: ";
  head_ += pair_->to_path;
  head_ += "\r\nFrom-Path: ";
  head_ += pair_->sender_uri;
  head_ += "\r\nMessage-ID: P";
  AppendNumber(head_, pair_->index);
  head_ += 'S';
  AppendNumber(head_, cur_seq_);
  head_ += "\r\nByte-Range: ";
  AppendNumber(head_, cur_offset_ + 1);
  head_ += '-';
  AppendNumber(head_, cur_offset_ + len);
  head_ += '/';
  AppendNumber(head_, size);
  head_ += "\r\nContent-Type: application/octet-stream\r\n\r\n";
  conn().Write(head_);
  conn().Write(run_.payload.Slice(pair_->index, cur_seq_, cur_offset_, static_cast<size_t>(len)));
  head_.clear();
  head_ += "\r\n-------";
  head_ += tid;
  head_ += last ? '$' : '+';
  head_ += "\r\n";
  conn().Write(head_);
  run_.totals.chunks_sent++;
  cur_offset_ += len;
  cur_chunk_++;
  if (last) has_current_ = false;
}

void Sender::OnTrafficHead(const FrameHead& head) {
  if (head.is_request) {
    if (head.method == "REPORT") {
      std::string_view status = head.Get("Status");
      if (status.substr(0, 7) != "000 200") run_.Error("REPORT " + std::string(status.substr(0, 7)));
    }
    return;  // requests toward a sender are not answered (none are expected)
  }
  uint64_t seq = 0;
  if (!ParseTid(head.tid, &seq)) {
    run_.Error("response with a foreign transaction id");
    return;
  }
  auto it = pair_->inflight.find(seq);
  if (head.status != 200) {
    run_.Error("status " + std::to_string(head.status));
    if (it != pair_->inflight.end() && !(has_current_ && cur_seq_ == seq)) {
      run_.Abandon(*pair_, seq);
      Pump();
    }
    return;
  }
  run_.totals.oks++;
  if (it == pair_->inflight.end()) return;  // abandoned earlier
  it->second.chunks_acked++;
  run_.MaybeFinish(*pair_, seq);
}

void Sender::OnLost(const std::string& why) {
  pair_->dead = true;
  if (!pair_->inflight.empty()) run_.Error("lost with its connection", pair_->inflight.size());
  pair_->inflight.clear();
  has_current_ = false;
  if (!run_.sending && run_.on_quiet) run_.on_quiet();
}

}  // namespace msrp::bench
