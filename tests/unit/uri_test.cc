// Unit tests for common/uri: MSRP URI parsing, formatting, comparison and path lists
// (RFC 4975 §6, §6.1, §9; U-01..U-07; BR-02, BR-27). Vectors copied from rfc-examples.txt.
#include "common/uri.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace msrp {
namespace {

Uri MustParse(std::string_view text) {
  Result<Uri> r = ParseUri(text);
  INFO("uri: ", std::string(text));
  std::string why = r.ok() ? std::string() : r.error();
  INFO("error: ", why);
  REQUIRE(r.ok());
  return r.value();
}

bool Equal(std::string_view a, std::string_view b) { return UriEquals(MustParse(a), MustParse(b)); }

void CheckSameFields(const Uri& a, const Uri& b) {
  CHECK(a.scheme == b.scheme);
  CHECK(a.userinfo == b.userinfo);
  CHECK(a.host == b.host);
  CHECK(a.host_is_ipv6 == b.host_is_ipv6);
  CHECK(a.port == b.port);
  CHECK(a.session_id == b.session_id);
  CHECK(a.transport == b.transport);
  CHECK(a.params == b.params);
}

// Every URI that appears in a path header of rfc-examples.txt.
const std::vector<std::string> kRfcVectorUris = {
    "msrps://B.example.com/bbb;tcp",
    "msrps://Bob.example.com/bob;tcp",
    "msrps://A.example.com/aaa;tcp",
    "msrps://Alice.example.com/alice;tcp",
    "msrps://a.example.org:9000/kjfjan;tcp",
    "msrps://b.example.net:9000/aeiug;tcp",
    "msrps://bob.example.net:8145/foo;tcp",
    "msrps://alice.example.org:7965/bar;tcp",
    "msrps://alice@intra.example.com;tcp",
    "msrps://alice.example.com:9892/98cjs;tcp",
    "msrps://intra.example.com:9000/jui787s2f;tcp",
    "msrps://extra.example.com;tcp",
    "msrps://extra.example.com:9000/mywdEe1233;tcp",
    "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp",
    "msrp://atlanta.example.com:7654/jshA7weztas;tcp",
    "msrp://bob.example.com:8888/9di4eae923wzd;tcp",
    "msrp://alicepc.example.com:7777/iau39soe2843z;tcp",
    "msrp://alice.example.com:7777/iau39soe2843z;tcp",
    "msrp://bobpc.example.com:8888/9di4eae923wzd;tcp",
    "msrp://alicepc.example.com:7654/iau39soe2843z;tcp",
    "msrp://alicepc.example.com:8888/9di4eae923wzd;tcp",
    "msrp://example.com:7777/iau39soe2843z;tcp",
    "msrps://alice@a.example.com:443;ws",
    "msrps://df7jal23ls0d.invalid:2855/98cjs;ws",
    "msrps://a.example.com:2855/jui787s2f;tcp",
    "msrps://bob.example.com:49154/foo;tcp",
};

}  // namespace

TEST_CASE("U-01: every URI of the RFC vectors parses and formats back byte-exact") {
  for (const std::string& text : kRfcVectorUris) {
    INFO("uri: ", text);
    Uri uri = MustParse(text);
    CHECK(FormatUri(uri) == text);
    CheckSameFields(MustParse(FormatUri(uri)), uri);
  }
}

TEST_CASE("U-01: the parts of a full URI land in the right fields") {
  Uri uri = MustParse("msrps://a.example.org:9000/kjfjan;tcp");
  CHECK(uri.scheme == Scheme::kMsrps);
  CHECK(uri.userinfo.empty());
  CHECK(uri.host == "a.example.org");
  CHECK_FALSE(uri.host_is_ipv6);
  REQUIRE(uri.port.has_value());
  CHECK(*uri.port == 9000);
  CHECK(uri.session_id == "kjfjan");
  CHECK(uri.transport == "tcp");
  CHECK(uri.params.empty());

  Uri plain = MustParse("msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp");
  CHECK(plain.scheme == Scheme::kMsrp);
}

