// Next-hop resolution (RFC 4976 §8, U-08): IP literals, the static peers.hosts table, getaddrinfo
// for "localhost", SRV answer parsing on hand-built DNS messages, and request lifetime (Cancel,
// destroying the Resolver with work in flight, no callback from inside Resolve()).
// No network is assumed: real DNS is only used for "localhost" and a ".invalid" name.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <uv.h>

#include "relay/net/resolver.h"
#include "relay/net/srv_records.h"

using msrp::Result;
using msrp::config::StaticHostAddress;
using msrp::relay::ParseSrvAnswer;
using msrp::relay::ResolvedAddress;
using msrp::relay::Resolver;
using msrp::relay::SrvRecord;

namespace {

using Addresses = std::vector<ResolvedAddress>;
using StaticHosts = std::vector<std::pair<std::string, std::vector<StaticHostAddress>>>;

/// Resolves once on a fresh loop, runs it until the callback ran, closes it. Checks that the
/// callback ran exactly once and not from inside Resolve().
Result<Addresses> ResolveOnce(const std::string& host, std::optional<uint16_t> port, bool tls = true,
                              const StaticHosts& hosts = {}) {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  std::optional<Result<Addresses>> got;
  int calls = 0;
  bool in_resolve = false;
  bool called_inside = false;
  {
    Resolver resolver(&loop);
    resolver.SetStaticHosts(hosts);
    in_resolve = true;
    resolver.Resolve(host, port, tls, [&](Result<Addresses> result) {
      ++calls;
      if (in_resolve) called_inside = true;
      got.emplace(std::move(result));
    });
    in_resolve = false;
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  CHECK(calls == 1);
  CHECK_FALSE(called_inside);
  REQUIRE(got.has_value());
  return std::move(*got);
}

std::vector<std::string> Texts(const Result<Addresses>& result) {
  std::vector<std::string> out;
  if (!result.ok()) return out;
  for (const auto& a : *result) out.push_back(a.text);
  return out;
}

uint16_t PortOf(const ResolvedAddress& a) {
  if (a.addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&a.addr)->sin_port);
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&a.addr)->sin6_port);
}

/// Builds a DNS response by hand (RFC 1035 §4.1).
struct DnsMessage {
  std::vector<unsigned char> bytes;

  void U16(uint16_t v) {
    bytes.push_back(static_cast<unsigned char>(v >> 8));
    bytes.push_back(static_cast<unsigned char>(v & 0xff));
  }
  void U32(uint32_t v) {
    U16(static_cast<uint16_t>(v >> 16));
    U16(static_cast<uint16_t>(v & 0xffff));
  }
  /// Labels of `dotted`; then a compression pointer to `pointer` if given, else the root label.
  static std::vector<unsigned char> Name(const std::string& dotted, std::optional<uint16_t> pointer = std::nullopt) {
    std::vector<unsigned char> out;
    size_t start = 0;
    while (start < dotted.size()) {
      size_t dot = dotted.find('.', start);
      if (dot == std::string::npos) dot = dotted.size();
      out.push_back(static_cast<unsigned char>(dot - start));
      out.insert(out.end(), dotted.begin() + static_cast<long>(start), dotted.begin() + static_cast<long>(dot));
      start = dot + 1;
    }
    if (pointer) {
      out.push_back(static_cast<unsigned char>(0xC0 | (*pointer >> 8)));
      out.push_back(static_cast<unsigned char>(*pointer & 0xff));
    } else {
      out.push_back(0);
    }
    return out;
  }
  void Header(uint16_t qdcount, uint16_t ancount) {
    U16(0x1234);  // id
    U16(0x8180);  // response, RD, RA, NOERROR
    U16(qdcount);
    U16(ancount);
    U16(0);
    U16(0);
  }
  void Question(const std::string& name, uint16_t type) {
    auto n = Name(name);
    bytes.insert(bytes.end(), n.begin(), n.end());
    U16(type);
    U16(1);  // IN
  }
  /// An answer owned by the name at offset 12 (the question's), with raw rdata.
  void Answer(uint16_t type, const std::vector<unsigned char>& rdata) {
    U16(0xC00C);
    U16(type);
    U16(1);
    U32(300);
    U16(static_cast<uint16_t>(rdata.size()));
    bytes.insert(bytes.end(), rdata.begin(), rdata.end());
  }
  void Srv(uint16_t priority, uint16_t weight, uint16_t port, const std::vector<unsigned char>& target) {
    DnsMessage rd;
    rd.U16(priority);
    rd.U16(weight);
    rd.U16(port);
    rd.bytes.insert(rd.bytes.end(), target.begin(), target.end());
    Answer(33, rd.bytes);
  }
};

