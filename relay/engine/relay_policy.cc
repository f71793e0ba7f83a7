// peers.relays.allow / deny matching: exact names and "*.domain" patterns, compared
// case-insensitively.
#include "relay/engine/relay_policy.h"

#include <cctype>

namespace msrp::relay {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool MatchesAny(const std::vector<std::string>& patterns, std::string_view host) {
  for (const std::string& p : patterns) {
    if (HostMatchesPattern(host, p)) return true;
  }
  return false;
}

}  // namespace

bool HostMatchesPattern(std::string_view host, std::string_view pattern) {
  if (host.empty() || pattern.empty()) return false;
  if (pattern.size() > 2 && pattern.substr(0, 2) == "*.") {
    std::string_view suffix = pattern.substr(1);  // ".domain"
    // At least one more (non-empty) label before ".domain".
    return host.size() > suffix.size() && host.front() != '.' &&
           EqualsIgnoreCase(host.substr(host.size() - suffix.size()), suffix);
  }
  return EqualsIgnoreCase(host, pattern);
}

bool RelayAllowed(const config::PeersSection& peers, std::string_view host) {
  if (MatchesAny(peers.relays_deny, host)) return false;
  return peers.relays_allow.empty() || MatchesAny(peers.relays_allow, host);
}

}  // namespace msrp::relay
