// Logging setup: spdlog stdout sink with a text or JSON-lines pattern.
#include "relay/ops/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace msrp::relay {

namespace {

bool ParseLevel(const std::string& name, spdlog::level::level_enum* out) {
  auto level = spdlog::level::from_str(name);
  // from_str maps unknown names to "off"; accept "off" only when asked for by name.
  if (level == spdlog::level::off && name != "off") return false;
  *out = level;
  return true;
}

/// %j: the message escaped for a JSON string (RFC 8259 §7).
class JsonEscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    static constexpr char kHex[] = "0123456789abcdef";
    for (char ch : std::string_view(msg.payload.data(), msg.payload.size())) {
      auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(static_cast<char>(c));
      } else if (c < 0x20) {
        const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        dest.append(esc, esc + sizeof esc);
      } else {
        dest.push_back(static_cast<char>(c));
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonEscapedMessage>(); }
};

}  // namespace

bool SetupLogging(const std::string& level, const std::string& format) {
  spdlog::level::level_enum lvl;
  if (!ParseLevel(level, &lvl)) return false;
  auto sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("msrp-relay", sink);
  if (format == "json") {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<JsonEscapedMessage>('j').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":"%j"})");
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %l %v");
  }
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return true;
}

bool SetLogLevel(const std::string& level) {
  spdlog::level::level_enum lvl;
  if (!ParseLevel(level, &lvl)) return false;
  spdlog::set_level(lvl);
  return true;
}

}  // namespace msrp::relay
