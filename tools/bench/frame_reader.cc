// FrameReader: line-based head parsing (bounded), end-line detection through the shared
// streaming EndLineScanner so body bytes are passed on without copies.
#include "tools/bench/frame_reader.h"

#include <charconv>

namespace msrp::bench {

namespace {
constexpr size_t kMaxLine = 16 * 1024;
constexpr size_t kMaxHeaders = 64;
}  // namespace

std::string_view FrameHead::Get(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return {};
}

bool FrameReader::OnLine(std::string_view line, std::string* error) {
  if (!have_start_) {
    // "MSRP tid METHOD" or "MSRP tid CODE[ comment]"
    if (line.substr(0, 5) != "MSRP ") {
      *error = "bad start line";
      return false;
    }
    std::string_view rest = line.substr(5);
    auto sp = rest.find(' ');
    if (sp == std::string_view::npos || sp == 0) {
      *error = "bad start line";
      return false;
    }
    head_ = FrameHead();
    head_.tid = std::string(rest.substr(0, sp));
    std::string_view word = rest.substr(sp + 1);
    auto sp2 = word.find(' ');
    if (sp2 != std::string_view::npos) word = word.substr(0, sp2);
    int code = 0;
    auto [p, ec] = std::from_chars(word.data(), word.data() + word.size(), code);
    if (ec == std::errc() && p == word.data() + word.size() && word.size() == 3) {
      head_.is_request = false;
      head_.status = code;
    } else {
      head_.is_request = true;
      head_.method = std::string(word);
    }
    have_start_ = true;
    return true;
  }
  if (line.empty()) {  // blank line: the body starts
    head_.has_body = true;
    in_body_ = true;
    have_start_ = false;
    scanner_.Reset(head_.tid);
    sink_->OnHead(head_);
    return true;
  }
  if (line.size() == 7 + head_.tid.size() + 1 && line.substr(0, 7) == "-------" &&
      line.substr(7, head_.tid.size()) == head_.tid) {  // bodiless message ends
    have_start_ = false;
    sink_->OnHead(head_);
    sink_->OnEnd(line.back());
    return true;
  }
  auto colon = line.find(": ");
  if (colon == std::string_view::npos || head_.headers.size() >= kMaxHeaders) {
    *error = "bad header line";
    return false;
  }
  head_.headers.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
  return true;
}

bool FrameReader::Feed(std::string_view data, std::string* error) {
  // Each round consumes at least one byte or returns.
  while (!data.empty()) {
    if (in_body_) {
      auto step = scanner_.Scan(data, [this](std::string_view b) { sink_->OnBody(b); });
      data.remove_prefix(step.consumed);
      if (step.found) {
        in_body_ = false;
        sink_->OnEnd(static_cast<char>(step.flag));
      }
      continue;
    }
    auto nl = data.find('\n');
    if (nl == std::string_view::npos) {
      line_.append(data.data(), data.size());
      if (line_.size() > kMaxLine) {
        *error = "line too long";
        return false;
      }
      return true;
    }
    std::string_view line;
    if (line_.empty()) {
      line = data.substr(0, nl + 1);
    } else {
      line_.append(data.data(), nl + 1);
      line = line_;
    }
    data.remove_prefix(nl + 1);
    if (line.size() < 2 || line[line.size() - 2] != '\r') {
      *error = "line without CRLF";
      return false;
    }
    line.remove_suffix(2);
    bool ok = OnLine(line, error);
    line_.clear();
    if (!ok) return false;
  }
  return true;
}

}  // namespace msrp::bench
