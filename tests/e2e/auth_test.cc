// End-to-end tests of AUTH and HTTP Digest (RFC 4976 §5.1, §6.3, §9.1; requirement IDs A-*,
// U-07, U-09, S-03, BR-07, BR-15, BR-16, BR-17 from shared/rfc/rfc-digest.md and known-faults.md).
#include <doctest/doctest.h>

#include <chrono>
#include <regex>
#include <set>
#include <thread>

#include "tests/support/crypto_util.h"
#include "tests/support/expect.h"
#include "tests/support/msrp_client.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"

namespace msrp::test {
namespace {

constexpr const char* kNoPort = "msrps://relay.test;tcp";

// Digest params of the response's WWW-Authenticate (fails the test if absent or unparsable).
std::map<std::string, AuthParam> ChallengeParams(const Frame& f) {
  auto www = f.Header("WWW-Authenticate");
  REQUIRE_MESSAGE(www.has_value(), "no WWW-Authenticate in:\n" << f.Describe());
  std::string scheme;
  auto params = ParseAuthParams(*www, &scheme);
  REQUIRE_MESSAGE(params.has_value(), "unparsable WWW-Authenticate: " << *www);
  CHECK(scheme == "Digest");
  return *params;
}

// Sends an AUTH without credentials and returns the (checked) 401's nonce and opaque.
std::pair<std::string, std::string> GetChallenge(MsrpClient& c, const std::string& to_uri) {
  std::string tid = NewTid();
  Frame r = c.SendAuth(tid, to_uri, {});
  REQUIRE_MESSAGE(r.StartLine() == "MSRP " + tid + " 401 Unauthorized", r.Describe());
  auto p = ChallengeParams(r);
  REQUIRE(p.count("nonce"));
  return {p["nonce"].value, p.count("opaque") ? p["opaque"].value : std::string()};
}

// An AUTH with Digest credentials on `nonce`; returns the response.
Frame AuthWith(MsrpClient& c, const std::string& to_uri, const std::string& user,
               const std::string& password, const std::string& nonce, const std::string& opaque,
               const std::string& cnonce, Headers extra = {}, bool with_uri = false) {
  Headers h;
  h.emplace_back("Authorization", BuildAuthorization(user, kRealm, password, nonce, "00000001",
                                                     cnonce, opaque, to_uri, with_uri));
  for (auto& e : extra) h.push_back(e);
  return c.SendAuth(NewTid(), to_uri, h);
}

}  // namespace

TEST_CASE("A-03, A-04, F-06, BR-17: AUTH without credentials gets a 401 Digest challenge") {
  RelayProcess relay;
  auto c = relay.Connect("alice");
  std::string to_uri;
  SUBCASE("To-Path without port") { to_uri = kNoPort; }
  SUBCASE("To-Path with the relay's port") { to_uri = relay.RelayUri(); }

  std::string tid = NewTid();
  Frame r = c->SendAuth(tid, to_uri, {});
  CHECK(r.StartLine() == "MSRP " + tid + " 401 Unauthorized");
  REQUIRE(r.headers.size() >= 3);
  CHECK(r.headers[0] == std::make_pair(std::string("To-Path"), c->uri()));
  CHECK(r.headers[1] == std::make_pair(std::string("From-Path"), to_uri));
  CHECK(r.CountHeader("WWW-Authenticate") == 1);
  CHECK(r.CountHeader("Use-Path") == 0);
  CHECK_FALSE(r.has_body);
  CHECK(r.flag == '$');
  auto www = *r.Header("WWW-Authenticate");
  CHECK(www.rfind("Digest ", 0) == 0);
  CHECK(www.find("Basic") == std::string::npos);
  CHECK(www.find("auth-int") == std::string::npos);
  CHECK(www.find("MD5-sess") == std::string::npos);
  auto p = ChallengeParams(r);
  REQUIRE(p.count("realm"));
  CHECK(p["realm"].value == "relay.test");
  CHECK(p["realm"].quoted);
  REQUIRE(p.count("nonce"));
  CHECK(p["nonce"].quoted);
  CHECK(p["nonce"].value.size() >= 16);
  REQUIRE(p.count("opaque"));
  CHECK(p["opaque"].quoted);
  REQUIRE(p.count("qop"));
  CHECK(p["qop"].value == "auth");
  CHECK(p["qop"].quoted);  // BR-17: qop-options is a quoted string in a challenge
  REQUIRE(p.count("algorithm"));
  CHECK(p["algorithm"].value == "MD5");
  CHECK_FALSE(p["algorithm"].quoted);
  CHECK(p.count("stale") == 0);
  CHECK_BYTES(www, "Digest realm=\"relay.test\", nonce=\"" + p["nonce"].value + "\", opaque=\"" +
                       p["opaque"].value + "\", qop=\"auth\", algorithm=MD5");
}

TEST_CASE("A-11, A-12, A-13, U-07, U-09, BR-15, BR-16: AUTH with valid credentials gets 200 "
          "with Use-Path, Expires and a verifiable Authentication-Info") {
  RelayProcess relay;
  auto c = relay.Connect("alice");
  AuthOptions opt;
  SUBCASE("To-Path without port, no uri= param") { opt.to_uri = kNoPort; }
  SUBCASE("To-Path without port, with uri= param (A-07)") {
    opt.to_uri = kNoPort;
    opt.with_uri_param = true;
  }
  SUBCASE("To-Path with port, no uri= param") { opt.to_uri = relay.RelayUri(); }
  SUBCASE("To-Path with port, with uri= param (A-07)") {
    opt.to_uri = relay.RelayUri();
    opt.with_uri_param = true;
  }

  AuthResult a = c->Authenticate("alice", "alicepw", opt);  // verifies rspauth itself
  const Frame& r = a.response;
  CHECK(r.StartLine() == "MSRP " + r.tid + " 200 OK");
  REQUIRE(r.headers.size() >= 5);
  CHECK(r.headers[0] == std::make_pair(std::string("To-Path"), c->uri()));
  CHECK(r.headers[1] == std::make_pair(std::string("From-Path"), opt.to_uri));
  CHECK(r.headers[2].first == "Use-Path");
  CHECK(r.headers[3].first == "Expires");
  CHECK(r.headers[4].first == "Authentication-Info");
  CHECK(r.CountHeader("Use-Path") == 1);
  CHECK_FALSE(r.has_body);
  std::regex use_path_re("msrps://relay\\.test:" + std::to_string(relay.port()) +
                         "/[A-Za-z0-9_-]{22,};tcp");
  CHECK_MESSAGE(std::regex_match(a.use_path, use_path_re), "Use-Path: " << a.use_path);
  CHECK(*r.Header("Expires") == "600");

  std::string scheme;
  auto info = ParseAuthParams("x " + *r.Header("Authentication-Info"), &scheme);
  REQUIRE(info.has_value());
  REQUIRE(info->count("rspauth"));
  CHECK((*info)["rspauth"].quoted);
  CHECK(std::regex_match((*info)["rspauth"].value, std::regex("[0-9a-f]{32}")));
  REQUIRE(info->count("cnonce"));
  CHECK((*info)["cnonce"].value == a.cnonce);
  CHECK((*info)["cnonce"].quoted);
  REQUIRE(info->count("nc"));
  CHECK((*info)["nc"].value == "00000001");
  CHECK_FALSE((*info)["nc"].quoted);
  REQUIRE(info->count("qop"));
  CHECK((*info)["qop"].value == "auth");
  CHECK_FALSE((*info)["qop"].quoted);
  std::string ha1 = Md5Hex("alice:relay.test:alicepw");
  CHECK((*info)["rspauth"].value == DigestRspauth(ha1, a.nonce, "00000001", a.cnonce, opt.to_uri));
}

TEST_CASE("U-09, S-05, A-14: every client connection gets its own Use-Path") {
  RelayProcess relay;
  std::set<std::string> seen;
  for (int i = 0; i < 6; ++i) {
    auto c = relay.Connect("alice");  // same user, new connection each time
    CHECK(seen.insert(c->Authenticate("alice", "alicepw").use_path).second);
  }
  CHECK(seen.size() == 6);
}

TEST_CASE("A-10, A-11, BR-07: AUTH Expires is granted within [min, max] and 423 outside") {
  RelayProcess relay;
  auto c = relay.Connect("alice");

  SUBCASE("Expires: 10 (below min 60) -> 423 with Min-Expires: 60") {
    auto [nonce, opaque] = GetChallenge(*c, kNoPort);
    Frame r = AuthWith(*c, kNoPort, "alice", "alicepw", nonce, opaque, RandomAlnum(12),
                       {{"Expires", "10"}});
    CHECK(r.StartLine() == "MSRP " + r.tid + " 423 Interval Out-of-Bounds");
    CHECK(r.Header("Min-Expires") == std::optional<std::string>("60"));
    CHECK(r.CountHeader("Max-Expires") == 0);
    CHECK(r.CountHeader("Use-Path") == 0);
    REQUIRE(r.headers.size() >= 2);
    CHECK(r.headers[0] == std::make_pair(std::string("To-Path"), c->uri()));
  }
  SUBCASE("Expires: 99999 (above max 3600) -> 423 with Max-Expires: 3600") {
    auto [nonce, opaque] = GetChallenge(*c, kNoPort);
    Frame r = AuthWith(*c, kNoPort, "alice", "alicepw", nonce, opaque, RandomAlnum(12),
                       {{"Expires", "99999"}});
    CHECK(r.StartLine() == "MSRP " + r.tid + " 423 Interval Out-of-Bounds");
    CHECK(r.Header("Max-Expires") == std::optional<std::string>("3600"));
    CHECK(r.CountHeader("Min-Expires") == 0);
    CHECK(r.CountHeader("Use-Path") == 0);
  }
  SUBCASE("Expires inside the range is granted as requested") {
    for (int64_t e : {60, 120, 3600}) {
      AuthOptions opt;
      opt.expires = e;
      AuthResult a = c->Authenticate("alice", "alicepw", opt);
      CHECK(a.expires == e);
    }
  }
  SUBCASE("no Expires -> default 600") {
    CHECK(c->Authenticate("alice", "alicepw").expires == 600);
  }
}

TEST_CASE("A-06, A-08, E-06: wrong password or unknown user gets 401 without stale and a fresh nonce") {
  RelayProcess relay;
  auto c = relay.Connect("alice");
  std::string user, password;
  SUBCASE("wrong password") {
    user = "alice";
    password = "wrong";
  }
  SUBCASE("unknown user") {
    user = "mallory";
    password = "whatever";
  }
  SUBCASE("another user's password") {
    user = "alice";
    password = "bobpw";
  }
  auto [nonce, opaque] = GetChallenge(*c, kNoPort);
  Frame r = AuthWith(*c, kNoPort, user, password, nonce, opaque, RandomAlnum(12));
  CHECK(r.StartLine() == "MSRP " + r.tid + " 401 Unauthorized");
  CHECK(r.CountHeader("Use-Path") == 0);
  CHECK(r.CountHeader("Authentication-Info") == 0);
  auto p = ChallengeParams(r);
  CHECK((p.count("stale") == 0 || p["stale"].value == "false" || p["stale"].value == "FALSE"));
  REQUIRE(p.count("nonce"));
  CHECK(p["nonce"].value != nonce);
  // The connection is still usable for a correct AUTH.
  CHECK_FALSE(c->Authenticate("alice", "alicepw").use_path.empty());
}

TEST_CASE("A-09: valid credentials of a user not in auth.allow_users get 403, no Use-Path") {
  RelayOptions o;
  o.allow_users = {"alice", "carol"};
  RelayProcess relay(o);
  auto c = relay.Connect("bob");
  auto [nonce, opaque] = GetChallenge(*c, kNoPort);
  Frame r = AuthWith(*c, kNoPort, "bob", "bobpw", nonce, opaque, RandomAlnum(12));
  CHECK(r.StartLine() == "MSRP " + r.tid + " 403 Forbidden");
  CHECK(r.CountHeader("Use-Path") == 0);
  CHECK(r.CountHeader("WWW-Authenticate") == 0);
  CHECK(r.CountHeader("Authentication-Info") == 0);
  // A user on the list still authenticates, on the same connection and on a fresh one.
  CHECK_FALSE(c->Authenticate("alice", "alicepw").use_path.empty());
  CHECK_FALSE(relay.Connect("carol")->Authenticate("carol", "carolpw").use_path.empty());
}

TEST_CASE("A-06: Basic credentials are never accepted; the answer is a Digest challenge") {
  RelayProcess relay;
  auto c = relay.Connect("alice");
  GetChallenge(*c, kNoPort);
  Frame r = c->SendAuth(NewTid(), kNoPort, {{"Authorization", "Basic YWxpY2U6YWxpY2Vwdw=="}});
  CHECK(r.status == 401);
  CHECK(r.CountHeader("Use-Path") == 0);
  auto www = r.Header("WWW-Authenticate");
  REQUIRE(www.has_value());
  CHECK(www->rfind("Digest ", 0) == 0);
}

TEST_CASE("A-07: a uri= parameter that differs from the AUTH To-Path is not accepted") {
  RelayProcess relay;
  auto c = relay.Connect("alice");
  auto [nonce, opaque] = GetChallenge(*c, kNoPort);
  // Digest computed over the URI it names, but that URI is not the To-Path of the AUTH.
  std::string other = "msrps://other.example.com;tcp";
  std::string cnonce = RandomAlnum(12);
  std::string ha1 = Md5Hex("alice:relay.test:alicepw");
  std::string authz = "Digest username=\"alice\", realm=\"relay.test\", nonce=\"" + nonce +
                      "\", uri=\"" + other + "\", qop=auth, nc=00000001, cnonce=\"" + cnonce +
                      "\", response=\"" + DigestResponse(ha1, nonce, "00000001", cnonce, other) +
                      "\", opaque=\"" + opaque + "\"";
  Frame r = c->SendAuth(NewTid(), kNoPort, {{"Authorization", authz}});
  CHECK_MESSAGE((r.status == 401 || r.status == 400), r.Describe());
  CHECK(r.CountHeader("Use-Path") == 0);
}

TEST_CASE("A-16, S-06: after 5 failed AUTHs the relay closes the connection") {
  RelayProcess relay;
  auto c = relay.Connect("alice");
  auto [nonce, opaque] = GetChallenge(*c, kNoPort);  // a challenge is not a failure
  for (int i = 1; i <= 4; ++i) {
    Frame r = AuthWith(*c, kNoPort, "alice", "wrong" + std::to_string(i), nonce, opaque,
                       RandomAlnum(12));
    REQUIRE_MESSAGE(r.status == 401, "failure " << i << ": " << r.Describe());
    auto p = ChallengeParams(r);
    REQUIRE(p.count("nonce"));
    nonce = p["nonce"].value;
    opaque = p.count("opaque") ? p["opaque"].value : "";
  }
  Headers h;
  h.emplace_back("Authorization", BuildAuthorization("alice", kRealm, "wrong5", nonce, "00000001",
                                                     RandomAlnum(12), opaque, kNoPort, false));
  std::string tid = NewTid();
  Headers all{{"To-Path", kNoPort}, {"From-Path", c->uri()}};
  for (auto& e : h) all.push_back(e);
  c->TryWrite(EncodeFrame(tid, "AUTH", all, std::nullopt));
  std::vector<Frame> frames;
  CHECK_MESSAGE(c->WaitClosed(Millis(5000), &frames), "connection still open after 5 failures");
  for (const Frame& f : frames) CHECK_MESSAGE(f.status == 401, f.Describe());
  RequireRelayStillWorks(relay);
}

TEST_CASE("A-16: four failed AUTHs do not close the connection and a correct AUTH still succeeds") {
  RelayProcess relay;
  auto c = relay.Connect("alice");
  auto [nonce, opaque] = GetChallenge(*c, kNoPort);
  for (int i = 1; i <= 4; ++i) {
    Frame r = AuthWith(*c, kNoPort, "alice", "nope", nonce, opaque, RandomAlnum(12));
    REQUIRE(r.status == 401);
    auto p = ChallengeParams(r);
    nonce = p["nonce"].value;
    opaque = p.count("opaque") ? p["opaque"].value : "";
  }
  std::string cnonce = RandomAlnum(12);
  Frame ok = AuthWith(*c, kNoPort, "alice", "alicepw", nonce, opaque, cnonce);
  CHECK_MESSAGE(ok.status == 200, ok.Describe());
  CHECK(ok.Header("Use-Path").has_value());
}

TEST_CASE("A-08: an expired nonce with a correct digest gets 401 with stale=true and a new nonce") {
  RelayOptions o;
  o.nonce_lifetime = 1;
  RelayProcess relay(o);
  auto c = relay.Connect("alice");
  auto [nonce, opaque] = GetChallenge(*c, kNoPort);
  // Let the nonce age past its 1 s lifetime (a time requirement, not synchronisation).
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  Frame r = AuthWith(*c, kNoPort, "alice", "alicepw", nonce, opaque, RandomAlnum(12));
  CHECK(r.StartLine() == "MSRP " + r.tid + " 401 Unauthorized");
  auto p = ChallengeParams(r);
  REQUIRE(p.count("stale"));
  CHECK(p["stale"].value == "true");
  CHECK_FALSE(p["stale"].quoted);
  REQUIRE(p.count("nonce"));
  CHECK(p["nonce"].value != nonce);
  // The fresh nonce works right away.
  Frame ok = AuthWith(*c, kNoPort, "alice", "alicepw", p["nonce"].value,
                      p.count("opaque") ? p["opaque"].value : "", RandomAlnum(12));
  CHECK_MESSAGE(ok.status == 200, ok.Describe());
}

TEST_CASE("A-05: a nonce is bound to the connection that received it") {
  RelayProcess relay;
  auto c1 = relay.Connect("alice");
  auto c2 = relay.Connect("alice");
  auto [nonce, opaque] = GetChallenge(*c1, kNoPort);
  Frame r = AuthWith(*c2, kNoPort, "alice", "alicepw", nonce, opaque, RandomAlnum(12));
  CHECK_MESSAGE(r.status == 401, r.Describe());
  CHECK(r.CountHeader("Use-Path") == 0);
}


TEST_CASE("A-15, E-05: a Use-Path stops working once its Expires has passed") {
  RelayOptions o;
  o.expires_min = 1;
  RelayProcess relay(o);
  Peer b;
  b.client = relay.Connect("bob");
  AuthOptions short_lived;
  short_lived.expires = 2;
  AuthResult ar = b.client->Authenticate("bob", "bobpw", short_lived);
  auto granted = std::chrono::steady_clock::now();
  REQUIRE(ar.expires == 2);
  b.use_path = ar.use_path;
  auto c = relay.Connect("carol");
  // Probe with inbound SENDs to UB (bounded polling): 200 while valid, then 481.
  int first_status = 0, last_status = 0;
  long expired_after_ms = -1;
  for (int attempt = 0; attempt < 40; ++attempt) {
    SendSpec s;
    s.tid = NewTid();
    s.to_path = {b.use_path, b.uri()};
    s.from_path = {c->uri()};
    s.message_id = RandomAlnum(8);
    s.byte_range = "1-5/5";
    s.body = "probe";
    c->Write(BuildSend(s));
    Frame r;
    do {
      r = c->ReadFrame(kFrameTimeout, "a response to the probe");
    } while (r.is_request);  // skip REPORTs
    REQUIRE(r.tid == s.tid);
    if (attempt == 0) first_status = r.status;
    last_status = r.status;
    if (r.status == 200) {
      Frame got = b->ReadFrame(kFrameTimeout, "the probe at B");
      b->Write(BuildResponse(got.tid, 200, "OK", {b.use_path}, {b.uri()}));
    } else {
      expired_after_ms = static_cast<long>(std::chrono::duration_cast<Millis>(
                                               std::chrono::steady_clock::now() - granted)
                                               .count());
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));  // polling interval
  }
  CHECK(first_status == 200);
  CHECK(last_status == 481);
  CHECK_MESSAGE(expired_after_ms >= 1500, "expired after " << expired_after_ms << " ms (Expires: 2)");
  CHECK_MESSAGE(expired_after_ms <= 5000, "expired after " << expired_after_ms << " ms (Expires: 2)");
}