TEST_CASE("U-01, U-07: the AUTH To-Path relay URI has userinfo, no port and no session-id") {
  Uri uri = MustParse("msrps://alice@intra.example.com;tcp");
  CHECK(uri.userinfo == "alice");
  CHECK(uri.host == "intra.example.com");
  CHECK_FALSE(uri.port.has_value());
  CHECK(uri.session_id.empty());
  CHECK(uri.transport == "tcp");
}

TEST_CASE("U-01: transport ws (RFC 7977) and any 1*ALPHANUM transport parse") {
  CHECK(MustParse("msrps://df7jal23ls0d.invalid:2855/98cjs;ws").transport == "ws");
  CHECK(MustParse("msrp://h.example.com:1/s;sctp2").transport == "sctp2");
  CHECK_FALSE(ParseUri("msrp://h.example.com:1/s;t-cp").ok());
  CHECK_FALSE(ParseUri("msrp://h.example.com:1/s;").ok());
}

TEST_CASE("U-01: a URI without ;transport is rejected") {
  CHECK_FALSE(ParseUri("msrp://bob.example.com:8888/9di4eae923wzd").ok());
  CHECK_FALSE(ParseUri("msrps://intra.example.com").ok());
  CHECK_FALSE(ParseUri("msrps://intra.example.com:9000").ok());
  Result<Uri> r = ParseUri("msrps://intra.example.com:9000/abc");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("transport") != std::string::npos);
}

TEST_CASE("U-01: further URI parameters are kept in order and formatted back") {
  Uri uri = MustParse("msrp://h.example.com:2855/s1;tcp;foo=bar;flag");
  CHECK(uri.transport == "tcp");
  CHECK(uri.params == std::vector<std::string>{"foo=bar", "flag"});
  CHECK(FormatUri(uri) == "msrp://h.example.com:2855/s1;tcp;foo=bar;flag");
  CHECK_FALSE(ParseUri("msrp://h.example.com:2855/s1;tcp;").ok());
  CHECK_FALSE(ParseUri("msrp://h.example.com:2855/s1;tcp;;x").ok());
  CHECK_FALSE(ParseUri("msrp://h.example.com:2855/s1;tcp;a=").ok());
  CHECK_FALSE(ParseUri("msrp://h.example.com:2855/s1;tcp;a=b=c").ok());
}

TEST_CASE("U-01: session-ids with '/', '+' and '=' as minted by other relays round-trip") {
  const std::string text = "msrps://relay.example.net:2855/Uvtf/pVL7+XnnJ63E=E2=;tcp";
  Uri uri = MustParse(text);
  CHECK(uri.session_id == "Uvtf/pVL7+XnnJ63E=E2=");
  CHECK(FormatUri(uri) == text);
  Uri b64url = MustParse("msrps://relay.example.net:2855/a-b_c~d.e;tcp");
  CHECK(b64url.session_id == "a-b_c~d.e");
}

TEST_CASE("U-01: bad session-ids are rejected") {
  CHECK_FALSE(ParseUri("msrp://h.example.com:1/;tcp").ok());        // empty
  CHECK_FALSE(ParseUri("msrp://h.example.com:1/a%20b;tcp").ok());   // '%' not in session-id
  CHECK_FALSE(ParseUri("msrp://h.example.com:1/a?b;tcp").ok());
  CHECK_FALSE(ParseUri("msrp://h.example.com:1/a@b;tcp").ok());
}

TEST_CASE("U-01: unknown schemes and missing :// are rejected") {
  CHECK_FALSE(ParseUri("sip://h.example.com:1/s;tcp").ok());
  CHECK_FALSE(ParseUri("msrpx://h.example.com:1/s;tcp").ok());
  CHECK_FALSE(ParseUri("msrp:h.example.com:1/s;tcp").ok());
  CHECK_FALSE(ParseUri("").ok());
  CHECK_FALSE(ParseUri("msrp://").ok());
}

