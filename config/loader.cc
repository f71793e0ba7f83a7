// YAML -> Config: walks the document with yaml-cpp, reports unknown/duplicate keys and wrong
// types with their line, resolves relative paths, then runs validate.cc. Never throws.

#include "config/loader.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <sstream>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "config/validate.h"

namespace msrp::config {
namespace {

constexpr size_t kMaxQuotedValue = 40;       // longer scalars are cut in messages
constexpr size_t kReadChunk = 64 * 1024;

/// 1-based line of a node, or `fallback` when yaml-cpp has no mark for it.
int LineOfNode(const YAML::Node& node, int fallback) {
  YAML::Mark mark = node.Mark();
  return mark.is_null() ? fallback : mark.line + 1;
}

/// `s` cut to kMaxQuotedValue characters ("..." appended when cut), for messages.
std::string Shorten(const std::string& s) {
  return s.size() > kMaxQuotedValue ? s.substr(0, kMaxQuotedValue) + "..." : s;
}

/// How a node looks in "got ..." messages: 'text', a sequence, a mapping, an empty value.
std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "'" + Shorten(node.Scalar()) + "'";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "an empty value";
}

/// Edit distance with adjacent transpositions counted as one edit (case-insensitive).
size_t EditDistance(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string Join(const std::string& parent, std::string_view name) {
  return parent.empty() ? std::string(name) : parent + "." + std::string(name);
}

/// A decimal integer "[+-]?[0-9]+" converted into [0, max]; the message when it is not one.
template <typename T>
std::string ParseUnsigned(const std::string& text, T* out) {
  static_assert(std::is_unsigned_v<T>);
  constexpr uint64_t kMax = std::numeric_limits<T>::max();
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return "expected an integer, got '" + Shorten(text) + "'";
  }
  uint64_t value = 0;
  bool overflow = false;
  for (char c : s) {
    auto digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      overflow = true;
      break;
    }
    value = value * 10 + digit;
  }
  if (overflow || value > kMax || (negative && value != 0)) {
    return "expected an integer in 0.." + std::to_string(kMax) + ", got " + Shorten(text);
  }
  *out = static_cast<T>(value);
  return "";
}

std::string ToLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// "192.0.2.7", "192.0.2.7:4000", "2001:db8::7", "[2001:db8::7]" or "[2001:db8::7]:2855"
/// (inet_pton checks the address; a port is 1..65535) into `out`; the message when it is not.
std::string ParseHostAddress(const std::string& text, StaticHostAddress* out) {
  const std::string bad =
      "expected an IPv4 or IPv6 address literal with an optional :port, got '" + Shorten(text) + "'";
  std::string address;
  std::string port;
  bool has_port = false;
  unsigned char buf[sizeof(in6_addr)];
  if (text.find('\0') != std::string::npos) return bad;  // inet_pton would stop at it
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos) return bad;
    address = text.substr(1, close - 1);
    if (inet_pton(AF_INET6, address.c_str(), buf) != 1) return bad;
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return bad;
      has_port = true;
      port = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') > 1) {
    address = text;  // bare IPv6, no port
    if (inet_pton(AF_INET6, address.c_str(), buf) != 1) return bad;
  } else {
    size_t colon = text.find(':');
    address = text.substr(0, colon);
    if (inet_pton(AF_INET, address.c_str(), buf) != 1) return bad;
    if (colon != std::string::npos) {
      has_port = true;
      port = text.substr(colon + 1);
    }
  }
  uint32_t value = 0;
  if (has_port) {
    bool digits = !port.empty() && port.size() <= 5 &&
                  std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) {
      for (char c : port) value = value * 10 + static_cast<uint32_t>(c - '0');
    }
    if (!digits || value == 0 || value > 65535) {
      return "expected a port in 1..65535, got '" + Shorten(port) + "' in '" + Shorten(text) + "'";
    }
  }
  out->address = address;
  out->port = static_cast<uint16_t>(value);
  return "";
}

/// Reads one YAML document into a Config, recording errors and key lines.
class Loader {
 public:
  Loader(KeyLocations* where, std::vector<ConfigError>* errors) : where_(where), errors_(errors) {}

