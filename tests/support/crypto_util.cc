// OpenSSL-backed hashing and randomness for the end-to-end test harness.
#include "tests/support/crypto_util.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <random>
#include <stdexcept>

namespace msrp::test {
namespace {

std::string HexDigest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) {
    throw std::runtime_error("EVP_Digest failed");
  }
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[out[i] >> 4]);
    hex.push_back(kHex[out[i] & 0xf]);
  }
  return hex;
}

std::string Join5(std::string_view ha1, std::string_view nonce, std::string_view nc,
                  std::string_view cnonce, std::string_view ha2) {
  std::string s;
  s.append(ha1).append(":").append(nonce).append(":").append(nc).append(":").append(cnonce);
  s.append(":auth:").append(ha2);
  return s;
}

}  // namespace

std::string Md5Hex(std::string_view data) { return HexDigest(EVP_md5(), data); }

std::string Sha256Hex(std::string_view data) { return HexDigest(EVP_sha256(), data); }

std::string DigestResponse(std::string_view ha1, std::string_view nonce, std::string_view nc,
                           std::string_view cnonce, std::string_view uri) {
  std::string a2 = "AUTH:";
  a2.append(uri);
  return Md5Hex(Join5(ha1, nonce, nc, cnonce, Md5Hex(a2)));
}

std::string DigestRspauth(std::string_view ha1, std::string_view nonce, std::string_view nc,
                          std::string_view cnonce, std::string_view uri) {
  std::string a2 = ":";
  a2.append(uri);
  return Md5Hex(Join5(ha1, nonce, nc, cnonce, Md5Hex(a2)));
}

std::string RandomAlnum(size_t n) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(n);
  unsigned char buf[64];
  while (out.size() < n) {
    if (RAND_bytes(buf, sizeof buf) != 1) throw std::runtime_error("RAND_bytes failed");
    for (unsigned char c : buf) {
      if (c >= 248) continue;  // 248 = 4 * 62: keep the distribution uniform
      out.push_back(kAlphabet[c % 62]);
      if (out.size() == n) break;
    }
  }
  return out;
}

std::string PseudoRandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::string out(n, '\0');
  size_t i = 0;
  while (i + 8 <= n) {
    uint64_t v = gen();
    for (int k = 0; k < 8; ++k) out[i++] = static_cast<char>(v >> (8 * k));
  }
  uint64_t v = gen();
  while (i < n) {
    out[i++] = static_cast<char>(v);
    v >>= 8;
  }
  return out;
}

}  // namespace msrp::test
