// Unit tests for common/digest: Authorization parsing (A-06, A-07, BR-17), the MD5 response
// chain (RFC 2617 vector), challenge / Authentication-Info formats (A-03, A-04, A-08, A-12,
// BR-17), stateless nonces and random tokens (U-09).
// Expected digests were computed independently with `printf '%s' ... | md5sum`.
#include "common/digest.h"

#include <doctest/doctest.h>

#include <set>
#include <utility>
#include <vector>
#include <string>

namespace msrp {
namespace {

// RFC 4976 §5.1 vector 49fi (Authorization line, verbatim).
constexpr std::string_view kAuth49fi =
    "Digest username=\"Alice\", realm=\"intra.example.com\", "
    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", qop=auth, nc=00000001, cnonce=\"0a4f113b\", "
    "response=\"6629fae49393a05397450978507c4ef1\"";

// RFC 7977 §8.1.2 vector qy1hsow5 (client sends uri=).
constexpr std::string_view kAuthQy1hsow5 =
    "Digest username=\"alice\", realm=\"example.com\", "
    "nonce=\"UvtfpVL7XnnJ63EE244fXDthfLihlMHOY4+dd4A=\", uri=\"msrps://alice@a.example.com:443;ws\", "
    "response=\"5011d0d58fe975e0d0cdc007ae26f4b7\", qop=auth, cnonce=\"zic5ml401prb\", nc=00000001";

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

TEST_CASE("A-06: the RFC 4976 49fi Authorization parses into its parameters, no uri=") {
  Result<DigestCredentials> r = ParseAuthorization(kAuth49fi);
  REQUIRE(r.ok());
  CHECK(r->username == "Alice");
  CHECK(r->realm == "intra.example.com");
  CHECK(r->nonce == "dcd98b7102dd2f0e8b11d0f600bfb0c093");
  CHECK_FALSE(r->uri.has_value());
  CHECK(r->response == "6629fae49393a05397450978507c4ef1");
  CHECK(r->qop == "auth");
  CHECK(r->nc == "00000001");
  CHECK(r->cnonce == "0a4f113b");
  CHECK(r->opaque.empty());
  CHECK(r->algorithm.empty());
}

TEST_CASE("A-07: the RFC 7977 Authorization with uri= keeps the uri value") {
  Result<DigestCredentials> r = ParseAuthorization(kAuthQy1hsow5);
  REQUIRE(r.ok());
  REQUIRE(r->uri.has_value());
  CHECK(*r->uri == "msrps://alice@a.example.com:443;ws");
  CHECK(r->nonce == "UvtfpVL7XnnJ63EE244fXDthfLihlMHOY4+dd4A=");
  CHECK(r->cnonce == "zic5ml401prb");
  CHECK(r->response == "5011d0d58fe975e0d0cdc007ae26f4b7");
}

TEST_CASE("BR-17: Authorization params separated by \",\" without space parse like \", \"") {
  Result<DigestCredentials> r = ParseAuthorization(
      "Digest username=\"Alice\",realm=\"intra.example.com\",nonce=\"n1\",qop=auth,nc=00000001,"
      "cnonce=\"0a4f113b\",response=\"6629fae49393a05397450978507c4ef1\"");
  REQUIRE(r.ok());
  CHECK(r->username == "Alice");
  CHECK(r->realm == "intra.example.com");
  CHECK(r->nonce == "n1");
  CHECK(r->cnonce == "0a4f113b");

  Result<DigestCredentials> spaced = ParseAuthorization(
      "Digest  username = \"Alice\" , realm=\"r\",\tnonce=\"n1\", qop=auth, nc=00000001, "
      "cnonce=\"c\", response=\"6629fae49393a05397450978507c4ef1\"");
  REQUIRE(spaced.ok());
  CHECK(spaced->username == "Alice");
  CHECK(spaced->nonce == "n1");
}

TEST_CASE("A-06: Authorization params in any order, unknown params ignored, opaque and algorithm kept") {
  Result<DigestCredentials> r = ParseAuthorization(
      "Digest response=\"6629fae49393a05397450978507c4ef1\", x-ext=\"whatever, with comma\", "
      "nc=0000000a, cnonce=\"c\", foo=bar, qop=auth, opaque=\"op1\", algorithm=MD5, nonce=\"n\", "
      "realm=\"r\", username=\"u\"");
  REQUIRE(r.ok());
  CHECK(r->username == "u");
  CHECK(r->realm == "r");
  CHECK(r->nc == "0000000a");
  CHECK(r->opaque == "op1");
  CHECK(r->algorithm == "MD5");
  CHECK(ParseAuthorization(
            "digest username=\"u\", realm=\"r\", nonce=\"n\", qop=auth, nc=00000001, cnonce=\"c\", "
            "response=\"6629fae49393a05397450978507c4ef1\", algorithm=md5")
            .ok());
}

TEST_CASE("A-06: quoted values are unquoted and backslash escapes removed") {
  Result<DigestCredentials> r = ParseAuthorization(
      "Digest username=\"Al\\\"ice\\\\\", realm=\"a, b=c\", nonce=\"n\", qop=auth, nc=00000001, "
      "cnonce=\"c\", response=\"6629fae49393a05397450978507c4ef1\"");
  REQUIRE(r.ok());
  CHECK(r->username == "Al\"ice\\");
  CHECK(r->realm == "a, b=c");
}

TEST_CASE("A-06: an upper-case response is accepted and normalised to lower-case hex") {
  Result<DigestCredentials> r = ParseAuthorization(
      "Digest username=\"u\", realm=\"r\", nonce=\"n\", qop=auth, nc=0000000A, cnonce=\"c\", "
      "response=\"6629FAE49393A05397450978507C4EF1\"");
  REQUIRE(r.ok());
  CHECK(r->response == "6629fae49393a05397450978507c4ef1");
  CHECK(r->nc == "0000000A");  // nc is hashed as sent
}

TEST_CASE("A-06: Basic and other schemes are rejected, never accepted") {
  CHECK_FALSE(ParseAuthorization("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").ok());
  CHECK_FALSE(ParseAuthorization("Bearer abc").ok());
  CHECK_FALSE(ParseAuthorization("").ok());
  CHECK_FALSE(ParseAuthorization("Digest").ok());
  CHECK_FALSE(ParseAuthorization("Digest ").ok());
  CHECK_FALSE(ParseAuthorization("Digestusername=\"u\"").ok());
}

TEST_CASE("A-06: each required Authorization param missing is rejected") {
  const std::vector<std::pair<std::string, std::string>> params = {
      {"username", "username=\"u\""}, {"realm", "realm=\"r\""},     {"nonce", "nonce=\"n\""},
      {"qop", "qop=auth"},            {"nc", "nc=00000001"},       {"cnonce", "cnonce=\"c\""},
      {"response", "response=\"6629fae49393a05397450978507c4ef1\""}};
  for (size_t skip = 0; skip < params.size(); ++skip) {
    std::string header = "Digest ";
    bool first = true;
    for (size_t i = 0; i < params.size(); ++i) {
      if (i == skip) continue;
      if (!first) header += ", ";
      header += params[i].second;
      first = false;
    }
    INFO("without ", params[skip].first, ": ", header);
    Result<DigestCredentials> r = ParseAuthorization(header);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find(params[skip].first) != std::string::npos);
  }
}

TEST_CASE("A-04, A-06: qop other than auth, bad nc, bad response or algorithm are rejected") {
  const std::string base = "Digest username=\"u\", realm=\"r\", nonce=\"n\", cnonce=\"c\", ";
  const std::string good_rest = "qop=auth, nc=00000001, response=\"6629fae49393a05397450978507c4ef1\"";
  CHECK(ParseAuthorization(base + good_rest).ok());
  CHECK_FALSE(ParseAuthorization(base + "qop=auth-int, nc=00000001, response=\"6629fae49393a05397450978507c4ef1\"").ok());
  CHECK_FALSE(ParseAuthorization(base + "qop=auth, nc=0000001, response=\"6629fae49393a05397450978507c4ef1\"").ok());
  CHECK_FALSE(ParseAuthorization(base + "qop=auth, nc=000000001, response=\"6629fae49393a05397450978507c4ef1\"").ok());
  CHECK_FALSE(ParseAuthorization(base + "qop=auth, nc=0000000g, response=\"6629fae49393a05397450978507c4ef1\"").ok());
  CHECK_FALSE(ParseAuthorization(base + "qop=auth, nc=00000001, response=\"6629fae49393a05397450978507c4ef\"").ok());
  CHECK_FALSE(ParseAuthorization(base + "qop=auth, nc=00000001, response=\"6629fae49393a05397450978507c4efz\"").ok());
  CHECK_FALSE(ParseAuthorization(base + good_rest + ", algorithm=MD5-sess").ok());
  CHECK_FALSE(ParseAuthorization(base + good_rest + ", algorithm=SHA-256").ok());
}

TEST_CASE("A-06: duplicate params, unterminated quotes and junk between params are rejected") {
  const std::string good =
      "Digest username=\"u\", realm=\"r\", nonce=\"n\", qop=auth, nc=00000001, cnonce=\"c\", "
      "response=\"6629fae49393a05397450978507c4ef1\"";
  CHECK_FALSE(ParseAuthorization(good + ", nonce=\"other\"").ok());
  CHECK_FALSE(ParseAuthorization(good + ", USERNAME=\"x\"").ok());
  CHECK_FALSE(ParseAuthorization(good + ", uri=\"a\", uri=\"b\"").ok());
  CHECK_FALSE(ParseAuthorization(good + ", opaque=\"abc").ok());
  CHECK_FALSE(ParseAuthorization(good + ", opaque=\"abc\\\"").ok());
  CHECK_FALSE(ParseAuthorization(good + ", opaque=\"abc\\").ok());
  CHECK_FALSE(ParseAuthorization(good + ", opaque").ok());
  CHECK_FALSE(ParseAuthorization(good + ", opaque=").ok());
  CHECK_FALSE(ParseAuthorization(good + " junk").ok());
  CHECK_FALSE(ParseAuthorization(good + ", opaque=\"a\"b").ok());
  CHECK_FALSE(ParseAuthorization(good + ", opaque=\"a\rb\"").ok());
  CHECK(ParseAuthorization(good + ",").ok());  // empty list element tolerated (RFC 2616 #rule)
}

TEST_CASE("RFC 2617 vector: Md5Hex drives the classic Mufasa GET digest chain") {
  CHECK(Md5Hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(Md5Hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
  const std::string ha1 = ComputeHa1("Mufasa", "testrealm@host.com", "Circle Of Life");
  CHECK(ha1 == "939e7578ed9e3c518a452acee763bce9");
  CHECK(ha1 == Md5Hex("Mufasa:testrealm@host.com:Circle Of Life"));
  const std::string ha2 = Md5Hex("GET:/dir/index.html");
  CHECK(ha2 == "39aff3a2bab6126f332b942af96d3366");
  CHECK(Md5Hex(ha1 + ":dcd98b7102dd2f0e8b11d0f600bfb0c093:00000001:0a4f113b:auth:" + ha2) ==
        "6629fae49393a05397450978507c4ef1");
}

TEST_CASE("A-07: ComputeResponse uses method AUTH and the To-Path URI byte-exact") {
  const std::string ha1 = ComputeHa1("alice", "intra.example.com", "secret");
  CHECK(ha1 == "fad0c0e0a35b1e3aa64d00b76a756f51");
  const std::string response = ComputeResponse(ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001",
                                               "0a4f113b", "auth", "msrps://alice@intra.example.com;tcp");
  CHECK(response == "7def87e1bf0ef7e7fdb5bd60c05a736d");
  // Same chain spelled out with Md5Hex.
  CHECK(response == Md5Hex(ha1 + ":dcd98b7102dd2f0e8b11d0f600bfb0c093:00000001:0a4f113b:auth:" +
                           Md5Hex("AUTH:msrps://alice@intra.example.com;tcp")));
  // The URI is hashed as received: another spelling gives another response.
  CHECK(ComputeResponse(ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", "auth",
                        "msrps://intra.example.com;tcp") != response);
}

TEST_CASE("A-12: ComputeRspauth uses A2 = \":\" uri") {
  const std::string ha1 = "fad0c0e0a35b1e3aa64d00b76a756f51";
  const std::string rspauth = ComputeRspauth(ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001",
                                             "0a4f113b", "auth", "msrps://alice@intra.example.com;tcp");
  CHECK(rspauth == "fea52d060807de7fbaf4c7556626ab6c");
  CHECK(rspauth != ComputeResponse(ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b",
                                   "auth", "msrps://alice@intra.example.com;tcp"));
}

TEST_CASE("A-06: ConstantTimeEquals compares content and length") {
  CHECK(ConstantTimeEquals("6629fae49393a05397450978507c4ef1", "6629fae49393a05397450978507c4ef1"));
  CHECK_FALSE(ConstantTimeEquals("6629fae49393a05397450978507c4ef1", "6629fae49393a05397450978507c4ef2"));
  CHECK_FALSE(ConstantTimeEquals("7629fae49393a05397450978507c4ef1", "6629fae49393a05397450978507c4ef1"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abcd"));
  CHECK_FALSE(ConstantTimeEquals("", "a"));
  CHECK(ConstantTimeEquals("", ""));
}

TEST_CASE("A-03, A-04, BR-17: FormatChallenge quotes qop, leaves algorithm and stale unquoted") {
  CHECK(FormatChallenge("intra.example.com", "N1", "O1", false) ==
        "Digest realm=\"intra.example.com\", nonce=\"N1\", opaque=\"O1\", qop=\"auth\", algorithm=MD5");
  CHECK(FormatChallenge("intra.example.com", "N1", "O1", true) ==
        "Digest realm=\"intra.example.com\", nonce=\"N1\", opaque=\"O1\", qop=\"auth\", algorithm=MD5, "
        "stale=true");
  CHECK(FormatChallenge("intra.example.com", "N1", "", false) ==
        "Digest realm=\"intra.example.com\", nonce=\"N1\", qop=\"auth\", algorithm=MD5");
  const std::string challenge = FormatChallenge("r", "n", "o", true);
  CHECK(challenge.find("auth-int") == std::string::npos);
  CHECK(challenge.find("MD5-sess") == std::string::npos);
  CHECK(challenge.find("domain") == std::string::npos);
  CHECK(challenge.find("Basic") == std::string::npos);
}

TEST_CASE("A-03: FormatChallenge escapes quotes and backslashes in the realm") {
  CHECK(FormatChallenge("a\"b\\c", "n", "", false) ==
        "Digest realm=\"a\\\"b\\\\c\", nonce=\"n\", qop=\"auth\", algorithm=MD5");
}

TEST_CASE("A-12, BR-17: FormatAuthenticationInfo quotes rspauth/cnonce/nextnonce, not nc/qop") {
  CHECK(FormatAuthenticationInfo("fea52d060807de7fbaf4c7556626ab6c", "0a4f113b", "00000001", "") ==
        "rspauth=\"fea52d060807de7fbaf4c7556626ab6c\", cnonce=\"0a4f113b\", nc=00000001, qop=auth");
  CHECK(FormatAuthenticationInfo("fea52d060807de7fbaf4c7556626ab6c", "0a4f113b", "00000001", "NN") ==
        "rspauth=\"fea52d060807de7fbaf4c7556626ab6c\", cnonce=\"0a4f113b\", nc=00000001, qop=auth, "
        "nextnonce=\"NN\"");
}

TEST_CASE("A-05: a freshly issued nonce verifies for its binding, is base64url and unique") {
  NonceService service(NonceService::RandomSecret(), 300);
  const std::string nonce = service.Issue(1000, "conn-1/abcd");
  CHECK(nonce.size() == 54);  // 40 bytes base64url without padding
  for (char c : nonce) CHECK(IsBase64UrlChar(c));
  CHECK(service.Verify(nonce, 1000, "conn-1/abcd") == NonceCheck::kValid);
  CHECK(service.Verify(nonce, 1300, "conn-1/abcd") == NonceCheck::kValid);  // age == lifetime
  CHECK(service.Issue(1000, "conn-1/abcd") != nonce);
  // The nonce survives a round trip through the challenge and the Authorization parser.
  Result<DigestCredentials> creds = ParseAuthorization(
      "Digest username=\"u\", realm=\"r\", nonce=\"" + nonce +
      "\", qop=auth, nc=00000001, cnonce=\"c\", response=\"6629fae49393a05397450978507c4ef1\"");
  REQUIRE(creds.ok());
  CHECK(service.Verify(creds->nonce, 1001, "conn-1/abcd") == NonceCheck::kValid);
}

TEST_CASE("A-08: a nonce older than its lifetime is stale, not invalid") {
  NonceService service(NonceService::RandomSecret(), 300);
  const std::string nonce = service.Issue(1000, "conn-1");
  CHECK(service.Verify(nonce, 1301, "conn-1") == NonceCheck::kStale);
  CHECK(service.Verify(nonce, 1000000, "conn-1") == NonceCheck::kStale);
  service.set_lifetime(2000);
  CHECK(service.Verify(nonce, 1301, "conn-1") == NonceCheck::kValid);
}

TEST_CASE("A-05: a nonce issued in the future (clock moved back) is stale") {
  NonceService service(NonceService::RandomSecret(), 300);
  const std::string nonce = service.Issue(5000, "conn-1");
  CHECK(service.Verify(nonce, 4999, "conn-1") == NonceCheck::kStale);
}

TEST_CASE("A-05: a nonce minted for another connection binding is invalid") {
  NonceService service(NonceService::RandomSecret(), 300);
  const std::string nonce = service.Issue(1000, "conn-1/abcd");
  CHECK(service.Verify(nonce, 1000, "conn-2/abcd") == NonceCheck::kInvalid);
  CHECK(service.Verify(nonce, 1000, "conn-1/abce") == NonceCheck::kInvalid);
  CHECK(service.Verify(nonce, 1000, "") == NonceCheck::kInvalid);
  // Stale and foreign: invalid wins (no stale=true for somebody else's nonce).
  CHECK(service.Verify(nonce, 99999, "conn-2/abcd") == NonceCheck::kInvalid);
}

TEST_CASE("A-05: a nonce from another secret (another relay or restart) is invalid") {
  NonceService a(NonceService::RandomSecret(), 300);
  NonceService b(NonceService::RandomSecret(), 300);
  CHECK(b.Verify(a.Issue(1000, "c"), 1000, "c") == NonceCheck::kInvalid);
}

TEST_CASE("A-05: every single tampered character makes a nonce invalid") {
  NonceService service(std::string(32, 'k'), 300);
  const std::string nonce = service.Issue(1000, "conn-1");
  REQUIRE(service.Verify(nonce, 1000, "conn-1") == NonceCheck::kValid);
  for (size_t i = 0; i < nonce.size(); ++i) {
    for (char replacement : {'A', 'B', '-', '_', 'z', '9'}) {
      if (nonce[i] == replacement) continue;
      std::string tampered = nonce;
      tampered[i] = replacement;
      INFO("position ", i, " -> ", replacement);
      CHECK(service.Verify(tampered, 1000, "conn-1") == NonceCheck::kInvalid);
    }
  }
}

TEST_CASE("A-05: garbage, truncated, extended and padded nonces are invalid") {
  NonceService service(NonceService::RandomSecret(), 300);
  const std::string nonce = service.Issue(1000, "conn-1");
  CHECK(service.Verify("", 1000, "conn-1") == NonceCheck::kInvalid);
  CHECK(service.Verify("dcd98b7102dd2f0e8b11d0f600bfb0c093", 1000, "conn-1") == NonceCheck::kInvalid);
  CHECK(service.Verify(nonce.substr(0, 53), 1000, "conn-1") == NonceCheck::kInvalid);
  CHECK(service.Verify(nonce + "A", 1000, "conn-1") == NonceCheck::kInvalid);
  CHECK(service.Verify(nonce + "==", 1000, "conn-1") == NonceCheck::kInvalid);
  CHECK(service.Verify(std::string(54, '='), 1000, "conn-1") == NonceCheck::kInvalid);
  CHECK(service.Verify(std::string(54, '\xff'), 1000, "conn-1") == NonceCheck::kInvalid);
  CHECK(service.Verify(std::string(54, 'A'), 1000, "conn-1") == NonceCheck::kInvalid);
  std::string plus_slash = nonce;
  plus_slash[0] = '+';
  CHECK(service.Verify(plus_slash, 1000, "conn-1") == NonceCheck::kInvalid);  // base64, not base64url
}

TEST_CASE("A-05: RandomSecret returns 32 bytes that differ between calls") {
  const std::string a = NonceService::RandomSecret();
  const std::string b = NonceService::RandomSecret();
  CHECK(a.size() == 32);
  CHECK(b.size() == 32);
  CHECK(a != b);
}

TEST_CASE("U-09: RandomToken is unpadded base64url of n random bytes and never repeats") {
  CHECK(RandomToken(0).empty());
  CHECK(RandomToken(1).size() == 2);
  CHECK(RandomToken(2).size() == 3);
  CHECK(RandomToken(3).size() == 4);
  CHECK(RandomToken(16).size() == 22);  // 128 bits
  std::set<std::string> seen;
  bool all_url_safe = true;
  for (int i = 0; i < 1000; ++i) {
    std::string token = RandomToken(16);
    for (char c : token) all_url_safe = all_url_safe && IsBase64UrlChar(c);
    seen.insert(token);
  }
  CHECK(all_url_safe);
  CHECK(seen.size() == 1000);
}

}  // namespace msrp
