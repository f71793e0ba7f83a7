// Peer-supplied text made safe for one log line (no control bytes, quotes or backslashes, bounded
// length). Log lines never carry bodies, passwords, nonces, digests or whole session ids.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace msrp::relay {

/// A peer-supplied string made safe for a log line: bytes outside printable ASCII, quotes and
/// backslashes become \xHH, and the result is cut at `max_bytes` input bytes ("..." appended).
std::string LogSafe(std::string_view text, size_t max_bytes = 64);

}  // namespace msrp::relay
