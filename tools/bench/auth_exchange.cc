// AuthExchange: challenge parsing and the Digest response (RFC 2617 qop=auth with method AUTH,
// RFC 4976 §9.1), hashing through common/digest.h.
#include "tools/bench/auth_exchange.h"

#include <cctype>
#include <map>

#include <openssl/rand.h>

#include "common/digest.h"

namespace msrp::bench {

namespace {

/// Parses `Digest k="v", k=v, ...` into a map (quoted values unescaped).
std::map<std::string, std::string> ParseChallenge(std::string_view v) {
  std::map<std::string, std::string> out;
  auto sp = v.find(' ');
  if (sp == std::string_view::npos) return out;
  v.remove_prefix(sp + 1);
  size_t i = 0;
  for (int guard = 0; guard < 64 && i < v.size(); ++guard) {
    while (i < v.size() && (v[i] == ' ' || v[i] == ',')) ++i;
    auto eq = v.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key(v.substr(i, eq - i));
    i = eq + 1;
    std::string value;
    if (i < v.size() && v[i] == '"') {
      ++i;
      while (i < v.size() && v[i] != '"') {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        value += v[i++];
      }
      ++i;
    } else {
      while (i < v.size() && v[i] != ',' && v[i] != ' ') value += v[i++];
    }
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out[key] = value;
  }
  return out;
}

std::string RandomHex(int bytes) {
  unsigned char b[32];
  RAND_bytes(b, bytes);
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < bytes; ++i) {
    s += kHex[b[i] >> 4];
    s += kHex[b[i] & 15];
  }
  return s;
}

}  // namespace

std::string AuthExchange::Request(const std::string& tid, const std::string& authorization) const {
  std::string r = "MSRP " + tid + " AUTH\r\nTo-Path: " + p_.to_uri + "\r\nFrom-Path: " + p_.from_uri + "\r\n";
  if (!authorization.empty()) r += "Authorization: " + authorization + "\r\n";
  if (p_.expires > 0) r += "Expires: " + std::to_string(p_.expires) + "\r\n";
  r += "-------" + tid + "$\r\n";
  return r;
}

std::string AuthExchange::FirstRequest() {
  tid_ = "au" + RandomHex(6);
  return Request(tid_, "");
}

AuthExchange::Step AuthExchange::OnResponse(const FrameHead& head, std::string* out, std::string* error) {
  if (head.is_request) {
    *error = "a " + head.method + " request arrived during AUTH";
    return Step::kFailed;
  }
  if (head.tid != tid_) {
    *error = "AUTH response with an unknown transaction id " + head.tid;
    return Step::kFailed;
  }
  if (head.status == 401 && attempt_ == 0) {
    attempt_ = 1;
    auto c = ParseChallenge(head.Get("WWW-Authenticate"));
    if (!c.count("nonce") || !c.count("realm")) {
      *error = "401 without a usable Digest challenge";
      return Step::kFailed;
    }
    std::string cnonce = RandomHex(8);
    const std::string nc = "00000001";
    std::string ha1 = ComputeHa1(p_.user, c["realm"], p_.password);
    std::string response = ComputeResponse(ha1, c["nonce"], nc, cnonce, "auth", p_.to_uri);
    std::string a = "Digest username=\"" + p_.user + "\", realm=\"" + c["realm"] + "\", nonce=\"" + c["nonce"] + "\", ";
    if (p_.digest_uri) a += "uri=\"" + p_.to_uri + "\", ";
    a += "qop=auth, nc=" + nc + ", cnonce=\"" + cnonce + "\", response=\"" + response + "\"";
    if (c.count("opaque")) a += ", opaque=\"" + c["opaque"] + "\"";
    if (c.count("algorithm")) a += ", algorithm=" + c["algorithm"];
    tid_ = "au" + RandomHex(6);
    *out = Request(tid_, a);
    return Step::kSend;
  }
  if (head.status == 200) {
    std::string_view up = head.Get("Use-Path");
    if (up.empty()) {
      *error = "AUTH 200 without Use-Path";
      return Step::kFailed;
    }
    use_path_ = std::string(up.substr(0, up.find(' ')));
    return Step::kDone;
  }
  *error = "AUTH answered " + std::to_string(head.status) + (attempt_ ? " to our credentials" : "");
  return Step::kFailed;
}

}  // namespace msrp::bench
