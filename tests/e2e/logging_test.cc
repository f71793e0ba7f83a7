// End-to-end tests of the relay's log: JSON lines with `log.format: json`, and one accounting
// line per session end (user, realm, duration, messages and bytes each way, close reason).
#include <doctest/doctest.h>

#include <signal.h>

#include <cctype>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/relay_admin.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"

namespace msrp::test {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

/// The log lines that match `pattern` (ECMAScript regex, searched in each line).
std::vector<std::string> Matching(const std::string& log, const std::string& pattern) {
  const std::regex re(pattern);
  std::vector<std::string> out;
  for (const auto& line : Lines(log)) {
    if (std::regex_search(line, re)) out.push_back(line);
  }
  return out;
}

/// A, B authenticated; A sends two messages (10 and 20 octets) to B, B one (5 octets) to A.
void Exchange(const PeerPair& p) {
  RelayOneMessage(p.a, p.b, std::string(10, 'a'));
  RelayOneMessage(p.a, p.b, std::string(20, 'b'));
  RelayOneMessage(p.b, p.a, std::string(5, 'c'));
}

/// True if `line` is `{"time":"<ISO 8601>","level":"<spdlog level>","msg":"<JSON string>"}`
/// (RFC 8259: in the string, no raw quote, backslash or control character; only valid escapes).
bool IsJsonLogLine(const std::string& line) {
  static const std::regex head(R"re(^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d",)re"
                               R"re("level":"(trace|debug|info|warning|error|critical)","msg":")re");
  std::smatch m;
  if (!std::regex_search(line, m, head)) return false;
  size_t i = static_cast<size_t>(m.length(0));
  while (i < line.size() && line[i] != '"') {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c < 0x20) return false;
    if (c != '\\') {
      ++i;
      continue;
    }
    if (i + 1 >= line.size()) return false;
    const char e = line[i + 1];
    if (e == 'u') {
      if (i + 6 > line.size()) return false;
      for (size_t k = i + 2; k < i + 6; ++k) {
        if (!std::isxdigit(static_cast<unsigned char>(line[k]))) return false;
      }
      i += 6;
    } else if (std::string_view("\"\\/bfnrt").find(e) != std::string_view::npos) {
      i += 2;
    } else {
      return false;
    }
  }
  return line.compare(i, std::string::npos, "\"}") == 0;
}

}  // namespace

TEST_CASE("one accounting line per session end: user, realm, duration, messages and bytes each "
          "way, close reason") {
  RelayOptions options;
  options.log_level = "info";
  RelayProcess relay(options);
  {
    PeerPair p = AuthenticatedPair(relay);
    Exchange(p);
    const size_t mark = relay.Log().size();
    p.a->Close();
    auto line = relay.WaitForLog("session .* ended after", Millis(5000), mark);
    REQUIRE_MESSAGE(line.has_value(), relay.LogTail());
    relay.Signal(SIGTERM);
    REQUIRE(relay.WaitExit(Millis(5000)).has_value());
  }
  const std::string log = relay.Log();
  const std::string prefix = R"(^\S+ \S+ info \[c\d+\] session [A-Za-z0-9_-]{4}\.\.\. )";
  auto alice = Matching(log, prefix + R"(of user 'alice' realm 'relay\.test' ended after \d+ s: sent 2 )"
                                      R"(messages 30 B, received 1 messages 5 B; connection closed: peer sent )"
                                      R"(TLS close_notify$)");
  auto bob = Matching(log, prefix + R"(of user 'bob' realm 'relay\.test' ended after \d+ s: sent 1 )"
                                    R"(messages 5 B, received 2 messages 30 B; connection closed: relay stopping$)");
  CHECK_MESSAGE(alice.size() == 1, log);
  CHECK_MESSAGE(bob.size() == 1, log);
  CHECK_MESSAGE(Matching(log, "session .* ended after").size() == 2, log);
}

TEST_CASE("log.format json: every line the relay writes, from start to exit, is one JSON object "
          "with time, level and msg") {
  RelayOptions options;
  options.log_level = "debug";
  options.log_format = "json";
  options.extra_yaml = "metrics: { address: 127.0.0.1, port: 0 }\n";
  RelayProcess relay(options);
  {
    PeerPair p = AuthenticatedPair(relay);
    auto eve = relay.Connect("eve");
    CHECK_THROWS(eve->Authenticate("alice", "not alice's password"));
    Exchange(p);
    p.a->Close();
    relay.WaitForLog("session .* ended after", Millis(5000));
    ReloadAndWait(relay, "reload done");
    relay.Signal(SIGTERM);
    REQUIRE(relay.WaitExit(Millis(5000)).has_value());
  }
  const std::vector<std::string> lines = Lines(relay.Log());
  CHECK(lines.size() > 10);
  for (const auto& line : lines) {
    CHECK_MESSAGE(IsJsonLogLine(line), "not a JSON log line: " << line);
  }
  const std::string log = relay.Log();
  CHECK(log.find(R"("msg":"msrp-relay exited"})") != std::string::npos);
  CHECK(Matching(log, R"("msg":"\[c\d+\] session [A-Za-z0-9_-]{4}\.\.\. of user 'alice' realm 'relay\.test' ended)").size() == 1);
}

}  // namespace msrp::test
