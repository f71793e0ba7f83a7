// Logging setup for the daemon: one spdlog logger writing to stdout, text or JSON lines,
// level reloadable. Never log bodies, passwords, nonces, digests or Use-Path tokens at info.
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace msrp::relay {

/// Installs the process-wide logger. `format`: "text" or "json"; `level`: spdlog level name.
/// Returns false (and leaves the previous logger) when `level` is not a known level name.
bool SetupLogging(const std::string& level, const std::string& format);

/// Changes the level of the installed logger (SIGHUP reload). False on an unknown name.
bool SetLogLevel(const std::string& level);

}  // namespace msrp::relay
