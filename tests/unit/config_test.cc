// Unit tests for config/: loading, defaults, path resolution and every error message (with its
// exact "FILE:LINE: KEY: MESSAGE" text), plus a check that the sample config parses.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "config/loader.h"
#include "config/validate.h"
#include "tests/unit/config_test_env.h"

namespace msrp::config {
namespace {

namespace fs = std::filesystem;

using namespace test_env;

/// kRest with the relay section replaced: relay lines are given, the rest follows.
std::string WithRelay(const std::string& relay) { return relay + kRest; }

// ---------------------------------------------------------------------------------------------
// Successful loads

TEST_CASE("a full config loads with every value") {
  Env env;
  WriteFile(env.dir / "ca/bundle.pem", "ca\n");
  const std::string yaml =
      "relay:\n"
      "  hostname: relay.example.com\n"
      "  listen:\n"
      "    - { address: 127.0.0.1, port: 2855, transport: tls }\n"
      "    - address: '::1'\n"
      "      port: 0\n"
      "      transport: tcp\n"
      "tls:\n"
      "  certificate: tls/relay.crt\n"
      "  private_key: tls/relay.key\n"
      "  ca_file: ca/bundle.pem\n"
      "auth:\n"
      "  realm: example.com\n"
      "  users_file: users.htdigest\n"
      "  expires: { min: 30, default: 900, max: 7200 }\n"
      "  nonce_lifetime: 120\n"
      "  max_failures: 3\n"
      "limits:\n"
      "  max_head_bytes: 8192\n"
      "  max_headers: 32\n"
      "  max_non_send_body: 4096\n"
      "  probation: 20\n"
      "  transaction_timeout: 25\n"
      "  high_watermark: 2000000\n"
      "  low_watermark: 500000\n"
      "  max_queue_bytes: 5000000000\n"
      "  stall_timeout: 45\n"
      "  max_connections: 500\n"
      "  handshake_timeout: 5\n"
      "log:\n"
      "  level: debug\n"
      "  format: json\n";
  LoadResult r = LoadConfigText(yaml, env.ConfigPath());
  REQUIRE_MESSAGE(r.ok(), Env::Join(r));
  const Config& c = r.config;
  CHECK(c.path == env.ConfigPath());
  CHECK(c.relay.hostname == "relay.example.com");
  REQUIRE(c.relay.listen.size() == 2);
  CHECK(c.relay.listen[0].address == "127.0.0.1");
  CHECK(c.relay.listen[0].port == 2855);
  CHECK(c.relay.listen[0].transport == Transport::kTls);
  CHECK(c.relay.listen[1].address == "::1");
  CHECK(c.relay.listen[1].port == 0);
  CHECK(c.relay.listen[1].transport == Transport::kTcp);
  CHECK(c.tls.certificate == env.dir / "tls/relay.crt");
  CHECK(c.tls.private_key == env.dir / "tls/relay.key");
  CHECK(c.tls.ca_file == env.dir / "ca/bundle.pem");
  CHECK(c.auth.realm == "example.com");
  CHECK(c.auth.users_file == env.dir / "users.htdigest");
  CHECK(c.auth.expires.min == 30);
  CHECK(c.auth.expires.default_s == 900);
  CHECK(c.auth.expires.max == 7200);
  CHECK(c.auth.nonce_lifetime == 120);
  CHECK(c.auth.max_failures == 3);
  CHECK(c.limits.max_head_bytes == 8192);
  CHECK(c.limits.max_headers == 32);
  CHECK(c.limits.max_non_send_body == 4096);
  CHECK(c.limits.probation == 20);
  CHECK(c.limits.transaction_timeout == 25);
  CHECK(c.limits.high_watermark == 2000000);
  CHECK(c.limits.low_watermark == 500000);
  CHECK(c.limits.max_queue_bytes == 5000000000ULL);
  CHECK(c.limits.stall_timeout == 45);
  CHECK(c.limits.max_connections == 500);
  CHECK(c.limits.handshake_timeout == 5);
  CHECK(c.log.level == "debug");
  CHECK(c.log.format == "json");
}

TEST_CASE("defaults apply when optional sections and keys are omitted") {
  Env env;
  LoadResult r = LoadConfigText(kMinimal, env.ConfigPath());
  REQUIRE_MESSAGE(r.ok(), Env::Join(r));
  const Config& c = r.config;
  REQUIRE(c.relay.listen.size() == 1);
  CHECK(c.relay.listen[0].transport == Transport::kTls);
  CHECK(c.tls.ca_file.empty());
  const AuthSection auth;
  CHECK(c.auth.expires.min == auth.expires.min);
  CHECK(c.auth.expires.default_s == auth.expires.default_s);
  CHECK(c.auth.expires.max == auth.expires.max);
  CHECK(c.auth.nonce_lifetime == auth.nonce_lifetime);
  CHECK(c.auth.max_failures == auth.max_failures);
  const LimitsSection limits;
  CHECK(c.limits.max_head_bytes == limits.max_head_bytes);
  CHECK(c.limits.max_headers == limits.max_headers);
  CHECK(c.limits.max_non_send_body == limits.max_non_send_body);
  CHECK(c.limits.probation == limits.probation);
  CHECK(c.limits.transaction_timeout == limits.transaction_timeout);
  CHECK(c.limits.high_watermark == limits.high_watermark);
  CHECK(c.limits.low_watermark == limits.low_watermark);
  CHECK(c.limits.max_queue_bytes == limits.max_queue_bytes);
  CHECK(c.limits.stall_timeout == limits.stall_timeout);
  CHECK(c.limits.max_connections == limits.max_connections);
  CHECK(c.limits.handshake_timeout == limits.handshake_timeout);
  CHECK(c.log.level == "info");
  CHECK(c.log.format == "text");
}

TEST_CASE("a listen entry takes the address and port defaults") {
  Env env;
  LoadResult r = LoadConfigText(WithRelay("relay:\n  hostname: localhost\n  listen:\n    - {}\n"),
                                env.ConfigPath());
  REQUIRE_MESSAGE(r.ok(), Env::Join(r));
  REQUIRE(r.config.relay.listen.size() == 1);
  CHECK(r.config.relay.listen[0].address == "127.0.0.1");
  CHECK(r.config.relay.listen[0].port == 2855);
  CHECK(r.config.relay.listen[0].transport == Transport::kTls);
}

TEST_CASE("a section whose keys are all commented out counts as empty") {
  Env env;
  LoadResult r = LoadConfigText(kMinimal + "limits:\n  # max_headers: 64\nlog:\n", env.ConfigPath());
  CHECK_MESSAGE(r.ok(), Env::Join(r));
  CHECK(r.config.limits.max_headers == 64);
}

TEST_CASE("relative paths resolve against the config folder; absolute paths are kept") {
  Env env;
  WriteFile(env.dir / "etc/users.htdigest", "");
  const std::string abs_key = env.dir / "tls/relay.key";
  const std::string yaml = kRelay +
                           "tls:\n"
                           "  certificate: ./tls/../tls/relay.crt\n"
                           "  private_key: " + abs_key + "\n"
                           "auth:\n"
                           "  realm: example.com\n"
                           "  users_file: ../" + fs::path(env.dir.path()).filename().string() +
                           "/etc/users.htdigest\n";
  LoadResult r = LoadConfigText(yaml, env.ConfigPath());
  REQUIRE_MESSAGE(r.ok(), Env::Join(r));
  CHECK(r.config.tls.certificate == env.dir / "tls/relay.crt");
  CHECK(r.config.tls.private_key == abs_key);
  CHECK(r.config.auth.users_file == env.dir / "etc/users.htdigest");
}

TEST_CASE("a relative config path is made absolute against the working directory") {
  LoadResult r = LoadConfigText("", "some/relay.yaml");
  CHECK(r.config.path == (fs::current_path() / "some/relay.yaml").string());
  // Messages keep the path as given.
  REQUIRE_FALSE(r.errors.empty());
  CHECK(r.errors[0].file == "some/relay.yaml");
}

TEST_CASE("LoadConfigFile reads the file") {
  Env env;
  WriteFile(env.ConfigPath(), kMinimal);
  LoadResult r = LoadConfigFile(env.ConfigPath());
  REQUIRE_MESSAGE(r.ok(), Env::Join(r));
  CHECK(r.config.relay.hostname == "relay.example.com");
  CHECK(r.config.tls.certificate == env.dir / "tls/relay.crt");
}

TEST_CASE("the sample config config/msrp-relay.yaml parses and documents the defaults") {
  TempDir dir;
  const std::string sample = CopySampleConfig(dir);
  // Without the files the quick-start script creates, only those are reported.
  LoadResult missing = LoadConfigFile(sample);
  for (const ConfigError& e : missing.errors) {
    CHECK_MESSAGE(e.message.rfind("file not found: ", 0) == 0, e.ToString());
  }
  CHECK(missing.errors.size() == 3);

  WriteReferencedFiles(dir);
  LoadResult r = LoadConfigFile(sample);
  REQUIRE_MESSAGE(r.ok(), Env::Join(r));
  const Config& c = r.config;
  CHECK(c.relay.hostname == "localhost");
  REQUIRE(c.relay.listen.size() == 1);
  CHECK(c.relay.listen[0].address == "127.0.0.1");
  CHECK(c.relay.listen[0].port == 2855);
  CHECK(c.relay.listen[0].transport == Transport::kTls);
  CHECK(c.tls.certificate == dir / "tls/relay.crt");
  CHECK(c.tls.private_key == dir / "tls/relay.key");
  CHECK(c.tls.ca_file.empty());
  CHECK(c.auth.realm == "localhost");
  CHECK(c.auth.users_file == dir / "users.htdigest");
  // The sample lists the struct defaults.
  const AuthSection auth;
  CHECK(c.auth.expires.min == auth.expires.min);
  CHECK(c.auth.expires.default_s == auth.expires.default_s);
  CHECK(c.auth.expires.max == auth.expires.max);
  CHECK(c.auth.nonce_lifetime == auth.nonce_lifetime);
  CHECK(c.auth.max_failures == auth.max_failures);
  const LimitsSection limits;
  CHECK(c.limits.max_head_bytes == limits.max_head_bytes);
  CHECK(c.limits.max_headers == limits.max_headers);
  CHECK(c.limits.max_non_send_body == limits.max_non_send_body);
  CHECK(c.limits.probation == limits.probation);
  CHECK(c.limits.transaction_timeout == limits.transaction_timeout);
  CHECK(c.limits.high_watermark == limits.high_watermark);
  CHECK(c.limits.low_watermark == limits.low_watermark);
  CHECK(c.limits.max_queue_bytes == limits.max_queue_bytes);
  CHECK(c.limits.stall_timeout == limits.stall_timeout);
  CHECK(c.limits.max_connections == limits.max_connections);
  CHECK(c.limits.handshake_timeout == limits.handshake_timeout);
  CHECK(c.limits.max_connections_per_ip == limits.max_connections_per_ip);
  CHECK(c.limits.max_pending_transactions == limits.max_pending_transactions);
  CHECK(c.limits.idle_timeout == limits.idle_timeout);
  CHECK(c.limits.max_message_bytes == limits.max_message_bytes);
  CHECK(c.limits.drain_timeout == limits.drain_timeout);
  CHECK_FALSE(c.metrics.enabled);
  CHECK(c.log.level == LogSection().level);
  CHECK(c.log.format == LogSection().format);
}

// ---------------------------------------------------------------------------------------------
// ToString

TEST_CASE("ConfigError::ToString omits the line when 0 and the key when empty") {
  CHECK(ConfigError{"/etc/r.yaml", 7, "auth.expires.min", "must be > 0"}.ToString() ==
        "/etc/r.yaml:7: auth.expires.min: must be > 0");
  CHECK(ConfigError{"/etc/r.yaml", 0, "auth.realm", "required key is missing"}.ToString() ==
        "/etc/r.yaml: auth.realm: required key is missing");
  CHECK(ConfigError{"/etc/r.yaml", 3, "", "invalid YAML: x"}.ToString() ==
        "/etc/r.yaml:3: invalid YAML: x");
  CHECK(ConfigError{"/etc/r.yaml", 0, "", "file not found"}.ToString() ==
        "/etc/r.yaml: file not found");
}

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

// ---------------------------------------------------------------------------------------------
// Referenced files

TEST_CASE("error: referenced file not found") {
  Env env;
  CHECK(env.Errors(kRelay + "tls:\n  certificate: tls/missing.crt\n  private_key: /nonexistent/x.key\n"
                            "  ca_file: ca.pem\nauth:\n  realm: r\n  users_file: users.htdigest/x\n") ==
        env.E(6, "tls.certificate", "file not found: " + env.dir / "tls/missing.crt") +
            env.E(7, "tls.private_key", "file not found: /nonexistent/x.key") +
            env.E(8, "tls.ca_file", "file not found: " + env.dir / "ca.pem") +
            env.E(11, "auth.users_file", "file not found: " + env.dir / "users.htdigest/x"));
}

TEST_CASE("error: referenced file is not a regular file") {
  Env env;
  CHECK(env.Errors(kRelay + "tls:\n  certificate: tls\n  private_key: tls/relay.key\n"
                            "auth:\n  realm: r\n  users_file: /dev/null\n") ==
        env.E(6, "tls.certificate", "not a regular file: " + env.dir / "tls") +
            env.E(10, "auth.users_file", "not a regular file: /dev/null"));
}

/// Runs `load` in a child process as user nobody (when we are root, which ignores file modes)
/// and returns its result; as another user, runs it in this process.
std::string RunUnprivileged(const std::function<std::string()>& load) {
  if (::geteuid() != 0) return load();
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    constexpr uid_t kNobody = 65534;
    if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(2);
    std::string out = load();
    ssize_t n = ::write(fds[1], out.data(), out.size());
    ::_exit(n == static_cast<ssize_t>(out.size()) ? 0 : 3);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return out;
}

TEST_CASE("error: referenced file is not readable") {
  Env env;
  ::chmod(env.dir.path().c_str(), 0755);
  ::chmod((env.dir / "tls").c_str(), 0755);
  ::chmod((env.dir / "tls/relay.crt").c_str(), 0644);
  ::chmod((env.dir / "users.htdigest").c_str(), 0644);
  ::chmod((env.dir / "tls/relay.key").c_str(), 0000);
  WriteFile(env.dir / "private/users.htdigest", "");
  ::chmod((env.dir / "private").c_str(), 0000);  // cannot even be searched
  std::string errors = RunUnprivileged([&] {
    return env.Errors(kRelay + "tls:\n  certificate: tls/relay.crt\n  private_key: tls/relay.key\n"
                               "auth:\n  realm: r\n  users_file: private/users.htdigest\n");
  });
  ::chmod((env.dir / "private").c_str(), 0755);  // so TempDir can remove it
  CHECK(errors == env.E(7, "tls.private_key", "not readable: " + env.dir / "tls/relay.key" +
                                                  " (Permission denied)") +
                      env.E(10, "auth.users_file", "not readable: " + env.dir / "private/users.htdigest" +
                                                       " (Permission denied)"));
}

TEST_CASE("error: config file cannot be opened") {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  WriteFile(dir / "relay.yaml", kMinimal);
  ::chmod((dir / "relay.yaml").c_str(), 0000);
  std::string errors = RunUnprivileged([&] { return Env::Join(LoadConfigFile(dir / "relay.yaml")); });
  CHECK(errors == dir / "relay.yaml: cannot open: Permission denied\n");
}

// ---------------------------------------------------------------------------------------------
// Many errors at once

TEST_CASE("every error is reported, in line order") {
  Env env;
  const std::string yaml =
      "relay:\n"                                               // 1
      "  hostname: 192.0.2.1\n"                                // 2
      "  listen:\n"                                            // 3
      "    - { address: 127.0.0.1, port: 99999 }\n"            // 4
      "    - { address: 127.0.0.1, transport: quic }\n"        // 5
      "tls:\n"                                                 // 6
      "  certificate: tls/relay.crt\n"                         // 7
      "  private_key: tls/nope.key\n"                          // 8
      "  ca_fil: x\n"                                          // 9
      "auth:\n"                                                // 10
      "  users_file: users.htdigest\n"                         // 11
      "  expires: { min: 0, default: 10, max: 5 }\n"           // 12
      "limits:\n"                                              // 13
      "  low_watermark: 2000000\n"                             // 14
      "  max_headers: many\n"                                  // 15
      "log:\n"                                                 // 16
      "  level: loud\n"                                        // 17
      "  format: json\n"                                       // 18
      "  format: text\n";                                      // 19
  CHECK(env.Errors(yaml) ==
        env.E(2, "relay.hostname",
              "must be a host name, not an IP address literal (Use-Path URIs use an FQDN, RFC 4976 §8)") +
            env.E(4, "relay.listen[0].port", "expected an integer in 0..65535, got 99999") +
            env.E(5, "relay.listen[1].transport", "must be 'tls' or 'tcp', got 'quic'") +
            env.E(8, "tls.private_key", "file not found: " + env.dir / "tls/nope.key") +
            env.E(9, "tls.ca_fil", "unknown key 'ca_fil', did you mean 'ca_file'?") +
            env.E(10, "auth.realm", "required key is missing") +
            env.E(12, "auth.expires.min", "must be > 0") +
            env.E(12, "auth.expires.default", "must be <= auth.expires.max (5)") +
            env.E(14, "limits.low_watermark", "must be < limits.high_watermark (1048576)") +
            env.E(15, "limits.max_headers", "expected an integer, got 'many'") +
            env.E(17, "log.level", "must be one of trace, debug, info, warn, error, critical, off; got 'loud'") +
            env.E(19, "log.format", "duplicate key 'format' (first at line 18)"));
}

}  // namespace
}  // namespace msrp::config
