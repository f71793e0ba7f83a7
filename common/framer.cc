// Framer: line-based head parsing with hard limits, then EndLineScanner for the body.
#include "common/framer.h"

#include <algorithm>
#include <cstring>

namespace msrp {

namespace {

bool IsTokenChar(char c) {
  // RFC 4975 §9 token characters usable in header names.
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

void Framer::Fail(std::string reason) {
  state_ = State::kFailed;
  stopped_ = true;
  FrameError error{std::move(reason), head_.tid};
  sink_->OnFrameError(error);
}

size_t Framer::Feed(std::string_view data) {
  stopped_ = false;
  size_t pos = 0;
  while (pos < data.size() && !stopped_) {
    switch (state_) {
      case State::kFailed:
        return pos;
      case State::kStartLine:
      case State::kHeaders:
        pos += FeedHead(data.substr(pos));
        break;
      case State::kBody: {
        auto step = scanner_.Scan(
            data.substr(pos), [this](std::string_view bytes) {
              if (!bytes.empty()) sink_->OnBody(bytes);
            },
            [this] { return stopped_; });
        if (step.found && stopped_) {
          // Stopped in the OnBody just before an end-line that lies wholly in this slice: leave
          // the end-line unconsumed, so OnEnd comes from the next Feed and not after Stop().
          pos += step.consumed - scanner_.end_line_length();
          break;
        }
        pos += step.consumed;
        if (step.found) {
          state_ = State::kStartLine;
          sink_->OnEnd(step.flag);
        }
        break;
      }
    }
  }
  return pos;
}

size_t Framer::FeedHead(std::string_view data) {
  // Consume up to and including the next LF, bounded by the head limit.
  const char* nl = static_cast<const char*>(std::memchr(data.data(), '\n', data.size()));
  size_t take = nl ? static_cast<size_t>(nl - data.data()) + 1 : data.size();
  if (state_ == State::kStartLine && line_.empty()) {
    head_.tid.clear();  // until this start line parses, a FrameError has no tid (not the last one)
  }
  if (head_bytes_ + take > limits_.max_head_bytes) {
    Fail("head larger than " + std::to_string(limits_.max_head_bytes) + " bytes");
    return take;
  }
  head_bytes_ += take;
  line_.append(data.data(), take);
  if (!nl) return take;

  // A complete line: must end in CRLF and hold no other CR or LF.
  if (line_.size() < 2 || line_[line_.size() - 2] != '\r') {
    Fail("line not terminated by CRLF");
    return take;
  }
  std::string_view line(line_.data(), line_.size() - 2);
  if (state_ == State::kStartLine && line.empty()) {
    // Tolerate a stray CRLF between messages, also when split across reads (no bytes counted).
    line_.clear();
    head_bytes_ = 0;
    return take;
  }
  if (line.find('\r') != std::string_view::npos) {
    Fail("bare CR in head");
    return take;
  }
  bool ok = state_ == State::kStartLine ? ParseStartLine(line) : HandleHeaderLine(line);
  if (ok && state_ != State::kFailed) line_.clear();
  return take;
}

void Framer::RecycleHead() {
  // The sink may have taken the headers (swapped in a vector of its own): whatever vector is
  // here now gives its strings to the pool.
  for (Header& h : head_.headers) {
    if (spare_headers_.size() >= kSpareHeaders) break;
    // A long header (a long To-Path) is not worth keeping for every later head.
    if (h.name.capacity() + h.value.capacity() > kSpareHeaderBytes) continue;
    spare_headers_.push_back(std::move(h));
  }
  head_.headers.clear();
  // Typical heads carry 3-7 headers: one allocation instead of growing 1, 2, 4, 8.
  head_.headers.reserve(std::min<size_t>(kSpareHeaders, limits_.max_headers));
  head_.is_request = true;
  head_.tid.clear();
  head_.method.clear();
  head_.status = 0;
  head_.comment.clear();
  head_.has_body = false;
  head_.malformed.clear();
}

bool Framer::ParseStartLine(std::string_view line) {
  RecycleHead();
  // "MSRP" SP transact-id SP method / "MSRP" SP transact-id SP status-code [SP comment]
  if (line.size() < 5 || line.substr(0, 5) != "MSRP ") {
    Fail("start line does not begin with \"MSRP \"");
    return false;
  }
  std::string_view rest = line.substr(5);
  size_t sp = rest.find(' ');
  if (sp == std::string_view::npos) {
    Fail("start line has no method or status");
    return false;
  }
  std::string_view tid = rest.substr(0, sp);
  if (!IsValidTransactionId(tid)) {
    Fail("invalid transaction id");
    return false;
  }
  head_.tid.assign(tid);
  rest = rest.substr(sp + 1);
  if (rest.size() >= 3 && IsDigit(rest[0]) && IsDigit(rest[1]) && IsDigit(rest[2]) &&
      (rest.size() == 3 || rest[3] == ' ')) {
    head_.is_request = false;
    head_.status = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
    if (rest.size() > 4) head_.comment.assign(rest.substr(4));
    for (char c : head_.comment) {
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
        Fail("control character in response comment");
        return false;
      }
    }
  } else {
    if (!IsValidMethod(rest)) {
      Fail("invalid method");
      return false;
    }
    head_.is_request = true;
    head_.method.assign(rest);
  }
  scanner_.Reset(head_.tid);
  state_ = State::kHeaders;
  return true;
}

bool Framer::HandleHeaderLine(std::string_view line) {
  if (line.empty()) {
    FinishHead(/*has_body=*/true, EndFlag::kComplete);
    return true;
  }
  if (line.size() >= 7 && line.substr(0, 7) == "-------") {
    // End-line right after the headers: a bodiless message (F-08).
    std::string_view rest = line.substr(7);
    if (rest.size() != head_.tid.size() + 1 || rest.substr(0, head_.tid.size()) != head_.tid) {
      Fail("end-line does not match the transaction id");
      return false;
    }
    char flag = rest.back();
    if (flag != '$' && flag != '+' && flag != '#') {
      Fail("invalid continuation flag");
      return false;
    }
    FinishHead(/*has_body=*/false, static_cast<EndFlag>(flag));
    return true;
  }
  if (head_.headers.size() >= limits_.max_headers) {
    Fail("more than " + std::to_string(limits_.max_headers) + " headers");
    return false;
  }
  size_t colon = line.find(':');
  Header header;
  if (!spare_headers_.empty()) {
    header = std::move(spare_headers_.back());  // keeps its buffers; assign() below reuses them
    spare_headers_.pop_back();
  }
  if (colon == std::string_view::npos || colon == 0) {
    if (head_.malformed.empty()) head_.malformed = "header line without a name";
    header.name.clear();
    header.value.assign(line);
  } else {
    std::string_view name = line.substr(0, colon);
    for (char c : name) {
      if (!IsTokenChar(c)) {
        if (head_.malformed.empty()) head_.malformed = "invalid header name";
        break;
      }
    }
    std::string_view value = line.substr(colon + 1);
    // RFC 4975: ":" SP value. Accept any run of SP/HTAB (robustness); no folding exists.
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    header.name.assign(name);
    header.value.assign(value);
  }
  head_.headers.push_back(std::move(header));
  return true;
}

void Framer::FinishHead(bool has_body, EndFlag bodiless_flag) {
  head_.has_body = has_body;
  // F-17: responses are never chunked: no body, and the end-line flag is always '$'.
  if (!head_.is_request && head_.malformed.empty()) {
    if (has_body) {
      head_.malformed = "response with a body";
    } else if (bodiless_flag != EndFlag::kComplete) {
      head_.malformed = "response end-line flag is not '$'";
    }
  }
  head_bytes_ = 0;
  // An idle connection keeps no large line buffer from an earlier long header (memory bound).
  if (line_.capacity() > 1024) {
    std::string().swap(line_);
  } else {
    line_.clear();
  }
  state_ = has_body ? State::kBody : State::kStartLine;
  sink_->OnHead(head_);
  if (!has_body && state_ != State::kFailed) sink_->OnEnd(bodiless_flag);
}

}  // namespace msrp
