// Frame reader, encoder and builders for the end-to-end tests (independent of common/framer).
#include "tests/support/msrp_frame.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace msrp::test {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kDashes = "-------";
constexpr size_t kMaxStartLine = 1024;

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool IsIdent(std::string_view s) {
  if (s.size() < 4 || s.size() > 32) return false;
  if (!std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s.substr(1)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '+' &&
        c != '%' && c != '=') {
      return false;
    }
  }
  return true;
}

bool IsFlag(char c) { return c == '$' || c == '+' || c == '#'; }

// Parses "MSRP tid rest" into `f`; false with `error` set when malformed.
bool ParseStartLine(std::string_view line, Frame* f, std::string* error) {
  if (line.substr(0, 5) != "MSRP ") {
    *error = "start line does not begin with \"MSRP \": " + Printable(line, 200);
    return false;
  }
  std::string_view rest = line.substr(5);
  size_t sp = rest.find(' ');
  if (sp == std::string_view::npos) {
    *error = "start line has no method/status: " + Printable(line, 200);
    return false;
  }
  std::string_view tid = rest.substr(0, sp);
  if (!IsIdent(tid)) {
    *error = "bad transaction id in start line: " + Printable(line, 200);
    return false;
  }
  f->tid = std::string(tid);
  std::string_view what = rest.substr(sp + 1);
  if (what.size() >= 3 && std::isdigit(static_cast<unsigned char>(what[0])) &&
      std::isdigit(static_cast<unsigned char>(what[1])) &&
      std::isdigit(static_cast<unsigned char>(what[2]))) {
    if (what.size() > 3 && what[3] != ' ') {
      *error = "bad status in start line: " + Printable(line, 200);
      return false;
    }
    f->is_request = false;
    f->status = (what[0] - '0') * 100 + (what[1] - '0') * 10 + (what[2] - '0');
    f->phrase = what.size() > 4 ? std::string(what.substr(4)) : std::string();
    return true;
  }
  if (what.empty() || !std::all_of(what.begin(), what.end(),
                                   [](char c) { return c >= 'A' && c <= 'Z'; })) {
    *error = "bad method in start line: " + Printable(line, 200);
    return false;
  }
  f->is_request = true;
  f->method = std::string(what);
  return true;
}

}  // namespace

std::optional<std::string> Frame::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (IEquals(n, name)) return v;
  }
  return std::nullopt;
}

int Frame::CountHeader(std::string_view name) const {
  int count = 0;
  for (const auto& h : headers) {
    if (IEquals(h.first, name)) ++count;
  }
  return count;
}

std::vector<std::string> Frame::Path(std::string_view name) const {
  std::vector<std::string> out;
  auto value = Header(name);
  if (!value) return out;
  std::string_view v = *value;
  size_t start = 0;
  while (start <= v.size()) {
    size_t sp = v.find(' ', start);
    if (sp == std::string_view::npos) sp = v.size();
    out.emplace_back(v.substr(start, sp - start));
    start = sp + 1;
  }
  return out;
}

std::string Frame::StartLine() const {
  if (is_request) return "MSRP " + tid + " " + method;
  char code[8];
  std::snprintf(code, sizeof code, "%03d", status);
  std::string line = "MSRP " + tid + " " + code;
  if (!phrase.empty()) line += " " + phrase;
  return line;
}

std::string Frame::Describe() const {
  std::string out = StartLine() + "\n";
  for (const auto& [n, v] : headers) out += "  " + n + ": " + Printable(v, 300) + "\n";
  if (has_body) {
    out += "  <body " + std::to_string(body.size()) + " octets";
    if (body.size() <= 200) out += ": " + Printable(body);
    out += ">\n";
  }
  out += "  -------" + tid + flag;
  return out;
}

void FrameReader::Feed(std::string_view bytes) {
  if (pos_ > 0 && (pos_ >= (1u << 20) || pos_ * 2 >= buf_.size())) {
    buf_.erase(0, pos_);
    if (body_scan_from_ != 0) body_scan_from_ -= pos_;
    pos_ = 0;
  }
  buf_.append(bytes);
}

