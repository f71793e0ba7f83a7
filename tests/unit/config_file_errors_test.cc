// Unit tests for config/: files the config refers to (missing, not regular, not readable), a
// config file that cannot be opened, and many errors reported at once in line order.

#include <doctest/doctest.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <functional>
#include <string>

#include "config/loader.h"
#include "tests/unit/config_test_env.h"

namespace msrp::config {
namespace {

using namespace test_env;

// ---------------------------------------------------------------------------------------------
// Referenced files

TEST_CASE("error: referenced file not found") {
  Env env;
  CHECK(env.Errors(kRelay + "tls:\n  certificate: tls/missing.crt\n  private_key: /nonexistent/x.key\n"
                            "  ca_file: ca.pem\nauth:\n  realm: r\n  users_file: users.htdigest/x\n") ==
        env.E(6, "tls.certificate", "file not found: " + env.dir / "tls/missing.crt") +
            env.E(7, "tls.private_key", "file not found: /nonexistent/x.key") +
            env.E(8, "tls.ca_file", "file not found: " + env.dir / "ca.pem") +
            env.E(11, "auth.users_file", "file not found: " + env.dir / "users.htdigest/x"));
}

TEST_CASE("error: referenced file is not a regular file") {
  Env env;
  CHECK(env.Errors(kRelay + "tls:\n  certificate: tls\n  private_key: tls/relay.key\n"
                            "auth:\n  realm: r\n  users_file: /dev/null\n") ==
        env.E(6, "tls.certificate", "not a regular file: " + env.dir / "tls") +
            env.E(10, "auth.users_file", "not a regular file: /dev/null"));
}

/// Runs `load` in a child process as user nobody (when we are root, which ignores file modes)
/// and returns its result; as another user, runs it in this process.
std::string RunUnprivileged(const std::function<std::string()>& load) {
  if (::geteuid() != 0) return load();
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    constexpr uid_t kNobody = 65534;
    if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(2);
    std::string out = load();
    ssize_t n = ::write(fds[1], out.data(), out.size());
    ::_exit(n == static_cast<ssize_t>(out.size()) ? 0 : 3);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return out;
}

TEST_CASE("error: referenced file is not readable") {
  Env env;
  ::chmod(env.dir.path().c_str(), 0755);
  ::chmod((env.dir / "tls").c_str(), 0755);
  ::chmod((env.dir / "tls/relay.crt").c_str(), 0644);
  ::chmod((env.dir / "users.htdigest").c_str(), 0644);
  ::chmod((env.dir / "tls/relay.key").c_str(), 0000);
  WriteFile(env.dir / "private/users.htdigest", "");
  ::chmod((env.dir / "private").c_str(), 0000);  // cannot even be searched
  std::string errors = RunUnprivileged([&] {
    return env.Errors(kRelay + "tls:\n  certificate: tls/relay.crt\n  private_key: tls/relay.key\n"
                               "auth:\n  realm: r\n  users_file: private/users.htdigest\n");
  });
  ::chmod((env.dir / "private").c_str(), 0755);  // so TempDir can remove it
  CHECK(errors == env.E(7, "tls.private_key", "not readable: " + env.dir / "tls/relay.key" +
                                                  " (Permission denied)") +
                      env.E(10, "auth.users_file", "not readable: " + env.dir / "private/users.htdigest" +
                                                       " (Permission denied)"));
}

TEST_CASE("error: config file cannot be opened") {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  WriteFile(dir / "relay.yaml", kMinimal);
  ::chmod((dir / "relay.yaml").c_str(), 0000);
  std::string errors = RunUnprivileged([&] { return Env::Join(LoadConfigFile(dir / "relay.yaml")); });
  CHECK(errors == dir / "relay.yaml: cannot open: Permission denied\n");
}

// ---------------------------------------------------------------------------------------------
// Many errors at once

TEST_CASE("every error is reported, in line order") {
  Env env;
  const std::string yaml =
      "relay:\n"                                               // 1
      "  hostname: 192.0.2.1\n"                                // 2
      "  listen:\n"                                            // 3
      "    - { address: 127.0.0.1, port: 99999 }\n"            // 4
      "    - { address: 127.0.0.1, transport: quic }\n"        // 5
      "tls:\n"                                                 // 6
      "  certificate: tls/relay.crt\n"                         // 7
      "  private_key: tls/nope.key\n"                          // 8
      "  ca_fil: x\n"                                          // 9
      "auth:\n"                                                // 10
      "  users_file: users.htdigest\n"                         // 11
      "  expires: { min: 0, default: 10, max: 5 }\n"           // 12
      "limits:\n"                                              // 13
      "  low_watermark: 2000000\n"                             // 14
      "  max_headers: many\n"                                  // 15
      "log:\n"                                                 // 16
      "  level: loud\n"                                        // 17
      "  format: json\n"                                       // 18
      "  format: text\n";                                      // 19
  CHECK(env.Errors(yaml) ==
        env.E(2, "relay.hostname",
              "must be a host name, not an IP address literal (Use-Path URIs use an FQDN, RFC 4976 §8)") +
            env.E(4, "relay.listen[0].port", "expected an integer in 0..65535, got 99999") +
            env.E(5, "relay.listen[1].transport", "must be 'tls' or 'tcp', got 'quic'") +
            env.E(8, "tls.private_key", "file not found: " + env.dir / "tls/nope.key") +
            env.E(9, "tls.ca_fil", "unknown key 'ca_fil', did you mean 'ca_file'?") +
            env.E(10, "auth.realm", "required key is missing") +
            env.E(12, "auth.expires.min", "must be > 0") +
            env.E(12, "auth.expires.default", "must be <= auth.expires.max (5)") +
            env.E(14, "limits.low_watermark", "must be < limits.high_watermark (1048576)") +
            env.E(15, "limits.max_headers", "expected an integer, got 'many'") +
            env.E(17, "log.level", "must be one of trace, debug, info, warn, error, critical, off; got 'loud'") +
            env.E(19, "log.format", "duplicate key 'format' (first at line 18)"));
}

}  // namespace
}  // namespace msrp::config
