// Sessions minted by AUTH (RFC 4976 §6.3): session-id -> the client connection that owns the
// Use-Path URI, its user and expiry. Lookups treat expired sessions as absent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/uri.h"

namespace msrp::relay {

/// One Use-Path URI handed out in an AUTH 200.
struct Session {
  std::string id;            ///< session-id part of the URI (>= 128 random bits, U-09)
  std::string uri;           ///< the full Use-Path URI we minted, e.g. msrps://host:port/id;tcp
  Uri parsed_uri;            ///< `uri` parsed, for RFC 4975 §6.1 comparison
  uint64_t owner = 0;        ///< client connection id the URI is bound to (A-14); 0 when relay-bound
  std::string relay_owner;   ///< lower-case name of the relay it is bound to (A-14, S-04), or empty
  std::string user;          ///< authenticated username
  std::string client_path;   ///< the AUTH's From-Path as received (identifies a re-AUTH)
  uint64_t created_ms = 0;   ///< loop time of the first AUTH
  uint64_t expires_ms = 0;   ///< loop time after which the URI is invalid (A-15)
  uint64_t bytes_in = 0;     ///< body bytes received on the owner's connection for this session
  uint64_t bytes_out = 0;    ///< body bytes delivered to the owner for this session
  uint64_t messages_in = 0;  ///< messages (requests, a chunked SEND once) forwarded outbound from the owner
  uint64_t messages_out = 0; ///< messages (requests, a chunked SEND once) delivered to the owner
};

/// Hash table of sessions by id. Not thread-safe (one loop).
class SessionTable {
 public:
  /// The live session with `id`, or nullptr when unknown or expired at `now_ms`.
  Session* Find(std::string_view id, uint64_t now_ms);

  /// Adds a session; its id must be new. Returns a pointer valid until the next Add/Remove.
  Session* Add(Session session);

  /// Removes a session by id (no-op when absent).
  void Remove(std::string_view id);

  /// Removes and returns the sessions that expired at `now_ms`.
  std::vector<Session> TakeExpired(uint64_t now_ms);

  size_t size() const { return sessions_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Session, Hash, std::equal_to<>> sessions_;
};

}  // namespace msrp::relay