ParseStatus FrameReader::Next(Frame* out, std::string* error) {
  std::string_view data(buf_);
  size_t line_end = data.find(kCrlf, pos_);
  if (line_end == std::string_view::npos) {
    if (data.size() - pos_ > kMaxStartLine) {
      *error = "no CRLF within " + std::to_string(kMaxStartLine) + " octets of a start line: " +
               Printable(data.substr(pos_, 200));
      return ParseStatus::kMalformed;
    }
    return ParseStatus::kNeedMore;
  }
  Frame f;
  if (!ParseStartLine(data.substr(pos_, line_end - pos_), &f, error)) {
    return ParseStatus::kMalformed;
  }
  const std::string end_prefix = std::string(kDashes) + f.tid;
  size_t cur = line_end + 2;
  size_t frame_end = 0;
  for (;;) {
    size_t eol = data.find(kCrlf, cur);
    if (eol == std::string_view::npos) return ParseStatus::kNeedMore;
    std::string_view line = data.substr(cur, eol - cur);
    if (line.empty()) {  // Content-Stuff: body follows
      f.has_body = true;
      size_t body_start = eol + 2;
      std::string delim = "\r\n" + end_prefix;
      size_t from = std::max(body_start, body_scan_from_);
      for (;;) {
        size_t hit = data.find(delim, from);
        if (hit == std::string_view::npos) {
          size_t keep = delim.size() - 1;
          body_scan_from_ = data.size() > keep ? std::max(body_start, data.size() - keep) : body_start;
          return ParseStatus::kNeedMore;
        }
        size_t after = hit + delim.size();
        if (after + 3 > data.size()) {
          body_scan_from_ = hit;
          return ParseStatus::kNeedMore;
        }
        if (IsFlag(data[after]) && data.substr(after + 1, 2) == kCrlf) {
          f.body = std::string(data.substr(body_start, hit - body_start));
          f.flag = data[after];
          frame_end = after + 3;
          break;
        }
        from = hit + 1;
      }
      break;
    }
    if (line.size() == end_prefix.size() + 1 && line.substr(0, end_prefix.size()) == end_prefix &&
        IsFlag(line.back())) {
      f.flag = line.back();
      frame_end = eol + 2;
      break;
    }
    size_t colon = line.find(": ");
    if (colon == std::string_view::npos || colon == 0) {
      *error = "header line without \"name: value\" in frame " + f.StartLine() + ": " +
               Printable(line, 300);
      return ParseStatus::kMalformed;
    }
    f.headers.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
    cur = eol + 2;
  }
  f.raw = std::string(data.substr(pos_, frame_end - pos_));
  pos_ = frame_end;
  body_scan_from_ = 0;
  *out = std::move(f);
  return ParseStatus::kFrame;
}

Frame ParseSingleFrame(std::string_view bytes) {
  FrameReader reader;
  reader.Feed(bytes);
  Frame f;
  std::string error;
  ParseStatus st = reader.Next(&f, &error);
  if (st != ParseStatus::kFrame) {
    throw std::runtime_error("ParseSingleFrame: " +
                             (st == ParseStatus::kNeedMore ? std::string("incomplete") : error) +
                             ": " + Printable(bytes, 400));
  }
  if (reader.buffered() != 0) throw std::runtime_error("ParseSingleFrame: trailing bytes");
  return f;
}

std::string EncodeFrame(std::string_view tid, std::string_view start_rest, const Headers& headers,
                        const std::optional<std::string>& body, char flag) {
  std::string out;
  out.reserve(256 + (body ? body->size() : 0));
  out.append("MSRP ").append(tid).append(" ").append(start_rest).append(kCrlf);
  for (const auto& [n, v] : headers) out.append(n).append(": ").append(v).append(kCrlf);
  if (body) out.append(kCrlf).append(*body).append(kCrlf);
  out.append(kDashes).append(tid).push_back(flag);
  out.append(kCrlf);
  return out;
}

std::string EncodeFrame(const Frame& frame) {
  std::string first = frame.StartLine().substr(6 + frame.tid.size());
  return EncodeFrame(frame.tid, first, frame.headers,
                     frame.has_body ? std::optional<std::string>(frame.body) : std::nullopt,
                     frame.flag);
}

std::string JoinPath(const std::vector<std::string>& uris) {
  std::string out;
  for (const auto& u : uris) {
    if (!out.empty()) out.push_back(' ');
    out.append(u);
  }
  return out;
}

