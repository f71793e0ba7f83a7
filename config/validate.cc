// Validation of a parsed configuration: required keys, ranges, cross-field rules (expires,
// watermarks, duplicate listeners), host name and address syntax, and referenced files.

#include "config/validate.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace msrp::config {
namespace {

constexpr size_t kMaxHostNameLength = 253;
constexpr size_t kMaxLabelLength = 63;
constexpr uint32_t kMinHeadBytes = 1024;
constexpr uint32_t kMaxHeadBytes = 1048576;
constexpr uint32_t kMinConnectTimeout = 1;
constexpr uint32_t kMaxConnectTimeout = 300;
constexpr uint32_t kMinPeerIdleTimeout = 1;
constexpr uint32_t kMaxPeerIdleTimeout = 86400;
constexpr uint64_t kMinOutgoingChunkBytes = 2048;
constexpr uint64_t kMaxOutgoingChunkBytes = 1073741824;
constexpr const char* kIpLiteralProblem =
    "must be a host name, not an IP address literal (Use-Path URIs use an FQDN, RFC 4976 §8)";
constexpr const char* kPeerIpLiteralProblem = "must be a host name, not an IP address literal";
constexpr const char* kLogLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};

/// Appends errors at the line of the key they are about.
class Reporter {
 public:
  Reporter(const KeyLocations& where, std::vector<ConfigError>* errors)
      : where_(where), errors_(errors) {}

  void Add(const std::string& key, std::string message) {
    errors_->push_back(ConfigError{where_.file(), where_.LineOf(key), key, std::move(message)});
    failed_.insert(key);
  }

  /// True when rules about `key` should run: it parsed and no single-value rule failed on it.
  bool Usable(const std::string& key) const {
    return !where_.Invalid(key) && failed_.count(key) == 0;
  }

  /// Missing required key (unless its section could not be parsed).
  void Required(const std::string& key) {
    if (!where_.Given(key) && !where_.Invalid(key)) Add(key, "required key is missing");
  }

  /// value > 0, for keys that parsed.
  void Positive(const std::string& key, uint64_t value) {
    if (!where_.Invalid(key) && value == 0) Add(key, "must be > 0");
  }

