// Users for Digest AUTH, in Apache htdigest format: one `user:realm:HA1` per line (RFC 2617 HA1,
// 32 lower-case hex digits). Parsing only; reading the file is the caller's job.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace msrp {

/// An immutable table (username, realm) -> HA1.
class UserDb {
 public:
  /// Parses htdigest text. Blank lines and lines starting with '#' are skipped. Errors name
  /// the 1-based line number and what is wrong ("line 3: HA1 must be 32 hex digits"); the
  /// first error is returned. Duplicate (user, realm) is an error.
  static Result<UserDb> Parse(std::string_view text);

  /// The HA1 for (username, realm), or nullopt. Username and realm compare exactly.
  std::optional<std::string> FindHa1(std::string_view username, std::string_view realm) const;

  size_t size() const { return users_.size(); }

 private:
  std::map<std::pair<std::string, std::string>, std::string, std::less<>> users_;
};

}  // namespace msrp
