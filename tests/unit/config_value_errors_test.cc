// Unit tests for config/: out-of-range and inconsistent values of the relay, tls, auth, limits and
// log sections, each with its exact "FILE:LINE: KEY: MESSAGE" text.

#include <doctest/doctest.h>
#include <string>

#include "config/loader.h"
#include "config/validate.h"
#include "tests/unit/config_test_env.h"

namespace msrp::config {
namespace {

using namespace test_env;

// ---------------------------------------------------------------------------------------------
// relay

TEST_CASE("error: listen must have at least one entry") {
  Env env;
  CHECK(env.Errors(WithRelay("relay:\n  hostname: localhost\n  listen: []\n")) ==
        env.E(3, "relay.listen", "must have at least one entry"));
  CHECK(env.Errors(WithRelay("relay:\n  hostname: localhost\n  listen:\n")) ==
        env.E(3, "relay.listen", "must have at least one entry"));
}

TEST_CASE("error: listen address is not an IP literal") {
  Env env;
  CHECK(env.Errors(WithRelay("relay:\n  hostname: localhost\n  listen:\n"
                             "    - { address: localhost }\n"
                             "    - { address: '[::1]' }\n"
                             "    - { address: 127.0.0.256 }\n")) ==
        env.E(4, "relay.listen[0].address", "expected an IPv4 or IPv6 address literal, got 'localhost'") +
            env.E(5, "relay.listen[1].address", "expected an IPv4 or IPv6 address literal, got '[::1]'") +
            env.E(6, "relay.listen[2].address",
                  "expected an IPv4 or IPv6 address literal, got '127.0.0.256'"));
}

TEST_CASE("error: duplicate listener") {
  Env env;
  CHECK(env.Errors(WithRelay("relay:\n  hostname: localhost\n  listen:\n"
                             "    - { address: 127.0.0.1, port: 2855 }\n"
                             "    - { address: 127.0.0.1, port: 2856 }\n"
                             "    - { address: 127.0.0.1, port: 2855, transport: tcp }\n"
                             "    - { address: '::1', port: 2855 }\n"
                             "    - { address: '0:0::1', port: 2855 }\n"
                             "    - { address: 127.0.0.1, port: 0 }\n"
                             "    - { address: 127.0.0.1, port: 0 }\n")) ==
        env.E(6, "relay.listen[2]", "duplicate listener 127.0.0.1:2855 (same as relay.listen[0])") +
            env.E(8, "relay.listen[4]", "duplicate listener [0:0::1]:2855 (same as relay.listen[3])"));
}

TEST_CASE("error: hostname is empty") {
  Env env;
  CHECK(env.Errors(WithRelay("relay:\n  hostname: ''\n  listen: [ {} ]\n")) ==
        env.E(2, "relay.hostname", "must not be empty"));
}

TEST_CASE("error: hostname is an IP address literal") {
  Env env;
  const std::string msg =
      "must be a host name, not an IP address literal (Use-Path URIs use an FQDN, RFC 4976 §8)";
  for (const char* host : {"127.0.0.1", "'::1'", "'[2001:db8::1]'", "10.1", "2130706433"}) {
    CAPTURE(host);
    CHECK(env.Errors(WithRelay(std::string("relay:\n  hostname: ") + host + "\n  listen: [ {} ]\n")) ==
          env.E(2, "relay.hostname", msg));
  }
}

TEST_CASE("error: hostname has an invalid character") {
  Env env;
  CHECK(env.Errors(WithRelay("relay:\n  hostname: relay_1.example.com\n  listen: [ {} ]\n")) ==
        env.E(2, "relay.hostname",
              "invalid character '_' in host name (letters, digits, hyphens and dots only)"));
  CHECK(env.Errors(WithRelay("relay:\n  hostname: \"a\\tb\"\n  listen: [ {} ]\n")) ==
        env.E(2, "relay.hostname",
              "invalid character '\\x09' in host name (letters, digits, hyphens and dots only)"));
}

TEST_CASE("error: hostname longer than 253 characters") {
  Env env;
  std::string host;
  for (int i = 0; i < 4; ++i) host += std::string(63, 'a') + ".";
  host += "com";  // 259 characters
  CHECK(env.Errors(WithRelay("relay:\n  hostname: " + host + "\n  listen: [ {} ]\n")) ==
        env.E(2, "relay.hostname", "host name longer than 253 characters"));
}

TEST_CASE("error: hostname has an empty label") {
  Env env;
  for (const char* host : {"a..b", ".example.com", "example.com."}) {
    CAPTURE(host);
    CHECK(env.Errors(WithRelay(std::string("relay:\n  hostname: ") + host + "\n  listen: [ {} ]\n")) ==
          env.E(2, "relay.hostname", std::string("empty label in host name '") + host + "'"));
  }
}

TEST_CASE("error: hostname label longer than 63 characters") {
  Env env;
  std::string label(64, 'x');
  CHECK(env.Errors(WithRelay("relay:\n  hostname: " + label + ".com\n  listen: [ {} ]\n")) ==
        env.E(2, "relay.hostname", "label '" + label + "' longer than 63 characters"));
}

TEST_CASE("error: hostname label starts or ends with a hyphen") {
  Env env;
  CHECK(env.Errors(WithRelay("relay:\n  hostname: relay-.example.com\n  listen: [ {} ]\n")) ==
        env.E(2, "relay.hostname", "label 'relay-' starts or ends with a hyphen"));
  CHECK(env.Errors(WithRelay("relay:\n  hostname: -relay.example.com\n  listen: [ {} ]\n")) ==
        env.E(2, "relay.hostname", "label '-relay' starts or ends with a hyphen"));
}

TEST_CASE("host names that are accepted") {
  for (const char* host : {"localhost", "relay.example.com", "r-1.EXAMPLE.org", "3com.net", "a.b.c.d.e",
                           "xn--bcher-kva.example"}) {
    CAPTURE(host);
    CHECK(HostNameProblem(host) == "");
  }
}

// ---------------------------------------------------------------------------------------------
// tls and auth

TEST_CASE("error: auth.allow_users holds an empty name or a non-string (A-09)") {
  Env env;
  CHECK(env.Errors(kMinimal + "  allow_users:\n    - alice\n    - ''\n    - { name: bob }\n") ==
        env.E(13, "auth.allow_users[1]", "must not be empty") +
            env.E(14, "auth.allow_users[2]", "expected a string, got a mapping"));
}

TEST_CASE("error: required string is empty") {
  Env env;
  CHECK(env.Errors(kRelay + "tls:\n  certificate: ''\n  private_key: ''\n"
                            "auth:\n  realm: ''\n  users_file: ''\n") ==
        env.E(6, "tls.certificate", "must not be empty") + env.E(7, "tls.private_key", "must not be empty") +
            env.E(9, "auth.realm", "must not be empty") + env.E(10, "auth.users_file", "must not be empty"));
  // An empty ca_file means the system store.
  LoadResult r = LoadConfigText(kRelay + "tls:\n  certificate: tls/relay.crt\n  private_key: tls/relay.key\n"
                                         "  ca_file: ''\nauth:\n  realm: r\n  users_file: users.htdigest\n",
                                env.ConfigPath());
  CHECK_MESSAGE(r.ok(), Env::Join(r));
}

TEST_CASE("error: realm has a quote, backslash or control character") {
  Env env;
  for (const char* realm : {"'a\"b'", "'a\\b'", "\"a\\x01b\""}) {
    CAPTURE(realm);
    CHECK(env.Errors(kRelay + "tls:\n  certificate: tls/relay.crt\n  private_key: tls/relay.key\n"
                              "auth:\n  realm: " + realm + "\n  users_file: users.htdigest\n") ==
          env.E(9, "auth.realm", "must not contain '\"', '\\' or control characters"));
  }
}

TEST_CASE("error: value must be > 0") {
  Env env;
  CHECK(env.Errors(kMinimal + "limits:\n"
                              "  max_headers: 0\n  max_non_send_body: 0\n  probation: 0\n"
                              "  transaction_timeout: 0\n  stall_timeout: 0\n  max_connections: 0\n"
                              "  handshake_timeout: 0\n") ==
        env.E(12, "limits.max_headers", "must be > 0") + env.E(13, "limits.max_non_send_body", "must be > 0") +
            env.E(14, "limits.probation", "must be > 0") +
            env.E(15, "limits.transaction_timeout", "must be > 0") +
            env.E(16, "limits.stall_timeout", "must be > 0") +
            env.E(17, "limits.max_connections", "must be > 0") +
            env.E(18, "limits.handshake_timeout", "must be > 0"));
  // A failing key is not also reported by the ordering rules it takes part in.
  CHECK(env.Errors(kRelay + "tls:\n  certificate: tls/relay.crt\n  private_key: tls/relay.key\n"
                             "auth:\n  realm: r\n  users_file: users.htdigest\n"
                             "  expires: { min: 0 }\n  nonce_lifetime: 0\n  max_failures: 0\n") ==
        env.E(11, "auth.expires.min", "must be > 0") + env.E(12, "auth.nonce_lifetime", "must be > 0") +
            env.E(13, "auth.max_failures", "must be > 0"));
  CHECK(env.Errors(kMinimal + "limits:\n  low_watermark: 0\n  high_watermark: 0\n  max_queue_bytes: 0\n") ==
        env.E(12, "limits.low_watermark", "must be > 0") + env.E(13, "limits.high_watermark", "must be > 0") +
            env.E(14, "limits.max_queue_bytes", "must be > 0"));
}

std::string AuthWithExpires(const std::string& expires) {
  return kRelay + "tls:\n  certificate: tls/relay.crt\n  private_key: tls/relay.key\n"
                  "auth:\n  realm: r\n  users_file: users.htdigest\n  expires:\n" + expires;
}

TEST_CASE("error: expires must be <= (min <= default <= max)") {
  Env env;
  // Lines: expires: at 11, its keys from 12.
  CHECK(env.Errors(AuthWithExpires("    min: 700\n")) ==
        env.E(12, "auth.expires.min", "must be <= auth.expires.default (600)"));
  CHECK(env.Errors(AuthWithExpires("    default: 4000\n")) ==
        env.E(12, "auth.expires.default", "must be <= auth.expires.max (3600)"));
  CHECK(env.Errors(AuthWithExpires("    min: 10\n    default: 20\n    max: 15\n")) ==
        env.E(13, "auth.expires.default", "must be <= auth.expires.max (15)"));
  CHECK(env.Errors(AuthWithExpires("    min: 10\n    default: 5\n    max: 1\n")) ==
        env.E(12, "auth.expires.min", "must be <= auth.expires.default (5)") +
            env.E(13, "auth.expires.default", "must be <= auth.expires.max (1)"));
  // Equal is fine.
  CHECK(env.Errors(AuthWithExpires("    min: 5\n    default: 5\n    max: 5\n")) == "");
}

TEST_CASE("error: expires must be >= (reported on the key that was written)") {
  Env env;
  CHECK(env.Errors(AuthWithExpires("    default: 30\n")) ==
        env.E(12, "auth.expires.default", "must be >= auth.expires.min (60)"));
  CHECK(env.Errors(AuthWithExpires("    max: 300\n")) ==
        env.E(12, "auth.expires.max", "must be >= auth.expires.default (600)"));
}

// ---------------------------------------------------------------------------------------------
// limits and log

TEST_CASE("error: watermark must be < (low < high < max_queue_bytes)") {
  Env env;
  CHECK(env.Errors(kMinimal + "limits:\n  low_watermark: 1048576\n") ==
        env.E(12, "limits.low_watermark", "must be < limits.high_watermark (1048576)"));
  CHECK(env.Errors(kMinimal + "limits:\n  high_watermark: 16777216\n") ==
        env.E(12, "limits.high_watermark", "must be < limits.max_queue_bytes (16777216)"));
  CHECK(env.Errors(kMinimal + "limits:\n  high_watermark: 100\n  low_watermark: 200\n") ==
        env.E(13, "limits.low_watermark", "must be < limits.high_watermark (100)"));
}

TEST_CASE("error: watermark must be > (reported on the key that was written)") {
  Env env;
  CHECK(env.Errors(kMinimal + "limits:\n  high_watermark: 1000\n") ==
        env.E(12, "limits.high_watermark", "must be > limits.low_watermark (262144)"));
  CHECK(env.Errors(kMinimal + "limits:\n  max_queue_bytes: 1048576\n") ==
        env.E(12, "limits.max_queue_bytes", "must be > limits.high_watermark (1048576)"));
}

TEST_CASE("error: max_head_bytes must be between 1024 and 1048576") {
  Env env;
  for (const char* v : {"0", "1023", "1048577"}) {
    CAPTURE(v);
    CHECK(env.Errors(kMinimal + "limits:\n  max_head_bytes: " + v + "\n") ==
          env.E(12, "limits.max_head_bytes", "must be between 1024 and 1048576"));
  }
  CHECK(env.Errors(kMinimal + "limits:\n  max_head_bytes: 1024\n") == "");
  CHECK(env.Errors(kMinimal + "limits:\n  max_head_bytes: 1048576\n") == "");
}

TEST_CASE("error: log level is unknown") {
  Env env;
  CHECK(env.Errors(kMinimal + "log:\n  level: verbose\n") ==
        env.E(12, "log.level", "must be one of trace, debug, info, warn, error, critical, off; got 'verbose'"));
  for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    CHECK(env.Errors(kMinimal + "log:\n  level: " + level + "\n") == "");
  }
}

TEST_CASE("error: log format is unknown") {
  Env env;
  CHECK(env.Errors(kMinimal + "log:\n  format: xml\n") ==
        env.E(12, "log.format", "must be 'text' or 'json', got 'xml'"));
}

}  // namespace
}  // namespace msrp::config
