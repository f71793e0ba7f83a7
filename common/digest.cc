// HTTP Digest for MSRP AUTH (RFC 4976 §9.1, RFC 2617): Authorization parsing, MD5 response
// chain, challenge / Authentication-Info formatting (BR-17 quoting), and stateless HMAC nonces
// . Crypto via OpenSSL 3 (EVP MD5, HMAC-SHA256, RAND_bytes, CRYPTO_memcmp).
#include "common/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cstdlib>

#include "common/header_values.h"

namespace msrp {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::string_view kB64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr size_t kNonceTimeBytes = 8;
constexpr size_t kNonceRandomBytes = 16;
constexpr size_t kNonceMacBytes = 16;
constexpr size_t kNonceBytes = kNonceTimeBytes + kNonceRandomBytes + kNonceMacBytes;

bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool AllHex(std::string_view s) {
  for (char c : s) {
    if (!IsHex(c)) return false;
  }
  return true;
}

std::string ToHex(const unsigned char* data, size_t n) {
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHexDigits[data[i] >> 4]);
    out.push_back(kHexDigits[data[i] & 0x0f]);
  }
  return out;
}

// RAND_bytes failing means the process has no entropy: continuing would mint guessable
// nonces and session-ids, so stop instead (no exceptions in this code base).
void RandomBytes(unsigned char* out, size_t n) {
  if (n == 0) return;
  if (RAND_bytes(out, static_cast<int>(n)) != 1) std::abort();
}

std::string Base64UrlEncode(std::string_view data) {
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(data[i]) << 16) | (static_cast<uint8_t>(data[i + 1]) << 8) |
                 static_cast<uint8_t>(data[i + 2]);
    out.push_back(kB64Url[(v >> 18) & 63]);
    out.push_back(kB64Url[(v >> 12) & 63]);
    out.push_back(kB64Url[(v >> 6) & 63]);
    out.push_back(kB64Url[v & 63]);
  }
  size_t rem = data.size() - i;
  if (rem == 1) {
    uint32_t v = static_cast<uint8_t>(data[i]) << 16;
    out.push_back(kB64Url[(v >> 18) & 63]);
    out.push_back(kB64Url[(v >> 12) & 63]);
  } else if (rem == 2) {
    uint32_t v = (static_cast<uint8_t>(data[i]) << 16) | (static_cast<uint8_t>(data[i + 1]) << 8);
    out.push_back(kB64Url[(v >> 18) & 63]);
    out.push_back(kB64Url[(v >> 12) & 63]);
    out.push_back(kB64Url[(v >> 6) & 63]);
  }
  return out;
}

int B64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Strict decoder: no padding, no foreign characters, unused trailing bits must be zero (so
// every byte string has exactly one accepted encoding).
std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = B64UrlValue(c);
    if (v < 0) return std::nullopt;
    acc = ((acc << 6) | static_cast<uint32_t>(v)) & 0xffffu;  // only the low bits are pending
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::array<unsigned char, 32> HmacSha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

std::string NonceMac(std::string_view secret, std::string_view time_and_random,
                     std::string_view binding) {
  std::string input(time_and_random);
  input.append(binding);
  std::array<unsigned char, 32> mac = HmacSha256(secret, input);
  return std::string(reinterpret_cast<const char*>(mac.data()), kNonceMacBytes);
}

// Appends `"value"` with '"' and '\' backslash-escaped (RFC 2616 quoted-string).
void AppendQuoted(std::string* out, std::string_view value) {
  out->push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

bool IsTokenChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  switch (c) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':': case '\\':
    case '"': case '/': case '[': case ']': case '?': case '=': case '{': case '}':
      return false;
    default:
      return true;
  }
}

bool IsWhite(char c) { return c == ' ' || c == '\t'; }

}  // namespace

