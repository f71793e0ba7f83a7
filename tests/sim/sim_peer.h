// A simulated MSRP endpoint on one MemoryTransport connection: sends raw bytes, reads the
// frames the engine wrote (parsed by the tests' own frame model, tests/support/msrp_frame.h,
// not by the relay's framer), and runs the RFC 4976 §5.1 AUTH exchange with Digest.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/user_db.h"
#include "tests/sim/memory_transport.h"
#include "tests/support/msrp_frame.h"

namespace msrp::sim {

/// The relay URI that simulated clients AUTH to (relay.example.com, TLS listener 2855).
inline constexpr std::string_view kSimRelayAuthUri = "msrps://relay.example.com:2855;tcp";

/// An htdigest users table for realm example.com with each (user, password) pair.
std::shared_ptr<const UserDb> SimUsers(const std::vector<std::pair<std::string, std::string>>& users);

class SimPeer {
 public:
  /// A new inbound connection (`tls`: the TLS listener 2855, else the TCP listener 2856) whose
  /// endpoint URI is `msrps://<name>.example.com:9892/<name>;tcp` (msrp: for plain TCP).
  SimPeer(MemoryTransport& transport, const std::string& name, bool tls = true);
  /// Wraps an existing connection (e.g. one the engine dialled) with endpoint URI `uri`.
  SimPeer(MemoryTransport& transport, ConnectionId id, std::string uri);

  ConnectionId id() const { return id_; }
  const std::string& uri() const { return uri_; }
  /// The Use-Path URI the relay minted (after Authenticate).
  const std::string& use_path() const { return use_path_; }

  /// Sends raw bytes (false when the connection is closed).
  bool Send(std::string_view bytes) { return transport_.Send(id_, bytes); }
  /// Takes everything the engine wrote and returns the complete frames (a partial one stays
  /// buffered). A malformed stream is recorded in `stream_error()`.
  std::vector<test::Frame> Receive();
  /// Frames received so far by Receive(), in order.
  const std::vector<test::Frame>& received() const { return received_; }
  const std::string& stream_error() const { return stream_error_; }
  bool closed();

  /// AUTH 401 then 200 (Digest over common/digest.h, no uri= when `with_uri` is false); true
  /// when the 200 with a Use-Path arrived. `expires`: Expires header (seconds) when > 0.
  bool Authenticate(const std::string& user, const std::string& password, uint32_t expires = 0,
                    bool with_uri = true);

 private:
  MemoryTransport& transport_;
  ConnectionId id_;
  std::string uri_;
  std::string use_path_;
  test::FrameReader reader_;
  std::vector<test::Frame> received_;
  std::string stream_error_;
};

/// A fresh transaction id (deterministic counter based, 12 characters).
std::string SimTid();

/// The Authorization value (Digest, qop=auth, cnonce 0a4f113b, nc `nc` in 8 hex digits) that
/// answers the challenge `www_authenticate` (a 401's WWW-Authenticate) for an AUTH to `to_uri`,
/// as `user` with `password` (a wrong password gives wrong credentials); with `uri=` when
/// `with_uri`.
std::string DigestAuthorization(const std::string& www_authenticate, const std::string& user,
                                const std::string& password, std::string_view to_uri = kSimRelayAuthUri,
                                uint32_t nc = 1, bool with_uri = true);

}  // namespace msrp::sim
