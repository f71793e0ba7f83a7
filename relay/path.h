// To-Path / From-Path values split into their URIs, keeping each URI's exact wire bytes so a
// path rewrite changes nothing but the order of URIs (RFC 4976 §3, BR-06).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/uri.h"

namespace msrp::relay {

/// A path header: raw[i] is the i-th URI exactly as received, uris[i] its parsed form.
struct ParsedPath {
  std::vector<std::string> raw;
  std::vector<Uri> uris;
  size_t size() const { return raw.size(); }
};

/// Splits on single SPs and parses every URI (U-01). Errors: empty value, empty element
/// (double SP), or a URI that does not parse.
Result<ParsedPath> ParsePathRaw(std::string_view value);

/// Joins raw URIs raw[begin..end) with single SPs.
std::string JoinRaw(const std::vector<std::string>& raw, size_t begin, size_t end);

}  // namespace msrp::relay