  /// min <= value <= max, for keys that parsed.
  void Between(const std::string& key, uint64_t value, uint64_t min, uint64_t max) {
    if (!where_.Invalid(key) && (value < min || value > max)) {
      Add(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
  }

  /// a <= b (or a < b when strict). Reported on the key the user wrote: a if given, else b.
  void Ordered(const std::string& a, uint64_t va, const std::string& b, uint64_t vb, bool strict) {
    if (!Usable(a) || !Usable(b)) return;
    bool ok = strict ? va < vb : va <= vb;
    if (ok) return;
    if (where_.Given(a) || !where_.Given(b)) {
      Add(a, std::string(strict ? "must be < " : "must be <= ") + b + " (" + std::to_string(vb) + ")");
    } else {
      Add(b, std::string(strict ? "must be > " : "must be >= ") + a + " (" + std::to_string(va) + ")");
    }
  }

  const KeyLocations& where() const { return where_; }

 private:
  const KeyLocations& where_;
  std::vector<ConfigError>* errors_;
  std::set<std::string> failed_;
};

/// A character for a message: itself when printable, else \xNN.
std::string Printable(char c) {
  if (std::isprint(static_cast<unsigned char>(c))) return std::string(1, c);
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
  return buf;
}

bool IsIpv4Literal(const std::string& s) {
  in_addr a4;
  return inet_pton(AF_INET, s.c_str(), &a4) == 1;
}

bool IsIpv6Literal(const std::string& s) {
  in6_addr a6;
  return inet_pton(AF_INET6, s.c_str(), &a6) == 1;
}

bool AllDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Binary form of an address literal plus port, so "::1" and "0::1" compare equal.
std::string ListenerKey(const ListenConfig& l) {
  unsigned char buf[sizeof(in6_addr)] = {};
  std::string key;
  if (inet_pton(AF_INET, l.address.c_str(), buf) == 1) {
    key.assign("4");
    key.append(reinterpret_cast<char*>(buf), sizeof(in_addr));
  } else if (inet_pton(AF_INET6, l.address.c_str(), buf) == 1) {
    key.assign("6");
    key.append(reinterpret_cast<char*>(buf), sizeof(in6_addr));
  } else {
    return "";
  }
  key.append(":" + std::to_string(l.port));
  return key;
}

std::string FormatListener(const ListenConfig& l) {
  if (l.address.find(':') != std::string::npos) {
    return "[" + l.address + "]:" + std::to_string(l.port);
  }
  return l.address + ":" + std::to_string(l.port);
}

void ValidateRelay(const RelaySection& relay, Reporter& r) {
  const KeyLocations& where = r.where();
  r.Required("relay.hostname");
  if (where.Given("relay.hostname") && !where.Invalid("relay.hostname")) {
    std::string problem = HostNameProblem(relay.hostname);
    if (!problem.empty()) r.Add("relay.hostname", problem);
  }

  r.Required("relay.listen");
  if (where.Given("relay.listen") && !where.Invalid("relay.listen") && relay.listen.empty()) {
    r.Add("relay.listen", "must have at least one entry");
  }
  std::map<std::string, size_t> seen;  // listener key -> first index
  for (size_t i = 0; i < relay.listen.size(); ++i) {
    const ListenConfig& l = relay.listen[i];
    std::string item = "relay.listen[" + std::to_string(i) + "]";
    if (where.Invalid(item)) continue;
    std::string address_key = item + ".address";
    if (where.Invalid(address_key)) continue;
    if (!IsIpv4Literal(l.address) && !IsIpv6Literal(l.address)) {
      r.Add(address_key, "expected an IPv4 or IPv6 address literal, got '" + l.address + "'");
      continue;
    }
    if (l.port == 0 || where.Invalid(item + ".port")) continue;  // 0: each gets its own port
    auto [it, inserted] = seen.emplace(ListenerKey(l), i);
    if (!inserted) {
      r.Add(item, "duplicate listener " + FormatListener(l) + " (same as relay.listen[" +
                      std::to_string(it->second) + "])");
    }
  }
}

void ValidateNonEmpty(const std::string& key, const std::string& value, Reporter& r) {
  if (r.where().Given(key) && !r.where().Invalid(key) && value.empty()) {
    r.Add(key, "must not be empty");
  }
}

void ValidateTls(const TlsSection& tls, Reporter& r) {
  r.Required("tls.certificate");
  ValidateNonEmpty("tls.certificate", tls.certificate, r);
  r.Required("tls.private_key");
  ValidateNonEmpty("tls.private_key", tls.private_key, r);
  // tls.ca_file is optional; empty means the system store.
}

void ValidateAuth(const AuthSection& auth, Reporter& r) {
  const KeyLocations& where = r.where();
  r.Required("auth.realm");
  ValidateNonEmpty("auth.realm", auth.realm, r);
  if (where.Given("auth.realm") && !where.Invalid("auth.realm")) {
    // The realm is sent inside a quoted-string of WWW-Authenticate (RFC 2617).
    bool bad = std::any_of(auth.realm.begin(), auth.realm.end(), [](char c) {
      auto u = static_cast<unsigned char>(c);
      return c == '"' || c == '\\' || u < 0x20 || u == 0x7f;
    });
    if (bad) r.Add("auth.realm", "must not contain '\"', '\\' or control characters");
  }
  r.Required("auth.users_file");
  ValidateNonEmpty("auth.users_file", auth.users_file, r);

  r.Positive("auth.expires.min", auth.expires.min);
  r.Ordered("auth.expires.min", auth.expires.min, "auth.expires.default", auth.expires.default_s,
            false);
  r.Ordered("auth.expires.default", auth.expires.default_s, "auth.expires.max", auth.expires.max,
            false);
  r.Positive("auth.nonce_lifetime", auth.nonce_lifetime);
  r.Positive("auth.max_failures", auth.max_failures);
}

void ValidateLimits(const LimitsSection& l, Reporter& r) {
  const KeyLocations& where = r.where();
  r.Between("limits.max_head_bytes", l.max_head_bytes, kMinHeadBytes, kMaxHeadBytes);
  r.Positive("limits.max_headers", l.max_headers);
  r.Positive("limits.max_non_send_body", l.max_non_send_body);
  r.Positive("limits.probation", l.probation);
  r.Positive("limits.transaction_timeout", l.transaction_timeout);
  r.Positive("limits.high_watermark", l.high_watermark);
  r.Positive("limits.low_watermark", l.low_watermark);
  r.Positive("limits.max_queue_bytes", l.max_queue_bytes);
  r.Positive("limits.stall_timeout", l.stall_timeout);
  r.Positive("limits.max_connections", l.max_connections);
  r.Positive("limits.handshake_timeout", l.handshake_timeout);
  r.Positive("limits.max_connections_per_ip", l.max_connections_per_ip);
  r.Positive("limits.max_pending_transactions", l.max_pending_transactions);
  r.Positive("limits.idle_timeout", l.idle_timeout);
  r.Ordered("limits.low_watermark", l.low_watermark, "limits.high_watermark", l.high_watermark,
            true);
  r.Ordered("limits.high_watermark", l.high_watermark, "limits.max_queue_bytes",
            l.max_queue_bytes, true);
  if (!where.Invalid("limits.outgoing_chunk_bytes") && l.outgoing_chunk_bytes != 0 &&
      (l.outgoing_chunk_bytes < kMinOutgoingChunkBytes ||
       l.outgoing_chunk_bytes > kMaxOutgoingChunkBytes)) {
    r.Add("limits.outgoing_chunk_bytes", "must be 0 (never split) or between " +
                                             std::to_string(kMinOutgoingChunkBytes) + " and " +
                                             std::to_string(kMaxOutgoingChunkBytes));
  }
}

/// HostNameProblem for a peer's name (peers.hosts keys, peers.relays patterns): the same
/// rules, without the Use-Path wording for IP literals.
std::string PeerHostProblem(const std::string& name) {
  std::string problem = HostNameProblem(name);
  return problem == kIpLiteralProblem ? kPeerIpLiteralProblem : problem;
}

/// Why `pattern` is neither a host name nor "*.domain", or "".
std::string RelayPatternProblem(const std::string& pattern) {
  std::string name = pattern;
  if (name.rfind("*.", 0) == 0) name.erase(0, 2);
  if (name.find('*') != std::string::npos) {
    return "'*' is allowed only as the whole left-most label ('*.example.net'), got '" + pattern + "'";
  }
  if (name.empty() && !pattern.empty()) return "expected a domain after '*.', got '" + pattern + "'";
  return PeerHostProblem(name);
}

void ValidatePeers(const PeersSection& p, Reporter& r) {
  const KeyLocations& where = r.where();
  r.Between("peers.connect_timeout", p.connect_timeout, kMinConnectTimeout, kMaxConnectTimeout);
  r.Between("peers.idle_timeout", p.idle_timeout, kMinPeerIdleTimeout, kMaxPeerIdleTimeout);
  auto patterns = [&](const std::string& key, const std::vector<std::string>& list) {
    for (size_t i = 0; i < list.size(); ++i) {
      std::string item = key + "[" + std::to_string(i) + "]";
      if (where.Invalid(item)) continue;
      std::string problem = RelayPatternProblem(list[i]);
      if (!problem.empty()) r.Add(item, problem);
    }
  };
  patterns("peers.relays.allow", p.relays_allow);
  patterns("peers.relays.deny", p.relays_deny);
  for (const auto& [name, addresses] : p.hosts) {
    std::string key = "peers.hosts[" + name + "]";
    if (where.Invalid(key)) continue;
    std::string problem = PeerHostProblem(name);
    if (!problem.empty()) {
      r.Add(key, problem);
    } else if (addresses.empty()) {
      r.Add(key, "must have at least one entry");
    }
  }
}

void ValidateMetrics(const MetricsSection& m, Reporter& r) {
  if (!m.enabled || r.where().Invalid("metrics.address")) return;
  if (!IsIpv4Literal(m.address) && !IsIpv6Literal(m.address)) {
    r.Add("metrics.address", "expected an IPv4 or IPv6 address literal, got '" + m.address + "'");
  }
}

void ValidateLog(const LogSection& log, Reporter& r) {
  const KeyLocations& where = r.where();
  if (!where.Invalid("log.level") &&
      std::none_of(std::begin(kLogLevels), std::end(kLogLevels),
                   [&](const char* name) { return log.level == name; })) {
    r.Add("log.level",
          "must be one of trace, debug, info, warn, error, critical, off; got '" + log.level + "'");
  }
  if (!where.Invalid("log.format") && log.format != "text" && log.format != "json") {
    r.Add("log.format", "must be 'text' or 'json', got '" + log.format + "'");
  }
}

void CheckFile(const std::string& key, const std::string& path, const KeyLocations& where,
               std::vector<ConfigError>* errors) {
  if (path.empty() || !where.Given(key) || where.Invalid(key)) return;
  auto add = [&](std::string message) {
    errors->push_back(ConfigError{where.file(), where.LineOf(key), key, std::move(message)});
  };
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int e = errno;
    if (e == ENOENT || e == ENOTDIR) {
      add("file not found: " + path);
    } else {
      add("not readable: " + path + " (" + std::system_category().message(e) + ")");
    }
    return;
  }
  if (!S_ISREG(st.st_mode)) {
    add("not a regular file: " + path);
    return;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int e = errno;
    add("not readable: " + path + " (" + std::system_category().message(e) + ")");
    return;
  }
  ::close(fd);
}

}  // namespace