TEST_CASE("U-01: empty host, empty port and bad ports are rejected") {
  CHECK_FALSE(ParseUri("msrp://:2855/s;tcp").ok());
  CHECK_FALSE(ParseUri("msrp://alice@;tcp").ok());
  CHECK_FALSE(ParseUri("msrp://h.example.com:/s;tcp").ok());
  CHECK_FALSE(ParseUri("msrp://h.example.com:0/s;tcp").ok());
  CHECK_FALSE(ParseUri("msrp://h.example.com:65536/s;tcp").ok());
  CHECK_FALSE(ParseUri("msrp://h.example.com:99999999999999999999/s;tcp").ok());
  CHECK_FALSE(ParseUri("msrp://h.example.com:12a/s;tcp").ok());
  CHECK(MustParse("msrp://h.example.com:65535/s;tcp").port == uint16_t{65535});
  CHECK(MustParse("msrp://h.example.com:1/s;tcp").port == uint16_t{1});
}

TEST_CASE("U-06: a numeric IPv4 host without port is rejected, with a port it parses") {
  Result<Uri> r = ParseUri("msrp://192.0.2.1/s;tcp");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("port") != std::string::npos);
  CHECK_FALSE(ParseUri("msrp://192.0.2.1;tcp").ok());
  Uri uri = MustParse("msrp://192.0.2.1:2855/s;tcp");
  CHECK(uri.host == "192.0.2.1");
  CHECK_FALSE(uri.host_is_ipv6);
  CHECK(HostIsIpAddress(uri));
  CHECK_FALSE(ParseUri("msrp://192.0.2.256:2855/s;tcp").ok());
  CHECK_FALSE(ParseUri("msrp://192.0.2:2855/s;tcp").ok());
}

TEST_CASE("U-06: a password in userinfo is rejected") {
  Result<Uri> r = ParseUri("msrps://alice:secret@intra.example.com;tcp");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("password") != std::string::npos);
  CHECK_FALSE(ParseUri("msrps://alice:@intra.example.com;tcp").ok());
  CHECK_FALSE(ParseUri("msrps://@intra.example.com;tcp").ok());
}

TEST_CASE("U-06: non-ASCII, control characters and spaces are rejected") {
  CHECK_FALSE(ParseUri("msrps://int\xc3\xa9ra.example.com:1/s;tcp").ok());
  CHECK_FALSE(ParseUri("msrps://intra.example.com:1/s\xff;tcp").ok());
  constexpr char kWithNul[] = "msrps://intra.example.com:1/s\0x;tcp";
  CHECK_FALSE(ParseUri(std::string_view(kWithNul, sizeof(kWithNul) - 1)).ok());
  CHECK_FALSE(ParseUri("msrps://intra.example.com:1/s\r\n;tcp").ok());
  CHECK_FALSE(ParseUri("msrps://intra.example.com:1/s;tcp ").ok());
  CHECK_FALSE(ParseUri(" msrps://intra.example.com:1/s;tcp").ok());
  CHECK_FALSE(ParseUri("msrps://intra.example.com:1/s;t\tcp").ok());
}

TEST_CASE("U-07: HostIsIpAddress tells FQDN hosts from IP literals") {
  CHECK_FALSE(HostIsIpAddress(MustParse("msrps://intra.example.com:9000/jui787s2f;tcp")));
  CHECK(HostIsIpAddress(MustParse("msrps://[2001:db8::5]:2856/abc;tcp")));
  CHECK(HostIsIpAddress(MustParse("msrps://198.51.100.7:2855/abc;tcp")));
}

TEST_CASE("BR-02: an IPv6 literal parses without brackets and formats with brackets") {
  const std::string text = "msrp://[2001:db8::5]:2856/abc;tcp";
  Uri uri = MustParse(text);
  CHECK(uri.host == "2001:db8::5");
  CHECK(uri.host_is_ipv6);
  REQUIRE(uri.port.has_value());
  CHECK(*uri.port == 2856);
  CHECK(uri.session_id == "abc");
  CHECK(FormatUri(uri) == text);
  CheckSameFields(MustParse(FormatUri(uri)), uri);

  Uri with_user = MustParse("msrps://bob@[::1]:1/s;tcp");
  CHECK(with_user.userinfo == "bob");
  CHECK(with_user.host == "::1");
  CHECK(FormatUri(with_user) == "msrps://bob@[::1]:1/s;tcp");
}

