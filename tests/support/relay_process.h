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
#include <utility>
#include <vector>

#include "tests/support/msrp_client.h"

namespace msrp::test {

/// The `peers:` section (relay chains: outbound connections, RFC 4976 §6.4, C-03..C-09).
/// Unset fields are not written (the relay's defaults apply).
struct PeersOptions {
  std::optional<uint32_t> connect_timeout;   ///< peers.connect_timeout (s)
  std::optional<uint32_t> idle_timeout;      ///< peers.idle_timeout (s)
  std::optional<bool> allow_plain_tcp;       ///< peers.allow_plain_tcp
  std::vector<std::string> relays_allow;     ///< peers.relays.allow (written when either list is set)
  std::vector<std::string> relays_deny;      ///< peers.relays.deny
  /// peers.hosts: host name -> addresses ("127.0.0.1" or "127.0.0.1:4000"), in order.
  std::vector<std::pair<std::string, std::vector<std::string>>> hosts;
};

/// Per-test configuration overrides. Every key under `limits` is written verbatim as
/// `limits.<key>: <value>`; transaction_timeout defaults to 2 s for the tests.
struct RelayOptions {
  std::map<std::string, std::string> limits = {{"transaction_timeout", "2"}};
  uint32_t expires_min = 60;      ///< auth.expires.min
  uint32_t expires_default = 600; ///< auth.expires.default
  uint32_t expires_max = 3600;    ///< auth.expires.max
  uint32_t nonce_lifetime = 300;
  uint32_t max_failures = 5;
  /// auth.allow_users; empty: the key is left out.
  std::vector<std::string> allow_users;
  std::string log_level = "debug";
  /// log.format: "text" or "json"; empty = not written (the relay's default, text).
  std::string log_format;
  /// Variables added to (or replacing) the test's environment for the relay process, e.g.
  /// NOTIFY_SOCKET.
  std::map<std::string, std::string> environment;
  /// When > 0, RLIMIT_NOFILE (soft and hard) of the relay process, set before exec (C-08 tests).
  int rlimit_nofile = 0;
  /// Appended verbatim to the generated relay.yaml (e.g. a `metrics:` section).
  std::string extra_yaml;
  /// relay.hostname: the host of RelayUri()/SessionUri() and of the AUTH To-Path (AuthUri()).
  std::string hostname = "relay.test";
  /// subjectAltName DNS names of the relay certificate (plus IP:127.0.0.1), issued once per
  /// name set by the test CA. Empty = the shared default certificate (DNS:relay.test,
  /// IP:127.0.0.1, serial 2). Test clients verify the first name (ClientOptionsFor).
  std::vector<std::string> cert_dns_names;
  /// Adds a second listener `{ address: 127.0.0.1, port: 0, transport: tcp }` (tcp_port()).
  bool tcp_listener = false;
  /// Written as the `peers:` section when set.
  std::optional<PeersOptions> peers;
  /// Further trust anchors (PEM) appended to ca.crt (tls.ca_file) after the test CA, e.g. a
  /// peer relay's self-signed certificate (interop tests).
  std::string extra_ca_pem;
};

/// The users every relay knows (realm relay.test): alice/alicepw, bob/bobpw, carol/carolpw.
inline constexpr const char* kRealm = "relay.test";

/// One msrp-relay child process. Construction starts it and waits (up to 10 s) for
/// `listening on 127.0.0.1:PORT (tls)` (and `(tcp)` with RelayOptions::tcp_listener); it throws with the log if the binary exits or never
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
  /// Port of the plain TCP listener (RelayOptions::tcp_listener); 0 when there is none.
  uint16_t tcp_port() const { return tcp_port_; }
  /// relay.hostname.
  const std::string& hostname() const { return options_.hostname; }
  /// The name test clients verify in the relay certificate (SNI too): the first of
  /// RelayOptions::cert_dns_names, or relay.test.
  std::string TlsServerName() const;
  pid_t pid() const { return pid_; }
  /// The temp folder holding relay.yaml, relay.log, users.htdigest, relay.crt, relay.key.
  const std::string& dir() const { return dir_; }
  /// `msrps://<hostname>:<port>;tcp`.
  std::string RelayUri() const;
  /// `msrps://<hostname>:<port>/<session>;tcp`: a URI on this relay with the given session-id.
  std::string SessionUri(const std::string& session) const;
  /// `msrps://<hostname>;tcp`: the portless AUTH To-Path a client uses.
  std::string AuthUri() const;

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
  /// Number of this process's TCP sockets (its /proc/<pid>/fd socket inodes, looked up in
  /// /proc/<pid>/net/tcp and tcp6) in state ESTABLISHED whose remote port is `remote_port`;
  /// -1 if /proc is unreadable. E.g. relay1's connections to relay2's listener.
  int EstablishedConnectionsToPort(uint16_t remote_port) const;
  /// One line per TCP socket of the process: "local -> remote STATE", for failure messages.
  std::string DescribeTcpSockets() const;

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
  uint16_t tcp_port_ = 0;
  bool exited_ = false;          ///< reaped
  bool stopped_by_us_ = false;   ///< exited because we asked
  bool needed_sigkill_ = false;   ///< SIGTERM was not enough within 5 s
  int wait_status_ = 0;
};

}  // namespace msrp::test
