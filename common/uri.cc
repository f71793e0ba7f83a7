// MSRP URI parsing, formatting and RFC 4975 §6.1 comparison (U-01..U-07, BR-02).
// Strict on what the ABNF forbids (no password, no non-ASCII, numeric hosts need a port),
// lenient only where RFC 3986 allows variation (scheme / transport case, percent-encoding).
#include "common/uri.h"

#include <arpa/inet.h>

#include <array>

namespace msrp {
namespace {

constexpr std::string_view kSchemeSep = "://";
constexpr size_t kMaxPortDigits = 5;

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// RFC 3986 unreserved.
bool IsUnreserved(char c) { return IsAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

// RFC 3986 sub-delims.
bool IsSubDelim(char c) {
  return c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' ||
         c == '+' || c == ',' || c == ';' || c == '=';
}

// RFC 3261 token characters (RFC 4975 URI-parameter = token ["=" token]).
bool IsTokenChar(char c) {
  return IsAlnum(c) || c == '-' || c == '.' || c == '!' || c == '%' || c == '*' || c == '_' ||
         c == '+' || c == '`' || c == '\'' || c == '~';
}

char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char ToUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// True when every "%" in `s` starts a valid "%XX" triplet.
bool PercentEncodingValid(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') continue;
    if (i + 2 >= s.size() || !IsHex(s[i + 1]) || !IsHex(s[i + 2])) return false;
    i += 2;
  }
  return true;
}

bool ParseScheme(std::string_view text, Scheme* scheme) {
  std::string lower;
  for (char c : text) lower.push_back(ToLower(c));
  if (lower == "msrp") {
    *scheme = Scheme::kMsrp;
    return true;
  }
  if (lower == "msrps") {
    *scheme = Scheme::kMsrps;
    return true;
  }
  return false;
}

// RFC 3986 dec-octet "." dec-octet "." dec-octet "." dec-octet (no leading zeros).
bool IsIpv4(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (i <= s.size() && parts < 4) {
    size_t start = i;
    int value = 0;
    while (i < s.size() && IsDigit(s[i]) && i - start < 3) {
      value = value * 10 + (s[i] - '0');
      ++i;
    }
    size_t len = i - start;
    if (len == 0 || value > 255 || (len > 1 && s[start] == '0')) return false;
    ++parts;
    if (parts == 4) return i == s.size();
    if (i >= s.size() || s[i] != '.') return false;
    ++i;
  }
  return false;
}

bool AllDigitsAndDots(std::string_view s) {
  for (char c : s) {
    if (!IsDigit(c) && c != '.') return false;
  }
  return !s.empty();
}

// Host text normalised for comparison: unreserved percent-escapes decoded, other escapes
// upper-cased, everything else lower-cased (RFC 4975 §6.1 rule 2, RFC 3986 §6.2.2).
std::string NormalizeRegName(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && IsHex(s[i + 1]) && IsHex(s[i + 2])) {
      char decoded = static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      if (IsUnreserved(decoded)) {
        out.push_back(ToLower(decoded));
      } else {
        out.push_back('%');
        out.push_back(ToUpper(s[i + 1]));
        out.push_back(ToUpper(s[i + 2]));
      }
      i += 2;
      continue;
    }
    out.push_back(ToLower(s[i]));
  }
  return out;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

bool HostsEqual(const Uri& a, const Uri& b) {
  if (a.host_is_ipv6 != b.host_is_ipv6) return false;
  if (a.host_is_ipv6) {
    std::array<unsigned char, 16> xa{};
    std::array<unsigned char, 16> xb{};
    std::string ha(a.host);
    std::string hb(b.host);
    if (inet_pton(AF_INET6, ha.c_str(), xa.data()) != 1) return false;
    if (inet_pton(AF_INET6, hb.c_str(), xb.data()) != 1) return false;
    return xa == xb;
  }
  return NormalizeRegName(a.host) == NormalizeRegName(b.host);
}

Result<Uri> Fail(std::string what) { return Err("bad MSRP URI: " + what); }

}  // namespace

