// Loads and validates the YAML configuration (yaml-cpp). Every problem is reported, each naming
// the file, line, key path and reason; unknown keys and wrong types are errors.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "config/config.h"

namespace msrp::config {

/// One configuration problem, e.g. {path: "/etc/r.yaml", line: 7, key: "auth.expires.min",
/// message: "must be <= auth.expires.default (600)"}. line is 1-based; 0 when unknown.
struct ConfigError {
  std::string file;
  int line = 0;
  std::string key;
  std::string message;
  /// "FILE:LINE: KEY: MESSAGE" (":LINE" omitted when 0, "KEY: " omitted when empty).
  std::string ToString() const;
};

/// Either a validated Config or every error found.
struct LoadResult {
  Config config;
  std::vector<ConfigError> errors;
  bool ok() const { return errors.empty(); }
};

/// Reads, parses and validates the file at `path`. Relative paths inside it (tls.*,
/// auth.users_file) are resolved against the folder of `path`. Checks that referenced files
/// exist and are readable. Never throws.
LoadResult LoadConfigFile(const std::string& path);

/// Same as LoadConfigFile but from text; `path` is used for messages and relative paths.
LoadResult LoadConfigText(const std::string& text, const std::string& path);

}  // namespace msrp::config
