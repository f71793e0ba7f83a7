// Typed MSRP header values: Byte-Range (F-15, F-16), Failure-Report (F-14), Expires (F-18),
// Status (E-09) and the reason-phrase table. Pure string work, no allocation sized by input numbers.
#include "common/header_values.h"

#include <limits>

namespace msrp {
namespace {

constexpr size_t kMaxRangeDigits = 19;
constexpr uint64_t kMaxRangeValue = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Parses 1*19DIGIT <= 2^63-1 from the front of `text`, advancing `pos`.
bool ParseRangeNumber(std::string_view text, size_t* pos, uint64_t* out) {
  size_t start = *pos;
  uint64_t value = 0;
  size_t i = start;
  while (i < text.size() && IsDigit(text[i])) {
    if (i - start >= kMaxRangeDigits) return false;
    value = value * 10 + static_cast<uint64_t>(text[i] - '0');
    ++i;
  }
  if (i == start || value > kMaxRangeValue) return false;
  *pos = i;
  *out = value;
  return true;
}

// Parses either "*" (nullopt) or a range number.
bool ParseRangeNumberOrStar(std::string_view text, size_t* pos, std::optional<uint64_t>* out) {
  if (*pos < text.size() && text[*pos] == '*') {
    *out = std::nullopt;
    ++*pos;
    return true;
  }
  uint64_t value = 0;
  if (!ParseRangeNumber(text, pos, &value)) return false;
  *out = value;
  return true;
}

}  // namespace

Result<ByteRange> ParseByteRange(std::string_view value) {
  ByteRange range;
  size_t pos = 0;
  if (!ParseRangeNumber(value, &pos, &range.start)) return Err("bad Byte-Range: range-start");
  if (pos >= value.size() || value[pos] != '-') return Err("bad Byte-Range: missing '-'");
  ++pos;
  if (!ParseRangeNumberOrStar(value, &pos, &range.end)) return Err("bad Byte-Range: range-end");
  if (pos >= value.size() || value[pos] != '/') return Err("bad Byte-Range: missing '/'");
  ++pos;
  if (!ParseRangeNumberOrStar(value, &pos, &range.total)) return Err("bad Byte-Range: total");
  if (pos != value.size()) return Err("bad Byte-Range: trailing characters");

  if (range.start == 0) return Err("bad Byte-Range: range-start must be >= 1");
  if (range.end && *range.end < range.start - 1) {
    return Err("bad Byte-Range: range-end before range-start");
  }
  if (range.end && range.total && *range.end > *range.total) {
    return Err("bad Byte-Range: range-end beyond total");
  }
  if (range.total && range.start - 1 > *range.total) {
    return Err("bad Byte-Range: range-start beyond total");
  }
  return range;
}

std::string FormatByteRange(const ByteRange& range) {
  std::string out = std::to_string(range.start);
  out += '-';
  out += range.end ? std::to_string(*range.end) : "*";
  out += '/';
  out += range.total ? std::to_string(*range.total) : "*";
  return out;
}

Result<FailureReport> ParseFailureReport(std::string_view value) {
  if (EqualsIgnoreCase(value, "yes")) return FailureReport::kYes;
  if (EqualsIgnoreCase(value, "no")) return FailureReport::kNo;
  if (EqualsIgnoreCase(value, "partial")) return FailureReport::kPartial;
  return Err("bad Failure-Report: expected yes, no or partial");
}

Result<uint32_t> ParseExpires(std::string_view value) {
  if (value.empty()) return Err("bad Expires: empty");
  uint64_t result = 0;
  for (char c : value) {
    if (!IsDigit(c)) return Err("bad Expires: not a number of seconds");
    result = result * 10 + static_cast<uint64_t>(c - '0');
    if (result > std::numeric_limits<uint32_t>::max()) return Err("bad Expires: too large");
  }
  return static_cast<uint32_t>(result);
}

Result<StatusValue> ParseStatus(std::string_view value) {
  // namespace SP status-code [SP text-reason]; both numbers are exactly 3 digits.
  if (value.size() < 7 || value[3] != ' ') return Err("bad Status: expected \"NNN NNN\"");
  for (size_t i : {0, 1, 2, 4, 5, 6}) {
    if (!IsDigit(value[i])) return Err("bad Status: namespace and code must be 3 digits");
  }
  StatusValue status;
  status.ns = static_cast<uint16_t>((value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0'));
  status.code = static_cast<uint16_t>((value[4] - '0') * 100 + (value[5] - '0') * 10 + (value[6] - '0'));
  if (value.size() == 7) return status;
  if (value[7] != ' ') return Err("bad Status: expected SP before the comment");
  std::string_view comment = value.substr(8);
  for (char c : comment) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return Err("bad Status: control character in comment");
  }
  status.comment = std::string(comment);
  return status;
}

std::string_view ReasonPhrase(int code) {
  switch (code) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 408: return "Request Timeout";
    case 413: return "Stop Sending Message";
    case 415: return "Unsupported Media Type";
    case 423: return "Interval Out-of-Bounds";
    case 481: return "Session Does Not Exist";
    case 501: return "Not Implemented";
    case 506: return "Session Already Bound";
    default: return "Unknown";
  }
}

std::string ToLowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

}  // namespace msrp
