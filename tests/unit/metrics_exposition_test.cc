// Unit tests for relay/metrics_exposition: the Prometheus text of given counters and gauges,
// line by line (connections by transport and role, status-code families, build info).

#include <doctest/doctest.h>

#include <set>
#include <sstream>
#include <string>

#include "relay/ops/metrics_exposition.h"

namespace msrp::relay {
namespace {

bool HasLine(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST_CASE("connections are exported by transport and role: client, relay, outbound") {
  Gauges g;
  g.tls = {.client = 3, .relay = 2, .outbound = 1};
  g.tcp = {.client = 5, .relay = 0, .outbound = 4};
  const std::string text = FormatExposition(Counters{}, g, "1.2.3");
  CHECK(HasLine(text, "# TYPE msrp_connections gauge"));
  CHECK(HasLine(text, R"(msrp_connections{transport="tls",role="client"} 3)"));
  CHECK(HasLine(text, R"(msrp_connections{transport="tls",role="relay"} 2)"));
  CHECK(HasLine(text, R"(msrp_connections{transport="tls",role="outbound"} 1)"));
  CHECK(HasLine(text, R"(msrp_connections{transport="tcp",role="client"} 5)"));
  CHECK(HasLine(text, R"(msrp_connections{transport="tcp",role="relay"} 0)"));
  CHECK(HasLine(text, R"(msrp_connections{transport="tcp",role="outbound"} 4)"));
}

TEST_CASE("build info, counters and per-code families carry the given values") {
  Counters c;
  c.auth_successes = 7;
  c.auth_failures = 1;
  c.tls_handshake_failures = 2;
  c.backpressure_pauses = 9;
  c.requests_forwarded = 11;
  c.body_bytes_relayed = 12345;
  c.responses_by_code = {{200, 10}, {481, 1}};
  c.reports_by_code = {{408, 3}};
  Gauges g;
  g.sessions = 4;
  g.draining = true;
  const std::string text = FormatExposition(c, g, "0.9.1");
  CHECK(HasLine(text, R"(msrp_build_info{version="0.9.1"} 1)"));
  CHECK(HasLine(text, R"(msrp_auth_total{outcome="success"} 7)"));
  CHECK(HasLine(text, R"(msrp_auth_total{outcome="failure"} 1)"));
  CHECK(HasLine(text, "msrp_tls_handshake_failures_total 2"));
  CHECK(HasLine(text, "msrp_backpressure_pauses_total 9"));
  CHECK(HasLine(text, "msrp_messages_relayed_total 11"));
  CHECK(HasLine(text, "msrp_bytes_relayed_total 12345"));
  CHECK(HasLine(text, R"(msrp_responses_generated_total{code="200"} 10)"));
  CHECK(HasLine(text, R"(msrp_responses_generated_total{code="481"} 1)"));
  CHECK(HasLine(text, R"(msrp_reports_generated_total{code="408"} 3)"));
  CHECK(HasLine(text, "msrp_sessions 4"));
  CHECK(HasLine(text, "msrp_draining 1"));
}

TEST_CASE("every sample line names a metric with the msrp_ prefix and a HELP and TYPE line") {
  const std::string text = FormatExposition(Counters{}, Gauges{}, "0.0.0");
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  std::set<std::string> typed;
  std::set<std::string> helped;
  std::istringstream in(text);
  std::string line;
  int samples = 0;
  while (std::getline(in, line)) {
    CAPTURE(line);
    if (line.rfind("# HELP ", 0) == 0) {
      helped.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      std::string type = line.substr(8 + name.size());
      CHECK((type == "gauge" || type == "counter"));
      CHECK_MESSAGE((type != "counter" || name.size() > 6), name);
      CHECK_MESSAGE((type != "counter" || name.compare(name.size() - 6, 6, "_total") == 0),
                    "a counter's name ends in _total: " << name);
      typed.insert(name);
      continue;
    }
    ++samples;
    CHECK(line.rfind("msrp_", 0) == 0);
    std::string name = line.substr(0, line.find_first_of("{ "));
    CHECK_MESSAGE(typed.count(name) == 1, "no TYPE line before " << name);
    CHECK_MESSAGE(helped.count(name) == 1, "no HELP line before " << name);
  }
  CHECK(samples > 20);
}

}  // namespace
}  // namespace msrp::relay
