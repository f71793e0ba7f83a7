// Shared pieces of the engine simulation tests: an Engine over a MemoryTransport, builders for
// the frames simulated clients send, and byte-exact checks of the frames the relay generates
// (RFC 4975 §7.1.2, §7.2; RFC 4976 §6.4). Header-only: each *_test.cc includes what it uses.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "relay/engine/engine.h"
#include "tests/sim/memory_transport.h"
#include "tests/sim/sim_peer.h"
#include "tests/support/expect.h"
#include "tests/support/msrp_frame.h"

namespace msrp::sim {

/// The users every simulation relay knows (realm example.com).
inline std::shared_ptr<const UserDb> DefaultSimUsers() {
  return SimUsers({{"alice", "pa"}, {"bob", "pb"}, {"carol", "pc"}, {"dave", "pd"}});
}

/// An Engine over a MemoryTransport, listening (for URIs) on 2855 (TLS) and 2856 (TCP).
struct SimRelay {
  explicit SimRelay(std::shared_ptr<config::Config> config = SimConfig(),
                    std::shared_ptr<const UserDb> users = DefaultSimUsers())
      : engine(t, std::move(config), std::move(users)) {
    t.set_engine(&engine);
    engine.SetListenerPorts({2855, 2856}, 2855);
  }
  MemoryTransport t;
  relay::Engine engine;
};

/// To-Path of a request from `from` to `to` through the relay (both its clients).
inline std::vector<std::string> RelayPath(const SimPeer& from, const SimPeer& to) {
  return {from.use_path(), to.use_path(), to.uri()};
}

/// A SEND from `from` to `to` through the relay: Message-ID `message_id`, Byte-Range
/// `byte_range` (default 1-N/N), Failure-Report when given, body `body`, end-line `flag`.
inline std::string SendVia(const SimPeer& from, const SimPeer& to, const std::string& tid,
                           const std::string& message_id, const std::string& body,
                           std::optional<std::string> failure_report = std::nullopt,
                           std::optional<std::string> byte_range = std::nullopt, char flag = '$') {
  test::SendSpec spec;
  spec.tid = tid;
  spec.to_path = RelayPath(from, to);
  spec.from_path = {from.uri()};
  spec.message_id = message_id;
  spec.byte_range = byte_range ? *byte_range
                               : "1-" + std::to_string(body.size()) + "/" + std::to_string(body.size());
  spec.failure_report = std::move(failure_report);
  spec.body = body;
  spec.flag = flag;
  return test::BuildSend(spec);
}

/// The response `code` an endpoint sends for a request it received (`request`): To-Path its
/// From-Path[0] (the previous hop, R-07), From-Path `self_uri`.
inline std::string AnswerTo(const test::Frame& request, const std::string& self_uri, int code,
                            const std::string& phrase = "OK") {
  return test::BuildResponse(request.tid, code, phrase, {request.Path("From-Path")[0]}, {self_uri});
}

/// `n` body octets that hold no CR or LF (so never an end-line, F-11): a..z repeated.
inline std::string Body(size_t n, char first = 'a') {
  std::string s(n, 'a');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (first - 'a' + i) % 26);
  return s;
}

/// CHECKs that `f` is a REPORT the relay generated for `sender`'s SEND: new tid, To-Path
/// the SEND's From-Path as received (`sender`'s URI), From-Path the relay URI (`sender`'s
/// Use-Path), Message-ID copied, Byte-Range `range`, `Status: 000 <code>` (the comment is
/// free), no Success-/Failure-Report, no body, end-line '$'; byte-exact.
inline void CheckRelayReport(const test::Frame& f, const SimPeer& sender, const std::string& message_id,
                             const std::string& range, int code) {
  INFO("frame: ", f.Describe());
  CHECK(f.is_request);
  CHECK(f.method == "REPORT");
  const std::string status = f.Header("Status").value_or("");
  const std::string want_status = "000 " + std::to_string(code);
  CHECK(status.substr(0, want_status.size()) == want_status);
  CHECK((status.size() == want_status.size() || status[want_status.size()] == ' '));
  test::Headers want{{"To-Path", sender.uri()},
                     {"From-Path", sender.use_path()},
                     {"Message-ID", message_id},
                     {"Byte-Range", range},
                     {"Status", status}};
  CHECK_BYTES(f.raw, test::EncodeFrame(f.tid, "REPORT", want, std::nullopt));
}

/// CHECKs that `f` is the relay's bodiless response `code` to `tid` sent by `sender`:
/// To-Path `to_path` (a SEND's From-Path[0]; the whole From-Path for other methods),
/// From-Path `from_uri` (the To-Path[0] the request named), byte-exact up to the comment.
inline void CheckRelayResponse(const test::Frame& f, const std::string& tid, int code, const std::string& to_path,
                               const std::string& from_uri) {
  INFO("frame: ", f.Describe());
  CHECK_FALSE(f.is_request);
  CHECK(f.tid == tid);
  CHECK(f.status == code);
  CHECK_BYTES(f.raw, test::BuildResponse(tid, code, f.phrase, {to_path}, {from_uri}));
}

/// The only frame in `frames`: REQUIREs there is exactly one (and shows them otherwise).
inline test::Frame OnlyFrame(const std::vector<test::Frame>& frames) {
  std::string all;
  for (const auto& f : frames) all += f.Describe() + "\n";
  INFO("frames: ", frames.size(), "\n", all);
  REQUIRE(frames.size() == 1);
  return frames[0];
}

/// True when the transport has closed `id` (the engine closed it, or its close was reported).
inline bool IsClosed(MemoryTransport& t, ConnectionId id) {
  MemoryConnection* c = t.Get(id);
  return c == nullptr || c->closed;
}

}  // namespace msrp::sim
