// End-to-end tests of operating the daemon: SIGHUP reload (users, refused configs, certificate
// rotation), SIGTERM drain with a chunk in flight, exact /metrics values and --check-config.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/support/crypto_util.h"
#include "tests/support/expect.h"
#include "tests/support/msrp_client.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"
#include "tests/support/test_pki.h"

extern char** environ;

namespace msrp::test {
namespace {

using Clock = std::chrono::steady_clock;

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

/// 1-based number of the line of `text` that starts with `line_prefix`; 0 if none.
int LineNumberOf(const std::string& text, const std::string& line_prefix) {
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.rfind(line_prefix, 0) == 0) return n;
  }
  return 0;
}

/// Sends SIGHUP and waits (5 s) for the outcome line after it: returns the log after the signal.
std::string ReloadAndWait(RelayProcess& relay, const std::string& outcome_regex) {
  size_t mark = relay.Log().size();
  relay.Signal(SIGHUP);
  auto m = relay.WaitForLog(outcome_regex, Millis(5000), mark);
  REQUIRE_MESSAGE(m.has_value(), "no /" << outcome_regex << "/ in the log after SIGHUP:\n" << relay.LogTail(40));
  return relay.Log().substr(mark);
}

/// One SEND from `from` to `to`: 200 to the sender, byte-exact forward, the receiver's 200.
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

struct HttpReply {
  int status = 0;
  std::string body;
};

/// A minimal HTTP/1.0 GET to 127.0.0.1:port (the client side only); status 0 on failure.
HttpReply HttpGet(uint16_t port, const std::string& path) {
  HttpReply reply;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return reply;
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string raw;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char buf[16384];
      for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        raw.append(buf, static_cast<size_t>(n));
      }
    }
  }
  close(fd);
  size_t head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos || raw.size() < 12) return reply;
  reply.status = std::atoi(raw.substr(9, 3).c_str());
  reply.body = raw.substr(head_end + 4);
  return reply;
}

bool HasLine(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

/// A temp folder removed at scope exit.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/msrp-e2e-ops-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

struct CommandResult {
  int exit_code = -1;  ///< -1: killed or did not exit in time
  std::string out;
  std::string err;
};

/// Runs `msrp-relay --check-config --config <config>` with stdout/stderr in files, 10 s bound.
CommandResult RunCheckConfig(const std::string& dir, const std::string& config) {
  const char* binary_env = getenv("MSRP_RELAY_BINARY");
  const std::string binary = binary_env != nullptr && *binary_env != '\0' ? binary_env : MSRP_RELAY_BINARY;
  const std::string out_path = dir + "/check.out";
  const std::string err_path = dir + "/check.err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args = {binary, "--check-config", "--config", config};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  CommandResult result;
  if (rc != 0) {
    result.err = std::string("posix_spawn: ") + strerror(rc);
    return result;
  }
  int status = 0;
  auto deadline = Clock::now() + std::chrono::seconds(10);
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (Clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = ReadText(out_path);
  result.err = ReadText(err_path);
  return result;
}

}  // namespace

/// `message` from A to B as consecutive SENDs of `chunk` octets (Failure-Report no, one
/// Message-ID, exact Byte-Ranges, '+' on all but the last, which ends in '$').
static std::string ChunkedSends(const PeerPair& p, const std::string& message, const std::string& message_id,
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

TEST_CASE("SIGHUP with a new user in the users file keeps existing sessions relaying and lets "
          "the new user authenticate") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  RelayOneMessage(p.a, p.b, "before the reload");
  const std::string use_a = p.a.use_path;
  const std::string use_b = p.b.use_path;

  // dave is unknown before the reload.
  {
    auto dave = relay.Connect("dave");
    CHECK_THROWS(dave->Authenticate("dave", "davepw"));
  }

  WriteText(relay.dir() + "/users.htdigest", DefaultUsers() + UserLine("dave", "davepw"));
  std::string after = ReloadAndWait(relay, "reload done");
  CHECK(after.find("SIGHUP: reloading " + relay.dir() + "/relay.yaml") != std::string::npos);
  CHECK(after.find("reload refused") == std::string::npos);

  // Same connections, same Use-Paths, both directions.
  CHECK(p.a.use_path == use_a);
  CHECK(p.b.use_path == use_b);
  RelayOneMessage(p.a, p.b, "after the reload, A to B");
  RelayOneMessage(p.b, p.a, "after the reload, B to A");

  Peer dave = AuthenticatedPeer(relay, "dave", "dave", "davepw");
  RelayOneMessage(dave, p.a, "dave is new");
  RelayOneMessage(p.b, dave, "hello dave");
  CHECK_SILENT(*p.a.client, 200);
}

TEST_CASE("SIGHUP with a broken config is refused with FILE:LINE: KEY: MESSAGE and the running "
          "configuration keeps serving") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  const std::string config_path = relay.dir() + "/relay.yaml";
  std::string yaml = ReadText(config_path);
  size_t limits = yaml.find("limits:\n");
  REQUIRE(limits != std::string::npos);
  yaml.insert(limits + 8, "  max_headers: abc\n");
  WriteText(config_path, yaml);
  // The users file changes too: it must not be applied when the reload is refused.
  WriteText(relay.dir() + "/users.htdigest", UserLine("dave", "davepw"));
  const int line = LineNumberOf(yaml, "  max_headers: abc");
  REQUIRE(line > 0);

  std::string after = ReloadAndWait(relay, "reload refused: keeping the running configuration");
  const std::string want = "reload refused: " + config_path + ":" + std::to_string(line) +
                           ": limits.max_headers: expected an integer, got 'abc'";
  CHECK_MESSAGE(after.find(want) != std::string::npos, "want \"" << want << "\" in:\n" << after);
  CHECK(after.find("reload done") == std::string::npos);

  // Old users still authenticate, new ones do not; existing and fresh pairs relay.
  Peer carol = AuthenticatedPeer(relay, "carol", "carol", "carolpw");
  {
    auto dave = relay.Connect("dave");
    CHECK_THROWS(dave->Authenticate("dave", "davepw"));
  }
  RelayOneMessage(p.a, p.b, "still relaying");
  RelayOneMessage(carol, p.b, "carol after a refused reload");
  RequireRelayStillWorks(relay);
  relay.RequireAlive();
}

