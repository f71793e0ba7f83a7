// Parses Apache htdigest text (`user:realm:HA1` per line) into an immutable lookup table for
// Digest AUTH. HA1 values are normalised to lower-case hex, the form ComputeResponse expects.
#include "common/user_db.h"

namespace msrp {
namespace {

constexpr size_t kHa1Length = 32;

bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

Error LineError(size_t line_no, std::string_view what) {
  return Err("line " + std::to_string(line_no) + ": " + std::string(what));
}

}  // namespace

Result<UserDb> UserDb::Parse(std::string_view text) {
  UserDb db;
  size_t pos = 0;
  size_t line_no = 0;
  // Each iteration consumes one line (at least its '\n'), so the loop is bounded by text.size().
  while (pos < text.size()) {
    ++line_no;
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (IsBlank(line) || line.front() == '#') continue;

    // user ":" realm ":" HA1 -- the user has no ':', HA1 is the text after the last ':', and the
    // realm is everything in between.
    size_t first = line.find(':');
    size_t last = line.rfind(':');
    if (first == std::string_view::npos || first == last) {
      return LineError(line_no, "expected user:realm:HA1");
    }
    std::string_view user = line.substr(0, first);
    std::string_view realm = line.substr(first + 1, last - first - 1);
    std::string_view ha1 = line.substr(last + 1);
    if (user.empty()) return LineError(line_no, "empty user name");
    if (realm.empty()) return LineError(line_no, "empty realm");
    if (ha1.size() != kHa1Length) return LineError(line_no, "HA1 must be 32 hex digits");
    std::string ha1_lower;
    for (char c : ha1) {
      if (!IsHex(c)) return LineError(line_no, "HA1 must be 32 hex digits");
      ha1_lower.push_back(ToLower(c));
    }
    auto [it, inserted] =
        db.users_.emplace(std::make_pair(std::string(user), std::string(realm)), std::move(ha1_lower));
    if (!inserted) return LineError(line_no, "duplicate user and realm");
  }
  return db;
}

std::optional<std::string> UserDb::FindHa1(std::string_view username, std::string_view realm) const {
  auto it = users_.find(std::make_pair(std::string(username), std::string(realm)));
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

}  // namespace msrp