constexpr uint16_t kExampleNetOffset = 12 + 7 + 5;  // "\6_msrps\4_tcp" then "example.net"

/// The answer for _msrps._tcp.example.net used by several cases, in deliberately unsorted order.
DnsMessage ExampleSrvAnswer() {
  DnsMessage m;
  m.Header(1, 5);
  m.Question("_msrps._tcp.example.net", 33);
  m.Srv(20, 0, 2855, DnsMessage::Name("backup.example.net"));
  m.Srv(10, 10, 2856, DnsMessage::Name("relay-a", kExampleNetOffset));  // compressed target
  m.Answer(5, DnsMessage::Name("other.example.net"));                    // a CNAME: skipped
  m.Srv(30, 0, 0, DnsMessage::Name(""));                                 // root target
  m.Srv(10, 60, 2857, DnsMessage::Name("relay-b.example.net"));
  return m;
}

}  // namespace

TEST_CASE("U-08: an IPv4 literal with a port resolves to itself without DNS") {
  auto r = ResolveOnce("192.0.2.1", 7000);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].text == "192.0.2.1:7000");
  CHECK((*r)[0].addr.ss_family == AF_INET);
  CHECK(PortOf((*r)[0]) == 7000);
  const auto* sin = reinterpret_cast<const sockaddr_in*>(&(*r)[0].addr);
  CHECK(ntohl(sin->sin_addr.s_addr) == 0xC0000201u);
}

TEST_CASE("U-08: an IPv6 literal with a port is written in brackets") {
  auto r = ResolveOnce("::1", 7000);
  REQUIRE(r.ok());
  CHECK(Texts(r) == std::vector<std::string>{"[::1]:7000"});
  CHECK((*r)[0].addr.ss_family == AF_INET6);
  CHECK(PortOf((*r)[0]) == 7000);
}

TEST_CASE("U-08: a literal without a port gets 2855, for msrps and msrp alike") {
  CHECK(Texts(ResolveOnce("192.0.2.1", std::nullopt, true)) == std::vector<std::string>{"192.0.2.1:2855"});
  CHECK(Texts(ResolveOnce("2001:db8::1", std::nullopt, false)) == std::vector<std::string>{"[2001:db8::1]:2855"});
}

TEST_CASE("U-08: static table entries, with and without their own port, against URIs with and without a port") {
  StaticHosts hosts = {
      {"relay2.example.net", {{"192.0.2.10", 0}, {"2001:db8::10", 0}}},
      {"relay3.example.net", {{"192.0.2.20", 9000}, {"192.0.2.21", 0}}},
  };
  SUBCASE("entry without port, URI without port: 2855") {
    CHECK(Texts(ResolveOnce("relay2.example.net", std::nullopt, true, hosts)) ==
          std::vector<std::string>{"192.0.2.10:2855", "[2001:db8::10]:2855"});
  }
  SUBCASE("entry without port, URI with port: the URI's") {
    CHECK(Texts(ResolveOnce("relay2.example.net", 7000, true, hosts)) ==
          std::vector<std::string>{"192.0.2.10:7000", "[2001:db8::10]:7000"});
  }
  SUBCASE("entry with port, URI without port: the entry's (2855 for an entry without)") {
    CHECK(Texts(ResolveOnce("relay3.example.net", std::nullopt, true, hosts)) ==
          std::vector<std::string>{"192.0.2.20:9000", "192.0.2.21:2855"});
  }
  SUBCASE("entry with port, URI with port: the URI's") {
    CHECK(Texts(ResolveOnce("relay3.example.net", 7000, false, hosts)) ==
          std::vector<std::string>{"192.0.2.20:7000", "192.0.2.21:7000"});
  }
  SUBCASE("the host name matches case-insensitively") {
    CHECK(Texts(ResolveOnce("Relay2.EXAMPLE.net", 7000, true, hosts)) ==
          std::vector<std::string>{"192.0.2.10:7000", "[2001:db8::10]:7000"});
  }
}