TEST_CASE("SIGHUP while a 16 MiB message is relaying loses no session and no chunk") {
  constexpr size_t kChunk = 1 << 20;
  constexpr size_t kChunks = 16;
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);

  const std::string message = PseudoRandomBytes(kChunk * kChunks, 7977);
  const std::string message_id = RandomAlnum(12);
  const std::string stream = ChunkedSends(p, message, message_id, kChunk);
  MsrpClient& a = *p.a.client;
  BackgroundWriter writer([&a, &stream] { a.TryWrite(stream, Millis(30000)); });

  Frame first = p.b->ReadFrame(Millis(10000), "the first chunk");
  REQUIRE(first.body == message.substr(0, kChunk));

  // Reload mid-transfer: a new user, so the reload really applies something.
  WriteText(relay.dir() + "/users.htdigest", DefaultUsers() + UserLine("dave", "davepw"));
  std::string after = ReloadAndWait(relay, "reload done");
  CHECK(after.find("reload refused") == std::string::npos);

  // Every remaining chunk arrives complete, in order, byte-identical, with its own flag.
  for (size_t i = 1; i < kChunks; ++i) {
    Frame f = p.b->ReadFrame(Millis(10000), "chunk " + std::to_string(i + 1));
    auto range = ParseByteRange(f.Header("Byte-Range").value_or(""));
    REQUIRE_MESSAGE(range.has_value(), f.Describe());
    CHECK(range->start == i * kChunk + 1);
    CHECK(f.body == message.substr(i * kChunk, kChunk));
    CHECK(f.flag == (i + 1 == kChunks ? '$' : '+'));
  }
  CHECK(writer.Join().empty());
  RelayOneMessage(p.b, p.a, "same session after the reload");
}

