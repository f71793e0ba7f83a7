// End-to-end test of the systemd notifications (sd_notify, Type=notify): the relay runs with
// NOTIFY_SOCKET pointing at a datagram socket of the test, which reads what systemd would.
#include <doctest/doctest.h>

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "tests/support/relay_admin.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"

namespace msrp::test {
namespace {

/// A bound AF_UNIX datagram socket in a fresh temp folder: the service manager's end.
class NotifySocket {
 public:
  NotifySocket() {
    char tmpl[] = "/tmp/msrp-e2e-notify-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    path_ = dir_ + "/notify";
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("cannot bind " + path_ + ": " + std::strerror(errno));
    }
  }
  ~NotifySocket() {
    if (fd_ >= 0) close(fd_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& path() const { return path_; }

  /// The next datagram, or "(none)" if none arrives within `timeout`.
  std::string Next(Millis timeout = Millis(5000)) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) != 1) return "(none)";
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n < 0 ? "(recv failed)" : std::string(buf, static_cast<size_t>(n));
  }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
};

}  // namespace

TEST_CASE("sd_notify: READY and STATUS once listening, RELOADING then READY around each SIGHUP "
          "(applied or refused), STOPPING on SIGTERM") {
  NotifySocket manager;
  RelayOptions options;
  options.environment["NOTIFY_SOCKET"] = manager.path();
  RelayProcess relay(options);

  CHECK(manager.Next() == "READY=1\nSTATUS=serving as relay.test");
  PeerPair p = AuthenticatedPair(relay);

  ReloadAndWait(relay, "reload done");
  CHECK(manager.Next() == "RELOADING=1\nSTATUS=reloading");
  CHECK(manager.Next() == "READY=1\nSTATUS=serving");

  const std::string config_path = relay.dir() + "/relay.yaml";
  const std::string good = ReadText(config_path);
  std::string broken = good;
  broken.insert(broken.find("limits:\n") + 8, "  max_headers: abc\n");
  WriteText(config_path, broken);
  ReloadAndWait(relay, "reload refused: keeping the running configuration");
  CHECK(manager.Next() == "RELOADING=1\nSTATUS=reloading");
  CHECK(manager.Next() == "READY=1\nSTATUS=serving; last reload refused: " + config_path + ":" +
                              std::to_string(LineNumberOf(broken, "  max_headers: abc")) +
                              ": limits.max_headers: expected an integer, got 'abc'");
  WriteText(config_path, good);
  RelayOneMessage(p.a, p.b, "between the reloads");

  relay.Signal(SIGTERM);
  CHECK(manager.Next() == "STOPPING=1\nSTATUS=draining: SIGTERM");
  REQUIRE(relay.WaitExit(Millis(5000)).has_value());
  CHECK(manager.Next(Millis(200)) == "(none)");
}

}  // namespace msrp::test
