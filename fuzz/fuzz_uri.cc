// libFuzzer target for common/uri (U-01..U-06, BR-02): ParseUri / FormatUri / UriEquals /
// ParsePath never crash, formatting round-trips, and RFC 4975 §6.1 comparison behaves as an
// equivalence that honours the case, port, session-id and transport rules. abort()s otherwise.

// Input: the whole input is tried as one URI and as a path; its lines (split at '\n', up to 3)
// are tried as URIs compared pairwise. Run: build-fuzz/fuzz_uri CORPUS_COPY -max_len=1024
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/uri.h"

namespace msrp {
namespace {

[[noreturn]] void Die(const char* what, std::string_view a, std::string_view b = {}) {
  std::fprintf(stderr, "fuzz_uri: %s\n  a: %.*s\n  b: %.*s\n", what, static_cast<int>(a.size()), a.data(),
               static_cast<int>(b.size()), b.data());
  std::abort();
}

char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string UpperAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Upper(c);
  return out;
}

bool AllowedInSessionId(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '=' || c == '/';
}

/// Fields a successful parse must satisfy whatever the input (U-01, U-06).
void CheckFields(const Uri& u, std::string_view text) {
  if (u.host.empty()) Die("empty host accepted", text);
  if (u.transport.empty()) Die("empty transport accepted", text);
  for (char c : u.transport) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum) Die("non-ALPHANUM transport accepted", text);
  }
  if (u.userinfo.find(':') != std::string::npos) Die("password in userinfo accepted (U-06)", text);
  for (char c : u.session_id) {
    if (!AllowedInSessionId(c)) Die("bad session-id character accepted", text);
  }
  if (u.port && *u.port == 0) Die("port 0 accepted", text);
  if (HostIsIpAddress(u) && !u.port) Die("numeric host without port accepted (U-06)", text);
  for (unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7f) Die("non-ASCII, control or space accepted (U-06)", text);
  }
}

/// ParseUri(FormatUri(u)) succeeds, equals u field by field, and FormatUri is a fixed point.
void CheckRoundTrip(const Uri& u, std::string_view text) {
  if (!UriEquals(u, u)) Die("UriEquals not reflexive", text);
  const std::string formatted = FormatUri(u);
  Result<Uri> again = ParseUri(formatted);
  if (!again.ok()) Die("formatted URI does not parse", text, formatted);
  const Uri& r = again.value();
  if (!UriEquals(u, r) || !UriEquals(r, u)) Die("formatted URI not equal to the original", text, formatted);
  if (r.scheme != u.scheme || r.userinfo != u.userinfo || r.host != u.host || r.host_is_ipv6 != u.host_is_ipv6 ||
      r.port != u.port || r.session_id != u.session_id || r.transport != u.transport || r.params != u.params) {
    Die("formatted URI parses to other fields", text, formatted);
  }
  if (FormatUri(r) != formatted) Die("FormatUri is not a fixed point", formatted, FormatUri(r));
}

/// Metamorphic checks of the RFC 4975 §6.1 rules on variants of u (U-02..U-05).
void CheckComparisonRules(const Uri& u, std::string_view text) {
  // Scheme, host and transport in upper case and no userinfo: still the same URI.
  Uri loud = u;
  loud.userinfo.clear();
  loud.host = UpperAscii(u.host);
  loud.transport = UpperAscii(u.transport);
  std::string loud_text = FormatUri(loud);
  size_t sep = loud_text.find("://");
  for (size_t i = 0; i < sep; ++i) loud_text[i] = Upper(loud_text[i]);
  Result<Uri> loud_parsed = ParseUri(loud_text);
  if (!loud_parsed.ok()) Die("upper-cased URI does not parse", text, loud_text);
  if (!UriEquals(u, loud_parsed.value()) || !UriEquals(loud_parsed.value(), u)) {
    Die("case of scheme/host/transport or userinfo changed equality (U-02, U-03, U-05)", text, loud_text);
  }

  // Each of these changes one compared part: never equal.
  Uri other = u;
  other.scheme = u.scheme == Scheme::kMsrp ? Scheme::kMsrps : Scheme::kMsrp;
  if (UriEquals(u, other) || UriEquals(other, u)) Die("msrp equals msrps (U-02)", text);
  other = u;
  other.port = u.port ? std::optional<uint16_t>() : std::optional<uint16_t>(2855);
  if (UriEquals(u, other) || UriEquals(other, u)) Die("absent port equals present port (U-04)", text);
  if (u.port) {
    other.port = static_cast<uint16_t>(*u.port % 65535 + 1);
    if (UriEquals(u, other)) Die("different ports compare equal (U-04)", text);
  }
  other = u;
  other.session_id = u.session_id.empty() ? "s" : std::string();
  if (UriEquals(u, other) || UriEquals(other, u)) Die("absent session-id equals present (U-05)", text);
  other = u;
  other.session_id += "x";
  if (UriEquals(u, other)) Die("different session-ids compare equal (U-05)", text);
  bool has_lower = false;
  for (char c : u.session_id) has_lower = has_lower || (c >= 'a' && c <= 'z');
  if (has_lower) {
    other.session_id = UpperAscii(u.session_id);
    if (UriEquals(u, other)) Die("session-id compared case-insensitively (U-05)", text);
  }
  other = u;
  other.transport += "x";
  if (UriEquals(u, other)) Die("different transports compare equal (U-05)", text);
}

