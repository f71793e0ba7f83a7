// Small crypto and randomness helpers for the end-to-end tests, built directly on OpenSSL EVP
// so that digest checks stay independent of the relay's own common/digest code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace msrp::test {

/// Lower-case hex MD5 of `data`.
std::string Md5Hex(std::string_view data);

/// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

/// Digest `response` for qop=auth and method AUTH (RFC 2617 §3.2.2.1, RFC 4976 §9.1):
/// MD5(ha1:nonce:nc:cnonce:auth:MD5("AUTH:" + uri)).
std::string DigestResponse(std::string_view ha1, std::string_view nonce, std::string_view nc,
                           std::string_view cnonce, std::string_view uri);

/// Expected `rspauth` of Authentication-Info: like DigestResponse but A2 = ":" + uri.
std::string DigestRspauth(std::string_view ha1, std::string_view nonce, std::string_view nc,
                          std::string_view cnonce, std::string_view uri);

/// `n` random characters from [A-Za-z0-9] (OpenSSL RAND_bytes based).
std::string RandomAlnum(size_t n);

/// `n` pseudo-random bytes (any value 0..255) from a 64-bit generator seeded with `seed`.
std::string PseudoRandomBytes(size_t n, uint64_t seed);

}  // namespace msrp::test
