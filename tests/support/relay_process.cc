// Starts and stops msrp-relay for the end-to-end tests.
#include "tests/support/relay_process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/support/crypto_util.h"
#include "tests/support/proc_stats.h"
#include "tests/support/test_pki.h"

#ifndef MSRP_RELAY_BINARY
#error "MSRP_RELAY_BINARY must be defined by the build"
#endif

extern char** environ;

namespace msrp::test {
namespace {

using Clock = std::chrono::steady_clock;

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
  chmod(path.c_str(), mode);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string UsersFile() {
  std::string out;
  for (const auto& [user, pw] : std::vector<std::pair<std::string, std::string>>{
           {"alice", "alicepw"}, {"bob", "bobpw"}, {"carol", "carolpw"}}) {
    out += user + ":" + kRealm + ":" + Md5Hex(user + ":" + kRealm + ":" + pw) + "\n";
  }
  return out;
}

std::string YamlList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", \"" : "\"") + items[i] + "\"";
  return out + "]";
}

std::string PeersYaml(const PeersOptions& p) {
  std::string y = "peers:\n";
  if (p.connect_timeout) y += "  connect_timeout: " + std::to_string(*p.connect_timeout) + "\n";
  if (p.idle_timeout) y += "  idle_timeout: " + std::to_string(*p.idle_timeout) + "\n";
  if (p.allow_plain_tcp) y += std::string("  allow_plain_tcp: ") + (*p.allow_plain_tcp ? "true" : "false") + "\n";
  if (!p.relays_allow.empty() || !p.relays_deny.empty()) {
    y += "  relays: { allow: " + YamlList(p.relays_allow) + ", deny: " + YamlList(p.relays_deny) + " }\n";
  }
  if (!p.hosts.empty()) {
    y += "  hosts:\n";
    for (const auto& [host, addresses] : p.hosts) y += "    " + host + ": " + YamlList(addresses) + "\n";
  }
  return y;
}

std::string ConfigYaml(const RelayOptions& o) {
  std::string y;
  y += "relay:\n";
  y += "  hostname: " + o.hostname + "\n";
  y += "  listen:\n";
  y += "    - { address: 127.0.0.1, port: 0, transport: tls }\n";
  if (o.tcp_listener) y += "    - { address: 127.0.0.1, port: 0, transport: tcp }\n";
  y += "tls:\n";
  y += "  certificate: relay.crt\n";
  y += "  private_key: relay.key\n";
  y += "  ca_file: ca.crt\n";
  y += "auth:\n";
  y += "  realm: relay.test\n";
  y += "  users_file: users.htdigest\n";
  y += "  expires: { min: " + std::to_string(o.expires_min) + ", default: " +
       std::to_string(o.expires_default) + ", max: " + std::to_string(o.expires_max) + " }\n";
  y += "  nonce_lifetime: " + std::to_string(o.nonce_lifetime) + "\n";
  y += "  max_failures: " + std::to_string(o.max_failures) + "\n";
  if (!o.allow_users.empty()) {
    y += "  allow_users:\n";
    for (const auto& user : o.allow_users) y += "    - " + user + "\n";
  }
  y += "limits:\n";
  for (const auto& [k, v] : o.limits) y += "  " + k + ": " + v + "\n";
  y += "log:\n";
  y += "  level: " + o.log_level + "\n";
  if (!o.log_format.empty()) y += "  format: " + o.log_format + "\n";
  if (o.peers) y += PeersYaml(*o.peers);
  y += o.extra_yaml;
  return y;
}

}  // namespace

