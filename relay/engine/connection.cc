// Connection (engine side): framer feeding with a counted pause, watermarks over the
// transport's queue, and the close step.
#include "relay/engine/connection.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace msrp::relay {

Connection::Connection(ConnectionId id, Transport& transport, ConnectionEvents& events, FramerLimits framer_limits,
                       QueueLimits queue_limits, Counters& counters, PeerInfo info, bool outbound)
    : id_(id),
      transport_(transport),
      events_(events),
      framer_(this, framer_limits),
      queue_limits_(queue_limits),
      counters_(counters),
      info_(std::move(info)),
      outbound_(outbound) {
  opened_ms = transport_.NowMs();
  last_activity_ms_ = opened_ms;
}

void Connection::Feed(std::string_view plain) {
  if (closing_ || close_after_flush_ || plain.empty()) return;
  last_activity_ms_ = transport_.NowMs();
  if (pause_count_ > 0) {
    held_plain_.append(plain);
    return;
  }
  if (!held_plain_.empty()) {
    // Reading resumed before ProcessHeld ran: the bytes held back go first.
    std::string all;
    all.swap(held_plain_);
    all.append(plain);
    FeedFramer(all);
    return;
  }
  FeedFramer(plain);
}

void Connection::FeedFramer(std::string_view plain) {
  size_t used = framer_.Feed(plain);
  if (used < plain.size() && !framer_.failed() && !closing_ && !close_after_flush_) {
    // Paused from inside a callback: keep the rest (at most one transport read).
    held_plain_.append(plain.substr(used));
  }
}

void Connection::ProcessHeld() {
  if (closing_ || pause_count_ > 0 || held_plain_.empty()) return;
  std::string held;
  held.swap(held_plain_);
  FeedFramer(held);
}

void Connection::OnHead(MessageHead& head) { events_.OnHead(*this, head); }
void Connection::OnBody(std::string_view bytes) { events_.OnBody(*this, bytes); }
void Connection::OnEnd(EndFlag flag) { events_.OnEnd(*this, flag); }

void Connection::OnFrameError(const FrameError& error) {
  counters_.framing_errors++;
  Close("framing lost: " + error.reason);
}

void Connection::Send(std::string_view bytes) {
  if (closing_ || bytes.empty()) return;
  transport_.Write(id_, bytes);
  queued_total_ += bytes.size();
  last_activity_ms_ = transport_.NowMs();
  CheckWatermarks();
}

void Connection::OnWritten() {
  if (closing_) return;
  last_activity_ms_ = transport_.NowMs();
  CheckWatermarks();
}

void Connection::CheckWatermarks() {
  if (closing_) return;
  uint64_t pending = pending_bytes();
  if (pending > queue_limits_.max_queue_bytes) {
    counters_.queue_overflow_closes++;
    Close("outbound queue over " + std::to_string(queue_limits_.max_queue_bytes) + " bytes");
    return;
  }
  if (pending > queue_limits_.high_watermark) {
    if (!over_high_) {
      over_high_ = true;
      over_high_since_ms_ = transport_.NowMs();
    }
  } else {
    over_high_ = false;
  }
  if (!above_high_ && pending > queue_limits_.high_watermark) {
    above_high_ = true;
  } else if (above_high_ && pending < queue_limits_.low_watermark) {
    above_high_ = false;
    events_.OnDrained(*this);
  }
}

void Connection::PauseReading() {
  if (++pause_count_ == 1) {
    framer_.Stop();
    if (!closing_ && !close_after_flush_) transport_.PauseReading(id_);
  }
}

void Connection::ResumeReading() {
  if (pause_count_ == 0) return;
  if (--pause_count_ == 0 && !closing_ && !close_after_flush_) {
    transport_.ResumeReading(id_);
    if (!held_plain_.empty()) events_.ScheduleProcess(*this);
  }
}

void Connection::CloseAfterFlush(const std::string& reason) {
  if (closing_ || close_after_flush_) return;
  close_after_flush_ = true;
  close_reason_pending_ = reason;
  close_requested_ms = transport_.NowMs();
  framer_.Stop();
  transport_.CloseAfterFlush(id_, reason);
}

void Connection::Close(const std::string& reason, bool by_transport) {
  if (closing_) return;
  closing_ = true;
  close_reason_ = reason;
  framer_.Stop();
  std::string().swap(held_plain_);
  events_.OnClosing(*this);
  if (!by_transport) transport_.Close(id_, reason);
}

uint64_t Connection::written_total() const {
  const uint64_t pending = pending_bytes();
  return pending >= queued_total_ ? 0 : queued_total_ - pending;
}

void Connection::NoteTransactionEnd(std::string_view out_tid) {
  PendingEnd end{queued_total_, {}, static_cast<uint8_t>(std::min<size_t>(out_tid.size(), sizeof end.tid))};
  out_tid.copy(end.tid, end.tid_size);
  pending_ends_.push_back(end);
}

void Connection::CompactPendingEnds() {
  if (pending_ends_head_ == pending_ends_.size()) {
    pending_ends_.clear();  // keeps its capacity
    pending_ends_head_ = 0;
  } else if (pending_ends_head_ > 64 && pending_ends_head_ * 2 > pending_ends_.size()) {
    pending_ends_.erase(pending_ends_.begin(), pending_ends_.begin() + static_cast<std::ptrdiff_t>(pending_ends_head_));
    pending_ends_head_ = 0;
  }
}

void Connection::ReleaseIdleState(uint64_t now_ms, uint64_t quiet_ms) {
  if (now_ms - last_activity_ms_ < quiet_ms) return;
  if (held_plain_.empty()) std::string().swap(held_plain_);
  to_path_cache.Clear();
  from_path_cache.Clear();
  framer_.ReleaseSpareHeaders();
  std::vector<Header>().swap(route.spent_headers);
  if (pending_ends_.empty()) std::vector<PendingEnd>().swap(pending_ends_);
}

}  // namespace msrp::relay
