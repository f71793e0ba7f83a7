// libFuzzer target for the AUTH and header-value parsers (A-05, A-06, BR-17, F-14..F-18, E-09):
// ParseAuthorization, NonceService::Verify, FormatChallenge, Byte-Range / Expires / Status /
// Failure-Report and UserDb::Parse on arbitrary text. abort()s when a property breaks.

// Input: the whole input goes to every parser; its lines (split at '\n') feed the formatters.
// Run: build-fuzz/fuzz_digest CORPUS_COPY -max_len=1024
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/digest.h"
#include "common/header_values.h"
#include "common/user_db.h"

namespace msrp {
namespace {

[[noreturn]] void Die(const char* what, std::string_view a, std::string_view b = {}) {
  std::fprintf(stderr, "fuzz_digest: %s\n  input: %.*s\n  other: %.*s\n", what, static_cast<int>(a.size()),
               a.data(), static_cast<int>(b.size()), b.data());
  std::abort();
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsDigitChar(char c) { return c >= '0' && c <= '9'; }

/// True when `s` holds a byte a quoted-string may not carry (CTL other than HTAB).
bool HasControl(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

std::string Quoted(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// ---- Nonces: a fixed secret and a few nonces issued once per process.

constexpr uint32_t kLifetime = 300;
constexpr uint64_t kIssuedAt = 1'000'000;

struct Issued {
  std::string nonce;
  std::string binding;
};

// A fresh secret per process: a nonce that an earlier run issued (libFuzzer learns issued nonces
// from the comparisons below and may keep them in the corpus) is then foreign, as it should be.
const NonceService& Nonces() {
  static const NonceService service(NonceService::RandomSecret(), kLifetime);
  return service;
}

/// The issued nonces, checked once: valid within the lifetime, stale after it, and invalid on
/// another binding.
const std::vector<Issued>& IssuedNonces() {
  static const std::vector<Issued> issued = [] {
    std::vector<Issued> v;
    for (const char* binding : {"conn-1", "conn-2", ""}) v.push_back({Nonces().Issue(kIssuedAt, binding), binding});
    for (const Issued& i : v) {
      if (Nonces().Verify(i.nonce, kIssuedAt + 1, i.binding) != NonceCheck::kValid) Die("issued nonce not valid", i.nonce);
      if (Nonces().Verify(i.nonce, kIssuedAt + kLifetime + 1, i.binding) != NonceCheck::kStale) {
        Die("expired nonce not stale", i.nonce);
      }
      for (const Issued& other : v) {
        if (other.binding != i.binding && Nonces().Verify(i.nonce, kIssuedAt + 1, other.binding) != NonceCheck::kInvalid) {
          Die("nonce accepted on another binding", i.nonce, other.binding);
        }
      }
    }
    return v;
  }();
  return issued;
}

/// Verify never says kValid for a string Issue did not return for that binding, and an
/// issued nonce with one character changed is kInvalid (tampered), never kStale.
void CheckNonces(std::string_view text, const uint8_t* data, size_t size) {
  for (const Issued& issued : IssuedNonces()) {
    for (uint64_t now : {kIssuedAt, kIssuedAt + kLifetime, uint64_t{0}}) {
      NonceCheck c = Nonces().Verify(text, now, issued.binding);
      if (c != NonceCheck::kInvalid && text != issued.nonce) Die("Verify took a foreign nonce as ours", text);
    }
  }
  if (size < 2) return;
  // Tamper with an issued nonce: one character replaced, then the nonce cut at that point.
  const Issued& issued = IssuedNonces()[data[0] % IssuedNonces().size()];
  std::string tampered = issued.nonce;
  size_t at = data[1] % tampered.size();
  tampered[at] = static_cast<char>(size > 2 ? data[2] : data[1]);
  if (tampered != issued.nonce &&
      Nonces().Verify(tampered, kIssuedAt + 1, issued.binding) != NonceCheck::kInvalid) {
    Die("tampered nonce not rejected", tampered, issued.nonce);
  }
  if (Nonces().Verify(std::string_view(issued.nonce).substr(0, at), kIssuedAt + 1, issued.binding) !=
      NonceCheck::kInvalid) {
    Die("truncated nonce not rejected", issued.nonce.substr(0, at));
  }
}

// ---- Authorization (A-06, BR-17).

std::string FormatCredentials(const DigestCredentials& c) {
  std::string out = "Digest username=" + Quoted(c.username) + ", realm=" + Quoted(c.realm) +
                    ", nonce=" + Quoted(c.nonce);
  if (c.uri) out += ",uri=" + Quoted(*c.uri);
  out += ", response=" + Quoted(c.response) + ", qop=" + c.qop + ",  nc=" + c.nc + " , cnonce=" + Quoted(c.cnonce);
  if (!c.opaque.empty()) out += ", opaque=" + Quoted(c.opaque);
  if (!c.algorithm.empty()) out += ", algorithm=" + c.algorithm;
  return out;
}

void CheckAuthorization(std::string_view text) {
  Result<DigestCredentials> parsed = ParseAuthorization(text);
  if (!parsed.ok()) {
    if (parsed.error().empty()) Die("ParseAuthorization error without a message", text);
    return;
  }
  const DigestCredentials& c = parsed.value();
  if (c.response.size() != 32) Die("response not 32 characters", text);
  for (char ch : c.response) {
    if (!IsHexDigit(ch) || Lower(ch) != ch) Die("response not lower-case hex", text);
  }
  if (c.nc.size() != 8) Die("nc not 8 characters", text);
  for (char ch : c.nc) {
    if (!IsHexDigit(ch)) Die("nc not hex", text);
  }
  if (!EqualsIgnoreCase(c.qop, "auth")) Die("qop is not auth", text);
  if (!c.algorithm.empty() && !EqualsIgnoreCase(c.algorithm, "MD5")) Die("algorithm is not MD5", text);
  for (const std::string* s : {&c.username, &c.realm, &c.nonce, &c.cnonce, &c.opaque}) {
    if (HasControl(*s)) Die("control character in a parsed value", text);
  }
  // The response chain takes any parsed values: 32 lower-case hex digits, deterministic.
  const std::string ha1 = ComputeHa1(c.username, c.realm, "secret");
  const std::string expected = ComputeResponse(ha1, c.nonce, c.nc, c.cnonce, c.qop, c.uri.value_or(""));
  if (expected.size() != 32 || expected.find_first_not_of("0123456789abcdef") != std::string::npos) {
    Die("ComputeResponse is not 32 lower-case hex digits", text, expected);
  }
  if (!ConstantTimeEquals(expected, ComputeResponse(ha1, c.nonce, c.nc, c.cnonce, c.qop, c.uri.value_or("")))) {
    Die("ComputeResponse is not deterministic", text);
  }
  if (ConstantTimeEquals(expected, c.response) != (expected == c.response)) Die("ConstantTimeEquals differs", text);
  // Quoting the values again (our own formatter, standard quoted-string rules) reads back the same.
  const std::string again_text = FormatCredentials(c);
  Result<DigestCredentials> again = ParseAuthorization(again_text);
  if (!again.ok()) Die("re-quoted Authorization does not parse", text, again_text);
  const DigestCredentials& a = again.value();
  if (a.username != c.username || a.realm != c.realm || a.nonce != c.nonce || a.uri != c.uri ||
      a.response != c.response || a.qop != c.qop || a.nc != c.nc || a.cnonce != c.cnonce || a.opaque != c.opaque ||
      a.algorithm != c.algorithm) {
    Die("re-quoted Authorization parses to other values", text, again_text);
  }
}

/// FormatChallenge's quoting reads back through the Authorization parser (BR-17).
void CheckChallengeQuoting(std::string_view realm, std::string_view nonce, std::string_view opaque) {
  std::string challenge = FormatChallenge(realm, nonce, opaque, !opaque.empty());
  if (challenge.rfind("Digest realm=\"", 0) != 0) Die("challenge does not start with Digest realm=", challenge);
  if (challenge.find("qop=\"auth\"") == std::string::npos) Die("challenge without qop=\"auth\" (A-04)", challenge);
  if (HasControl(realm) || HasControl(nonce) || HasControl(opaque)) return;
  std::string as_credentials = "Digest username=\"u\", response=\"0123456789abcdef0123456789abcdef\", nc=00000001, "
                               "cnonce=\"c\", " + challenge.substr(7);
  Result<DigestCredentials> parsed = ParseAuthorization(as_credentials);
  if (!parsed.ok()) Die("challenge parameters do not parse back", as_credentials, parsed.error());
  if (parsed->realm != realm || parsed->nonce != nonce || parsed->opaque != opaque) {
    Die("challenge parameters parse back to other values", as_credentials);
  }
}

// ---- Header values (F-14..F-18, E-09).

void CheckHeaderValues(std::string_view text) {
  Result<ByteRange> range = ParseByteRange(text);
  if (range.ok()) {
    const ByteRange& r = range.value();
    if (r.start == 0) Die("Byte-Range start 0 accepted", text);
    if (r.end && *r.end + 1 < r.start) Die("Byte-Range end before start accepted", text);
    if (r.end && r.total && *r.end > *r.total) Die("Byte-Range end beyond total accepted", text);
    const std::string formatted = FormatByteRange(r);
    Result<ByteRange> again = ParseByteRange(formatted);
    if (!again.ok() || again->start != r.start || again->end != r.end || again->total != r.total) {
      Die("formatted Byte-Range does not parse back", text, formatted);
    }
    if (FormatByteRange(again.value()) != formatted) Die("FormatByteRange is not a fixed point", formatted);
    if (formatted.size() > text.size()) Die("formatted Byte-Range longer than its input", text, formatted);
  }

  Result<uint32_t> expires = ParseExpires(text);
  bool all_digits = !text.empty();
  for (char c : text) all_digits = all_digits && IsDigitChar(c);
  if (expires.ok()) {
    if (!all_digits) Die("Expires with non-digits accepted", text);
    std::string_view trimmed = text.substr(std::min(text.find_first_not_of('0'), text.size() - 1));
    if (std::to_string(expires.value()) != trimmed) Die("Expires value differs from its digits", text);
  } else if (all_digits) {
    std::string_view significant = text.substr(std::min(text.find_first_not_of('0'), text.size()));
    if (significant.size() < 10 || (significant.size() == 10 && significant <= "4294967295")) {
      Die("Expires within 0..2^32-1 rejected", text);
    }
  }

  Result<StatusValue> status = ParseStatus(text);
  if (status.ok()) {
    char head[16];
    std::snprintf(head, sizeof head, "%03u %03u", static_cast<unsigned>(status->ns),
                  static_cast<unsigned>(status->code));
    std::string expected = head;
    if (text.size() > 7) expected += " " + status->comment;
    if (expected != text) Die("Status does not format back to its input", text, expected);
    if (HasControl(status->comment)) Die("control character in Status comment accepted", text);
    if (ReasonPhrase(status->code).empty()) Die("empty reason phrase", text);
  }

  Result<FailureReport> report = ParseFailureReport(text);
  std::string lower(text);
  for (char& c : lower) c = Lower(c);
  bool known = lower == "yes" || lower == "no" || lower == "partial";
  if (report.ok() != known) Die("Failure-Report accepted/rejected wrongly (F-14)", text);
  if (known) {
    FailureReport want = lower == "yes" ? FailureReport::kYes : lower == "no" ? FailureReport::kNo : FailureReport::kPartial;
    if (report.value() != want) Die("Failure-Report parsed to the wrong value", text);
  }
}

// ---- htdigest users file.

void CheckUserDb(std::string_view text) {
  Result<UserDb> db = UserDb::Parse(text);
  if (!db.ok()) {
    if (db.error().rfind("line ", 0) != 0) Die("UserDb error does not name its line", text, db.error());
    return;
  }
  // Every non-blank, non-comment line is user:realm:HA1 and can be found again.
  size_t entries = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos || line.front() == '#') continue;
    size_t first = line.find(':');
    size_t last = line.rfind(':');
    if (first == std::string_view::npos || first == last) Die("UserDb accepted a line without user:realm:HA1", text);
    std::string ha1(line.substr(last + 1));
    for (char& c : ha1) c = Lower(c);
    std::optional<std::string> found = db->FindHa1(line.substr(0, first), line.substr(first + 1, last - first - 1));
    if (!found || *found != ha1) Die("UserDb entry not found again", text, line);
    ++entries;
  }
  if (db->size() != entries) Die("UserDb size differs from its entry lines", text);
}

}  // namespace
}  // namespace msrp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace msrp;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckAuthorization(text);
  CheckNonces(text, data, size);
  CheckHeaderValues(text);
  CheckUserDb(text);

  std::vector<std::string_view> lines;
  std::string_view rest = text;
  while (lines.size() < 3) {
    size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest = rest.substr(nl + 1);
  }
  const size_t split = lines.size();
  lines.resize(3);
  CheckChallengeQuoting(lines[0], lines[1], lines[2]);
  for (size_t i = 0; split > 1 && i < split; ++i) CheckAuthorization(lines[i]);
  return 0;
}
