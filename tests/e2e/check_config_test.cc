// End-to-end tests of `msrp-relay --check-config`: one exact message per broken config, the error
// count and exit 1; "configuration OK" and exit 0 for a good one.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/relay_admin.h"
#include "tests/support/relay_process.h"
#include "tests/support/test_pki.h"

extern char** environ;

namespace msrp::test {
namespace {

using Clock = std::chrono::steady_clock;

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
