// Which relays may use this one (RFC 4976 §6.3, A-17: "authorisation of relays is local
// policy"): peers.relays.allow / peers.relays.deny host patterns.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace msrp::relay {

/// True when `pattern` matches `host` (both compared case-insensitively): an exact name, or
/// "*.domain" which matches any name with at least one more label ending in ".domain".
bool HostMatchesPattern(std::string_view host, std::string_view pattern);

/// True when a relay identified as `host` may use this relay: not matched by any deny pattern,
/// and matched by an allow pattern or the allow list is empty.
bool RelayAllowed(const config::PeersSection& peers, std::string_view host);

}  // namespace msrp::relay
