// Operator helpers for the operations tests: files, SIGHUP, one relayed message.
#include "tests/support/relay_admin.h"

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

#include "tests/support/crypto_util.h"
#include "tests/support/expect.h"

namespace msrp::test {

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  REQUIRE_MESSAGE(static_cast<bool>(out), "cannot write " << path);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string UserLine(const std::string& user, const std::string& password) {
  return user + ":" + kRealm + ":" + Md5Hex(user + ":" + kRealm + ":" + password) + "\n";
}

std::string DefaultUsers() {
  return UserLine("alice", "alicepw") + UserLine("bob", "bobpw") + UserLine("carol", "carolpw");
}

int LineNumberOf(const std::string& text, const std::string& line_prefix) {
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.rfind(line_prefix, 0) == 0) return n;
  }
  return 0;
}

std::string ReloadAndWait(RelayProcess& relay, const std::string& outcome_regex) {
  size_t mark = relay.Log().size();
  relay.Signal(SIGHUP);
  auto m = relay.WaitForLog(outcome_regex, Millis(5000), mark);
  REQUIRE_MESSAGE(m.has_value(), "no /" << outcome_regex << "/ in the log after SIGHUP:\n" << relay.LogTail(40));
  return relay.Log().substr(mark);
}

void RelayOneMessage(const Peer& from, const Peer& to, const std::string& body) {
  SendSpec s = SendBetween(from, to, body);
  std::string sent = BuildSend(s);
  from->Write(sent);
  std::string problems = CheckRelay200(from->ReadFrame(kFrameTimeout, "the relay's 200"), s.tid, from);
  CHECK_MESSAGE(problems.empty(), problems);
  Frame got = to->ReadFrame(kFrameTimeout, "the forwarded SEND");
  CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, from, to));
  to->Write(BuildResponse(got.tid, 200, "OK", {to.use_path}, {to.uri()}));
}

std::string ChunkedSends(const PeerPair& p, const std::string& message, const std::string& message_id,
                         size_t chunk) {
  std::string stream;
  for (size_t off = 0; off < message.size(); off += chunk) {
    size_t n = std::min(chunk, message.size() - off);
    SendSpec s = SendBetween(p.a, p.b, message.substr(off, n));
    s.message_id = message_id;
    s.byte_range = std::to_string(off + 1) + "-" + std::to_string(off + n) + "/" + std::to_string(message.size());
    s.failure_report = "no";
    s.flag = off + n == message.size() ? '$' : '+';
    stream += BuildSend(s);
  }
  return stream;
}

}  // namespace msrp::test
