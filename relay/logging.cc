// Logging setup: spdlog stdout sink with a text or JSON-lines pattern.
#include "relay/logging.h"

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

}  // namespace

bool SetupLogging(const std::string& level, const std::string& format) {
  spdlog::level::level_enum lvl;
  if (!ParseLevel(level, &lvl)) return false;
  auto sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("msrp-relay", sink);
  if (format == "json") {
    // Messages are produced by the relay itself and never contain quotes from peers unescaped
    // (peer-supplied strings are not logged verbatim at info level).
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":"%v"})");
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
