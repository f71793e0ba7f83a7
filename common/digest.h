// HTTP Digest for MSRP AUTH (RFC 4976 §5.1, §9.1; RFC 2617): Authorization parsing, response
// and rspauth computation, challenge and Authentication-Info formatting, and stateless,
// connection-bound, time-bounded nonces. Hashing goes through OpenSSL (EVP). No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace msrp {

/// Parameters of an `Authorization: Digest ...` header (A-06). Quoted values are unquoted
/// (backslash escapes removed). Absent optional params are empty strings.
struct DigestCredentials {
  std::string username;
  std::string realm;
  std::string nonce;
  std::optional<std::string> uri;  ///< present only when the client sent uri= (RFC 7977 clients, Kamailio)
  std::string response;            ///< 32 lower-case hex digits
  std::string qop;                 ///< must be "auth"
  std::string nc;                  ///< 8 hex digits
  std::string cnonce;
  std::string opaque;
  std::string algorithm;           ///< empty or "MD5" (case-insensitive)
};

/// Parses an Authorization header value ("Digest " params). Accepts ", " and "," between
/// params (BR-17), params in any order, unknown params ignored. Errors: scheme not Digest
/// (e.g. Basic), a required param missing (username, realm, nonce, response, qop, nc, cnonce:
/// A-06), qop not "auth", nc not 8 hex digits, response not 32 hex digits, algorithm not MD5,
/// duplicate params, unterminated quotes.
Result<DigestCredentials> ParseAuthorization(std::string_view value);

/// Lower-case hex MD5 of `data`.
std::string Md5Hex(std::string_view data);

/// HA1 = MD5(username ":" realm ":" password), lower-case hex.
std::string ComputeHa1(std::string_view username, std::string_view realm, std::string_view password);

/// Digest response for qop=auth (RFC 2617 §3.2.2.1) with method "AUTH" (RFC 4976 §9.1):
/// MD5(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" MD5("AUTH:" uri)). `uri` is the AUTH's
/// rightmost To-Path URI as received (A-07). Lower-case hex.
std::string ComputeResponse(std::string_view ha1, std::string_view nonce, std::string_view nc,
                            std::string_view cnonce, std::string_view qop, std::string_view uri);

/// rspauth for Authentication-Info: like ComputeResponse but A2 = ":" uri (RFC 2617 §3.2.3).
std::string ComputeRspauth(std::string_view ha1, std::string_view nonce, std::string_view nc,
                           std::string_view cnonce, std::string_view qop, std::string_view uri);

/// Constant-time comparison of two strings of equal length (digest responses).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

/// WWW-Authenticate value (A-03, A-04, BR-17):
/// `Digest realm="R", nonce="N", opaque="O", qop="auth", algorithm=MD5` and `, stale=true`
/// when `stale`. Never offers auth-int or MD5-sess.
std::string FormatChallenge(std::string_view realm, std::string_view nonce, std::string_view opaque,
                            bool stale);

/// Authentication-Info value (A-12): `rspauth="X", cnonce="C", nc=NC, qop=auth` and
/// `, nextnonce="N"` when `nextnonce` is not empty.
std::string FormatAuthenticationInfo(std::string_view rspauth, std::string_view cnonce,
                                     std::string_view nc, std::string_view nextnonce);

/// Outcome of checking a nonce.
enum class NonceCheck {
  kValid,    ///< minted by us, for this binding, within its lifetime
  kStale,    ///< minted by us for this binding but older than the lifetime (answer stale=true, A-08)
  kInvalid,  ///< not ours, tampered, or minted for another binding
};

/// Mints and checks stateless nonces (A-05): base64url(issue-time || 16 random bytes ||
/// HMAC-SHA256(secret, issue-time || random || binding)[0..16)). The binding (e.g. a
/// connection id plus a per-connection random) ties a nonce to one connection.
class NonceService {
 public:
  /// `secret`: 32 random bytes (use NonceService::RandomSecret()); `lifetime_s`: seconds a
  /// nonce stays valid.
  NonceService(std::string secret, uint32_t lifetime_s);

  /// 32 cryptographically random bytes from OpenSSL RAND_bytes.
  static std::string RandomSecret();

  /// A fresh nonce issued at `now_s` (seconds, any monotonic or wall clock) for `binding`.
  std::string Issue(uint64_t now_s, std::string_view binding) const;

  /// Checks a nonce received at `now_s` against `binding`.
  NonceCheck Verify(std::string_view nonce, uint64_t now_s, std::string_view binding) const;

  void set_lifetime(uint32_t lifetime_s) { lifetime_s_ = lifetime_s; }

 private:
  std::string secret_;
  uint32_t lifetime_s_;
};

/// `n` cryptographically random bytes encoded base64url without padding (RFC 4648 §5); all
/// characters are RFC 3986 unreserved, so the result is a valid MSRP session-id / token (U-09).
std::string RandomToken(size_t n_bytes);

}  // namespace msrp
