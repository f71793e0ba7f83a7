// AUTH addressed to this relay (RFC 4976 §5.1, §6.3, §9.1): Digest challenge, credential check
// against the users file, Expires bounds (423), session minting with a Use-Path URI, and
// closing connections after repeated failures.
#pragma once

#include <string>

#include "common/message_head.h"
#include "relay/engine/path.h"
#include "relay/engine/relay_context.h"

namespace msrp::relay {

class Forwarder;

class AuthHandler {
 public:
  AuthHandler(RelayContext& ctx) : ctx_(ctx) {}
  void set_forwarder(Forwarder* forwarder) { forwarder_ = forwarder; }

  /// Handles an AUTH whose To-Path is this relay's host URI alone. `from_value` is the
  /// From-Path header as received (the response's To-Path, A-03). `via_relay`: `conn` is a
  /// relay proven by its certificate that forwarded the AUTH for a client behind it:
  /// the URI minted is bound to that relay, not to this connection (A-14, S-04), and failures
  /// do not close the connection.
  void Handle(Connection& conn, const MessageHead& head, const ParsedPath& to, const ParsedPath& from,
              const std::string& from_value, bool via_relay);

 private:
  void Challenge(Connection& conn, const std::string& tid, const std::string& to_path,
                 const std::string& from_path, bool stale);
  void Fail(Connection& conn, const std::string& tid, const std::string& to_path, const std::string& from_path,
            const std::string& user, const std::string& why, bool via_relay);

  RelayContext& ctx_;
  Forwarder* forwarder_ = nullptr;
};

}  // namespace msrp::relay
