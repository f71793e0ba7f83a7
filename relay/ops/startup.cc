// LoadState: config, htdigest users file and TLS context, every error collected.
#include "relay/ops/startup.h"

#include <fstream>
#include <sstream>

#include "config/loader.h"

namespace msrp::relay {

LoadedState LoadState(const std::string& path) {
  LoadedState state;
  auto loaded = config::LoadConfigFile(path);
  for (const auto& e : loaded.errors) state.errors.push_back(e.ToString());
  if (!loaded.ok()) return state;
  auto cfg = std::make_shared<config::Config>(std::move(loaded.config));

  std::ifstream in(cfg->auth.users_file, std::ios::binary);
  if (!in) {
    state.errors.push_back(cfg->auth.users_file + ": cannot open users file");
  } else {
    std::ostringstream text;
    text << in.rdbuf();
    auto users = UserDb::Parse(text.str());
    if (!users.ok()) {
      state.errors.push_back(cfg->auth.users_file + ": " + users.error());
    } else {
      if (users.value().size() == 0) state.errors.push_back(cfg->auth.users_file + ": no users");
      state.users = std::make_shared<const UserDb>(std::move(users.value()));
    }
  }
  auto tls = CreateServerContext(cfg->tls);
  if (!tls.ok()) {
    state.errors.push_back(tls.error());
  } else {
    state.tls = std::move(tls.value());
  }
  auto client_tls = CreateClientContext(cfg->tls);
  if (!client_tls.ok()) {
    if (tls.ok()) state.errors.push_back(client_tls.error());  // the same files: one message is enough
  } else {
    state.client_tls = std::move(client_tls.value());
  }
  state.config = std::move(cfg);
  return state;
}

}  // namespace msrp::relay