TEST_CASE("S-09, A-05: Use-Path tokens, nonces and passwords stay out of info-level logs") {
  RelayOptions o;
  o.log_level = "info";
  RelayProcess relay(o);
  auto a = relay.Connect("alice");
  AuthResult ra = a->Authenticate("alice", "alicepw");
  Peer pa{std::move(a), ra.use_path};
  Peer pb = AuthenticatedPeer(relay, "bob", "bob", "bobpw");
  SendSpec s = SendBetween(pa, pb, "secret body text " + RandomAlnum(6));
  pa->Write(BuildSend(s));
  pa->ReadFrame();
  Frame got = pb->ReadFrame();
  pb->Write(BuildResponse(got.tid, 200, "OK", {pb.use_path}, {pb.uri()}));
  CHECK_SILENT(*pa.client, 300);
  auto session_of = [](const std::string& uri) {
    size_t slash = uri.rfind('/');
    size_t semi = uri.rfind(';');
    return uri.substr(slash + 1, semi - slash - 1);
  };
  std::string log = relay.Log();
  CHECK(log.find(session_of(pa.use_path)) == std::string::npos);
  CHECK(log.find(session_of(pb.use_path)) == std::string::npos);
  CHECK(log.find(ra.nonce) == std::string::npos);
  CHECK(log.find("alicepw") == std::string::npos);
  CHECK(log.find(*s.body) == std::string::npos);
  CHECK(log.find(ra.challenge.Header("WWW-Authenticate").value_or("?")) == std::string::npos);
}