  void LoadRoot(const YAML::Node& root, Config* c) {
    if (!root.IsMap() && !root.IsNull()) {
      Error(LineOfNode(root, 1), "", "expected a mapping at the top level, got " + Describe(root));
      where_->MarkInvalid("relay");
      where_->MarkInvalid("tls");
      where_->MarkInvalid("auth");
      where_->MarkInvalid("limits");
      where_->MarkInvalid("log");
      where_->MarkInvalid("peers");
      return;
    }
    LoadMap(root, "", 0, true, {
        {"relay", [&](const Ctx& x) { LoadRelay(x, &c->relay); }},
        {"tls", [&](const Ctx& x) { LoadTls(x, &c->tls); }},
        {"auth", [&](const Ctx& x) { LoadAuth(x, &c->auth); }},
        {"limits", [&](const Ctx& x) { LoadLimits(x, &c->limits); }},
        {"log", [&](const Ctx& x) { LoadLog(x, &c->log); }},
        {"metrics", [&](const Ctx& x) { LoadMetrics(x, &c->metrics); }},
        {"peers", [&](const Ctx& x) { LoadPeers(x, &c->peers); }},
    });
  }

 private:
  /// A key being loaded: its value, dotted path and the 1-based line of the key.
  struct Ctx {
    const YAML::Node& value;
    std::string path;
    int line;
  };
  struct Field {
    std::string_view name;
    std::function<void(const Ctx&)> load;
  };

  void Error(int line, std::string key, std::string message) {
    errors_->push_back(ConfigError{where_->file(), line, std::move(key), std::move(message)});
  }

  void Invalid(const Ctx& x, std::string message) {
    Error(x.line, x.path, std::move(message));
    where_->MarkInvalid(x.path);
  }

  /// Walks a mapping at `path`: reports a non-mapping, non-string keys, duplicate and unknown
  /// keys; records each known key's line and hands its value to the field's loader. A null
  /// node counts as an empty mapping when `null_ok` (a section whose keys are all commented out).
  void LoadMap(const YAML::Node& node, const std::string& path, int line, bool null_ok,
               const std::vector<Field>& fields) {
    if (node.IsNull() && null_ok) return;
    if (!node.IsMap()) {
      Invalid(Ctx{node, path, line}, "expected a mapping, got " + Describe(node));
      return;
    }
    std::map<std::string, int> seen;
    for (const auto& kv : node) {
      const YAML::Node& key = kv.first;
      int key_line = LineOfNode(key, line);
      if (!key.IsScalar()) {
        Error(key_line, path, "expected a string key, got " + Describe(key));
        continue;
      }
      const std::string& name = key.Scalar();
      std::string key_path = Join(path, name);
      auto [first, inserted] = seen.emplace(name, key_line);
      if (!inserted) {
        Error(key_line, key_path,
              "duplicate key '" + name + "' (first at line " + std::to_string(first->second) + ")");
        continue;
      }
      auto field = std::find_if(fields.begin(), fields.end(),
                                [&](const Field& f) { return f.name == name; });
      if (field == fields.end()) {
        Error(key_line, key_path, UnknownKeyMessage(name, fields));
        continue;
      }
      where_->SetLine(key_path, key_line);
      field->load(Ctx{kv.second, key_path, key_line});
    }
  }

  static std::string UnknownKeyMessage(const std::string& name, const std::vector<Field>& fields) {
    std::string message = "unknown key '" + name + "'";
    std::string_view best;
    size_t best_distance = SIZE_MAX;
    for (const Field& f : fields) {
      size_t d = EditDistance(name, f.name);
      size_t allowed = f.name.size() >= 5 ? 2 : 1;
      if (d <= allowed && d < best_distance) {
        best = f.name;
        best_distance = d;
      }
    }
    if (!best.empty()) message += ", did you mean '" + std::string(best) + "'?";
    return message;
  }

  void String(const Ctx& x, std::string* out) {
    if (!x.value.IsScalar()) {
      Invalid(x, "expected a string, got " + Describe(x.value));
      return;
    }
    *out = x.value.Scalar();
  }

  template <typename T>
  void Unsigned(const Ctx& x, T* out) {
    if (!x.value.IsScalar()) {
      Invalid(x, "expected an integer, got " + Describe(x.value));
      return;
    }
    std::string problem = ParseUnsigned(x.value.Scalar(), out);
    if (!problem.empty()) Invalid(x, problem);
  }

  template <typename T>
  Field UnsignedField(std::string_view name, T* out) {
    return Field{name, [this, out](const Ctx& x) { Unsigned(x, out); }};
  }
  Field StringField(std::string_view name, std::string* out) {
    return Field{name, [this, out](const Ctx& x) { String(x, out); }};
  }

  void LoadRelay(const Ctx& x, RelaySection* relay) {
    LoadMap(x.value, x.path, x.line, true, {
        StringField("hostname", &relay->hostname),
        {"listen", [&](const Ctx& y) { LoadListen(y, &relay->listen); }},
    });
  }

