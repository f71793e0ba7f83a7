// MSRP URIs (RFC 4975 §6, §9): parse, format and compare.
// msrp(s)://[userinfo@]host[:port][/session-id];transport[;param]*
// IPv6 literals are bracketed on the wire; the brackets are not part of Uri::host.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace msrp {

enum class Scheme { kMsrp, kMsrps };

/// A parsed MSRP URI. Strings keep the case they had on the wire.
struct Uri {
  Scheme scheme = Scheme::kMsrps;
  std::string userinfo;               ///< without the '@'; empty when absent (U-06: no password allowed)
  std::string host;                   ///< reg-name, IPv4 or IPv6 literal (without brackets)
  bool host_is_ipv6 = false;          ///< true when the host was written as "[...]"
  std::optional<uint16_t> port;       ///< absent when the URI has no ":port" (U-04)
  std::string session_id;             ///< empty when absent; may hold '/', '+', '=' (U-01)
  std::string transport;              ///< e.g. "tcp", "ws" (U-01: 1*ALPHANUM)
  std::vector<std::string> params;    ///< further ";name[=value]" parameters, without the ';'
};

/// Parses one MSRP URI (U-01, U-06). Errors: a reason naming the part that is wrong.
/// Rejects: unknown scheme, missing ";transport", numeric host without port, password in
/// userinfo, non-ASCII or control bytes, empty host, port out of 1..65535.
Result<Uri> ParseUri(std::string_view text);

/// Formats a URI back to wire form (brackets kept for IPv6, BR-02). ParseUri(FormatUri(u)) == u.
std::string FormatUri(const Uri& uri);

/// RFC 4975 §6.1 comparison (U-02..U-05): scheme and transport case-insensitive, host
/// case-insensitive, userinfo ignored, port compared exactly (absent != present),
/// session-id case-sensitive (absent != present).
bool UriEquals(const Uri& a, const Uri& b);

/// True when the host is an IPv4 or IPv6 literal rather than a name. Use-Path URIs the relay
/// mints must use an FQDN (U-07); numeric hosts always carry a port (U-06).
bool HostIsIpAddress(const Uri& uri);

/// Parses a To-Path / From-Path / Use-Path value: one or more URIs separated by single SPs
/// (RFC 4975 §9 `MSRP-URI *(SP MSRP-URI)`). Errors on an empty list or any bad URI.
Result<std::vector<Uri>> ParsePath(std::string_view value);

/// Formats a path list: URIs joined by single SPs.
std::string FormatPath(const std::vector<Uri>& path);

}  // namespace msrp