Result<DigestCredentials> ParseAuthorization(std::string_view value) {
  size_t pos = 0;
  while (pos < value.size() && IsWhite(value[pos])) ++pos;
  size_t scheme_start = pos;
  while (pos < value.size() && IsTokenChar(value[pos])) ++pos;
  std::string_view scheme = value.substr(scheme_start, pos - scheme_start);
  if (!EqualsIgnoreCase(scheme, "Digest")) return Err("Authorization scheme is not Digest");
  if (pos >= value.size() || !IsWhite(value[pos])) return Err("Authorization: missing Digest parameters");

  DigestCredentials creds;
  bool seen_username = false, seen_realm = false, seen_nonce = false, seen_response = false;
  bool seen_qop = false, seen_nc = false, seen_cnonce = false, seen_opaque = false;
  bool seen_algorithm = false;

  // Every iteration consumes at least one character or returns, so it is bounded by value.size().
  while (pos < value.size()) {
    // Skip separators: optional whitespace and empty list elements ("," / ", " / " , ").
    if (IsWhite(value[pos]) || value[pos] == ',') {
      ++pos;
      continue;
    }
    size_t name_start = pos;
    while (pos < value.size() && IsTokenChar(value[pos])) ++pos;
    std::string_view name = value.substr(name_start, pos - name_start);
    if (name.empty()) return Err("Authorization: bad parameter name");
    while (pos < value.size() && IsWhite(value[pos])) ++pos;
    if (pos >= value.size() || value[pos] != '=') return Err("Authorization: parameter without '='");
    ++pos;
    while (pos < value.size() && IsWhite(value[pos])) ++pos;

    std::string param_value;
    if (pos < value.size() && value[pos] == '"') {
      ++pos;
      bool closed = false;
      while (pos < value.size()) {
        char c = value[pos];
        if (c == '"') {
          closed = true;
          ++pos;
          break;
        }
        if (c == '\\') {
          if (pos + 1 >= value.size()) break;
          c = value[pos + 1];
          pos += 2;
        } else {
          ++pos;
        }
        unsigned char u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f) return Err("Authorization: control character in quoted value");
        param_value.push_back(c);
      }
      if (!closed) return Err("Authorization: unterminated quoted value");
    } else {
      size_t value_start = pos;
      while (pos < value.size() && IsTokenChar(value[pos])) ++pos;
      if (pos == value_start) return Err("Authorization: empty parameter value");
      param_value = std::string(value.substr(value_start, pos - value_start));
    }
    // After a value only whitespace, ',' or the end may follow.
    while (pos < value.size() && IsWhite(value[pos])) ++pos;
    if (pos < value.size() && value[pos] != ',') return Err("Authorization: expected ',' between parameters");

    auto assign = [&](bool* seen, std::string* field) -> bool {
      if (*seen) return false;
      *seen = true;
      *field = std::move(param_value);
      return true;
    };
    bool fresh = true;
    if (EqualsIgnoreCase(name, "username")) {
      fresh = assign(&seen_username, &creds.username);
    } else if (EqualsIgnoreCase(name, "realm")) {
      fresh = assign(&seen_realm, &creds.realm);
    } else if (EqualsIgnoreCase(name, "nonce")) {
      fresh = assign(&seen_nonce, &creds.nonce);
    } else if (EqualsIgnoreCase(name, "response")) {
      fresh = assign(&seen_response, &creds.response);
    } else if (EqualsIgnoreCase(name, "qop")) {
      fresh = assign(&seen_qop, &creds.qop);
    } else if (EqualsIgnoreCase(name, "nc")) {
      fresh = assign(&seen_nc, &creds.nc);
    } else if (EqualsIgnoreCase(name, "cnonce")) {
      fresh = assign(&seen_cnonce, &creds.cnonce);
    } else if (EqualsIgnoreCase(name, "opaque")) {
      fresh = assign(&seen_opaque, &creds.opaque);
    } else if (EqualsIgnoreCase(name, "algorithm")) {
      fresh = assign(&seen_algorithm, &creds.algorithm);
    } else if (EqualsIgnoreCase(name, "uri")) {
      if (creds.uri) {
        fresh = false;
      } else {
        creds.uri = std::move(param_value);
      }
    }
    if (!fresh) return Err("Authorization: duplicate parameter " + std::string(name));
  }

  if (!seen_username) return Err("Authorization: missing username");
  if (!seen_realm) return Err("Authorization: missing realm");
  if (!seen_nonce) return Err("Authorization: missing nonce");
  if (!seen_response) return Err("Authorization: missing response");
  if (!seen_qop) return Err("Authorization: missing qop");
  if (!seen_nc) return Err("Authorization: missing nc");
  if (!seen_cnonce) return Err("Authorization: missing cnonce");
  if (!EqualsIgnoreCase(creds.qop, "auth")) return Err("Authorization: qop must be auth");
  if (creds.nc.size() != 8 || !AllHex(creds.nc)) return Err("Authorization: nc must be 8 hex digits");
  if (creds.response.size() != 32 || !AllHex(creds.response)) {
    return Err("Authorization: response must be 32 hex digits");
  }
  for (char& c : creds.response) c = ToLower(c);
  if (seen_algorithm && !EqualsIgnoreCase(creds.algorithm, "MD5")) {
    return Err("Authorization: algorithm must be MD5");
  }
  return creds;
}

std::string Md5Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_md5(), nullptr) != 1) {
    std::abort();  // MD5 unavailable (e.g. FIPS-only provider): Digest AUTH cannot work at all.
  }
  return ToHex(md.data(), len);
}