  /// Calls `load` for each item of the sequence at `x` (path "key[i]", its own line). A null
  /// value is an empty sequence; anything else but a sequence is reported.
  template <typename Load>
  void ForEachItem(const Ctx& x, Load&& load) {
    if (x.value.IsNull()) return;
    if (!x.value.IsSequence()) {
      Invalid(x, "expected a sequence, got " + Describe(x.value));
      return;
    }
    for (size_t i = 0; i < x.value.size(); ++i) {
      YAML::Node item = x.value[i];
      Ctx y{item, x.path + "[" + std::to_string(i) + "]", LineOfNode(item, x.line)};
      where_->SetLine(y.path, y.line);
      load(y);
    }
  }

  void LoadListen(const Ctx& x, std::vector<ListenConfig>* listen) {
    // A null value is reported as "must have at least one entry".
    ForEachItem(x, [&](const Ctx& y) {
      listen->emplace_back();
      ListenConfig* l = &listen->back();
      LoadMap(y.value, y.path, y.line, false, {
          StringField("address", &l->address),
          UnsignedField("port", &l->port),
          {"transport", [this, l](const Ctx& z) { LoadTransport(z, &l->transport); }},
      });
    });
  }

  void LoadTransport(const Ctx& x, Transport* out) {
    std::string text;
    String(x, &text);
    if (where_->Invalid(x.path)) return;
    if (text == "tls") {
      *out = Transport::kTls;
    } else if (text == "tcp") {
      *out = Transport::kTcp;
    } else {
      Invalid(x, "must be 'tls' or 'tcp', got '" + text + "'");
    }
  }

  void LoadTls(const Ctx& x, TlsSection* tls) {
    LoadMap(x.value, x.path, x.line, true, {
        StringField("certificate", &tls->certificate),
        StringField("private_key", &tls->private_key),
        StringField("ca_file", &tls->ca_file),
    });
  }

  void LoadAuth(const Ctx& x, AuthSection* auth) {
    LoadMap(x.value, x.path, x.line, true, {
        StringField("realm", &auth->realm),
        StringField("users_file", &auth->users_file),
        {"expires", [&](const Ctx& y) {
           LoadMap(y.value, y.path, y.line, true, {
               UnsignedField("min", &auth->expires.min),
               UnsignedField("default", &auth->expires.default_s),
               UnsignedField("max", &auth->expires.max),
           });
         }},
        UnsignedField("nonce_lifetime", &auth->nonce_lifetime),
        UnsignedField("max_failures", &auth->max_failures),
        {"allow_users", [&](const Ctx& y) {
           ForEachItem(y, [&](const Ctx& z) {
             auth->allow_users.emplace_back();
             String(z, &auth->allow_users.back());
             if (!where_->Invalid(z.path) && auth->allow_users.back().empty()) Invalid(z, "must not be empty");
           });
         }},
    });
  }

  void LoadLimits(const Ctx& x, LimitsSection* l) {
    LoadMap(x.value, x.path, x.line, true, {
        UnsignedField("max_head_bytes", &l->max_head_bytes),
        UnsignedField("max_headers", &l->max_headers),
        UnsignedField("max_non_send_body", &l->max_non_send_body),
        UnsignedField("probation", &l->probation),
        UnsignedField("transaction_timeout", &l->transaction_timeout),
        UnsignedField("high_watermark", &l->high_watermark),
        UnsignedField("low_watermark", &l->low_watermark),
        UnsignedField("max_queue_bytes", &l->max_queue_bytes),
        UnsignedField("stall_timeout", &l->stall_timeout),
        UnsignedField("max_connections", &l->max_connections),
        UnsignedField("handshake_timeout", &l->handshake_timeout),
        UnsignedField("max_connections_per_ip", &l->max_connections_per_ip),
        UnsignedField("max_pending_transactions", &l->max_pending_transactions),
        UnsignedField("idle_timeout", &l->idle_timeout),
        UnsignedField("max_message_bytes", &l->max_message_bytes),
        UnsignedField("drain_timeout", &l->drain_timeout),
        UnsignedField("outgoing_chunk_bytes", &l->outgoing_chunk_bytes),
    });
  }

  void LoadPeers(const Ctx& x, PeersSection* p) {
    LoadMap(x.value, x.path, x.line, true, {
        UnsignedField("connect_timeout", &p->connect_timeout),
        UnsignedField("idle_timeout", &p->idle_timeout),
        BoolField("allow_plain_tcp", &p->allow_plain_tcp),
        {"relays", [&](const Ctx& y) {
           LoadMap(y.value, y.path, y.line, true, {
               {"allow", [&](const Ctx& z) { LoadHostList(z, &p->relays_allow); }},
               {"deny", [&](const Ctx& z) { LoadHostList(z, &p->relays_deny); }},
           });
         }},
        {"hosts", [&](const Ctx& y) { LoadHosts(y, &p->hosts); }},
    });
  }

