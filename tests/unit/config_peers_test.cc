// Unit tests for config/: the peers section (outbound connections, A-17 relay policy, static
// hosts) and limits.outgoing_chunk_bytes: defaults, a full section, every error message (exact
// "FILE:LINE: KEY: MESSAGE" text), and the sample config documenting the defaults.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "config/loader.h"
#include "tests/unit/config_test_env.h"

namespace msrp::config {
namespace {

using namespace test_env;

/// kMinimal plus "peers:" at line 11; `body` starts at line 12.
std::string Peers(const std::string& body) { return kMinimal + "peers:\n" + body; }

// ---------------------------------------------------------------------------------------------
// Successful loads

TEST_CASE("peers and limits.outgoing_chunk_bytes: defaults when omitted") {
  Env env;
  LoadResult r = LoadConfigText(kMinimal, env.ConfigPath());
  REQUIRE_MESSAGE(r.ok(), Env::Join(r));
  const PeersSection& p = r.config.peers;
  CHECK(p.connect_timeout == 10);
  CHECK(p.idle_timeout == 3600);
  CHECK_FALSE(p.allow_plain_tcp);
  CHECK(p.relays_allow.empty());
  CHECK(p.relays_deny.empty());
  CHECK(p.hosts.empty());
  CHECK(r.config.limits.outgoing_chunk_bytes == 0);
  // An empty section, and empty sub-sections and lists, are the defaults too.
  for (const char* body : {"", "  relays:\n  hosts:\n", "  relays: { allow: [], deny: [] }\n  hosts: {}\n",
                           "  relays:\n    allow:\n    deny:\n"}) {
    CAPTURE(body);
    LoadResult e = LoadConfigText(Peers(body), env.ConfigPath());
    REQUIRE_MESSAGE(e.ok(), Env::Join(e));
    CHECK(e.config.peers.relays_allow.empty());
    CHECK(e.config.peers.hosts.empty());
  }
}

TEST_CASE("C-03, A-17: a full peers section loads; names are lower-cased, host order kept") {
  Env env;
  const std::string yaml = kMinimal +
                           "limits:\n"
                           "  outgoing_chunk_bytes: 65536\n"
                           "peers:\n"
                           "  connect_timeout: 5\n"
                           "  idle_timeout: 600\n"
                           "  allow_plain_tcp: true\n"
                           "  relays:\n"
                           "    allow: [ Relay2.Example.NET, \"*.example.org\" ]\n"
                           "    deny:\n"
                           "      - bad.example.org\n"
                           "  hosts:\n"
                           "    relay2.example.net: [ \"192.0.2.7\", \"192.0.2.8:4000\", \"[2001:db8::7]:2855\", \"::1\" ]\n"
                           "    B.example.net:\n"
                           "      - 10.0.0.1\n"
                           "      - \"[::1]\"\n"
                           "      - 2001:db8::7:2855\n"
                           "    a.example.net: [ 127.0.0.1:65535 ]\n";
  LoadResult r = LoadConfigText(yaml, env.ConfigPath());
  REQUIRE_MESSAGE(r.ok(), Env::Join(r));
  CHECK(r.config.limits.outgoing_chunk_bytes == 65536);
  const PeersSection& p = r.config.peers;
  CHECK(p.connect_timeout == 5);
  CHECK(p.idle_timeout == 600);
  CHECK(p.allow_plain_tcp);
  CHECK(p.relays_allow == std::vector<std::string>{"relay2.example.net", "*.example.org"});
  CHECK(p.relays_deny == std::vector<std::string>{"bad.example.org"});
  REQUIRE(p.hosts.size() == 3);
  CHECK(p.hosts[0].first == "relay2.example.net");
  CHECK(p.hosts[1].first == "b.example.net");
  CHECK(p.hosts[2].first == "a.example.net");
  const auto& a = p.hosts[0].second;
  REQUIRE(a.size() == 4);
  CHECK(a[0].address == "192.0.2.7");
  CHECK(a[0].port == 0);
  CHECK(a[1].address == "192.0.2.8");
  CHECK(a[1].port == 4000);
  CHECK(a[2].address == "2001:db8::7");
  CHECK(a[2].port == 2855);
  CHECK(a[3].address == "::1");
  CHECK(a[3].port == 0);
  const auto& b = p.hosts[1].second;
  REQUIRE(b.size() == 3);
  CHECK(b[0].address == "10.0.0.1");
  CHECK(b[1].address == "::1");
  CHECK(b[1].port == 0);
  // Without brackets every ':' belongs to the IPv6 address: no port.
  CHECK(b[2].address == "2001:db8::7:2855");
  CHECK(b[2].port == 0);
  REQUIRE(p.hosts[2].second.size() == 1);
  CHECK(p.hosts[2].second[0].port == 65535);
}

TEST_CASE("allow_plain_tcp takes the YAML 1.2 booleans") {
  Env env;
  for (const char* v : {"true", "True", "TRUE"}) {
    LoadResult r = LoadConfigText(Peers(std::string("  allow_plain_tcp: ") + v + "\n"), env.ConfigPath());
    REQUIRE_MESSAGE(r.ok(), Env::Join(r));
    CHECK(r.config.peers.allow_plain_tcp);
  }
  for (const char* v : {"false", "False", "FALSE"}) {
    LoadResult r = LoadConfigText(Peers(std::string("  allow_plain_tcp: ") + v + "\n"), env.ConfigPath());
    REQUIRE_MESSAGE(r.ok(), Env::Join(r));
    CHECK_FALSE(r.config.peers.allow_plain_tcp);
  }
}

TEST_CASE("the sample config documents the peers and outgoing_chunk_bytes defaults") {
  TempDir dir;
  const std::string sample = CopySampleConfig(dir);
  WriteReferencedFiles(dir);
  LoadResult r = LoadConfigFile(sample);
  REQUIRE_MESSAGE(r.ok(), Env::Join(r));
  const PeersSection defaults;
  const PeersSection& p = r.config.peers;
  CHECK(p.connect_timeout == defaults.connect_timeout);
  CHECK(p.idle_timeout == defaults.idle_timeout);
  CHECK(p.allow_plain_tcp == defaults.allow_plain_tcp);
  CHECK(p.relays_allow.empty());
  CHECK(p.relays_deny.empty());
  CHECK(p.hosts.empty());
  CHECK(r.config.limits.outgoing_chunk_bytes == LimitsSection().outgoing_chunk_bytes);
}

// ---------------------------------------------------------------------------------------------
// limits.outgoing_chunk_bytes

TEST_CASE("error: limits.outgoing_chunk_bytes must be 0 or between 2048 and 1073741824") {
  Env env;
  const std::string message = "must be 0 (never split) or between 2048 and 1073741824";
  for (const char* v : {"1", "2047", "1073741825"}) {
    CAPTURE(v);
    CHECK(env.Errors(kMinimal + "limits:\n  outgoing_chunk_bytes: " + v + "\n") ==
          env.E(12, "limits.outgoing_chunk_bytes", message));
  }
  for (const char* v : {"0", "2048", "1073741824"}) {
    CAPTURE(v);
    CHECK(env.Errors(kMinimal + "limits:\n  outgoing_chunk_bytes: " + v + "\n") == "");
  }
  CHECK(env.Errors(kMinimal + "limits:\n  outgoing_chunk_bytes: big\n") ==
        env.E(12, "limits.outgoing_chunk_bytes", "expected an integer, got 'big'"));
  CHECK(env.Errors(kMinimal + "limits:\n  outgoing_chunk_byte: 4096\n") ==
        env.E(12, "limits.outgoing_chunk_byte",
              "unknown key 'outgoing_chunk_byte', did you mean 'outgoing_chunk_bytes'?"));
}

// ---------------------------------------------------------------------------------------------
// Timeouts and allow_plain_tcp

TEST_CASE("error: peers.connect_timeout must be between 1 and 300") {
  Env env;
  for (const char* v : {"0", "301"}) {
    CAPTURE(v);
    CHECK(env.Errors(Peers(std::string("  connect_timeout: ") + v + "\n")) ==
          env.E(12, "peers.connect_timeout", "must be between 1 and 300"));
  }
  CHECK(env.Errors(Peers("  connect_timeout: 1\n")) == "");
  CHECK(env.Errors(Peers("  connect_timeout: 300\n")) == "");
  CHECK(env.Errors(Peers("  connect_timeout: -5\n")) ==
        env.E(12, "peers.connect_timeout", "expected an integer in 0..4294967295, got -5"));
  CHECK(env.Errors(Peers("  connect_timeout: [1]\n")) ==
        env.E(12, "peers.connect_timeout", "expected an integer, got a sequence"));
}

TEST_CASE("error: peers.idle_timeout must be between 1 and 86400") {
  Env env;
  for (const char* v : {"0", "86401"}) {
    CAPTURE(v);
    CHECK(env.Errors(Peers(std::string("  idle_timeout: ") + v + "\n")) ==
          env.E(12, "peers.idle_timeout", "must be between 1 and 86400"));
  }
  CHECK(env.Errors(Peers("  idle_timeout: 86400\n")) == "");
}

TEST_CASE("error: peers.allow_plain_tcp is not true or false") {
  Env env;
  CHECK(env.Errors(Peers("  allow_plain_tcp: yes\n")) ==
        env.E(12, "peers.allow_plain_tcp", "expected true or false, got 'yes'"));
  CHECK(env.Errors(Peers("  allow_plain_tcp: 1\n")) ==
        env.E(12, "peers.allow_plain_tcp", "expected true or false, got '1'"));
  CHECK(env.Errors(Peers("  allow_plain_tcp:\n")) ==
        env.E(12, "peers.allow_plain_tcp", "expected true or false, got an empty value"));
  CHECK(env.Errors(Peers("  allow_plain_tcp: [true]\n")) ==
        env.E(12, "peers.allow_plain_tcp", "expected true or false, got a sequence"));
}

// ---------------------------------------------------------------------------------------------
// Key and type errors

TEST_CASE("error: peers keys: unknown, duplicate, wrong type") {
  Env env;
  CHECK(env.Errors(Peers("  conect_timeout: 5\n")) ==
        env.E(12, "peers.conect_timeout", "unknown key 'conect_timeout', did you mean 'connect_timeout'?"));
  CHECK(env.Errors(Peers("  relays:\n    alow: []\n")) ==
        env.E(13, "peers.relays.alow", "unknown key 'alow', did you mean 'allow'?"));
  CHECK(env.Errors(kMinimal + "peer:\n") == env.E(11, "peer", "unknown key 'peer', did you mean 'peers'?"));
  CHECK(env.Errors(Peers("  idle_timeout: 5\n  idle_timeout: 6\n")) ==
        env.E(13, "peers.idle_timeout", "duplicate key 'idle_timeout' (first at line 12)"));
  CHECK(env.Errors(Peers("  relays:\n    deny: []\n    deny: []\n")) ==
        env.E(14, "peers.relays.deny", "duplicate key 'deny' (first at line 13)"));
  CHECK(env.Errors(kMinimal + "peers: {}\npeers: {}\n") ==
        env.E(12, "peers", "duplicate key 'peers' (first at line 11)"));
  CHECK(env.Errors(kMinimal + "peers: 5\n") == env.E(11, "peers", "expected a mapping, got '5'"));
  CHECK(env.Errors(Peers("  relays: [a.example]\n")) ==
        env.E(12, "peers.relays", "expected a mapping, got a sequence"));
}

// ---------------------------------------------------------------------------------------------
// peers.relays.allow / deny

TEST_CASE("error: peers.relays lists: wrong types") {
  Env env;
  CHECK(env.Errors(Peers("  relays:\n    allow: relay2.example.net\n")) ==
        env.E(13, "peers.relays.allow", "expected a sequence, got 'relay2.example.net'"));
  CHECK(env.Errors(Peers("  relays:\n    deny: { a: b }\n")) ==
        env.E(13, "peers.relays.deny", "expected a sequence, got a mapping"));
  CHECK(env.Errors(Peers("  relays:\n    allow:\n      - ok.example\n      - { a: b }\n      - [x]\n")) ==
        env.E(15, "peers.relays.allow[1]", "expected a string, got a mapping") +
            env.E(16, "peers.relays.allow[2]", "expected a string, got a sequence"));
}

TEST_CASE("error: peers.relays entry is neither a host name nor a '*.domain' pattern") {
  Env env;
  auto errors = [&](const std::string& entry) {
    return env.Errors(Peers("  relays:\n    deny:\n      - \"" + entry + "\"\n"));
  };
  const std::string key = "peers.relays.deny[0]";
  CHECK(errors("a*.example.net") ==
        env.E(14, key, "'*' is allowed only as the whole left-most label ('*.example.net'), got 'a*.example.net'"));
  CHECK(errors("*") == env.E(14, key, "'*' is allowed only as the whole left-most label ('*.example.net'), got '*'"));
  CHECK(errors("*.*.example.net") ==
        env.E(14, key, "'*' is allowed only as the whole left-most label ('*.example.net'), got '*.*.example.net'"));
  CHECK(errors("*.") == env.E(14, key, "expected a domain after '*.', got '*.'"));
  CHECK(errors("") == env.E(14, key, "must not be empty"));
  CHECK(errors("192.0.2.1") == env.E(14, key, "must be a host name, not an IP address literal"));
  CHECK(errors("*.a..b") == env.E(14, key, "empty label in host name 'a..b'"));
  CHECK(errors("a_b.example") ==
        env.E(14, key, "invalid character '_' in host name (letters, digits, hyphens and dots only)"));
  // Several bad entries: one error each, in line order.
  CHECK(env.Errors(Peers("  relays:\n    allow: [ good.example, \"x y\" ]\n    deny: [ \"::1\" ]\n")) ==
        env.E(13, "peers.relays.allow[1]",
              "invalid character ' ' in host name (letters, digits, hyphens and dots only)") +
            env.E(14, "peers.relays.deny[0]", "must be a host name, not an IP address literal"));
  CHECK(errors("*.example.net") == "");
  CHECK(errors("*.net") == "");
  CHECK(errors("localhost") == "");
}

// ---------------------------------------------------------------------------------------------
// peers.hosts

TEST_CASE("error: peers.hosts wrong types") {
  Env env;
  CHECK(env.Errors(Peers("  hosts: [ a.example ]\n")) ==
        env.E(12, "peers.hosts", "expected a mapping, got a sequence"));
  CHECK(env.Errors(Peers("  hosts:\n    [a, b]: [ 192.0.2.1 ]\n")) ==
        env.E(13, "peers.hosts", "expected a string key, got a sequence"));
  CHECK(env.Errors(Peers("  hosts:\n    relay2.example.net: 192.0.2.7\n")) ==
        env.E(13, "peers.hosts[relay2.example.net]", "expected a sequence, got '192.0.2.7'"));
  CHECK(env.Errors(Peers("  hosts:\n    relay2.example.net:\n      - { address: 192.0.2.7 }\n")) ==
        env.E(14, "peers.hosts[relay2.example.net][0]", "expected a string, got a mapping"));
}

TEST_CASE("error: peers.hosts entry without addresses") {
  Env env;
  CHECK(env.Errors(Peers("  hosts:\n    relay2.example.net: []\n")) ==
        env.E(13, "peers.hosts[relay2.example.net]", "must have at least one entry"));
  CHECK(env.Errors(Peers("  hosts:\n    relay2.example.net:\n")) ==
        env.E(13, "peers.hosts[relay2.example.net]", "must have at least one entry"));
}

TEST_CASE("error: peers.hosts duplicate host names (case-insensitive)") {
  Env env;
  CHECK(env.Errors(Peers("  hosts:\n    a.example: [ 192.0.2.1 ]\n    b.example: [ 192.0.2.2 ]\n"
                         "    A.Example: [ 192.0.2.3 ]\n")) ==
        env.E(15, "peers.hosts[a.example]", "duplicate key 'A.Example' (first at line 13)"));
}

TEST_CASE("error: peers.hosts key is not a host name") {
  Env env;
  auto errors = [&](const std::string& key) {
    return env.Errors(Peers("  hosts:\n    " + key + ": [ 192.0.2.1 ]\n"));
  };
  CHECK(errors("192.0.2.1") ==
        env.E(13, "peers.hosts[192.0.2.1]", "must be a host name, not an IP address literal"));
  CHECK(errors("\"::1\"") == env.E(13, "peers.hosts[::1]", "must be a host name, not an IP address literal"));
  CHECK(errors("\"*.example.net\"") ==
        env.E(13, "peers.hosts[*.example.net]",
              "invalid character '*' in host name (letters, digits, hyphens and dots only)"));
  CHECK(errors("a..example") == env.E(13, "peers.hosts[a..example]", "empty label in host name 'a..example'"));
  CHECK(errors("-a.example") == env.E(13, "peers.hosts[-a.example]", "label '-a' starts or ends with a hyphen"));
}

TEST_CASE("error: peers.hosts address is not an IP literal with an optional port") {
  Env env;
  auto errors = [&](const std::string& address) {
    return env.Errors(Peers("  hosts:\n    relay2.example.net:\n      - 192.0.2.1\n      - \"" + address +
                            "\"\n"));
  };
  const std::string key = "peers.hosts[relay2.example.net][1]";
  auto bad = [&](const std::string& address) {
    return env.E(15, key, "expected an IPv4 or IPv6 address literal with an optional :port, got '" +
                              address + "'");
  };
  for (const char* address : {"relay2.example.net", "", "192.0.2", "192.0.2.256", "[192.0.2.1]:80",
                              "[2001:db8::7", "[2001:db8::7]2855", "[2001:db8::7]x:1", "2001:db8::g",
                              "192.0.2.1:80:90", " 192.0.2.1"}) {
    CAPTURE(address);
    CHECK(errors(address) == bad(address));
  }
  auto bad_port = [&](const std::string& port, const std::string& address) {
    return env.E(15, key, "expected a port in 1..65535, got '" + port + "' in '" + address + "'");
  };
  CHECK(errors("192.0.2.1:0") == bad_port("0", "192.0.2.1:0"));
  CHECK(errors("192.0.2.1:65536") == bad_port("65536", "192.0.2.1:65536"));
  CHECK(errors("192.0.2.1:") == bad_port("", "192.0.2.1:"));
  CHECK(errors("192.0.2.1:+80") == bad_port("+80", "192.0.2.1:+80"));
  CHECK(errors("192.0.2.1:000080") == bad_port("000080", "192.0.2.1:000080"));
  CHECK(errors("[::1]:0") == bad_port("0", "[::1]:0"));
  CHECK(errors("[::1]:") == bad_port("", "[::1]:"));
  CHECK(errors("[::1]:2855") == "");
  CHECK(errors("192.0.2.1:1") == "");
  // A NUL byte would end the text for inet_pton.
  CHECK(env.Errors(Peers("  hosts:\n    a.example: [ \"192.0.2.1\\0x\" ]\n")) ==
        env.E(13, "peers.hosts[a.example][0]",
              "expected an IPv4 or IPv6 address literal with an optional :port, got '" +
                  std::string("192.0.2.1\0x", 11) + "'"));
}

TEST_CASE("peers errors are reported together, in line order") {
  Env env;
  const std::string yaml = kMinimal +
                           "limits:\n"                                     // 11
                           "  outgoing_chunk_bytes: 100\n"                 // 12
                           "peers:\n"                                      // 13
                           "  connect_timeout: 0\n"                        // 14
                           "  allow_plain_tcp: no\n"                       // 15
                           "  relays:\n"                                   // 16
                           "    allow: [ \"*.\" ]\n"                       // 17
                           "  hosts:\n"                                    // 18
                           "    a.example: [ 192.0.2.1:99999 ]\n"          // 19
                           "    b.example: []\n";                          // 20
  CHECK(env.Errors(yaml) ==
        env.E(12, "limits.outgoing_chunk_bytes", "must be 0 (never split) or between 2048 and 1073741824") +
            env.E(14, "peers.connect_timeout", "must be between 1 and 300") +
            env.E(15, "peers.allow_plain_tcp", "expected true or false, got 'no'") +
            env.E(17, "peers.relays.allow[0]", "expected a domain after '*.', got '*.'") +
            env.E(19, "peers.hosts[a.example][0]",
                  "expected a port in 1..65535, got '99999' in '192.0.2.1:99999'") +
            env.E(20, "peers.hosts[b.example]", "must have at least one entry"));
}

}  // namespace
}  // namespace msrp::config
