// Runs the real msrp-relay binary for one test: writes its config, users file and TLS files
// into a temp folder, starts it, finds its port in the log and stops it again.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "tests/support/msrp_client.h"

namespace msrp::test {

/// Per-test configuration overrides. Every key under `limits` is written verbatim as
/// `limits.<key>: <value>`; transaction_timeout defaults to 2 s for the tests.
struct RelayOptions {
  std::map<std::string, std::string> limits = {{"transaction_timeout", "2"}};
  uint32_t expires_min = 60;      ///< auth.expires.min
  uint32_t expires_default = 600; ///< auth.expires.default
  uint32_t expires_max = 3600;    ///< auth.expires.max
  uint32_t nonce_lifetime = 300;
  uint32_t max_failures = 5;
  std::string log_level = "debug";
  /// When > 0, RLIMIT_NOFILE (soft and hard) of the relay process, set before exec (C-08 tests).
  int rlimit_nofile = 0;
  /// Appended verbatim to the generated relay.yaml (e.g. a `metrics:` section).
  std::string extra_yaml;
};

/// The users every relay knows (realm relay.test): alice/alicepw, bob/bobpw, carol/carolpw.
inline constexpr const char* kRealm = "relay.test";

/// One msrp-relay child process. Construction starts it and waits (up to 10 s) for
/// `listening on 127.0.0.1:PORT (tls)`; it throws with the log if the binary exits or never
/// logs that line. Destruction sends SIGTERM, waits up to 5 s, then SIGKILL, reaps it, and
/// removes the temp folder. The test fails with the log tail if the relay died on its own
/// during the test, needed SIGKILL, or did not exit with status 0 after SIGTERM (this also
/// catches sanitizer reports at shutdown), or if its log holds a sanitizer report
/// (AddressSanitizer, LeakSanitizer, UBSan `runtime error:`). The binary is MSRP_RELAY_BINARY
/// from the build, or the environment variable MSRP_RELAY_BINARY when set (scripts/leak-check.sh).
class RelayProcess {
 public:
  explicit RelayProcess(RelayOptions options = {});
  ~RelayProcess();
  RelayProcess(const RelayProcess&) = delete;
  RelayProcess& operator=(const RelayProcess&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  /// The temp folder holding relay.yaml, relay.log, users.htdigest, relay.crt, relay.key.
  const std::string& dir() const { return dir_; }
  /// `msrps://relay.test:<port>;tcp`.
  std::string RelayUri() const;
  /// `msrps://relay.test:<port>/<session>;tcp`: a URI on this relay with the given session-id.
  std::string SessionUri(const std::string& session) const;

  /// The whole log so far.
  std::string Log() const;
  /// The last `lines` lines of the log.
  std::string LogTail(size_t lines = 40) const;
  /// True while the process runs (reaps it if it exited).
  bool Alive();
  /// Throws with exit status and log tail if the process is gone.
  void RequireAlive();
  /// "relay pid N: running|exited ..." plus the log tail, for failure messages.
  std::string Diagnostics();
  /// VmRSS of the process in KiB (from /proc/<pid>/status); -1 if unavailable.
  long VmRssKb() const;
  /// True if the relay runs with AddressSanitizer (libasan mapped): RSS bounds do not apply.
  bool IsSanitized() const;
  /// Number of open file descriptors of the process (/proc/<pid>/fd); -1 if unavailable.
  int OpenFdCount() const;

  /// Client options named `name` whose diagnostics report this relay's state.
  ClientOptions ClientOptionsFor(const std::string& name);
  /// A connected TLS client named `name`.
  std::unique_ptr<MsrpClient> Connect(const std::string& name);

  /// Stops the relay now (SIGTERM, 5 s, SIGKILL). Returns the raw wait status. Idempotent.
  int Stop();

  /// Sends `signo` to the relay. SIGTERM and SIGINT count as a stop the test asked for (the
  /// destructor then still requires exit status 0).
  void Signal(int signo);
  /// Waits up to `timeout` for the relay to exit; returns the raw wait status, or nullopt if
  /// it still runs.
  std::optional<int> WaitExit(Millis timeout);
  /// Polls the log (from byte `from` on) until ECMAScript regex `pattern` matches or `timeout`
  /// passes; returns the match and its groups, or nullopt.
  std::optional<std::vector<std::string>> WaitForLog(const std::string& pattern, Millis timeout,
                                                     size_t from = 0) const;
  /// The port of `metrics listening on 127.0.0.1:PORT (http)` (needs a `metrics:` section in
  /// RelayOptions::extra_yaml); waits up to 5 s for the line, throws if it never appears.
  uint16_t MetricsPort() const;

 private:
  void Start();
  std::string DescribeExit() const;

  RelayOptions options_;
  std::string dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  bool exited_ = false;          ///< reaped
  bool stopped_by_us_ = false;   ///< exited because we asked
  bool needed_sigkill_ = false;   ///< SIGTERM was not enough within 5 s
  int wait_status_ = 0;
};

}  // namespace msrp::test