  /// A sequence of host names or patterns, lower-cased. A null value is an empty list. An
  /// item that is not a string is reported and kept as "" so indexes match the file.
  void LoadHostList(const Ctx& x, std::vector<std::string>* out) {
    ForEachItem(x, [&](const Ctx& y) {
      out->emplace_back();
      String(y, &out->back());
      out->back() = ToLower(out->back());
    });
  }

  /// peers.hosts: host name -> sequence of "address[:port]" strings, in file order. Names are
  /// lower-cased; paths are "peers.hosts[NAME]" and "peers.hosts[NAME][i]" (a dotted name
  /// would otherwise read as nested keys). Names that differ only in case are duplicates.
  void LoadHosts(const Ctx& x, std::vector<std::pair<std::string, std::vector<StaticHostAddress>>>* hosts) {
    if (x.value.IsNull()) return;
    if (!x.value.IsMap()) {
      Invalid(x, "expected a mapping, got " + Describe(x.value));
      return;
    }
    std::map<std::string, int> seen;
    for (const auto& kv : x.value) {
      const YAML::Node& key = kv.first;
      int key_line = LineOfNode(key, x.line);
      if (!key.IsScalar()) {
        Error(key_line, x.path, "expected a string key, got " + Describe(key));
        continue;
      }
      const std::string& written = key.Scalar();
      std::string name = ToLower(written);
      std::string key_path = x.path + "[" + name + "]";
      auto [first, inserted] = seen.emplace(name, key_line);
      if (!inserted) {
        Error(key_line, key_path,
              "duplicate key '" + written + "' (first at line " + std::to_string(first->second) + ")");
        continue;
      }
      where_->SetLine(key_path, key_line);
      hosts->emplace_back(name, std::vector<StaticHostAddress>());
      LoadHostAddresses(Ctx{kv.second, key_path, key_line}, &hosts->back().second);
    }
  }

  void LoadHostAddresses(const Ctx& x, std::vector<StaticHostAddress>* out) {
    // A null value is reported as "must have at least one entry".
    ForEachItem(x, [&](const Ctx& y) {
      out->emplace_back();
      std::string text;
      String(y, &text);
      if (where_->Invalid(y.path)) return;
      std::string problem = ParseHostAddress(text, &out->back());
      if (!problem.empty()) Invalid(y, problem);
    });
  }

  /// YAML 1.2 core schema booleans only (not yes/no/on/off).
  void Bool(const Ctx& x, bool* out) {
    if (x.value.IsScalar()) {
      const std::string& s = x.value.Scalar();
      if (s == "true" || s == "True" || s == "TRUE") {
        *out = true;
        return;
      }
      if (s == "false" || s == "False" || s == "FALSE") {
        *out = false;
        return;
      }
    }
    Invalid(x, "expected true or false, got " + Describe(x.value));
  }

  Field BoolField(std::string_view name, bool* out) {
    return Field{name, [this, out](const Ctx& x) { Bool(x, out); }};
  }

  void LoadMetrics(const Ctx& x, MetricsSection* m) {
    m->enabled = true;
    LoadMap(x.value, x.path, x.line, true, {
        StringField("address", &m->address),
        UnsignedField("port", &m->port),
    });
  }

  void LoadLog(const Ctx& x, LogSection* log) {
    LoadMap(x.value, x.path, x.line, true, {
        StringField("level", &log->level),
        StringField("format", &log->format),
    });
  }

  KeyLocations* where_;
  std::vector<ConfigError>* errors_;
};

/// `p` made absolute against `base` and normalised; "" stays "".
std::string ResolveAgainst(const std::filesystem::path& base, const std::string& p) {
  if (p.empty()) return p;
  std::filesystem::path path(p);
  if (path.is_relative()) path = base / path;
  return path.lexically_normal().string();
}

/// Parser events thrown away; remembers where the last null node was (see ParserAdvances).
class DiscardEvents : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { last_null = mark; }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  YAML::Mark last_null = YAML::Mark::null_mark();
};

