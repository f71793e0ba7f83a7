// Unit tests for config/: YAML document errors, missing, unknown and duplicate keys, and wrong
// types, each with its exact "FILE:LINE: KEY: MESSAGE" text.

#include <doctest/doctest.h>
#include <string>

#include "config/loader.h"
#include "tests/unit/config_test_env.h"

namespace msrp::config {
namespace {

using namespace test_env;

// ---------------------------------------------------------------------------------------------
// Document-level errors

TEST_CASE("error: yaml syntax error, reported with its line") {
  Env env;
  CHECK(env.Errors(kMinimal + "log: {level: info\n") ==
        env.E(12, "", "invalid YAML: end of map flow not found (column 1)"));
  CHECK(env.Errors("relay:\n  hostname: a\n   bad: x\n") ==
        env.E(3, "", "invalid YAML: illegal map value (column 7)"));
}

TEST_CASE("error: several YAML documents") {
  Env env;
  CHECK(env.Errors(kMinimal + "---\nlog: {}\n") ==
        env.E(12, "", "expected one YAML document, found 2"));
  // A trailing empty document is fine.
  CHECK(env.Errors(kMinimal + "---\n") == "");
}

// yaml-cpp 0.7's LoadAll loops forever, allocating, on these (found by fuzz/fuzz_config.cc): a
// SIGHUP reload of such a file would freeze the relay and exhaust its memory.
TEST_CASE("S-06: a ',' outside a flow collection is a YAML error, not an endless loop (fuzz_config)") {
  Env env;
  const std::string stray = "invalid YAML: a stray token (e.g. ',' outside [...] or {...}) at or after this line";
  CHECK(env.Errors(",") == env.E(1, "", stray));
  CHECK(env.Errors(kMinimal + "---\n,\n---\nlog: {}\n") == env.E(12, "", stray));
  // The fuzzer's input, NUL bytes included.
  const std::string found(",\0\0\0\0\0\0\0rA\x7f" "4\n&\0\0\x01:1427", 22);
  LoadResult r = LoadConfigText(found, env.ConfigPath());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message.rfind("invalid YAML: ", 0) == 0);
  // Document markers still count documents as before.
  CHECK(env.Errors(kMinimal + "...\n---\nlog: {}\n...\n") == env.E(13, "", "expected one YAML document, found 2"));
  CHECK(env.Errors("---\n" + kMinimal + "...\n") == "");
}

TEST_CASE("error: top level is not a mapping") {
  Env env;
  CHECK(env.Errors("- relay\n") == env.E(1, "", "expected a mapping at the top level, got a sequence"));
  CHECK(env.Errors("hello\n") == env.E(1, "", "expected a mapping at the top level, got 'hello'"));
}

TEST_CASE("error: config file cannot be read") {
  TempDir dir;
  CHECK(Env::Join(LoadConfigFile(dir / "nope.yaml")) == dir / "nope.yaml: file not found\n");
  CHECK(Env::Join(LoadConfigFile(dir.path())) == dir.path() + ": not a regular file\n");
}

TEST_CASE("error: required key is missing") {
  Env env;
  // Empty file: no line to point at.
  CHECK(env.Errors("") == env.E(0, "relay.hostname", "required key is missing") +
                              env.E(0, "relay.listen", "required key is missing") +
                              env.E(0, "tls.certificate", "required key is missing") +
                              env.E(0, "tls.private_key", "required key is missing") +
                              env.E(0, "auth.realm", "required key is missing") +
                              env.E(0, "auth.users_file", "required key is missing"));
  // A present section: the line of the section.
  CHECK(env.Errors("relay:\n  listen: [ {port: 1} ]\n" + kRest) ==
        env.E(1, "relay.hostname", "required key is missing"));
  CHECK(env.Errors(kRelay + "tls:\n  certificate: tls/relay.crt\n"
                            "auth:\n  realm: example.com\n  users_file: users.htdigest\n") ==
        env.E(5, "tls.private_key", "required key is missing"));
}

// ---------------------------------------------------------------------------------------------
// Key and type errors

TEST_CASE("error: unknown key with a suggestion") {
  Env env;
  CHECK(env.Errors(kRelay + "tls:\n  certificate: tls/relay.crt\n  private_key: tls/relay.key\n"
                            "auth:\n  realmm: x\n  realm: example.com\n  users_file: users.htdigest\n") ==
        env.E(9, "auth.realmm", "unknown key 'realmm', did you mean 'realm'?"));
  CHECK(env.Errors(kMinimal + "limits:\n  max_header: 10\n") ==
        env.E(12, "limits.max_header", "unknown key 'max_header', did you mean 'max_headers'?"));
  CHECK(env.Errors(WithRelay("relay:\n  hostname: localhost\n  listen:\n    - { prot: 1 }\n")) ==
        env.E(4, "relay.listen[0].prot", "unknown key 'prot', did you mean 'port'?"));
  CHECK(env.Errors(kMinimal + "Log: {}\n") == env.E(11, "Log", "unknown key 'Log', did you mean 'log'?"));
}

TEST_CASE("metrics: the section turns the HTTP endpoint on; its address must be a literal") {
  Env env;
  CHECK(env.Errors(kMinimal + "metrics:\n  port: 9100\n").empty());
  CHECK(env.Errors(kMinimal + "metrics:\n  address: localhost\n") ==
        env.E(12, "metrics.address", "expected an IPv4 or IPv6 address literal, got 'localhost'"));
  CHECK(env.Errors(kMinimal + "metrics:\n  prot: 1\n") ==
        env.E(12, "metrics.prot", "unknown key 'prot', did you mean 'port'?"));
}

TEST_CASE("error: unknown key without a suggestion") {
  Env env;
  CHECK(env.Errors(kMinimal + "statistics:\n  port: 9100\n") ==
        env.E(11, "statistics", "unknown key 'statistics'"));
  CHECK(env.Errors(kMinimal + "log:\n  colour: true\n") ==
        env.E(12, "log.colour", "unknown key 'colour'"));
}

TEST_CASE("error: duplicate key") {
  Env env;
  CHECK(env.Errors(WithRelay("relay:\n  hostname: a.example\n  listen: [ {} ]\n  hostname: b.example\n")) ==
        env.E(4, "relay.hostname", "duplicate key 'hostname' (first at line 2)"));
  CHECK(env.Errors(kMinimal + "auth:\n") == env.E(11, "auth", "duplicate key 'auth' (first at line 8)"));
}

TEST_CASE("error: non-string key") {
  Env env;
  CHECK(env.Errors(kMinimal + "[a, b]: 1\n") == env.E(11, "", "expected a string key, got a sequence"));
}

TEST_CASE("error: expected a mapping") {
  Env env;
  CHECK(env.Errors(kMinimal + "limits: 5\n") == env.E(11, "limits", "expected a mapping, got '5'"));
  CHECK(env.Errors(kMinimal + "log: [info]\n") == env.E(11, "log", "expected a mapping, got a sequence"));
}

TEST_CASE("error: expected a mapping (nested section, list item)") {
  Env env;
  CHECK(env.Errors(kRelay + "tls:\n  certificate: tls/relay.crt\n  private_key: tls/relay.key\n"
                            "auth:\n  realm: example.com\n  users_file: users.htdigest\n"
                            "  expires: 600\n") ==
        env.E(11, "auth.expires", "expected a mapping, got '600'"));
  CHECK(env.Errors(WithRelay("relay:\n  hostname: localhost\n  listen:\n    - 127.0.0.1\n")) ==
        env.E(4, "relay.listen[0]", "expected a mapping, got '127.0.0.1'"));
  // A whole section of the wrong type: no "required key" errors for its keys.
  CHECK(env.Errors("relay: localhost\n" + kRest) == env.E(1, "relay", "expected a mapping, got 'localhost'"));
}

TEST_CASE("error: expected a sequence") {
  Env env;
  CHECK(env.Errors(WithRelay("relay:\n  hostname: localhost\n  listen: { address: 127.0.0.1 }\n")) ==
        env.E(3, "relay.listen", "expected a sequence, got a mapping"));
}

TEST_CASE("error: expected a string") {
  Env env;
  CHECK(env.Errors(WithRelay("relay:\n  hostname: [relay.example.com]\n  listen: [ {} ]\n")) ==
        env.E(2, "relay.hostname", "expected a string, got a sequence"));
  CHECK(env.Errors(kMinimal + "log:\n  format:\n") ==
        env.E(12, "log.format", "expected a string, got an empty value"));
  CHECK(env.Errors(kMinimal + "log:\n  level: { name: info }\n") ==
        env.E(12, "log.level", "expected a string, got a mapping"));
}

TEST_CASE("error: expected an integer") {
  Env env;
  CHECK(env.Errors(kMinimal + "limits:\n  max_headers: abc\n") ==
        env.E(12, "limits.max_headers", "expected an integer, got 'abc'"));
  CHECK(env.Errors(kMinimal + "limits:\n  probation: true\n") ==
        env.E(12, "limits.probation", "expected an integer, got 'true'"));
  CHECK(env.Errors(kMinimal + "limits:\n  probation: 1.5\n") ==
        env.E(12, "limits.probation", "expected an integer, got '1.5'"));
  CHECK(env.Errors(kMinimal + "limits:\n  probation: 0x10\n") ==
        env.E(12, "limits.probation", "expected an integer, got '0x10'"));
  CHECK(env.Errors(kMinimal + "limits:\n  probation: [1]\n") ==
        env.E(12, "limits.probation", "expected an integer, got a sequence"));
  CHECK(env.Errors(kMinimal + "limits:\n  probation:\n") ==
        env.E(12, "limits.probation", "expected an integer, got an empty value"));
  CHECK(env.Errors(kMinimal + "limits:\n  probation: " + std::string(50, '9') + "x\n") ==
        env.E(12, "limits.probation",
              "expected an integer, got '" + std::string(40, '9') + "...'"));
}

TEST_CASE("error: integer out of range of its type") {
  Env env;
  CHECK(env.Errors(WithRelay("relay:\n  hostname: localhost\n  listen:\n    - { port: 65536 }\n")) ==
        env.E(4, "relay.listen[0].port", "expected an integer in 0..65535, got 65536"));
  CHECK(env.Errors(kMinimal + "limits:\n  probation: -1\n") ==
        env.E(12, "limits.probation", "expected an integer in 0..4294967295, got -1"));
  CHECK(env.Errors(kMinimal + "limits:\n  max_connections: 4294967296\n") ==
        env.E(12, "limits.max_connections", "expected an integer in 0..4294967295, got 4294967296"));
  CHECK(env.Errors(kMinimal + "limits:\n  max_queue_bytes: 18446744073709551616\n") ==
        env.E(12, "limits.max_queue_bytes",
              "expected an integer in 0..18446744073709551615, got 18446744073709551616"));
  CHECK(env.Errors(kMinimal + "limits:\n  probation: " + std::string(50, '9') + "\n") ==
        env.E(12, "limits.probation",
              "expected an integer in 0..4294967295, got " + std::string(40, '9') + "..."));
  // Edges that fit.
  Env ok;
  LoadResult r = LoadConfigText(
      WithRelay("relay:\n  hostname: localhost\n  listen:\n    - { port: 65535 }\n    - { port: -0 }\n") +
          "limits:\n  max_queue_bytes: 18446744073709551615\n  max_connections: +4294967295\n",
      ok.ConfigPath());
  REQUIRE_MESSAGE(r.ok(), Env::Join(r));
  CHECK(r.config.relay.listen[0].port == 65535);
  CHECK(r.config.relay.listen[1].port == 0);
  CHECK(r.config.limits.max_queue_bytes == 18446744073709551615ULL);
  CHECK(r.config.limits.max_connections == 4294967295U);
}

TEST_CASE("error: transport is neither tls nor tcp") {
  Env env;
  CHECK(env.Errors(WithRelay("relay:\n  hostname: localhost\n  listen:\n    - { transport: udp }\n")) ==
        env.E(4, "relay.listen[0].transport", "must be 'tls' or 'tcp', got 'udp'"));
  CHECK(env.Errors(WithRelay("relay:\n  hostname: localhost\n  listen:\n    - { transport: TLS }\n")) ==
        env.E(4, "relay.listen[0].transport", "must be 'tls' or 'tcp', got 'TLS'"));
}

}  // namespace
}  // namespace msrp::config