TEST_CASE("BR-02: a To-Path with an IPv6 next hop parses as two URIs") {
  Result<std::vector<Uri>> path =
      ParsePath("msrp://relay.example.com:2855/s1;tcp msrp://[2001:db8::5]:2856/abc;tcp");
  REQUIRE(path.ok());
  REQUIRE(path->size() == 2);
  CHECK((*path)[1].host == "2001:db8::5");
  CHECK((*path)[1].host_is_ipv6);
  CHECK(FormatPath(*path) == "msrp://relay.example.com:2855/s1;tcp msrp://[2001:db8::5]:2856/abc;tcp");
}

TEST_CASE("BR-02, U-06: malformed IPv6 literals and IPv6 without port are rejected") {
  CHECK_FALSE(ParseUri("msrp://[2001:db8::5/abc;tcp").ok());       // unterminated
  CHECK_FALSE(ParseUri("msrp://[2001:db8::zz]:1/abc;tcp").ok());   // not an address
  CHECK_FALSE(ParseUri("msrp://[]:1/abc;tcp").ok());
  CHECK_FALSE(ParseUri("msrp://[relay-v4]:2855/s1;tcp").ok());
  CHECK_FALSE(ParseUri("msrp://[2001:db8::5]x:1/abc;tcp").ok());
  CHECK_FALSE(ParseUri("msrp://2001:db8::5:2856/abc;tcp").ok());   // unbracketed
  CHECK_FALSE(ParseUri("msrp://[2001:db8::5]/abc;tcp").ok());      // no port (U-06)
  CHECK_FALSE(ParseUri("msrp://[2001:db8::5];tcp").ok());
}

TEST_CASE("U-02: scheme compares case-insensitively and msrp never equals msrps") {
  CHECK(Equal("MSRPS://a.example.org:9000/kjfjan;tcp", "msrps://a.example.org:9000/kjfjan;tcp"));
  CHECK_FALSE(Equal("msrp://a.example.org:9000/kjfjan;tcp", "msrps://a.example.org:9000/kjfjan;tcp"));
}

TEST_CASE("U-03: userinfo is ignored when comparing (AUTH To-Path vs relay URI)") {
  CHECK(Equal("msrps://alice@intra.example.com;tcp", "msrps://intra.example.com;tcp"));
  CHECK(Equal("msrps://alice@intra.example.com;tcp", "msrps://bob@intra.example.com;tcp"));
}

TEST_CASE("U-03: host compares case-insensitively after decoding unreserved percent-escapes") {
  CHECK(Equal("msrps://Bob.Example.COM/bob;tcp", "msrps://bob.example.com/bob;tcp"));
  CHECK(Equal("msrps://b%6Fb.example.com/bob;tcp", "msrps://bob.example.com/bob;tcp"));
  CHECK(Equal("msrps://b%6fb.example.com/bob;tcp", "msrps://BOB.example.com/bob;tcp"));
  CHECK_FALSE(Equal("msrps://bob.example.com/bob;tcp", "msrps://bob.example.net/bob;tcp"));
  CHECK_FALSE(ParseUri("msrps://b%6.example.com/bob;tcp").ok());
  CHECK_FALSE(ParseUri("msrps://b%zzb.example.com/bob;tcp").ok());
}

TEST_CASE("U-03: IPv6 addresses compare as addresses, not as text") {
  CHECK(Equal("msrp://[2001:db8::5]:2856/abc;tcp", "msrp://[2001:DB8:0:0::5]:2856/abc;tcp"));
  CHECK_FALSE(Equal("msrp://[2001:db8::5]:2856/abc;tcp", "msrp://[2001:db8::6]:2856/abc;tcp"));
  CHECK_FALSE(Equal("msrp://[2001:db8::5]:2856/abc;tcp", "msrp://[2001:db8::5]:2857/abc;tcp"));
}

TEST_CASE("U-04: an explicit port never equals an absent port") {
  CHECK_FALSE(Equal("msrps://intra.example.com;tcp", "msrps://intra.example.com:2855;tcp"));
  CHECK_FALSE(Equal("msrps://intra.example.com:2855;tcp", "msrps://intra.example.com;tcp"));
  CHECK(Equal("msrps://intra.example.com:2855;tcp", "msrps://intra.example.com:2855;tcp"));
  CHECK_FALSE(Equal("msrps://intra.example.com:2855;tcp", "msrps://intra.example.com:2856;tcp"));
}

