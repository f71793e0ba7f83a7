// End-to-end tests of the metrics listener: exact /metrics values after a scripted exchange,
// /healthz and /readyz.
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/expect.h"
#include "tests/support/http_get.h"
#include "tests/support/msrp_client.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"

namespace msrp::test {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

TEST_CASE("Metrics after a scripted exchange have exact values, /healthz and /readyz answer 200") {
  RelayOptions options;
  options.limits["transaction_timeout"] = "1";
  options.extra_yaml = "metrics: { address: 127.0.0.1, port: 0 }\n";
  RelayProcess relay(options);
  const uint16_t metrics_port = relay.MetricsPort();
  auto started = relay.WaitForLog(R"(msrp-relay (\S+) started as)", Millis(5000));
  REQUIRE(started.has_value());
  const std::string version = (*started)[1];

  // A peer that does not speak TLS: one failed handshake.
  {
    int fd = RawTcpConnect(relay.port());
    REQUIRE(fd >= 0);
    const std::string junk = "MSRP abc SEND\r\n\r\n";
    REQUIRE(write(fd, junk.data(), junk.size()) == static_cast<ssize_t>(junk.size()));
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    close(fd);
  }
  // A wrong password: a challenge, then a failure.
  {
    auto eve = relay.Connect("eve");
    CHECK_THROWS(eve->Authenticate("alice", "not alice's password"));
  }
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
      R"(msrp_build_info{version=")" + version + R"("} 1)",
      R"(msrp_connections{transport="tls",role="client"} 2)",
      R"(msrp_connections{transport="tls",role="relay"} 0)",
      R"(msrp_connections{transport="tls",role="outbound"} 0)",
      R"(msrp_connections{transport="tcp",role="client"} 0)",
      R"(msrp_connections{transport="tcp",role="relay"} 0)",
      R"(msrp_connections{transport="tcp",role="outbound"} 0)",
      "msrp_sessions 2",
      "msrp_pending_transactions 0",
      "msrp_queued_bytes 0",
      "msrp_draining 0",
      "msrp_connections_accepted_total 4",
      "msrp_tls_handshake_failures_total 1",
      R"(msrp_auth_total{outcome="success"} 2)",
      R"(msrp_auth_total{outcome="failure"} 1)",
      R"(msrp_auth_total{outcome="stale"} 0)",
      R"(msrp_auth_total{outcome="challenge"} 3)",
      "msrp_messages_relayed_total 3",
      "msrp_bytes_relayed_total " + std::to_string(body_bytes),
      R"(msrp_responses_generated_total{code="200"} 5)",
      R"(msrp_responses_generated_total{code="401"} 4)",
      R"(msrp_reports_generated_total{code="408"} 1)",
      "msrp_transaction_timeouts_total 1",
      "msrp_backpressure_pauses_total 0",
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
  // libmicrohttpd's own messages go through the relay's logger as "metrics: ..."; none is due.
  CHECK_MESSAGE(relay.Log().find("metrics: ") == std::string::npos, relay.Log());
}

}  // namespace msrp::test
