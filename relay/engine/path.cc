// ParsedPath: split a path header into raw URI strings and their parsed forms.
#include "relay/engine/path.h"

namespace msrp::relay {

Result<ParsedPath> ParsePathRaw(std::string_view value) {
  ParsedPath path;
  if (value.empty()) return Err("empty path");
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t sp = value.find(' ', pos);
    std::string_view token = value.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos);
    if (token.empty()) return Err("empty URI in path");
    auto uri = ParseUri(token);
    if (!uri.ok()) return Err("bad URI in path: " + uri.error());
    path.has_portless_uri = path.has_portless_uri || !uri.value().port.has_value();
    path.raw.emplace_back(token);
    path.uris.push_back(std::move(uri.value()));
    if (sp == std::string_view::npos) break;
    pos = sp + 1;
  }
  return path;
}

const Result<ParsedPath>& PathCache::Parse(std::string_view value) {
  if (!valid_ || value != value_) {
    parsed_ = ParsePathRaw(value);
    value_.assign(value);
    valid_ = true;
  }
  return parsed_;
}

void PathCache::Clear() {
  std::string().swap(value_);
  parsed_ = Err("nothing parsed");
  valid_ = false;
}

std::string JoinRaw(const std::vector<std::string>& raw, size_t begin, size_t end) {
  std::string out;
  AssignJoinedRaw(out, raw, begin, end);
  return out;
}

void AssignJoinedRaw(std::string& out, const std::vector<std::string>& raw, size_t begin, size_t end) {
  out.clear();
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) out.push_back(' ');
    out.append(raw[i]);
  }
}

}  // namespace msrp::relay
