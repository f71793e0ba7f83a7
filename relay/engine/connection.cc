// Connection (engine side): framer feeding with a counted pause, watermarks over the
// transport's queue, and the close step.
#include "relay/engine/connection.h"

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
  if (!above_high_ && pending > queue_limits_.high_watermark) {
    above_high_ = true;
    above_high_since_ms_ = transport_.NowMs();
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

void Connection::ReleaseIdleState(uint64_t now_ms, uint64_t quiet_ms) {
  if (now_ms - last_activity_ms_ < quiet_ms) return;
  if (held_plain_.empty()) std::string().swap(held_plain_);
  to_path_cache.Clear();
  from_path_cache.Clear();
  framer_.ReleaseSpareHeaders();
  std::vector<Header>().swap(route.spent_headers);
}

}  // namespace msrp::relay
