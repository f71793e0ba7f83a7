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
  bool has_portless_uri = false;  ///< some URI has no ":port" (U-07: only AUTH's To-Path may)
  size_t size() const { return raw.size(); }
};

/// Splits on single SPs and parses every URI (U-01). Errors: empty value, empty element
/// (double SP), or a URI that does not parse.
Result<ParsedPath> ParsePathRaw(std::string_view value);

/// The last path value a connection sent, parsed once: a session sends the same To-Path and
/// From-Path on every request, and URI parsing was a tenth of the relay's CPU per message.
class PathCache {
 public:
  /// ParsePathRaw(value), reusing the previous result when `value` is byte-identical. The
  /// reference stays valid until the next Parse or Clear.
  const Result<ParsedPath>& Parse(std::string_view value);
  /// Forgets the cached value (frees its memory).
  void Clear();

 private:
  std::string value_;
  Result<ParsedPath> parsed_ = Err("nothing parsed");
  bool valid_ = false;
};

/// Joins raw URIs raw[begin..end) with single SPs.
std::string JoinRaw(const std::vector<std::string>& raw, size_t begin, size_t end);
/// JoinRaw into `out` (replacing its content, reusing its capacity).
void AssignJoinedRaw(std::string& out, const std::vector<std::string>& raw, size_t begin, size_t end);

}  // namespace msrp::relay
