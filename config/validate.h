// Internal to config/: what the loader learned about where each key was written, and the
// validation rules (ranges, cross-field rules, referenced files) run after parsing.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/loader.h"

namespace msrp::config {

/// Where keys were written and which ones could not be parsed. Paths are dotted key paths with
/// sequence indexes, e.g. "relay.listen[0].port".
class KeyLocations {
 public:
  explicit KeyLocations(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }

  /// Records that `path` was written at 1-based `line`.
  void SetLine(const std::string& path, int line) { lines_[path] = line; }
  /// Records that the value of `path` had the wrong type or could not be converted; rules
  /// about it (and about keys below it) are skipped so one mistake gives one error.
  void MarkInvalid(const std::string& path) { invalid_.insert(path); }

  /// True when `path` itself was written in the file.
  bool Given(const std::string& path) const { return lines_.count(path) != 0; }
  /// True when `path` or one of its ancestors was marked invalid.
  bool Invalid(std::string_view path) const;
  /// The line of `path`, else of its nearest written ancestor, else 0.
  int LineOf(std::string_view path) const;

  /// "relay.listen[0].port" -> "relay.listen[0]" -> "relay.listen" -> "relay" -> "".
  static std::string_view Parent(std::string_view path);

 private:
  std::string file_;
  std::map<std::string, int, std::less<>> lines_;
  std::set<std::string, std::less<>> invalid_;
};

/// Checks ranges, required keys and cross-field rules of a parsed `config`; appends one error
/// per problem to `errors`.
void ValidateConfig(const Config& config, const KeyLocations& where, std::vector<ConfigError>* errors);

/// Checks that the files named by tls.certificate, tls.private_key, tls.ca_file and
/// auth.users_file (already absolute) exist and are readable regular files.
void CheckReferencedFiles(const Config& config, const KeyLocations& where,
                          std::vector<ConfigError>* errors);

/// Why `name` is not an acceptable relay host name (RFC 4976 §8, U-07), or "" when it is.
std::string HostNameProblem(const std::string& name);

}  // namespace msrp::config