Result<Uri> ParseUri(std::string_view text) {
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return Fail("non-ASCII, control or space character");
  }
  Uri uri;
  size_t sep = text.find(kSchemeSep);
  if (sep == std::string_view::npos) return Fail("missing \"://\"");
  if (!ParseScheme(text.substr(0, sep), &uri.scheme)) return Fail("unknown scheme");
  std::string_view rest = text.substr(sep + kSchemeSep.size());

  // userinfo: everything before the '@' (no '@' may appear anywhere else in an MSRP URI).
  size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    if (userinfo.empty()) return Fail("empty userinfo");
    for (char c : userinfo) {
      if (c == ':') return Fail("password in userinfo (U-06)");
      if (!IsUnreserved(c) && !IsSubDelim(c) && c != '%') return Fail("bad character in userinfo");
    }
    if (!PercentEncodingValid(userinfo)) return Fail("bad percent-encoding in userinfo");
    uri.userinfo = std::string(userinfo);
    rest = rest.substr(at + 1);
  }

  // host
  size_t host_end = 0;
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return Fail("unterminated IPv6 literal");
    std::string literal(rest.substr(1, close - 1));
    std::array<unsigned char, 16> addr{};
    if (literal.empty() || inet_pton(AF_INET6, literal.c_str(), addr.data()) != 1) {
      return Fail("bad IPv6 literal in host");
    }
    uri.host = literal;
    uri.host_is_ipv6 = true;
    host_end = close + 1;
    if (host_end < rest.size() && rest[host_end] != ':' && rest[host_end] != '/' &&
        rest[host_end] != ';') {
      return Fail("unexpected character after IPv6 literal");
    }
  } else {
    while (host_end < rest.size() && rest[host_end] != ':' && rest[host_end] != '/' &&
           rest[host_end] != ';') {
      char c = rest[host_end];
      if (!IsUnreserved(c) && c != '%') return Fail("bad character in host");
      ++host_end;
    }
    std::string_view host = rest.substr(0, host_end);
    if (host.empty()) return Fail("empty host");
    if (!PercentEncodingValid(host)) return Fail("bad percent-encoding in host");
    if (AllDigitsAndDots(host) && !IsIpv4(host)) return Fail("bad IPv4 address in host");
    uri.host = std::string(host);
  }
  rest = rest.substr(host_end);

  // port
  if (!rest.empty() && rest[0] == ':') {
    size_t i = 1;
    while (i < rest.size() && IsDigit(rest[i])) ++i;
    std::string_view digits = rest.substr(1, i - 1);
    if (digits.empty()) return Fail("empty port");
    if (digits.size() > kMaxPortDigits) return Fail("port out of range");
    uint32_t port = 0;
    for (char c : digits) port = port * 10 + static_cast<uint32_t>(c - '0');
    if (port == 0 || port > 65535) return Fail("port out of range");
    uri.port = static_cast<uint16_t>(port);
    rest = rest.substr(i);
  }
  if (!uri.port && (uri.host_is_ipv6 || IsIpv4(uri.host))) {
    return Fail("numeric host without port (U-06)");
  }

  // session-id
  if (!rest.empty() && rest[0] == '/') {
    size_t i = 1;
    while (i < rest.size() && rest[i] != ';') {
      char c = rest[i];
      if (!IsUnreserved(c) && c != '+' && c != '=' && c != '/') {
        return Fail("bad character in session-id");
      }
      ++i;
    }
    if (i == 1) return Fail("empty session-id");
    uri.session_id = std::string(rest.substr(1, i - 1));
    rest = rest.substr(i);
  }

  // ";" transport *(";" param)
  if (rest.empty() || rest[0] != ';') {
    return Fail(rest.empty() ? "missing \";transport\" (U-01)" : "unexpected character after authority");
  }
  rest = rest.substr(1);
  bool first = true;
  // Each iteration consumes one ";"-separated element, so the loop ends within rest.size()+1.
  for (size_t guard = 0; guard <= text.size(); ++guard) {
    size_t semi = rest.find(';');
    std::string_view element = rest.substr(0, semi);
    if (first) {
      if (element.empty()) return Fail("empty transport");
      for (char c : element) {
        if (!IsAlnum(c)) return Fail("bad character in transport");
      }
      uri.transport = std::string(element);
      first = false;
    } else {
      size_t eq = element.find('=');
      std::string_view name = element.substr(0, eq);
      if (name.empty()) return Fail("empty URI parameter");
      for (char c : name) {
        if (!IsTokenChar(c)) return Fail("bad character in URI parameter");
      }
      if (eq != std::string_view::npos) {
        std::string_view value = element.substr(eq + 1);
        if (value.empty()) return Fail("empty URI parameter value");
        for (char c : value) {
          if (!IsTokenChar(c)) return Fail("bad character in URI parameter value");
        }
      }
      uri.params.emplace_back(element);
    }
    if (semi == std::string_view::npos) return uri;
    rest = rest.substr(semi + 1);
  }
  return Fail("too many parameters");
}

std::string FormatUri(const Uri& uri) {
  std::string out = uri.scheme == Scheme::kMsrps ? "msrps://" : "msrp://";
  if (!uri.userinfo.empty()) {
    out += uri.userinfo;
    out += '@';
  }
  if (uri.host_is_ipv6) {
    out += '[';
    out += uri.host;
    out += ']';
  } else {
    out += uri.host;
  }
  if (uri.port) {
    out += ':';
    out += std::to_string(*uri.port);
  }
  if (!uri.session_id.empty()) {
    out += '/';
    out += uri.session_id;
  }
  out += ';';
  out += uri.transport;
  for (const std::string& param : uri.params) {
    out += ';';
    out += param;
  }
  return out;
}

bool UriEquals(const Uri& a, const Uri& b) {
  if (a.scheme != b.scheme) return false;                       // U-02
  if (!HostsEqual(a, b)) return false;                          // U-03 (userinfo ignored)
  if (a.port != b.port) return false;                           // U-04
  if (a.session_id != b.session_id) return false;               // U-05
  return EqualsNoCase(a.transport, b.transport);                // U-05
}

bool HostIsIpAddress(const Uri& uri) { return uri.host_is_ipv6 || IsIpv4(uri.host); }

Result<std::vector<Uri>> ParsePath(std::string_view value) {
  if (value.empty()) return Err("empty path");
  std::vector<Uri> out;
  size_t pos = 0;
  // Each iteration consumes at least one character, so the loop is bounded by value.size().
  while (pos <= value.size()) {
    size_t sp = value.find(' ', pos);
    std::string_view item = value.substr(pos, sp == std::string_view::npos ? sp : sp - pos);
    if (item.empty()) return Err("path URIs must be separated by exactly one SP");
    Result<Uri> uri = ParseUri(item);
    if (!uri.ok()) return Err(uri.error());
    out.push_back(std::move(uri).value());
    if (sp == std::string_view::npos) return out;
    pos = sp + 1;
  }
  return Err("path URIs must be separated by exactly one SP");
}

std::string FormatPath(const std::vector<Uri>& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (i > 0) out += ' ';
    out += FormatUri(path[i]);
  }
  return out;
}

}  // namespace msrp
