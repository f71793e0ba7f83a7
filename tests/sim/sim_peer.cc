// SimPeer: raw bytes in, independently parsed frames out, and the AUTH exchange.
#include "tests/sim/sim_peer.h"

#include <cstdio>

#include "common/digest.h"

namespace msrp::sim {

namespace {

/// The value of auth-param `name` in a Digest challenge (quotes removed), or "".
std::string ChallengeParam(const std::string& challenge, const std::string& name) {
  std::string scheme;
  auto params = test::ParseAuthParams(challenge, &scheme);
  if (!params) return "";
  auto it = params->find(name);
  return it == params->end() ? "" : it->second.value;
}

}  // namespace

std::string SimTid() {
  static uint64_t n = 0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "simtid%06llu", static_cast<unsigned long long>(++n % 1000000));
  return buf;
}

std::string DigestAuthorization(const std::string& www_authenticate, const std::string& user,
                                const std::string& password, std::string_view to_uri, uint32_t nc_value,
                                bool with_uri) {
  const std::string to(to_uri);
  const std::string nonce = ChallengeParam(www_authenticate, "nonce");
  const std::string opaque = ChallengeParam(www_authenticate, "opaque");
  const std::string ha1 = ComputeHa1(user, "example.com", password);
  const std::string cnonce = "0a4f113b";
  char nc[16];
  std::snprintf(nc, sizeof nc, "%08x", nc_value);
  std::string authorization = "Digest username=\"" + user + "\", realm=\"example.com\", nonce=\"" + nonce +
                              "\", qop=auth, nc=" + nc + ", cnonce=\"" + cnonce + "\", opaque=\"" + opaque +
                              "\", response=\"" + ComputeResponse(ha1, nonce, nc, cnonce, "auth", to) + "\"";
  if (with_uri) authorization += ", uri=\"" + to + "\"";
  return authorization;
}

std::shared_ptr<const UserDb> SimUsers(const std::vector<std::pair<std::string, std::string>>& users) {
  std::string text;
  for (const auto& [user, password] : users) {
    text += user + ":example.com:" + ComputeHa1(user, "example.com", password) + "\n";
  }
  auto db = UserDb::Parse(text);
  return db.ok() ? std::make_shared<const UserDb>(std::move(db).value()) : nullptr;
}

SimPeer::SimPeer(MemoryTransport& transport, const std::string& name, bool tls)
    : transport_(transport),
      id_(transport.Open(tls, tls ? 2855 : 2856)),
      uri_(std::string(tls ? "msrps://" : "msrp://") + name + ".example.com:9892/" + name + ";tcp") {}

SimPeer::SimPeer(MemoryTransport& transport, ConnectionId id, std::string uri)
    : transport_(transport), id_(id), uri_(std::move(uri)) {}

bool SimPeer::closed() {
  MemoryConnection* c = transport_.Get(id_);
  return c == nullptr || c->closed;
}

std::vector<test::Frame> SimPeer::Receive() {
  reader_.Feed(transport_.Take(id_));
  std::vector<test::Frame> out;
  while (stream_error_.empty()) {
    test::Frame f;
    std::string error;
    test::ParseStatus st = reader_.Next(&f, &error);
    if (st == test::ParseStatus::kNeedMore) break;
    if (st == test::ParseStatus::kMalformed) {
      stream_error_ = error;
      break;
    }
    received_.push_back(f);
    out.push_back(std::move(f));
  }
  return out;
}

bool SimPeer::Authenticate(const std::string& user, const std::string& password, uint32_t expires,
                           bool with_uri) {
  const std::string to(kSimRelayAuthUri);
  test::Headers extra;
  if (expires > 0) extra.emplace_back("Expires", std::to_string(expires));
  auto auth = [&](const std::string& tid, const test::Headers& more) {
    test::Headers h{{"To-Path", to}, {"From-Path", uri_}};
    h.insert(h.end(), more.begin(), more.end());
    h.insert(h.end(), extra.begin(), extra.end());
    Send(test::EncodeFrame(tid, "AUTH", h, std::nullopt));
    for (const auto& f : Receive()) {
      if (!f.is_request && f.tid == tid) return f;
    }
    return test::Frame{};
  };
  test::Frame challenge = auth(SimTid(), {});
  if (challenge.status != 401) return false;
  const std::string www = challenge.Header("WWW-Authenticate").value_or("");
  const std::string nonce = ChallengeParam(www, "nonce");
  const std::string opaque = ChallengeParam(www, "opaque");
  const std::string ha1 = ComputeHa1(user, "example.com", password);
  const std::string cnonce = "0a4f113b", nc = "00000001";
  std::string authorization = "Digest username=\"" + user + "\", realm=\"example.com\", nonce=\"" + nonce +
                              "\", qop=auth, nc=" + nc + ", cnonce=\"" + cnonce + "\", opaque=\"" + opaque +
                              "\", response=\"" + ComputeResponse(ha1, nonce, nc, cnonce, "auth", to) + "\"";
  if (with_uri) authorization += ", uri=\"" + to + "\"";
  test::Frame ok = auth(SimTid(), {{"Authorization", authorization}});
  if (ok.status != 200) return false;
  auto use_path = ok.Path("Use-Path");
  if (use_path.empty()) return false;
  use_path_ = use_path.back();
  return true;
}

}  // namespace msrp::sim