/// ParsePath agrees with ParseUri on single URIs and round-trips through FormatPath.
void CheckPath(std::string_view text, const Result<Uri>& single) {
  Result<std::vector<Uri>> path = ParsePath(text);
  if (!text.empty() && text.find(' ') == std::string_view::npos && path.ok() != single.ok()) {
    Die("ParsePath and ParseUri disagree on one URI", text);
  }
  if (!path.ok()) {
    if (path.error().empty()) Die("ParsePath error without a message", text);
    return;
  }
  const std::vector<Uri>& uris = path.value();
  if (uris.empty()) Die("ParsePath returned an empty list", text);
  size_t spaces = 0;
  for (char c : text) spaces += c == ' ';
  if (uris.size() != spaces + 1) Die("ParsePath URI count is not SP count + 1", text);
  const std::string formatted = FormatPath(uris);
  Result<std::vector<Uri>> again = ParsePath(formatted);
  if (!again.ok() || again.value().size() != uris.size()) Die("formatted path does not parse back", text, formatted);
  for (size_t i = 0; i < uris.size(); ++i) {
    if (!UriEquals(uris[i], again.value()[i])) Die("formatted path URI differs", text, formatted);
  }
  if (FormatPath(again.value()) != formatted) Die("FormatPath is not a fixed point", formatted);
}

}  // namespace
}  // namespace msrp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace msrp;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  Result<Uri> whole = ParseUri(text);
  if (whole.ok()) {
    CheckFields(whole.value(), text);
    CheckRoundTrip(whole.value(), text);
    CheckComparisonRules(whole.value(), text);
  } else if (whole.error().empty()) {
    Die("ParseUri error without a message", text);
  }
  CheckPath(text, whole);

  // Up to three lines as URIs: reflexive, symmetric and transitive where they parse.
  std::vector<std::string_view> parts;
  std::string_view rest = text;
  while (parts.size() < 3) {
    size_t nl = rest.find('\n');
    parts.push_back(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest = rest.substr(nl + 1);
  }
  if (parts.size() < 2) return 0;
  std::vector<Uri> uris;
  std::vector<std::string_view> texts;
  for (std::string_view p : parts) {
    Result<Uri> u = ParseUri(p);
    if (!u.ok()) continue;
    CheckRoundTrip(u.value(), p);
    uris.push_back(std::move(u).value());
    texts.push_back(p);
  }
  for (size_t i = 0; i < uris.size(); ++i) {
    for (size_t j = 0; j < uris.size(); ++j) {
      if (UriEquals(uris[i], uris[j]) != UriEquals(uris[j], uris[i])) Die("UriEquals not symmetric", texts[i], texts[j]);
      if (!UriEquals(uris[i], uris[j])) continue;
      for (size_t k = 0; k < uris.size(); ++k) {
        if (UriEquals(uris[j], uris[k]) && !UriEquals(uris[i], uris[k])) {
          Die("UriEquals not transitive", texts[i], texts[k]);
        }
      }
    }
  }
  return 0;
}