/// yaml-cpp 0.7's LoadAll never returns (allocating without bound) on a ',' outside a flow
/// collection, e.g. the text ",": the parser reports an empty document again and again without
/// consuming the token (jbeder/yaml-cpp#1040, fixed upstream in #1319). A stream holds at most
/// one document more than it has lines starting with "---" or "...", so this first pass stops
/// past that count; `stuck_at` is then the start of the document it is stuck in. Throws
/// YAML::Exception where LoadAll would.
bool ParserAdvances(const std::string& text, YAML::Mark* stuck_at) {
  size_t markers = 0;
  for (size_t pos = 0; pos < text.size();) {
    if (text.compare(pos, 3, "---") == 0 || text.compare(pos, 3, "...") == 0) ++markers;
    size_t nl = text.find('\n', pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
  }
  std::istringstream in(text);
  YAML::Parser parser(in);
  DiscardEvents events;
  for (size_t documents = 0; documents <= markers + 1; ++documents) {
    if (!parser.HandleNextDocument(events)) return true;
  }
  *stuck_at = events.last_null;
  return false;
}

/// Orders errors by line; errors without a line (missing sections) come last.
void SortByLine(std::vector<ConfigError>* errors) {
  std::stable_sort(errors->begin(), errors->end(), [](const ConfigError& a, const ConfigError& b) {
    int la = a.line == 0 ? INT_MAX : a.line;
    int lb = b.line == 0 ? INT_MAX : b.line;
    return la < lb;
  });
}

LoadResult LoadText(const std::string& text, const std::string& path) {
  LoadResult result;
  KeyLocations where(path);
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) absolute = path;
  absolute = absolute.lexically_normal();
  result.config.path = absolute.string();

  std::vector<YAML::Node> documents;
  try {
    YAML::Mark stuck_at;
    if (!ParserAdvances(text, &stuck_at)) {
      result.errors.push_back(ConfigError{path, stuck_at.is_null() ? 0 : stuck_at.line + 1, "",
                                          "invalid YAML: a stray token (e.g. ',' outside [...] or {...}) "
                                          "at or after this line"});
      return result;
    }
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    std::string message = "invalid YAML: " + e.msg;
    if (!e.mark.is_null()) message += " (column " + std::to_string(e.mark.column + 1) + ")";
    result.errors.push_back(ConfigError{path, line, "", message});
    return result;
  }
  // Empty documents (a stray "---" at the end) are ignored.
  documents.erase(std::remove_if(documents.begin(), documents.end(),
                                 [](const YAML::Node& d) { return d.IsNull(); }),
                  documents.end());
  if (documents.size() > 1) {
    result.errors.push_back(ConfigError{path, LineOfNode(documents[1], 0), "",
                                        "expected one YAML document, found " +
                                            std::to_string(documents.size())});
    return result;
  }
  YAML::Node root = documents.empty() ? YAML::Node() : documents.front();

  Loader(&where, &result.errors).LoadRoot(root, &result.config);

  std::filesystem::path base = absolute.parent_path();
  TlsSection& tls = result.config.tls;
  tls.certificate = ResolveAgainst(base, tls.certificate);
  tls.private_key = ResolveAgainst(base, tls.private_key);
  tls.ca_file = ResolveAgainst(base, tls.ca_file);
  result.config.auth.users_file = ResolveAgainst(base, result.config.auth.users_file);

  ValidateConfig(result.config, where, &result.errors);
  CheckReferencedFiles(result.config, where, &result.errors);
  SortByLine(&result.errors);
  return result;
}

/// Whole file as text, or the reason it cannot be read.
bool ReadFile(const std::string& path, std::string* text, std::string* problem) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int e = errno;
    *problem = e == ENOENT ? "file not found" : "cannot open: " + std::system_category().message(e);
    return false;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    *problem = "not a regular file";
    return false;
  }
  char buf[kReadChunk];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      *problem = "cannot read: " + std::system_category().message(e);
      return false;
    }
    text->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

LoadResult InternalError(const std::string& path, const std::string& what) {
  LoadResult result;
  result.errors.push_back(ConfigError{path, 0, "", "internal error while loading: " + what});
  return result;
}

}  // namespace

std::string ConfigError::ToString() const {
  std::string prefix = file;
  if (line > 0) prefix += ":" + std::to_string(line);
  std::string out;
  if (!prefix.empty()) out = prefix + ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

LoadResult LoadConfigText(const std::string& text, const std::string& path) {
  try {
    return LoadText(text, path);
  } catch (const std::exception& e) {
    return InternalError(path, e.what());
  } catch (...) {
    return InternalError(path, "unknown exception");
  }
}

LoadResult LoadConfigFile(const std::string& path) {
  try {
    std::string text;
    std::string problem;
    if (!ReadFile(path, &text, &problem)) {
      LoadResult result;
      result.errors.push_back(ConfigError{path, 0, "", problem});
      return result;
    }
    return LoadText(text, path);
  } catch (const std::exception& e) {
    return InternalError(path, e.what());
  } catch (...) {
    return InternalError(path, "unknown exception");
  }
}

}  // namespace msrp::config
