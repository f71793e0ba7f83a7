// Higher-level building blocks shared by the e2e scenarios: authenticated peers, the expected
// bytes of a relayed frame, a "relay still works" probe and a background writer thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/msrp_client.h"
#include "tests/support/msrp_frame.h"
#include "tests/support/relay_process.h"

namespace msrp::test {

/// A connected client that completed AUTH and holds its Use-Path URI.
struct Peer {
  std::unique_ptr<MsrpClient> client;
  std::string use_path;  ///< the relay URI minted for this client (U_x)
  MsrpClient* operator->() const { return client.get(); }
  const std::string& uri() const { return client->uri(); }
};

/// Connects a client named `name` and authenticates it as `user`/`password`.
Peer AuthenticatedPeer(RelayProcess& relay, const std::string& name, const std::string& user,
                       const std::string& password);

/// Alice (user alice) and Bob (user bob), both authenticated on their own connections.
struct PeerPair {
  Peer a;
  Peer b;
};
PeerPair AuthenticatedPair(RelayProcess& relay);

/// A SEND from `from` to `to` through the relay: To-Path `from.use_path to.use_path to.uri`,
/// From-Path `from.uri`, Message-ID, Byte-Range `1-N/N` (N = body size), text/plain body.
SendSpec SendBetween(const Peer& from, const Peer& to, const std::string& body);

/// A NICKNAME (RFC 7701) from p.a to p.b through the relay, `Use-Nickname: "Alice"`, with a
/// text/plain body when `body` is given.
std::string NicknameBetween(const std::string& tid, const PeerPair& p,
                            std::optional<std::string> body = std::nullopt);

/// Expected bytes of `sent` (one encoded request) after the relay forwarded it: tid replaced by
/// `new_tid`, To-Path/From-Path replaced, every other header kept in order, and, when
/// `rewrite_byte_range` and the frame has a body, the Byte-Range end replaced by `*`.
std::string ExpectedForward(const std::string& sent, const std::string& new_tid,
                            const std::vector<std::string>& to_path,
                            const std::vector<std::string>& from_path, bool rewrite_byte_range);

/// Expected forward of a SEND from peer x to peer y (To-Path Ux Uy y): To-Path `y.uri`,
/// From-Path `Uy Ux x.uri`, Byte-Range end rewritten to `*` if it has a body.
std::string ExpectedSendAtPeer(const std::string& sent, const std::string& new_tid,
                               const Peer& from, const Peer& to);

/// Reads the 200 the relay sends for SEND `tid` from `from` and checks start line, To-Path
/// (from's URI) and From-Path (from's Use-Path); returns a description of mismatches (empty =
/// fine).
std::string CheckRelay200(const Frame& response, const std::string& tid, const Peer& from);

/// Checks that a relay-generated transaction id is fresh: >= 16 chars, not `old_tid`.
bool IsFreshRelayTid(const std::string& tid, const std::string& old_tid);

/// Fresh clients authenticate and relay one message both ways through `relay`; throws with a
/// description on any deviation. Used after every hostile case.
void RequireRelayStillWorks(RelayProcess& relay);

/// Writes bytes on a client from a background thread (so the test can read elsewhere).
class BackgroundWriter {
 public:
  /// Starts writing `data` on `client` (bytewise = one SSL_write per octet).
  BackgroundWriter(MsrpClient& client, std::string data, bool bytewise = false);
  /// Starts running `fn`; an exception it throws becomes Join()'s error text.
  explicit BackgroundWriter(std::function<void()> fn);
  ~BackgroundWriter();
  /// Waits for the thread; returns "" on success or the error text.
  std::string Join();

 private:
  std::thread thread_;
  std::string error_;
  bool joined_ = false;
};

}  // namespace msrp::test
