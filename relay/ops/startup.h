// Loading what the daemon needs from disk: the config (with every error), the users file and
// the TLS context. Shared by startup, --check-config and SIGHUP reload.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/user_db.h"
#include "config/config.h"
#include "relay/net/tls_context.h"

namespace msrp::relay {

/// Everything a (re)start needs, or the list of errors that prevent it.
struct LoadedState {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const UserDb> users;
  SslCtxPtr tls{nullptr, &SSL_CTX_free};         ///< server role (C-01, C-02)
  SslCtxPtr client_tls{nullptr, &SSL_CTX_free};  ///< client role for outbound connections (C-03)
  std::vector<std::string> errors;  ///< "FILE:LINE: KEY: MESSAGE" lines; empty on success
};

/// Loads and validates the config at `path`, then the users file and the TLS certificate and
/// key it names. Never throws.
LoadedState LoadState(const std::string& path);

}  // namespace msrp::relay
