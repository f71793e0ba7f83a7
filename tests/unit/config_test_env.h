// Test helpers shared by the config/ unit tests (config_*_test.cc): a temp
// folder holding the files a minimal config refers to, the error text of loading a YAML string,
// the expected text of one error, and the minimal config itself.
#pragma once

#include <filesystem>
#include <string>

#include "config/loader.h"
#include "tests/unit/temp_dir.h"

namespace msrp {
namespace config {
namespace test_env {

using unit_test::TempDir;
using unit_test::WriteFile;

/// Creates the three files config/msrp-relay.yaml and kMinimal refer to, relative to `dir`:
/// tls/relay.crt, tls/relay.key and users.htdigest (empty unless contents are given).
inline void WriteReferencedFiles(const TempDir& dir, const std::string& cert = "",
                                 const std::string& key = "", const std::string& users = "") {
  WriteFile(dir / "tls/relay.crt", cert);
  WriteFile(dir / "tls/relay.key", key);
  WriteFile(dir / "users.htdigest", users);
}

/// Copies the sample config config/msrp-relay.yaml into `dir`; returns the copy's path.
inline std::string CopySampleConfig(const TempDir& dir) {
  const std::string path = dir / "msrp-relay.yaml";
  std::filesystem::copy_file(std::string(MSRP_SOURCE_DIR) + "/config/msrp-relay.yaml", path);
  return path;
}

/// A temp dir holding the files a minimal config refers to: tls/relay.crt, tls/relay.key,
/// users.htdigest. The config itself is "relay.yaml" in it.
struct Env {
  Env() {
    WriteReferencedFiles(dir, "cert\n", "key\n",
                         "alice:example.com:00000000000000000000000000000000\n");
  }
  std::string ConfigPath() const { return dir / "relay.yaml"; }

  /// Every error of loading `yaml`, one ToString() per line.
  std::string Errors(const std::string& yaml) const {
    return Join(LoadConfigText(yaml, ConfigPath()));
  }
  static std::string Join(const LoadResult& r) {
    std::string out;
    for (const ConfigError& e : r.errors) out += e.ToString() + "\n";
    return out;
  }
  /// The expected ToString() of one error, with a trailing newline.
  std::string E(int line, const std::string& key, const std::string& message) const {
    return ConfigError{ConfigPath(), line, key, message}.ToString() + "\n";
  }

  TempDir dir;
};

// Four lines: a valid relay section.
inline const std::string kRelay =
    "relay:\n"
    "  hostname: relay.example.com\n"
    "  listen:\n"
    "    - { address: 127.0.0.1, port: 2855 }\n";
// Six lines: valid tls and auth sections.
inline const std::string kRest =
    "tls:\n"
    "  certificate: tls/relay.crt\n"
    "  private_key: tls/relay.key\n"
    "auth:\n"
    "  realm: example.com\n"
    "  users_file: users.htdigest\n";
// kRelay + kRest: ten lines; further sections start at line 11.
inline const std::string kMinimal = kRelay + kRest;

/// kMinimal with the relay section replaced: the given relay lines, then kRest.
inline std::string WithRelay(const std::string& relay) { return relay + kRest; }

}  // namespace test_env
}  // namespace config
}  // namespace msrp