TEST_CASE("S-03, A-05, A-07: no Use-Path without a Digest over a nonce this relay issued and "
          "method AUTH") {
  RelayProcess relay;
  auto c = relay.Connect("alice");
  auto [nonce, opaque] = GetChallenge(*c, kNoPort);
  const std::string ha1 = Md5Hex("alice:relay.test:alicepw");
  const std::string cnonce = RandomAlnum(12);
  std::string used_nonce = nonce, response;
  SUBCASE("a nonce the client made up, with a correct digest over it") {
    used_nonce = RandomAlnum(40);
    response = DigestResponse(ha1, used_nonce, "00000001", cnonce, kNoPort);
  }
  SUBCASE("the issued nonce, digest with A2 over SEND instead of AUTH") {
    response = Md5Hex(ha1 + ":" + nonce + ":00000001:" + cnonce + ":auth:" +
                      Md5Hex(std::string("SEND:") + kNoPort));
  }
  SUBCASE("the issued nonce, digest over the password hash of another user") {
    response = DigestResponse(Md5Hex("bob:relay.test:bobpw"), nonce, "00000001", cnonce, kNoPort);
  }
  std::string authz = "Digest username=\"alice\", realm=\"relay.test\", nonce=\"" + used_nonce +
                      "\", qop=auth, nc=00000001, cnonce=\"" + cnonce + "\", response=\"" +
                      response + "\", opaque=\"" + opaque + "\"";
  Frame r = c->SendAuth(NewTid(), kNoPort, {{"Authorization", authz}});
  CHECK_MESSAGE(r.status == 401, r.Describe());
  CHECK(r.CountHeader("Use-Path") == 0);
  CHECK(r.CountHeader("Authentication-Info") == 0);
  CHECK(r.CountHeader("WWW-Authenticate") == 1);
  // The same client, answering the challenge correctly, gets its Use-Path.
  CHECK_FALSE(c->Authenticate("alice", "alicepw").use_path.empty());
}