TEST_CASE("SIGHUP after a certificate rotation: new connections see the new certificate, "
          "existing ones keep working") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  const std::string old_serial = p.a->PeerCertificateSerial();
  const std::string old_subject = p.a->PeerCertificateSubject();
  CHECK(old_serial == "2");
  CHECK(old_subject == "CN=relay.test,O=msrp-relay e2e tests");

  IssuedCert rotated = IssueRelayCertificate(4242, "relay.test rotated");
  WriteText(relay.dir() + "/relay.crt", rotated.cert_pem);
  WriteText(relay.dir() + "/relay.key", rotated.key_pem);
  ReloadAndWait(relay, "reload done");

  Peer carol = AuthenticatedPeer(relay, "carol", "carol", "carolpw");
  CHECK(carol->PeerCertificateSerial() == "4242");
  CHECK(carol->PeerCertificateSubject() == "CN=relay.test rotated,O=msrp-relay e2e tests");

  // The existing connections keep their session (and their handshake's certificate).
  CHECK(p.a->PeerCertificateSerial() == old_serial);
  RelayOneMessage(p.a, p.b, "old connections after the rotation");
  RelayOneMessage(carol, p.a, "new connection to an old one");
  RelayOneMessage(p.b, carol, "old connection to a new one");
}

TEST_CASE("SIGTERM during a transfer: the chunk in flight is delivered complete, then the relay "
          "exits 0 within drain_timeout + 2 s") {
  constexpr size_t kChunk = 1 << 20;
  constexpr size_t kChunks = 16;
  constexpr uint32_t kDrainTimeout = 3;
  RelayOptions options;
  options.limits["drain_timeout"] = std::to_string(kDrainTimeout);
  RelayProcess relay(options);
  PeerPair p = AuthenticatedPair(relay);

  const std::string message = PseudoRandomBytes(kChunk * kChunks, 4976);
  const std::string message_id = RandomAlnum(12);
  const std::string stream = ChunkedSends(p, message, message_id, kChunk);
  MsrpClient& a = *p.a.client;
  BackgroundWriter writer([&a, &stream] { a.TryWrite(stream, Millis(15000)); });

  // Chunk 1 arrives whole; the writer is already streaming the next ones.
  Frame first = p.b->ReadFrame(Millis(10000), "the first chunk");
  REQUIRE(first.body == message.substr(0, kChunk));
  CHECK(first.flag == '+');

  const size_t mark = relay.Log().size();
  const auto signalled = Clock::now();
  relay.Signal(SIGTERM);

  // Every frame B gets after the signal is a complete chunk ending in its own flag; then B is
  // closed.
  std::vector<Frame> after;
  bool closed = false;
  while (!closed && Clock::now() - signalled < std::chrono::seconds(kDrainTimeout + 2)) {
    Frame f;
    std::string error;
    ReadStatus st = p.b->Read(&f, Millis(500), &error);
    if (st == ReadStatus::kFrame) {
      after.push_back(std::move(f));
    } else if (st == ReadStatus::kClosed) {
      closed = true;
    } else {
      REQUIRE_MESSAGE(st == ReadStatus::kTimeout, "B: " << error);
    }
  }
  CHECK_MESSAGE(closed, "the relay did not close B while stopping");
  CHECK_MESSAGE(!after.empty(), "no chunk was in flight at SIGTERM (the relay finished none after it)");
  for (const Frame& f : after) {
    auto range = ParseByteRange(f.Header("Byte-Range").value_or(""));
    REQUIRE_MESSAGE(range.has_value(), f.Describe());
    const size_t start = static_cast<size_t>(range->start - 1);
    CHECK(f.method == "SEND");
    CHECK(f.Header("Message-ID") == message_id);
    CHECK(start % kChunk == 0);
    CHECK(f.body.size() == kChunk);
    CHECK(f.body == message.substr(start, kChunk));
    CHECK(f.flag == (start + kChunk == message.size() ? '$' : '+'));
  }

  std::optional<int> status = relay.WaitExit(std::chrono::seconds(kDrainTimeout + 2) -
                                              std::chrono::duration_cast<Millis>(Clock::now() - signalled));
  REQUIRE_MESSAGE(status.has_value(), "relay still running " << kDrainTimeout + 2 << " s after SIGTERM");
  const auto took = std::chrono::duration_cast<Millis>(Clock::now() - signalled);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  MESSAGE("relay exited " << took.count() << " ms after SIGTERM; " << after.size() << " chunk(s) after it");
  writer.Join();  // A's writes fail once the relay closed it: that is expected

  std::string log = relay.Log().substr(mark);
  CHECK(log.find("stopping (SIGTERM): no new connections; in-flight chunks have 3 s to finish") !=
        std::string::npos);
  CHECK(log.find("msrp-relay exited") != std::string::npos);
  CHECK(log.find("drain time over") == std::string::npos);
}