std::string BuildSend(const SendSpec& spec) {
  Headers h;
  h.emplace_back("To-Path", JoinPath(spec.to_path));
  h.emplace_back("From-Path", JoinPath(spec.from_path));
  if (!spec.message_id.empty()) h.emplace_back("Message-ID", spec.message_id);
  if (spec.byte_range) h.emplace_back("Byte-Range", *spec.byte_range);
  if (spec.failure_report) h.emplace_back("Failure-Report", *spec.failure_report);
  if (spec.success_report) h.emplace_back("Success-Report", *spec.success_report);
  for (const auto& e : spec.extra) h.push_back(e);
  if (spec.body) h.emplace_back("Content-Type", spec.content_type);
  return EncodeFrame(spec.tid, spec.method, h, spec.body, spec.flag);
}

std::string BuildResponse(std::string_view tid, int code, std::string_view phrase,
                          const std::vector<std::string>& to_path,
                          const std::vector<std::string>& from_path, const Headers& extra) {
  Headers h;
  h.emplace_back("To-Path", JoinPath(to_path));
  h.emplace_back("From-Path", JoinPath(from_path));
  for (const auto& e : extra) h.push_back(e);
  char start[64];
  std::snprintf(start, sizeof start, "%03d", code);
  std::string rest = start;
  if (!phrase.empty()) rest.append(" ").append(phrase);
  return EncodeFrame(tid, rest, h, std::nullopt, '$');
}

std::string BuildReport(std::string_view tid, const std::vector<std::string>& to_path,
                        const std::vector<std::string>& from_path, std::string_view message_id,
                        std::string_view byte_range, std::string_view status) {
  Headers h;
  h.emplace_back("To-Path", JoinPath(to_path));
  h.emplace_back("From-Path", JoinPath(from_path));
  h.emplace_back("Message-ID", std::string(message_id));
  h.emplace_back("Byte-Range", std::string(byte_range));
  h.emplace_back("Status", std::string(status));
  return EncodeFrame(tid, "REPORT", h, std::nullopt, '$');
}

std::optional<ByteRange> ParseByteRange(std::string_view value) {
  auto num = [](std::string_view s, bool star_ok, int64_t* out) {
    if (star_ok && s == "*") {
      *out = -1;
      return true;
    }
    if (s.empty() || s.size() > 18) return false;
    int64_t v = 0;
    for (char c : s) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
      v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
  };
  size_t dash = value.find('-');
  size_t slash = value.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) {
    return std::nullopt;
  }
  ByteRange r;
  if (!num(value.substr(0, dash), false, &r.start) ||
      !num(value.substr(dash + 1, slash - dash - 1), true, &r.end) ||
      !num(value.substr(slash + 1), true, &r.total)) {
    return std::nullopt;
  }
  return r;
}

std::optional<std::map<std::string, AuthParam>> ParseAuthParams(std::string_view value,
                                                                std::string* scheme) {
  size_t sp = value.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  *scheme = std::string(value.substr(0, sp));
  std::map<std::string, AuthParam> params;
  size_t i = sp + 1;
  auto skip_ws = [&] {
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
  };
  while (true) {
    skip_ws();
    if (i >= value.size()) break;
    size_t eq = value.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    std::string name(value.substr(i, eq - i));
    while (!name.empty() && name.back() == ' ') name.pop_back();
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    i = eq + 1;
    skip_ws();
    AuthParam p;
    if (i < value.size() && value[i] == '"') {
      p.quoted = true;
      ++i;
      bool closed = false;
      while (i < value.size()) {
        char c = value[i++];
        if (c == '\\' && i < value.size()) {
          p.value.push_back(value[i++]);
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          p.value.push_back(c);
        }
      }
      if (!closed) return std::nullopt;
    } else {
      size_t end = value.find(',', i);
      if (end == std::string_view::npos) end = value.size();
      p.value = std::string(value.substr(i, end - i));
      while (!p.value.empty() && p.value.back() == ' ') p.value.pop_back();
      i = end;
    }
    params[name] = p;
    skip_ws();
    if (i >= value.size()) break;
    if (value[i] != ',') return std::nullopt;
    ++i;
  }
  return params;
}

std::string Printable(std::string_view bytes, size_t max) {
  auto escape = [](std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
      if (c == '\r') {
        out += "\\r";
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\\') {
        out += "\\\\";
      } else if (c >= 0x20 && c < 0x7f) {
        out.push_back(static_cast<char>(c));
      } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
      }
    }
    return out;
  };
  if (bytes.size() <= max) return escape(bytes);
  size_t half = max / 2;
  return escape(bytes.substr(0, half)) + "...<" + std::to_string(bytes.size() - 2 * half) +
         " octets>..." + escape(bytes.substr(bytes.size() - half));
}

}  // namespace msrp::test
