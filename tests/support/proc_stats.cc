// Relay process and log probes for the e2e tests.
#include "tests/support/proc_stats.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/support/relay_process.h"

namespace msrp::test {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

}  // namespace

RelayCounters ParseCounters(const std::string& log) {
  RelayCounters out;
  const std::string marker = "counters: ";
  size_t at = log.rfind(marker);
  if (at == std::string::npos) return out;
  size_t end = log.find('\n', at);
  std::istringstream in(log.substr(at + marker.size(), end == std::string::npos ? std::string::npos
                                                                                : end - at - marker.size()));
  std::string pair;
  while (in >> pair) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos) continue;
    try {
      out[pair.substr(0, eq)] = std::stoull(pair.substr(eq + 1));
    } catch (...) {
      // Not a number (e.g. a JSON line's tail): ignore the pair.
    }
  }
  return out;
}

RelayCounters StopAndReadCounters(RelayProcess& relay) {
  relay.Stop();
  RelayCounters c = ParseCounters(relay.Log());
  if (c.empty()) throw std::runtime_error("the relay logged no counters line. Log tail:\n" + relay.LogTail(30));
  return c;
}

std::string SanitizerReport(const std::string& log) {
  static const char* const kMarkers[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                         ": runtime error:", "Sanitizer has encountered a fatal error",
                                         "WARNING: AddressSanitizer failed"};
  std::vector<std::string> lines = Lines(log);
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    bool hit = false;
    for (const char* m : kMarkers) hit = hit || lines[i].find(m) != std::string::npos;
    if (!hit) continue;
    size_t last = std::min(lines.size(), i + 31);
    for (size_t j = i; j < last; ++j) out += lines[j] + "\n";
    out += "...\n";
    i = last - 1;
    if (out.size() > 20000) break;
  }
  return out;
}

bool PollUntil(const std::function<bool()>& done, Millis timeout, Millis step) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

bool WaitForLog(const RelayProcess& relay, const std::string& needle, Millis timeout, size_t from) {
  return PollUntil([&] {
    std::string log = relay.Log();
    return log.size() > from && log.find(needle, from) != std::string::npos;
  }, timeout);
}

size_t CountOccurrences(const std::string& text, const std::string& needle) {
  if (needle.empty()) return 0;
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

uint16_t LocalPort(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if (fd < 0 || getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return 0;
  return ntohs(a.sin_port);
}

std::string ConnectionTag(const RelayProcess& relay, uint16_t local_port) {
  // "[c12 127.0.0.1:40312] connection opened (tls)"
  const std::string suffix = ":" + std::to_string(local_port) + "] connection opened";
  std::string log = relay.Log();
  size_t at = log.find(suffix);
  if (at == std::string::npos) return "";
  size_t open = log.rfind('[', at);
  if (open == std::string::npos) return "";
  size_t space = log.find(' ', open);
  if (space == std::string::npos || space > at) return "";
  return log.substr(open + 1, space - open - 1);
}

std::string WaitConnectionClosed(const RelayProcess& relay, const std::string& tag, Millis timeout) {
  const std::string prefix = "[" + tag + " ";
  std::string found;
  PollUntil([&] {
    for (const std::string& line : Lines(relay.Log())) {
      if (line.find(prefix) != std::string::npos && line.find("] connection closed") != std::string::npos) {
        found = line;
        return true;
      }
    }
    return false;
  }, timeout);
  return found;
}

std::string DescribeFds(int pid) {
  std::string out;
  std::error_code ec;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code lec;
    auto target = std::filesystem::read_symlink(it->path(), lec);
    out += it->path().filename().string() + " -> " + (lec ? std::string("?") : target.string()) + "\n";
  }
  return out;
}

bool WaitReadable(int fd, Millis timeout) {
  pollfd p{fd, POLLIN, 0};
  int rc;
  do {
    rc = poll(&p, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
}

int RawTcpConnectFrom(uint16_t port, const std::string& source) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (!source.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (inet_pton(AF_INET, source.c_str(), &local.sin_addr) != 1 ||
        bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      close(fd);
      return -1;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

bool RawWaitClosed(int fd, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return true;
    if (n > 0) continue;
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    poll(&p, 1, static_cast<int>(std::min<long long>(left, 100)));
  }
}

void RawAbort(int fd) {
  if (fd < 0) return;
  linger lg{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(fd);
}

}  // namespace msrp::test