TEST_CASE("Metrics after a scripted exchange have exact values, /healthz and /readyz answer 200") {
  RelayOptions options;
  options.limits["transaction_timeout"] = "1";
  options.extra_yaml = "metrics: { address: 127.0.0.1, port: 0 }\n";
  RelayProcess relay(options);
  const uint16_t metrics_port = relay.MetricsPort();
  PeerPair p = AuthenticatedPair(relay);

  size_t body_bytes = 0;
  std::string unanswered_message_id;
  for (int i = 0; i < 3; ++i) {
    SendSpec s = SendBetween(p.a, p.b, "message " + std::to_string(i + 1));
    s.failure_report = "yes";
    body_bytes += s.body->size();
    p.a->Write(BuildSend(s));
    std::string problems = CheckRelay200(p.a->ReadFrame(kFrameTimeout, "the relay's 200"), s.tid, p.a);
    CHECK_MESSAGE(problems.empty(), problems);
    Frame got = p.b->ReadFrame(kFrameTimeout, "the forwarded SEND");
    if (i < 2) {
      p.b->Write(BuildResponse(got.tid, 200, "OK", {p.b.use_path}, {p.b.uri()}));
    } else {
      unanswered_message_id = s.message_id;
    }
  }
  Frame report = p.a->ReadFrame(Millis(5000), "REPORT 408 for the unanswered SEND");
  CHECK(report.method == "REPORT");
  CHECK(report.Header("Message-ID") == unanswered_message_id);
  CHECK(report.Header("Status") == "000 408 Request Timeout");

  const std::vector<std::string> want = {
      R"(msrp_connections{transport="tls",role="client"} 2)",
      R"(msrp_connections{transport="tcp",role="client"} 0)",
      "msrp_sessions 2",
      "msrp_pending_transactions 0",
      "msrp_queued_bytes 0",
      "msrp_draining 0",
      "msrp_connections_accepted_total 2",
      R"(msrp_auth_total{outcome="success"} 2)",
      R"(msrp_auth_total{outcome="failure"} 0)",
      R"(msrp_auth_total{outcome="stale"} 0)",
      R"(msrp_auth_total{outcome="challenge"} 2)",
      "msrp_messages_relayed_total 3",
      "msrp_bytes_relayed_total " + std::to_string(body_bytes),
      R"(msrp_responses_generated_total{code="200"} 5)",
      R"(msrp_responses_generated_total{code="401"} 2)",
      R"(msrp_reports_generated_total{code="408"} 1)",
      "msrp_transaction_timeouts_total 1",
  };
  HttpReply metrics;
  auto deadline = Clock::now() + std::chrono::seconds(3);
  for (;;) {
    metrics = HttpGet(metrics_port, "/metrics");
    bool all = metrics.status == 200;
    for (const auto& line : want) all = all && HasLine(metrics.body, line);
    if (all || Clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(metrics.status == 200);
  for (const auto& line : want) {
    CHECK_MESSAGE(HasLine(metrics.body, line), "missing \"" << line << "\" in /metrics:\n" << metrics.body);
  }
  // Only the codes the exchange produced appear.
  CHECK(metrics.body.find("msrp_responses_generated_total{code=\"4") ==
        metrics.body.find(R"(msrp_responses_generated_total{code="401"})"));
  CHECK(metrics.body.find("msrp_reports_generated_total{code=") ==
        metrics.body.find(R"(msrp_reports_generated_total{code="408"})"));

  HttpReply health = HttpGet(metrics_port, "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  HttpReply ready = HttpGet(metrics_port, "/readyz");
  CHECK(ready.status == 200);
  CHECK(ready.body == "ready\n");
  CHECK(HttpGet(metrics_port, "/nothing").status == 404);
}

TEST_CASE("msrp-relay --check-config prints one message per broken config, the error count and "
          "exits 1; a good config prints configuration OK and exits 0") {
  TempDir tmp;
  const std::string& dir = tmp.path;
  const TestPki& pki = GetTestPki();
  IssuedCert other = IssueRelayCertificate(77, "other");
  WriteText(dir + "/relay.crt", pki.relay_cert_pem);
  WriteText(dir + "/relay.key", pki.relay_key_pem);
  WriteText(dir + "/other.key", other.key_pem);
  WriteText(dir + "/users.htdigest", DefaultUsers());
  WriteText(dir + "/bad-users.htdigest", UserLine("alice", "alicepw") + "# comment\nbob:relay.test:0123\n");

  const std::string good =
      "relay:\n"                                                  // 1
      "  hostname: relay.test\n"                                  // 2
      "  listen:\n"                                               // 3
      "    - { address: 127.0.0.1, port: 0, transport: tls }\n"   // 4
      "tls:\n"                                                    // 5
      "  certificate: relay.crt\n"                                // 6
      "  private_key: relay.key\n"                                // 7
      "auth:\n"                                                   // 8
      "  realm: relay.test\n"                                     // 9
      "  users_file: users.htdigest\n"                            // 10
      "  expires: { min: 60, default: 600, max: 3600 }\n"         // 11
      "  nonce_lifetime: 300\n"                                   // 12
      "limits:\n"                                                 // 13
      "  max_headers: 64\n";                                      // 14

  {
    const std::string path = dir + "/good.yaml";
    WriteText(path, good);
    CommandResult r = RunCheckConfig(dir, path);
    CHECK(r.exit_code == 0);
    CHECK(r.out == path + ": configuration OK\n");
    CHECK(r.err == "");
  }

  struct Case {
    std::string name;
    std::string from;
    std::string to;
    std::string message;  ///< `<FILE>` stands for the config path, `<DIR>` for the folder
  };
  const std::vector<Case> cases = {
      {"unknown-key", "  nonce_lifetime: 300\n", "  nonce_lifetim: 300\n",
       "<FILE>:12: auth.nonce_lifetim: unknown key 'nonce_lifetim', did you mean 'nonce_lifetime'?"},
      {"wrong-type", "  max_headers: 64\n", "  max_headers: abc\n",
       "<FILE>:14: limits.max_headers: expected an integer, got 'abc'"},
      {"missing-required", "  hostname: relay.test\n", "",
       "<FILE>:1: relay.hostname: required key is missing"},
      {"expires-order", "min: 60, default: 600", "min: 700, default: 600",
       "<FILE>:11: auth.expires.min: must be <= auth.expires.default (600)"},
      {"missing-users-file", "users_file: users.htdigest", "users_file: nobody.htdigest",
       "<FILE>:10: auth.users_file: file not found: <DIR>/nobody.htdigest"},
      {"bad-listen-address", "address: 127.0.0.1,", "address: 127.0.0.256,",
       "<FILE>:4: relay.listen[0].address: expected an IPv4 or IPv6 address literal, got '127.0.0.256'"},
      {"bad-users-line", "users_file: users.htdigest", "users_file: bad-users.htdigest",
       "<DIR>/bad-users.htdigest: line 3: HA1 must be 32 hex digits"},
      {"key-mismatch", "private_key: relay.key", "private_key: other.key",
       "cannot load private key <DIR>/other.key: key values mismatch"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const std::string path = dir + "/" + c.name + ".yaml";
    std::string yaml = good;
    size_t at = yaml.find(c.from);
    REQUIRE(at != std::string::npos);
    yaml.replace(at, c.from.size(), c.to);
    WriteText(path, yaml);
    std::string message = c.message;
    for (auto [token, value] : {std::pair<std::string, std::string>{"<FILE>", path}, {"<DIR>", dir}}) {
      for (size_t pos = message.find(token); pos != std::string::npos; pos = message.find(token, pos + value.size())) {
        message.replace(pos, token.size(), value);
      }
    }
    CommandResult r = RunCheckConfig(dir, path);
    CHECK(r.exit_code == 1);
    CHECK(r.out == "");
    CHECK(r.err == message + "\n" + path + ": 1 error(s)\n");
  }
}

}  // namespace msrp::test
