// Client side of RFC 4976 AUTH: the bare AUTH, the Digest answer to its 401 challenge (with or
// without uri=), and the Use-Path of the final 200.
#pragma once

#include <cstdint>
#include <string>

#include "tools/bench/frame_reader.h"

namespace msrp::bench {

/// What the client authenticates with and as.
struct AuthParams {
  std::string to_uri;    ///< AUTH To-Path, e.g. msrps://127.0.0.1:2855;tcp (used byte-exact in HA2)
  std::string from_uri;  ///< this endpoint's URI
  std::string user, password;
  bool digest_uri = true;  ///< send uri="<to_uri>" in Authorization
  uint32_t expires = 0;    ///< Expires header when > 0
};

/// One AUTH exchange: FirstRequest(), then OnResponse() for each response until kDone/kFailed.
class AuthExchange {
 public:
  enum class Step { kSend, kDone, kFailed };

  explicit AuthExchange(AuthParams params) : p_(std::move(params)) {}

  /// The AUTH without credentials.
  std::string FirstRequest();
  /// Handles a response. kSend: write *out (the AUTH with credentials). kDone: use_path() is
  /// set. kFailed: *error says why.
  Step OnResponse(const FrameHead& head, std::string* out, std::string* error);

  /// The relay URI from Use-Path (first URI).
  const std::string& use_path() const { return use_path_; }

 private:
  std::string Request(const std::string& tid, const std::string& authorization) const;

  AuthParams p_;
  int attempt_ = 0;
  std::string tid_;
  std::string use_path_;
};

}  // namespace msrp::bench