TEST_CASE("U-05: session-id compares case-sensitively; with never equals without") {
  CHECK(Equal("msrps://extra.example.com:9000/mywdEe1233;tcp", "msrps://extra.example.com:9000/mywdEe1233;tcp"));
  CHECK_FALSE(Equal("msrps://extra.example.com:9000/mywdEe1233;tcp", "msrps://extra.example.com:9000/mywdee1233;tcp"));
  CHECK_FALSE(Equal("msrps://extra.example.com:9000/mywdEe1233;tcp", "msrps://extra.example.com:9000;tcp"));
  CHECK_FALSE(Equal("msrps://extra.example.com:9000;tcp", "msrps://extra.example.com:9000/x;tcp"));
}

TEST_CASE("U-05: transport compares case-insensitively; different transports never match") {
  CHECK(Equal("msrps://h.example.com:1/s;TCP", "msrps://h.example.com:1/s;tcp"));
  CHECK_FALSE(Equal("msrps://h.example.com:1/s;ws", "msrps://h.example.com:1/s;tcp"));
  CHECK(MustParse("msrps://h.example.com:1/s;TCP").transport == "TCP");  // case kept on the wire
}

TEST_CASE("BR-27: full comparison applies: same session-id with another host does not match") {
  CHECK_FALSE(Equal("msrp://alg.example.com:7777/iau39soe2843z;tcp", "msrp://alicepc.example.com:7777/iau39soe2843z;tcp"));
}

TEST_CASE("U-01: ParsePath reads the To-Path values of the RFC vectors") {
  Result<std::vector<Uri>> path = ParsePath(
      "msrps://a.example.org:9000/kjfjan;tcp msrps://b.example.net:9000/aeiug;tcp "
      "msrps://bob.example.net:8145/foo;tcp");
  REQUIRE(path.ok());
  REQUIRE(path->size() == 3);
  CHECK((*path)[0].host == "a.example.org");
  CHECK((*path)[1].session_id == "aeiug");
  CHECK((*path)[2].port == uint16_t{8145});
  CHECK(FormatPath(*path) ==
        "msrps://a.example.org:9000/kjfjan;tcp msrps://b.example.net:9000/aeiug;tcp "
        "msrps://bob.example.net:8145/foo;tcp");

  Result<std::vector<Uri>> auth_path =
      ParsePath("msrps://intra.example.com:9000/jui787s2f;tcp msrps://extra.example.com;tcp");
  REQUIRE(auth_path.ok());
  REQUIRE(auth_path->size() == 2);
  CHECK_FALSE((*auth_path)[1].port.has_value());

  Result<std::vector<Uri>> single = ParsePath("msrps://alice@intra.example.com;tcp");
  REQUIRE(single.ok());
  CHECK(single->size() == 1);
  CHECK(FormatPath(*single) == "msrps://alice@intra.example.com;tcp");
}

TEST_CASE("U-01: ParsePath rejects empty lists, double spaces, edge spaces and bad members") {
  CHECK_FALSE(ParsePath("").ok());
  CHECK_FALSE(ParsePath(" ").ok());
  CHECK_FALSE(ParsePath("msrps://a.example.org:9000/kjfjan;tcp  msrps://bob.example.net:8145/foo;tcp").ok());
  CHECK_FALSE(ParsePath(" msrps://a.example.org:9000/kjfjan;tcp").ok());
  CHECK_FALSE(ParsePath("msrps://a.example.org:9000/kjfjan;tcp ").ok());
  CHECK_FALSE(ParsePath("msrps://a.example.org:9000/kjfjan;tcp\tmsrps://bob.example.net:8145/foo;tcp").ok());
  CHECK_FALSE(ParsePath("msrps://a.example.org:9000/kjfjan;tcp msrps://bob.example.net:8145/foo").ok());
  CHECK(FormatPath({}) == "");
}

}  // namespace msrp