TEST_CASE("A-01, R-12, R-20: an AUTH whose To-Path goes past this relay's host is not answered "
          "here: through a session it is forwarded and its 401 mapped back") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  // A's AUTH to B (a relay-like endpoint behind UB) travels like any non-SEND request.
  std::string tid_a = NewTid();
  std::string sent = EncodeFrame(tid_a, "AUTH",
                                 {{"To-Path", JoinPath({p.a.use_path, p.b.use_path, p.b.uri()})},
                                  {"From-Path", p.a.uri()}},
                                 std::nullopt);
  p.a->Write(sent);
  Frame got = p.b->ReadFrame(kFrameTimeout, "the forwarded AUTH");
  CHECK(IsFreshRelayTid(got.tid, tid_a));
  CHECK_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, p.a, p.b));
  CHECK_SILENT(*p.a.client, 300);  // the relay neither challenges nor accepts it
  const std::string www = "Digest realm=\"b.example.com\", nonce=\"n0nce\", qop=\"auth\"";
  p.b->Write(BuildResponse(got.tid, 401, "Unauthorized", {p.b.use_path, p.a.use_path, p.a.uri()},
                           {p.b.uri()}, {{"WWW-Authenticate", www}}));
  Frame back = p.a->ReadFrame(kFrameTimeout, "B's 401, mapped back");
  CHECK_BYTES(back.raw, BuildResponse(tid_a, 401, "Unauthorized", {p.a.uri()},
                                      {p.a.use_path, p.b.use_path, p.b.uri()},
                                      {{"WWW-Authenticate", www}}));

  // The relay's host URI followed by another hop: not an AUTH for us, and no session to
  // forward through (E-05).
  std::string tid = NewTid();
  Frame r = p.a->SendAuthPath(tid, {kNoPort, "msrps://other.example.com:2855/x1;tcp"}, {});
  CHECK(r.StartLine() == "MSRP " + tid + " 481 Session Does Not Exist");
  CHECK(r.CountHeader("WWW-Authenticate") == 0);
  CHECK_SILENT(*p.b.client, 300);
  RequireRelayStillWorks(relay);
}

}  // namespace msrp::test
