// Unit tests for relay/relay_policy: A-17 allow/deny host patterns for relays that use this one.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "relay/engine/relay_policy.h"

namespace msrp::relay {
namespace {

config::PeersSection Policy(std::vector<std::string> allow, std::vector<std::string> deny) {
  config::PeersSection p;
  p.relays_allow = std::move(allow);
  p.relays_deny = std::move(deny);
  return p;
}

TEST_CASE("A-17: an exact pattern matches the same name, case-insensitively") {
  CHECK(HostMatchesPattern("relay2.example.net", "relay2.example.net"));
  CHECK(HostMatchesPattern("Relay2.EXAMPLE.net", "relay2.example.NET"));
  CHECK_FALSE(HostMatchesPattern("relay3.example.net", "relay2.example.net"));
  CHECK_FALSE(HostMatchesPattern("a.relay2.example.net", "relay2.example.net"));
  CHECK_FALSE(HostMatchesPattern("relay2.example", "relay2.example.net"));
  CHECK_FALSE(HostMatchesPattern("", "relay2.example.net"));
  CHECK_FALSE(HostMatchesPattern("relay2.example.net", ""));
}

TEST_CASE("A-17: '*.domain' matches names with at least one more label, at any depth") {
  CHECK(HostMatchesPattern("a.example.net", "*.example.net"));
  CHECK(HostMatchesPattern("a.b.example.net", "*.example.net"));
  CHECK(HostMatchesPattern("A.Example.NET", "*.EXAMPLE.net"));
  CHECK_FALSE(HostMatchesPattern("example.net", "*.example.net"));
  CHECK_FALSE(HostMatchesPattern("aexample.net", "*.example.net"));
  CHECK_FALSE(HostMatchesPattern(".example.net", "*.example.net"));
  CHECK_FALSE(HostMatchesPattern("a.example.org", "*.example.net"));
  CHECK_FALSE(HostMatchesPattern("a.example.net.evil", "*.example.net"));
  // The '*' is not a wildcard anywhere else, nor alone.
  CHECK_FALSE(HostMatchesPattern("a.example.net", "*"));
  CHECK_FALSE(HostMatchesPattern("a.example.net", "*."));
  CHECK_FALSE(HostMatchesPattern("ab.example.net", "a*.example.net"));
}

TEST_CASE("A-17: an empty allow list admits every relay not denied") {
  CHECK(RelayAllowed(Policy({}, {}), "relay2.example.net"));
  CHECK(RelayAllowed(Policy({}, {"bad.example.net"}), "relay2.example.net"));
  CHECK_FALSE(RelayAllowed(Policy({}, {"bad.example.net"}), "BAD.example.net"));
}

TEST_CASE("A-17: a non-empty allow list admits only matching relays") {
  const config::PeersSection p = Policy({"relay2.example.net", "*.example.org"}, {});
  CHECK(RelayAllowed(p, "relay2.example.net"));
  CHECK(RelayAllowed(p, "r.example.org"));
  CHECK(RelayAllowed(p, "x.r.example.org"));
  CHECK_FALSE(RelayAllowed(p, "example.org"));
  CHECK_FALSE(RelayAllowed(p, "relay3.example.net"));
  CHECK_FALSE(RelayAllowed(p, ""));
}

TEST_CASE("A-17: deny wins over allow") {
  const config::PeersSection p = Policy({"*.example.org", "relay2.example.net"},
                                        {"bad.example.org", "*.lab.example.org", "relay2.example.net"});
  CHECK(RelayAllowed(p, "good.example.org"));
  CHECK_FALSE(RelayAllowed(p, "bad.example.org"));
  CHECK_FALSE(RelayAllowed(p, "x.lab.example.org"));
  CHECK(RelayAllowed(p, "lab.example.org"));
  CHECK_FALSE(RelayAllowed(p, "relay2.example.net"));
}

}  // namespace
}  // namespace msrp::relay
