// End-to-end tests of a malformed Byte-Range on every method (RFC 4975 §7.1.1, §9, §7.1.2;
// F-15, R-13, E-01): an unauthenticated peer that knows only a client's public relay URI (it
// stands in that client's SDP a=path) sends a REPORT, NICKNAME, an unknown method or a SEND
// whose Byte-Range does not parse. A REPORT is dropped unanswered, every other request gets
// 400 with the exact bytes RFC 4975 §7.2 fixes, nothing reaches the client, and the relay
// keeps serving. (Once, any such request but a SEND stopped the relay.)
#include <doctest/doctest.h>

#include "tests/support/expect.h"
#include "tests/support/msrp_client.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"

namespace msrp::test {
namespace {

const char* const kMalformedRanges[] = {"abc", "1-2", "1-*/x", "0-5/5", "5-2/10"};
const char* const kMethods[] = {"REPORT", "NICKNAME", "FOO", "SEND"};

// The request `method` from `peer_uri` to A (To-Path `A's relay URI, A`), Byte-Range `range`.
std::string RequestToA(const std::string& method, const std::string& tid, const Peer& a,
                       const std::string& peer_uri, const std::string& range) {
  Headers h{{"To-Path", JoinPath({a.use_path, a.uri()})}, {"From-Path", peer_uri}, {"Message-ID", "m"},
            {"Byte-Range", range}};
  if (method == "REPORT") {
    h.emplace_back("Status", "000 200 OK");
    return EncodeFrame(tid, "REPORT", h, std::nullopt);
  }
  if (method == "NICKNAME") h.emplace_back("Use-Nickname", "\"Mallory\"");
  if (method == "SEND") {
    h.emplace_back("Content-Type", "text/plain");
    return EncodeFrame(tid, method, h, std::string("hi"));
  }
  return EncodeFrame(tid, method, h, std::nullopt);
}

// Sends every method with every malformed Byte-Range on fresh connections made by `connect`,
// and checks the answer of each, and that A receives nothing.
template <typename Connect>
void SendEachMalformedRange(RelayProcess& relay, Peer& a, Connect connect) {
  for (const char* method : kMethods) {
    for (const char* range : kMalformedRanges) {
      CAPTURE(method);
      CAPTURE(range);
      std::unique_ptr<MsrpClient> peer = connect();
      const std::string tid = NewTid();
      peer->Write(RequestToA(method, tid, a, peer->uri(), range));
      if (std::string(method) == "REPORT") {
        CHECK_SILENT(*peer, 300);  // never answered
      } else {
        Frame r = peer->ReadFrame(kFrameTimeout, "400");
        // E-01, R-07: a SEND is answered to the previous hop, other requests to the whole
        // From-Path (here the same single URI); From-Path is the relay URI addressed.
        CHECK(r.raw == "MSRP " + tid + " 400 Bad Request\r\nTo-Path: " + peer->uri() +
                           "\r\nFrom-Path: " + a.use_path + "\r\n-------" + tid + "$\r\n");
      }
      REQUIRE_MESSAGE(relay.Alive(), relay.LogTail());
    }
  }
  CHECK_SILENT(*a.client, 300);
}

}  // namespace

TEST_CASE("F-15, R-13, E-01: a malformed Byte-Range on REPORT, NICKNAME, an unknown method or SEND "
          "from an unauthenticated TLS peer: REPORT dropped, others 400, the relay keeps serving") {
  RelayProcess relay;
  Peer a = AuthenticatedPeer(relay, "alice", "alice", "alicepw");
  SendEachMalformedRange(relay, a, [&] {
    return std::make_unique<MsrpClient>(relay.port(), relay.ClientOptionsFor("mallory"));
  });
  RequireRelayStillWorks(relay);
}

TEST_CASE("F-15, R-13, E-01: the same over the plain-TCP listener (a relay-less peer)") {
  RelayOptions options;
  options.tcp_listener = true;
  RelayProcess relay(options);
  REQUIRE(relay.tcp_port() != 0);
  Peer a = AuthenticatedPeer(relay, "alice", "alice", "alicepw");
  SendEachMalformedRange(relay, a, [&] {
    ClientOptions o = relay.ClientOptionsFor("mallory");
    o.plain_tcp = true;
    return std::make_unique<MsrpClient>(relay.tcp_port(), o);
  });
  RequireRelayStillWorks(relay);
}

TEST_CASE("F-15, R-13: a well-formed Byte-Range on a REPORT from a peer still reaches the client") {
  // The check above must not drop good REPORTs: a peer's REPORT toward A is forwarded.
  RelayProcess relay;
  Peer a = AuthenticatedPeer(relay, "alice", "alice", "alicepw");
  auto peer = std::make_unique<MsrpClient>(relay.port(), relay.ClientOptionsFor("bob"));
  const std::string tid = NewTid();
  peer->Write(BuildReport(tid, {a.use_path, a.uri()}, {peer->uri()}, "m", "1-5/5", "000 200 OK"));
  Frame f = a->ReadFrame(kFrameTimeout, "the forwarded REPORT");
  CHECK(f.method == "REPORT");
  CHECK(f.Header("Byte-Range") == std::optional<std::string>("1-5/5"));
  CHECK(f.Path("From-Path") == std::vector<std::string>{a.use_path, peer->uri()});
  CHECK_SILENT(*peer, 300);
}

}  // namespace msrp::test