TEST_CASE("U-08: at most 16 addresses are returned") {
  std::vector<StaticHostAddress> many;
  for (int i = 1; i <= 20; ++i) many.push_back({"192.0.2." + std::to_string(i), 0});
  auto r = ResolveOnce("many.example.net", std::nullopt, true, {{"many.example.net", many}});
  REQUIRE(r.ok());
  REQUIRE(r->size() == 16);
  CHECK((*r)[0].text == "192.0.2.1:2855");
  CHECK((*r)[15].text == "192.0.2.16:2855");
}

TEST_CASE("U-08: localhost with a port resolves through getaddrinfo to loopback with that port") {
  auto r = ResolveOnce("localhost", 5000);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error()));
  REQUIRE_FALSE(r->empty());
  bool loopback = false;
  for (const auto& a : *r) {
    CHECK(PortOf(a) == 5000);
    if (a.text == "127.0.0.1:5000" || a.text == "[::1]:5000") loopback = true;
  }
  CHECK(loopback);
}

TEST_CASE("U-08: a name under .invalid fails with a text naming the host") {
  auto starts = [](const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; };
  SUBCASE("with a port (A/AAAA only)") {
    auto r = ResolveOnce("no-such-relay.invalid", 2855);
    REQUIRE_FALSE(r.ok());
    CHECK((starts(r.error(), "no address for") || starts(r.error(), "DNS failure")));
    CHECK(r.error().find("no-such-relay.invalid") != std::string::npos);
  }
  SUBCASE("without a port (SRV, then the A/AAAA fallback)") {
    auto r = ResolveOnce("no-such-relay.invalid", std::nullopt, true);
    REQUIRE_FALSE(r.ok());
    CHECK((starts(r.error(), "no address for") || starts(r.error(), "DNS failure")));
  }
}

TEST_CASE("U-08: SRV answers are ordered by priority, then higher weight first") {
  DnsMessage m = ExampleSrvAnswer();
  std::vector<SrvRecord> records = ParseSrvAnswer(m.bytes.data(), m.bytes.size());
  REQUIRE(records.size() == 4);  // the CNAME is not an SRV record
  CHECK(records[0].target == "relay-b.example.net");
  CHECK(records[0].priority == 10);
  CHECK(records[0].weight == 60);
  CHECK(records[0].port == 2857);
  CHECK(records[1].target == "relay-a.example.net");  // compression pointer expanded
  CHECK(records[1].port == 2856);
  CHECK(records[2].target == "backup.example.net");
  CHECK(records[2].priority == 20);
  CHECK(records[3].target == ".");  // root target kept, so "service not here" is visible
  CHECK(records[3].priority == 30);
}

TEST_CASE("U-08: an SRV answer without records, or damaged, yields no records") {
  SUBCASE("NODATA: no answers") {
    DnsMessage m;
    m.Header(1, 0);
    m.Question("_msrp._tcp.example.net", 33);
    CHECK(ParseSrvAnswer(m.bytes.data(), m.bytes.size()).empty());
  }
  SUBCASE("truncated at every length") {
    DnsMessage m = ExampleSrvAnswer();
    for (size_t len = 0; len < m.bytes.size(); ++len) {
      // Whatever is returned must be well-formed; a cut message here yields nothing.
      for (const auto& r : ParseSrvAnswer(m.bytes.data(), len)) CHECK_FALSE(r.target.empty());
    }
    CHECK(ParseSrvAnswer(m.bytes.data(), 40).empty());
  }
  SUBCASE("answer count larger than the message") {
    DnsMessage m;
    m.Header(1, 5);
    m.Question("_msrp._tcp.example.net", 33);
    CHECK(ParseSrvAnswer(m.bytes.data(), m.bytes.size()).empty());
  }
  SUBCASE("short rdata and a target pointer past the end are skipped") {
    DnsMessage m;
    m.Header(1, 3);
    m.Question("_msrp._tcp.example.net", 33);
    m.Answer(33, {0, 1, 0, 1, 0x0b});                      // 5 bytes of rdata
    m.Srv(1, 1, 2855, {0xC0, 0xFF});                       // pointer to offset 255: out of bounds
    m.Srv(2, 1, 2855, DnsMessage::Name("ok.example.net"));
    auto records = ParseSrvAnswer(m.bytes.data(), m.bytes.size());
    REQUIRE(records.size() == 1);
    CHECK(records[0].target == "ok.example.net");
  }
  SUBCASE("no buffer") {
    CHECK(ParseSrvAnswer(nullptr, 0).empty());
  }
}

