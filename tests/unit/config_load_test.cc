// Unit tests for config/: successful loads, defaults, path resolution, the sample config, and
// ConfigError::ToString.

#include <doctest/doctest.h>
#include <filesystem>
#include <string>

#include "config/loader.h"
#include "tests/unit/config_test_env.h"

namespace msrp::config {
namespace {

namespace fs = std::filesystem;

using namespace test_env;

// ---------------------------------------------------------------------------------------------
// Successful loads

/// The auth and limits values `c` must hold when the file leaves them at their defaults.
void CheckAuthAndLimitsDefaults(const Config& c) {
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
  CHECK(c.limits.outgoing_chunk_bytes == limits.outgoing_chunk_bytes);
  CHECK(c.auth.allow_users.empty());
}

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
      "  allow_users: [alice, bob]\n"
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
  CHECK(c.auth.allow_users == std::vector<std::string>{"alice", "bob"});
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
  CheckAuthAndLimitsDefaults(c);
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
  CheckAuthAndLimitsDefaults(c);
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

}  // namespace
}  // namespace msrp::config