std::string ComputeHa1(std::string_view username, std::string_view realm, std::string_view password) {
  std::string a1;
  a1.append(username).append(":").append(realm).append(":").append(password);
  return Md5Hex(a1);
}

namespace {

std::string ResponseWithA2(std::string_view ha1, std::string_view nonce, std::string_view nc,
                           std::string_view cnonce, std::string_view qop, std::string_view a2) {
  std::string kd;
  kd.append(ha1).append(":").append(nonce).append(":").append(nc).append(":").append(cnonce);
  kd.append(":").append(qop).append(":").append(Md5Hex(a2));
  return Md5Hex(kd);
}

}  // namespace

std::string ComputeResponse(std::string_view ha1, std::string_view nonce, std::string_view nc,
                            std::string_view cnonce, std::string_view qop, std::string_view uri) {
  std::string a2 = "AUTH:";
  a2.append(uri);
  return ResponseWithA2(ha1, nonce, nc, cnonce, qop, a2);
}

std::string ComputeRspauth(std::string_view ha1, std::string_view nonce, std::string_view nc,
                           std::string_view cnonce, std::string_view qop, std::string_view uri) {
  std::string a2 = ":";
  a2.append(uri);
  return ResponseWithA2(ha1, nonce, nc, cnonce, qop, a2);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string FormatChallenge(std::string_view realm, std::string_view nonce, std::string_view opaque,
                            bool stale) {
  std::string out = "Digest realm=";
  AppendQuoted(&out, realm);
  out += ", nonce=";
  AppendQuoted(&out, nonce);
  if (!opaque.empty()) {
    out += ", opaque=";
    AppendQuoted(&out, opaque);
  }
  out += ", qop=\"auth\", algorithm=MD5";
  if (stale) out += ", stale=true";
  return out;
}

std::string FormatAuthenticationInfo(std::string_view rspauth, std::string_view cnonce,
                                     std::string_view nc, std::string_view nextnonce) {
  std::string out = "rspauth=";
  AppendQuoted(&out, rspauth);
  out += ", cnonce=";
  AppendQuoted(&out, cnonce);
  out += ", nc=";
  out.append(nc);
  out += ", qop=auth";
  if (!nextnonce.empty()) {
    out += ", nextnonce=";
    AppendQuoted(&out, nextnonce);
  }
  return out;
}

NonceService::NonceService(std::string secret, uint32_t lifetime_s)
    : secret_(std::move(secret)), lifetime_s_(lifetime_s) {}

std::string NonceService::RandomSecret() {
  std::string secret(32, '\0');
  RandomBytes(reinterpret_cast<unsigned char*>(secret.data()), secret.size());
  return secret;
}

std::string NonceService::Issue(uint64_t now_s, std::string_view binding) const {
  std::string raw(kNonceTimeBytes + kNonceRandomBytes, '\0');
  for (size_t i = 0; i < kNonceTimeBytes; ++i) {
    raw[i] = static_cast<char>((now_s >> (8 * (kNonceTimeBytes - 1 - i))) & 0xff);
  }
  RandomBytes(reinterpret_cast<unsigned char*>(raw.data() + kNonceTimeBytes), kNonceRandomBytes);
  raw += NonceMac(secret_, raw, binding);
  return Base64UrlEncode(raw);
}

NonceCheck NonceService::Verify(std::string_view nonce, uint64_t now_s, std::string_view binding) const {
  if (nonce.size() != (kNonceBytes * 4 + 2) / 3) return NonceCheck::kInvalid;
  std::optional<std::string> raw = Base64UrlDecode(nonce);
  if (!raw || raw->size() != kNonceBytes) return NonceCheck::kInvalid;
  std::string_view body(raw->data(), kNonceTimeBytes + kNonceRandomBytes);
  std::string_view mac(raw->data() + body.size(), kNonceMacBytes);
  if (!ConstantTimeEquals(NonceMac(secret_, body, binding), mac)) return NonceCheck::kInvalid;
  uint64_t issued = 0;
  for (size_t i = 0; i < kNonceTimeBytes; ++i) {
    issued = (issued << 8) | static_cast<uint8_t>((*raw)[i]);
  }
  // A nonce from the "future" is authentic but the clock moved: make the client retry with a
  // fresh nonce (stale) rather than count it as a failed login.
  if (issued > now_s) return NonceCheck::kStale;
  if (now_s - issued > lifetime_s_) return NonceCheck::kStale;
  return NonceCheck::kValid;
}

std::string RandomToken(size_t n_bytes) {
  std::string raw(n_bytes, '\0');
  RandomBytes(reinterpret_cast<unsigned char*>(raw.data()), raw.size());
  return Base64UrlEncode(raw);
}

}  // namespace msrp
