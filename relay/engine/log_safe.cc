// LogSafe: escape and bound peer-supplied text for logs.
#include "relay/engine/log_safe.h"

#include <algorithm>

namespace msrp::relay {

std::string LogSafe(std::string_view text, size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  size_t n = std::min(text.size(), max_bytes);
  for (size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '\'') {
      out.append("\\x").push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (text.size() > max_bytes) out.append("...");
  return out;
}

}  // namespace msrp::relay
