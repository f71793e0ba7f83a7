// End-to-end tests of stopping: SIGTERM or SIGINT with a chunk in flight drains it (listeners
// closed, /readyz 503), then the relay exits 0.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/crypto_util.h"
#include "tests/support/expect.h"
#include "tests/support/http_get.h"
#include "tests/support/msrp_client.h"
#include "tests/support/relay_admin.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"

namespace msrp::test {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

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

TEST_CASE("SIGINT drains like SIGTERM: new connections are refused, /readyz answers 503 and "
          "msrp_draining is 1 while a chunk is in flight, the chunk completes, exit 0") {
  RelayOptions options;
  options.limits["drain_timeout"] = "10";
  options.extra_yaml = "metrics: { address: 127.0.0.1, port: 0 }\n";
  RelayProcess relay(options);
  const uint16_t metrics_port = relay.MetricsPort();
  PeerPair p = AuthenticatedPair(relay);
  CHECK(HttpGet(metrics_port, "/readyz").status == 200);

  // A chunk of 100000 octets, of which 40000 are sent before the signal.
  SendSpec s = SendBetween(p.a, p.b, PseudoRandomBytes(100000, 2));
  const std::string sent = BuildSend(s);
  const size_t split = sent.find("\r\n\r\n") + 4 + 40000;
  const size_t mark = relay.Log().size();
  p.a->Write(sent.substr(0, split));
  REQUIRE(relay.WaitForLog("SEND " + s.tid + " -> c", Millis(5000), mark).has_value());

  const auto signalled = Clock::now();
  relay.Signal(SIGINT);
  REQUIRE(relay.WaitForLog("stopping \\(SIGINT\\): no new connections; in-flight chunks have 10 s to finish",
                           Millis(5000), mark)
              .has_value());
  HttpReply ready = HttpGet(metrics_port, "/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.body == "not ready\n");
  CHECK(HttpGet(metrics_port, "/healthz").status == 200);
  const std::string metrics = PollMetrics(metrics_port, {"msrp_draining 1"});
  CHECK_MESSAGE(HasLine(metrics, "msrp_draining 1"), metrics);
  int refused = RawTcpConnect(relay.port());
  CHECK_MESSAGE(refused < 0, "the relay accepted a connection while draining");
  if (refused >= 0) close(refused);

  // The rest of the chunk: B gets it whole, A the relay's 200.
  p.a->Write(sent.substr(split));
  std::string problems = CheckRelay200(p.a->ReadFrame(kFrameTimeout, "the relay's 200"), s.tid, p.a);
  CHECK_MESSAGE(problems.empty(), problems);
  Frame got = p.b->ReadFrame(kFrameTimeout, "the chunk in flight at SIGINT");
  CHECK(got.body == *s.body);
  CHECK(got.flag == '$');

  std::optional<int> status = relay.WaitExit(Millis(5000));
  REQUIRE_MESSAGE(status.has_value(), "relay still running 5 s after the chunk completed");
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(std::chrono::duration_cast<Millis>(Clock::now() - signalled).count() < 10000);
  CHECK(relay.Log().find("drain time over") == std::string::npos);
}

TEST_CASE("SIGTERM with a chunk that never ends: the relay closes every connection when "
          "drain_timeout (1 s) is over and exits 0") {
  RelayOptions options;
  options.limits["drain_timeout"] = "1";
  RelayProcess relay(options);
  PeerPair p = AuthenticatedPair(relay);

  SendSpec s = SendBetween(p.a, p.b, PseudoRandomBytes(100000, 3));
  const std::string sent = BuildSend(s);
  const size_t mark = relay.Log().size();
  p.a->Write(sent.substr(0, sent.find("\r\n\r\n") + 4 + 1000));  // then A stalls
  REQUIRE(relay.WaitForLog("SEND " + s.tid + " -> c", Millis(5000), mark).has_value());

  const auto signalled = Clock::now();
  relay.Signal(SIGTERM);
  std::optional<int> status = relay.WaitExit(Millis(5000));
  const long took = static_cast<long>(std::chrono::duration_cast<Millis>(Clock::now() - signalled).count());
  REQUIRE_MESSAGE(status.has_value(), "relay still running 5 s after SIGTERM");
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK_MESSAGE(took >= 900, "exited " << took << " ms after SIGTERM, before drain_timeout");
  CHECK_MESSAGE(took <= 2500, "exited " << took << " ms after SIGTERM");
  const std::string log = relay.Log().substr(mark);
  CHECK(log.find("drain time over: closing 2 connection(s)") != std::string::npos);
  CHECK(log.find("msrp-relay exited") != std::string::npos);
}

}  // namespace msrp::test