TEST_CASE("U-08: Cancel() suppresses the callback, for literal and DNS requests") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  int cancelled_calls = 0;
  int kept_calls = 0;
  {
    Resolver resolver(&loop);
    uint64_t a = resolver.Resolve("192.0.2.1", 7000, true, [&](Result<Addresses>) { ++cancelled_calls; });
    uint64_t b = resolver.Resolve("localhost", 5000, true, [&](Result<Addresses>) { ++cancelled_calls; });
    uint64_t c = resolver.Resolve("192.0.2.2", 7000, true, [&](Result<Addresses> r) {
      ++kept_calls;
      CHECK(Texts(r) == std::vector<std::string>{"192.0.2.2:7000"});
    });
    CHECK(a != b);
    CHECK(b != c);
    resolver.Cancel(a);
    resolver.Cancel(b);
    resolver.Cancel(b);       // twice: no-op
    resolver.Cancel(424242);  // unknown: no-op
    uv_run(&loop, UV_RUN_DEFAULT);
    resolver.Cancel(c);  // after it ran: no-op
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  CHECK(cancelled_calls == 0);
  CHECK(kept_calls == 1);
}

TEST_CASE("U-08: destroying the Resolver with requests in flight drops their callbacks safely") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  int calls = 0;
  auto resolver = std::make_unique<Resolver>(&loop);
  resolver->SetStaticHosts({{"relay2.example.net", {{"192.0.2.10", 0}}}});
  resolver->Resolve("localhost", 5000, true, [&](Result<Addresses>) { ++calls; });
  resolver->Resolve("no-such-relay.invalid", std::nullopt, true, [&](Result<Addresses>) { ++calls; });
  resolver->Resolve("::1", 7000, true, [&](Result<Addresses>) { ++calls; });
  resolver->Resolve("relay2.example.net", std::nullopt, true, [&](Result<Addresses>) { ++calls; });
  resolver.reset();
  uv_run(&loop, UV_RUN_DEFAULT);  // the pool work finishes; its requests are freed (ASan: no leak)
  CHECK(uv_loop_close(&loop) == 0);
  CHECK(calls == 0);
}

TEST_CASE("U-08: a callback may destroy the Resolver; the other pending callbacks are dropped") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  int calls = 0;
  auto resolver = std::make_unique<Resolver>(&loop);
  auto destroy = [&](Result<Addresses>) {
    ++calls;
    resolver.reset();
  };
  resolver->Resolve("192.0.2.1", 7000, true, destroy);
  resolver->Resolve("localhost", 5000, true, destroy);
  resolver->Resolve("192.0.2.2", 7000, true, destroy);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(resolver == nullptr);
  CHECK(uv_loop_close(&loop) == 0);
  CHECK(calls == 1);
}

TEST_CASE("U-08: a callback may start another lookup; it is delivered later, not nested") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  std::vector<std::string> order;
  {
    Resolver resolver(&loop);
    resolver.Resolve("192.0.2.1", 7000, true, [&](Result<Addresses> first) {
      order.push_back("first");
      resolver.Resolve("192.0.2.2", 7000, true, [&](Result<Addresses> second) {
        order.push_back(Texts(second).at(0));
      });
      order.push_back("first done");
    });
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  CHECK(order == std::vector<std::string>{"first", "first done", "192.0.2.2:7000"});
}
