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

std::string ConfigYaml(const RelayOptions& o) {
  std::string y;
  y += "relay:\n";
  y += "  hostname: relay.test\n";
  y += "  listen:\n";
  y += "    - { address: 127.0.0.1, port: 0, transport: tls }\n";
  y += "tls:\n";
  y += "  certificate: relay.crt\n";
  y += "  private_key: relay.key\n";
  y += "auth:\n";
  y += "  realm: relay.test\n";
  y += "  users_file: users.htdigest\n";
  y += "  expires: { min: " + std::to_string(o.expires_min) + ", default: " +
       std::to_string(o.expires_default) + ", max: " + std::to_string(o.expires_max) + " }\n";
  y += "  nonce_lifetime: " + std::to_string(o.nonce_lifetime) + "\n";
  y += "  max_failures: " + std::to_string(o.max_failures) + "\n";
  y += "limits:\n";
  for (const auto& [k, v] : o.limits) y += "  " + k + ": " + v + "\n";
  y += "log:\n";
  y += "  level: " + o.log_level + "\n";
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
    WriteFile(dir_ + "/relay.crt", pki.relay_cert_pem, 0644);
    WriteFile(dir_ + "/relay.key", pki.relay_key_pem, 0600);
    WriteFile(dir_ + "/ca.crt", pki.ca_cert_pem, 0644);
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
    execl(binary.c_str(), binary.c_str(), "--config", config.c_str(), static_cast<char*>(nullptr));
    const char msg[] = "e2e harness: execl of msrp-relay failed\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(127);
  }
  close(log_fd);

  static const std::regex kListening(R"(listening on 127\.0\.0\.1:(\d+) \(tls\))");
  auto deadline = Clock::now() + std::chrono::seconds(10);
  for (;;) {
    std::string log = ReadFile(log_path_);
    std::smatch m;
    if (std::regex_search(log, m, kListening)) {
      int port = std::stoi(m[1].str());
      if (port <= 0 || port > 65535) throw std::runtime_error("relay logged a bad port:\n" + log);
      port_ = static_cast<uint16_t>(port);
      return;
    }
    if (!Alive()) {
      throw std::runtime_error("msrp-relay (" + binary + ") " + DescribeExit() +
                               " before logging \"listening on 127.0.0.1:PORT (tls)\". Log:\n" +
                               LogTail(60));
    }
    if (Clock::now() > deadline) {
      throw std::runtime_error("msrp-relay did not log \"listening on 127.0.0.1:PORT (tls)\" "
                               "within 10 s. Log:\n" + LogTail(60));
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
  return "msrps://relay.test:" + std::to_string(port_) + ";tcp";
}

std::string RelayProcess::SessionUri(const std::string& session) const {
  return "msrps://relay.test:" + std::to_string(port_) + "/" + session + ";tcp";
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

ClientOptions RelayProcess::ClientOptionsFor(const std::string& name) {
  ClientOptions o;
  o.name = name;
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
