// Shared e2e scenario helpers.
#include "tests/support/scenario.h"

#include <stdexcept>

#include "tests/support/crypto_util.h"

namespace msrp::test {

Peer AuthenticatedPeer(RelayProcess& relay, const std::string& name, const std::string& user,
                       const std::string& password) {
  Peer p;
  p.client = relay.Connect(name);
  AuthOptions options;
  options.to_uri = relay.AuthUri();  // msrps://relay.test;tcp unless RelayOptions::hostname
  AuthResult r = p.client->Authenticate(user, password, options);
  p.use_path = r.use_path;
  return p;
}

PeerPair AuthenticatedPair(RelayProcess& relay) {
  PeerPair pair;
  pair.a = AuthenticatedPeer(relay, "alice", "alice", "alicepw");
  pair.b = AuthenticatedPeer(relay, "bob", "bob", "bobpw");
  return pair;
}

std::string NicknameBetween(const std::string& tid, const PeerPair& p, std::optional<std::string> body) {
  Headers h{{"To-Path", JoinPath({p.a.use_path, p.b.use_path, p.b.uri()})},
            {"From-Path", p.a.uri()},
            {"Use-Nickname", "\"Alice\""}};
  if (body) h.emplace_back("Content-Type", "text/plain");
  return EncodeFrame(tid, "NICKNAME", h, std::move(body));
}

SendSpec SendBetween(const Peer& from, const Peer& to, const std::string& body) {
  SendSpec s;
  s.tid = NewTid();
  s.to_path = {from.use_path, to.use_path, to.uri()};
  s.from_path = {from.uri()};
  s.message_id = RandomAlnum(10);
  s.byte_range = "1-" + std::to_string(body.size()) + "/" + std::to_string(body.size());
  s.body = body;
  return s;
}

std::string ExpectedForward(const std::string& sent, const std::string& new_tid,
                            const std::vector<std::string>& to_path,
                            const std::vector<std::string>& from_path, bool rewrite_byte_range) {
  Frame f = ParseSingleFrame(sent);
  f.tid = new_tid;
  for (auto& [name, value] : f.headers) {
    if (name == "To-Path") {
      value = JoinPath(to_path);
    } else if (name == "From-Path") {
      value = JoinPath(from_path);
    } else if (name == "Byte-Range" && rewrite_byte_range && f.has_body) {
      size_t dash = value.find('-');
      size_t slash = value.find('/');
      if (dash != std::string::npos && slash != std::string::npos && slash > dash) {
        value = value.substr(0, dash + 1) + "*" + value.substr(slash);
      }
    }
  }
  return EncodeFrame(f);
}

std::string ExpectedSendAtPeer(const std::string& sent, const std::string& new_tid,
                               const Peer& from, const Peer& to) {
  return ExpectedForward(sent, new_tid, {to.uri()}, {to.use_path, from.use_path, from.uri()}, true);
}

std::string CheckRelay200(const Frame& r, const std::string& tid, const Peer& from) {
  std::string problems;
  if (r.is_request || r.tid != tid || r.status != 200 || r.phrase != "OK") {
    problems += "want start line \"MSRP " + tid + " 200 OK\", got \"" + r.StartLine() + "\"\n";
  }
  if (r.headers.size() < 2 || r.headers[0].first != "To-Path" || r.headers[0].second != from.uri()) {
    problems += "want first header \"To-Path: " + from.uri() + "\"\n";
  }
  if (r.headers.size() < 2 || r.headers[1].first != "From-Path" ||
      r.headers[1].second != from.use_path) {
    problems += "want second header \"From-Path: " + from.use_path + "\"\n";
  }
  if (r.flag != '$' || r.has_body) problems += "want a bodiless response ending in $\n";
  if (!problems.empty()) problems += "got:\n" + r.Describe();
  return problems;
}

bool IsFreshRelayTid(const std::string& tid, const std::string& old_tid) {
  return tid.size() >= 16 && tid != old_tid;
}

void RequireRelayStillWorks(RelayProcess& relay) {
  relay.RequireAlive();
  PeerPair p = AuthenticatedPair(relay);
  auto fail = [&](const std::string& what) {
    throw std::runtime_error("relay no longer works after the previous case: " + what + "\n" +
                             relay.Diagnostics());
  };
  for (int dir = 0; dir < 2; ++dir) {
    Peer& from = dir == 0 ? p.a : p.b;
    Peer& to = dir == 0 ? p.b : p.a;
    SendSpec s = SendBetween(from, to, "still alive " + RandomAlnum(8));
    std::string bytes = BuildSend(s);
    from->Write(bytes);
    Frame ok = from->ReadFrame(kFrameTimeout, "the relay's 200 for a probe SEND");
    std::string problems = CheckRelay200(ok, s.tid, from);
    if (!problems.empty()) fail(problems);
    Frame got = to->ReadFrame(kFrameTimeout, "the forwarded probe SEND");
    if (got.raw != ExpectedSendAtPeer(bytes, got.tid, from, to)) {
      fail("forwarded probe SEND differs:\n" + Printable(got.raw) + "\nwant:\n" +
           Printable(ExpectedSendAtPeer(bytes, got.tid, from, to)));
    }
    to->Write(BuildResponse(got.tid, 200, "OK", {to.use_path}, {to.uri()}));
  }
  std::string quiet = p.a->ExpectSilence(Millis(200));
  if (!quiet.empty()) fail(quiet);
}

BackgroundWriter::BackgroundWriter(MsrpClient& client, std::string data, bool bytewise)
    : BackgroundWriter([&client, data = std::move(data), bytewise] {
        if (bytewise) {
          client.WriteBytewise(data);
        } else {
          client.Write(data, Millis(60000));
        }
      }) {}

BackgroundWriter::BackgroundWriter(std::function<void()> fn) {
  thread_ = std::thread([this, fn = std::move(fn)] {
    try {
      fn();
    } catch (const std::exception& e) {
      error_ = e.what();
    } catch (...) {
      error_ = "unknown exception";
    }
  });
}

BackgroundWriter::~BackgroundWriter() { Join(); }

std::string BackgroundWriter::Join() {
  if (!joined_) {
    thread_.join();
    joined_ = true;
  }
  return error_;
}

}  // namespace msrp::test