RelayProcess::RelayProcess(RelayOptions options) : options_(std::move(options)) {
  const TestPki& pki = GetTestPki();
  char tmpl[] = "/tmp/msrp-e2e-relay-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error(std::string("mkdtemp: ") + strerror(errno));
  dir_ = tmpl;
  log_path_ = dir_ + "/relay.log";
  try {
    if (options_.cert_dns_names.empty()) {
      WriteFile(dir_ + "/relay.crt", pki.relay_cert_pem, 0644);
      WriteFile(dir_ + "/relay.key", pki.relay_key_pem, 0600);
    } else {
      const IssuedCert& leaf = LeafCertificateFor(options_.cert_dns_names);
      WriteFile(dir_ + "/relay.crt", leaf.cert_pem, 0644);
      WriteFile(dir_ + "/relay.key", leaf.key_pem, 0600);
    }
    std::string ca_bundle = pki.ca_cert_pem;
    if (!options_.extra_ca_pem.empty()) {
      if (ca_bundle.back() != '\n') ca_bundle += '\n';
      ca_bundle += options_.extra_ca_pem;
    }
    WriteFile(dir_ + "/ca.crt", ca_bundle, 0644);
    WriteFile(dir_ + "/users.htdigest", UsersFile(), 0600);
    WriteFile(dir_ + "/relay.yaml", ConfigYaml(options_), 0644);
    Start();
  } catch (...) {
    Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

void RelayProcess::Start() {
  const char* binary_env = getenv("MSRP_RELAY_BINARY");
  const std::string binary = binary_env != nullptr && *binary_env != '\0' ? binary_env : MSRP_RELAY_BINARY;
  const rlim_t nofile = static_cast<rlim_t>(options_.rlimit_nofile);
  const std::string config = dir_ + "/relay.yaml";
  // The child's environment, built before fork (setenv is not async-signal-safe).
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    if (options_.environment.count(entry.substr(0, entry.find('='))) == 0) env_strings.push_back(std::move(entry));
  }
  for (const auto& [name, value] : options_.environment) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot create " + log_path_);
  pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) {
    close(log_fd);
    throw std::runtime_error(std::string("fork: ") + strerror(errno));
  }
  if (pid_ == 0) {
    // Child: only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (chdir(dir_.c_str()) != 0) _exit(126);
    if (nofile > 0) {
      rlimit lim{nofile, nofile};
      if (setrlimit(RLIMIT_NOFILE, &lim) != 0) _exit(125);
    }
    const char* argv[] = {binary.c_str(), "--config", config.c_str(), nullptr};
    execve(binary.c_str(), const_cast<char* const*>(argv), envp.data());
    const char msg[] = "e2e harness: execve of msrp-relay failed\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(127);
  }
  close(log_fd);

  static const std::regex kListening(R"(listening on 127\.0\.0\.1:(\d+) \(tls\))");
  static const std::regex kListeningTcp(R"(listening on 127\.0\.0\.1:(\d+) \(tcp\))");
  const std::string want = options_.tcp_listener
                               ? "\"listening on 127.0.0.1:PORT (tls)\" and \"... (tcp)\""
                               : "\"listening on 127.0.0.1:PORT (tls)\"";
  auto deadline = Clock::now() + std::chrono::seconds(10);
  for (;;) {
    std::string log = ReadFile(log_path_);
    auto find_port = [&log](const std::regex& re) -> uint16_t {
      std::smatch m;
      if (!std::regex_search(log, m, re)) return 0;
      int port = std::stoi(m[1].str());
      if (port <= 0 || port > 65535) throw std::runtime_error("relay logged a bad port:\n" + log);
      return static_cast<uint16_t>(port);
    };
    uint16_t tls = find_port(kListening);
    uint16_t tcp = options_.tcp_listener ? find_port(kListeningTcp) : 0;
    if (tls != 0 && (tcp != 0 || !options_.tcp_listener)) {
      port_ = tls;
      tcp_port_ = tcp;
      return;
    }
    if (!Alive()) {
      throw std::runtime_error("msrp-relay (" + binary + ") " + DescribeExit() + " before logging " +
                               want + ". Log:\n" + LogTail(60));
    }
    if (Clock::now() > deadline) {
      throw std::runtime_error("msrp-relay did not log " + want + " within 10 s. Log:\n" + LogTail(60));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

RelayProcess::~RelayProcess() {
  bool died = !stopped_by_us_ && pid_ > 0 && !Alive();
  if (died) {
    std::string msg = "msrp-relay " + DescribeExit() + " during the test. Log tail:\n" + LogTail(60);
    ADD_FAIL_CHECK_AT(__FILE__, __LINE__, msg);
  } else if (pid_ > 0 && port_ != 0) {
    int status = Stop();
    if (needed_sigkill_) {
      std::string msg = "msrp-relay did not exit within 5 s of SIGTERM (killed). Log tail:\n" + LogTail(30);
      ADD_FAIL_CHECK_AT(__FILE__, __LINE__, msg);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::string msg = "msrp-relay " + DescribeExit() + " after SIGTERM (want exit status 0). Log tail:\n" +
                        LogTail(60);
      ADD_FAIL_CHECK_AT(__FILE__, __LINE__, msg);
    }
  }
  Stop();
  if (pid_ > 0) {
    std::string report = SanitizerReport(Log());
    if (!report.empty()) {
      std::string msg = "sanitizer report in the relay log:\n" + report;
      ADD_FAIL_CHECK_AT(__FILE__, __LINE__, msg);
    }
  }
  if (!dir_.empty() && getenv("MSRP_E2E_KEEP") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string RelayProcess::RelayUri() const {
  return "msrps://" + options_.hostname + ":" + std::to_string(port_) + ";tcp";
}

std::string RelayProcess::SessionUri(const std::string& session) const {
  return "msrps://" + options_.hostname + ":" + std::to_string(port_) + "/" + session + ";tcp";
}

std::string RelayProcess::AuthUri() const { return "msrps://" + options_.hostname + ";tcp"; }

std::string RelayProcess::TlsServerName() const {
  return options_.cert_dns_names.empty() ? std::string("relay.test") : options_.cert_dns_names.front();
}

std::string RelayProcess::Log() const { return ReadFile(log_path_); }

std::string RelayProcess::LogTail(size_t lines) const {
  std::string log = Log();
  size_t pos = log.size();
  size_t count = 0;
  while (pos > 0 && count <= lines) {
    pos = log.rfind('\n', pos - 1);
    if (pos == std::string::npos) {
      pos = 0;
      break;
    }
    ++count;
  }
  std::string tail = log.substr(pos);
  if (tail.size() > 12000) tail = "..." + tail.substr(tail.size() - 12000);
  return tail;
}

bool RelayProcess::Alive() {
  if (pid_ <= 0 || exited_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    wait_status_ = status;
    return false;
  }
  return true;
}

std::string RelayProcess::DescribeExit() const {
  if (!exited_) return "is running";
  if (WIFEXITED(wait_status_)) return "exited with status " + std::to_string(WEXITSTATUS(wait_status_));
  if (WIFSIGNALED(wait_status_)) {
    return "was killed by signal " + std::to_string(WTERMSIG(wait_status_)) + " (" +
           strsignal(WTERMSIG(wait_status_)) + ")";
  }
  return "ended (wait status " + std::to_string(wait_status_) + ")";
}

void RelayProcess::RequireAlive() {
  if (!Alive()) {
    throw std::runtime_error("msrp-relay " + DescribeExit() + ". Log tail:\n" + LogTail(60));
  }
}

std::string RelayProcess::Diagnostics() {
  bool alive = Alive();
  return "relay pid " + std::to_string(pid_) + " on port " + std::to_string(port_) + ": " +
         (alive ? std::string("running") : DescribeExit()) + "; log tail:\n" + LogTail(30);
}

long RelayProcess::VmRssKb() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

bool RelayProcess::IsSanitized() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/maps");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("libasan") != std::string::npos) return true;
  }
  return false;
}

int RelayProcess::OpenFdCount() const {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/" + std::to_string(pid_) + "/fd", ec);
  if (ec) return -1;
  int n = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return -1;
    ++n;
  }
  return n;
}

namespace {

struct TcpSocketEntry {
  std::string local, remote;  ///< "127.0.0.1:PORT" (IPv4) or the hex form (IPv6)
  uint16_t remote_port = 0;
  int state = 0;              ///< 1 = ESTABLISHED, 10 = LISTEN, ...
};

const char* TcpStateName(int st) {
  static const char* kNames[] = {"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
                                 "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
                                 "LISTEN", "CLOSING"};
  return st >= 0 && st <= 11 ? kNames[st] : "?";
}

std::string HexAddress(const std::string& hex) {
  // "0100007F:1F90" -> "127.0.0.1:8080"; IPv6 stays hex with its port decoded.
  size_t colon = hex.find(':');
  if (colon == std::string::npos) return hex;
  unsigned port = static_cast<unsigned>(std::stoul(hex.substr(colon + 1), nullptr, 16));
  std::string ip = hex.substr(0, colon);
  if (ip.size() == 8) {
    uint32_t v = static_cast<uint32_t>(std::stoul(ip, nullptr, 16));  // host order of a LE dump
    ip = std::to_string(v & 0xff) + "." + std::to_string((v >> 8) & 0xff) + "." +
         std::to_string((v >> 16) & 0xff) + "." + std::to_string(v >> 24);
  } else {
    ip = "[" + ip + "]";
  }
  return ip + ":" + std::to_string(port);
}

// The TCP sockets of `pid`, or nullopt when /proc cannot be read.
std::optional<std::vector<TcpSocketEntry>> TcpSocketsOf(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  std::set<std::string> inodes;
  std::error_code ec;
  std::filesystem::directory_iterator it(base + "/fd", ec);
  if (ec) return std::nullopt;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return std::nullopt;
    char target[256];
    ssize_t n = readlink(it->path().c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    std::string t(target, static_cast<size_t>(n));
    if (t.rfind("socket:[", 0) == 0 && t.back() == ']') inodes.insert(t.substr(8, t.size() - 9));
  }
  std::vector<TcpSocketEntry> out;
  bool read_any = false;
  for (const char* table : {"/net/tcp", "/net/tcp6"}) {
    std::ifstream in(base + table);
    if (!in) continue;
    read_any = true;
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string sl, local, remote, st, queues, timer, retr, uid, timeout, inode;
      if (!(fields >> sl >> local >> remote >> st >> queues >> timer >> retr >> uid >> timeout >> inode)) continue;
      if (!inodes.count(inode)) continue;
      TcpSocketEntry e;
      e.local = HexAddress(local);
      e.remote = HexAddress(remote);
      size_t colon = remote.find(':');
      if (colon != std::string::npos) {
        e.remote_port = static_cast<uint16_t>(std::stoul(remote.substr(colon + 1), nullptr, 16));
      }
      e.state = static_cast<int>(std::stoul(st, nullptr, 16));
      out.push_back(e);
    }
  }
  if (!read_any) return std::nullopt;
  return out;
}

}  // namespace

int RelayProcess::EstablishedConnectionsToPort(uint16_t remote_port) const {
  auto sockets = TcpSocketsOf(pid_);
  if (!sockets) return -1;
  int n = 0;
  for (const auto& s : *sockets) {
    if (s.state == 1 && s.remote_port == remote_port) ++n;
  }
  return n;
}

std::string RelayProcess::DescribeTcpSockets() const {
  auto sockets = TcpSocketsOf(pid_);
  if (!sockets) return "relay pid " + std::to_string(pid_) + ": /proc not readable\n";
  std::string out = "TCP sockets of relay pid " + std::to_string(pid_) + " (" + options_.hostname +
                    ", tls port " + std::to_string(port_) + "):\n";
  for (const auto& s : *sockets) {
    out += "  " + s.local + " -> " + s.remote + " " + TcpStateName(s.state) + "\n";
  }
  return out;
}

ClientOptions RelayProcess::ClientOptionsFor(const std::string& name) {
  ClientOptions o;
  o.name = name;
  o.server_name = TlsServerName();
  o.diagnostics = [this] { return Diagnostics(); };
  return o;
}

std::unique_ptr<MsrpClient> RelayProcess::Connect(const std::string& name) {
  return std::make_unique<MsrpClient>(port_, ClientOptionsFor(name));
}

int RelayProcess::Stop() {
  if (pid_ <= 0) return 0;
  if (!Alive()) return wait_status_;
  stopped_by_us_ = true;
  kill(pid_, SIGTERM);
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline) {
    if (!Alive()) return wait_status_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  needed_sigkill_ = true;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exited_ = true;
  wait_status_ = status;
  return wait_status_;
}

void RelayProcess::Signal(int signo) {
  if (pid_ <= 0 || exited_) return;
  if (signo == SIGTERM || signo == SIGINT) stopped_by_us_ = true;
  kill(pid_, signo);
}

std::optional<int> RelayProcess::WaitExit(Millis timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (!Alive()) return wait_status_;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::optional<std::vector<std::string>> RelayProcess::WaitForLog(const std::string& pattern,
                                                                 Millis timeout, size_t from) const {
  const std::regex re(pattern);
  auto deadline = Clock::now() + timeout;
  for (;;) {
    std::string log = Log();
    std::smatch m;
    if (from <= log.size()) {
      std::string tail = log.substr(from);
      if (std::regex_search(tail, m, re)) {
        std::vector<std::string> groups;
        for (const auto& g : m) groups.push_back(g.str());
        return groups;
      }
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

uint16_t RelayProcess::MetricsPort() const {
  auto m = WaitForLog(R"(metrics listening on 127\.0\.0\.1:(\d+) \(http\))", Millis(5000));
  if (!m) {
    throw std::runtime_error("relay did not log \"metrics listening on 127.0.0.1:PORT (http)\". Log:\n" +
                             LogTail(40));
  }
  return static_cast<uint16_t>(std::stoi((*m)[1]));
}

}  // namespace msrp::test