bool KeyLocations::Invalid(std::string_view path) const {
  for (std::string_view p = path; !p.empty(); p = Parent(p)) {
    if (invalid_.find(p) != invalid_.end()) return true;
  }
  return false;
}

int KeyLocations::LineOf(std::string_view path) const {
  for (std::string_view p = path; !p.empty(); p = Parent(p)) {
    auto it = lines_.find(p);
    if (it != lines_.end()) return it->second;
  }
  return 0;
}

std::string_view KeyLocations::Parent(std::string_view path) {
  if (!path.empty() && path.back() == ']') {
    size_t open = path.rfind('[');
    return open == std::string_view::npos ? std::string_view() : path.substr(0, open);
  }
  size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : path.substr(0, dot);
}

std::string HostNameProblem(const std::string& name) {
  if (name.empty()) return "must not be empty";
  if (name.find(':') != std::string::npos || name.front() == '[') {
    std::string inner = name;
    if (inner.size() >= 2 && inner.front() == '[' && inner.back() == ']') {
      inner = inner.substr(1, inner.size() - 2);
    }
    if (IsIpv6Literal(inner)) return kIpLiteralProblem;
  }
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
    if (!ok) {
      return "invalid character '" + Printable(c) +
             "' in host name (letters, digits, hyphens and dots only)";
    }
  }
  if (name.size() > kMaxHostNameLength) {
    return "host name longer than " + std::to_string(kMaxHostNameLength) + " characters";
  }
  std::string_view rest = name;
  std::string_view last;
  while (true) {
    size_t dot = rest.find('.');
    std::string_view label = rest.substr(0, dot);
    if (label.empty()) return "empty label in host name '" + name + "'";
    if (label.size() > kMaxLabelLength) {
      return "label '" + std::string(label) + "' longer than " + std::to_string(kMaxLabelLength) +
             " characters";
    }
    if (label.front() == '-' || label.back() == '-') {
      return "label '" + std::string(label) + "' starts or ends with a hyphen";
    }
    last = label;
    if (dot == std::string_view::npos) break;
    rest = rest.substr(dot + 1);
  }
  // "1.2.3.4", "127.1" and "2130706433" are IPv4 literals to inet_aton; a top label is never
  // all digits (RFC 1123 §2.1).
  if (AllDigits(last)) return kIpLiteralProblem;
  return "";
}

void ValidateConfig(const Config& config, const KeyLocations& where,
                    std::vector<ConfigError>* errors) {
  Reporter r(where, errors);
  ValidateRelay(config.relay, r);
  ValidateTls(config.tls, r);
  ValidateAuth(config.auth, r);
  ValidateLimits(config.limits, r);
  ValidateLog(config.log, r);
  ValidateMetrics(config.metrics, r);
  ValidatePeers(config.peers, r);
}

void CheckReferencedFiles(const Config& config, const KeyLocations& where,
                          std::vector<ConfigError>* errors) {
  CheckFile("tls.certificate", config.tls.certificate, where, errors);
  CheckFile("tls.private_key", config.tls.private_key, where, errors);
  CheckFile("tls.ca_file", config.tls.ca_file, where, errors);
  CheckFile("auth.users_file", config.auth.users_file, where, errors);
}

}  // namespace msrp::config
