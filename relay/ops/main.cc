// msrp-relay: an MSRP relay (RFC 4976). Parses the command line, loads the configuration,
// runs the libuv loop, and handles SIGTERM/SIGINT (stop) and SIGHUP (reload).
#include <csignal>
#include <cstdio>
#include <iostream>

#include <cxxopts.hpp>
#include <spdlog/spdlog.h>
#include <uv.h>

#include "relay/ops/logging.h"
#include "relay/net/server.h"
#include "relay/ops/service_notify.h"
#include "relay/ops/startup.h"

namespace {

struct Daemon {
  std::string config_path;
  msrp::relay::Server* server = nullptr;
};

void OnStopSignal(uv_signal_t* handle, int signum) {
  auto* daemon = static_cast<Daemon*>(handle->data);
  daemon->server->Stop(signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

std::string ListenKey(const std::vector<msrp::config::ListenConfig>& listen) {
  std::string key;
  for (const auto& l : listen) {
    key += " " + l.address + ":" + std::to_string(l.port) + (l.transport == msrp::config::Transport::kTls ? "/tls" : "/tcp");
  }
  return key;
}

void OnReloadSignal(uv_signal_t* handle, int) {
  auto* daemon = static_cast<Daemon*>(handle->data);
  SPDLOG_INFO("SIGHUP: reloading {}", daemon->config_path);
  msrp::relay::NotifyReloading();
  auto state = msrp::relay::LoadState(daemon->config_path);
  if (!state.errors.empty()) {
    for (const auto& e : state.errors) SPDLOG_ERROR("reload refused: {}", e);
    SPDLOG_ERROR("reload refused: keeping the running configuration");
    msrp::relay::NotifyReady("serving; last reload refused: " + state.errors.front());
    return;
  }
  // Keys bound at startup keep their running values until a restart.
  const auto& running = daemon->server->config();
  auto next = std::make_shared<msrp::config::Config>(*state.config);
  // Each is reported by name; the rest of the new configuration is applied.
  if (next->relay.hostname != running.relay.hostname) {
    SPDLOG_WARN("reload: relay.hostname changed to '{}': needs a restart; keeping '{}'", next->relay.hostname,
                running.relay.hostname);
  }
  if (ListenKey(next->relay.listen) != ListenKey(running.relay.listen)) {
    SPDLOG_WARN("reload: relay.listen changed to{}: needs a restart; keeping{}", ListenKey(next->relay.listen),
                ListenKey(running.relay.listen));
  }
  next->relay = running.relay;
  const auto& m = next->metrics;
  if (m.enabled != running.metrics.enabled || m.address != running.metrics.address || m.port != running.metrics.port) {
    SPDLOG_WARN("reload: metrics changed: needs a restart; keeping the running listener");
    next->metrics = running.metrics;
  }
  if (!msrp::relay::SetLogLevel(next->log.level)) SPDLOG_WARN("unknown log level {}", next->log.level);
  daemon->server->Reload(next, std::move(state.tls), std::move(state.client_tls), state.users);
  SPDLOG_INFO("reload done: users, TLS certificate and key, limits, timeouts and log level applied");
  msrp::relay::NotifyReady("serving");
}

}  // namespace

int main(int argc, char** argv) {
  cxxopts::Options options("msrp-relay", "MSRP relay (RFC 4976): AUTH and hop-by-hop forwarding over TLS");
  options.add_options()
      ("c,config", "configuration file (YAML)", cxxopts::value<std::string>()->default_value("/etc/msrp-relay/msrp-relay.yaml"))
      ("check-config", "validate the configuration and its files, print every error, exit")
      ("version", "print the version and exit")
      ("h,help", "print this help and exit");
  cxxopts::ParseResult args;
  try {
    args = options.parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "msrp-relay: %s\n%s", e.what(), options.help().c_str());
    return 2;
  }
  if (args.count("help")) {
    std::cout << options.help();
    return 0;
  }
  if (args.count("version")) {
    std::cout << "msrp-relay " << MSRP_RELAY_VERSION << "\n";
    return 0;
  }
  Daemon daemon;
  daemon.config_path = args["config"].as<std::string>();
  auto state = msrp::relay::LoadState(daemon.config_path);
  if (args.count("check-config")) {
    for (const auto& e : state.errors) std::fprintf(stderr, "%s\n", e.c_str());
    if (!state.errors.empty()) {
      std::fprintf(stderr, "%s: %zu error(s)\n", daemon.config_path.c_str(), state.errors.size());
      return 1;
    }
    std::printf("%s: configuration OK\n", daemon.config_path.c_str());
    return 0;
  }
  if (!state.errors.empty()) {
    for (const auto& e : state.errors) std::fprintf(stderr, "%s\n", e.c_str());
    std::fprintf(stderr, "msrp-relay: not started: %zu configuration error(s)\n", state.errors.size());
    return 1;
  }
  msrp::relay::SetupLogging(state.config->log.level, state.config->log.format);
  std::signal(SIGPIPE, SIG_IGN);

  uv_loop_t* loop = uv_default_loop();
  int exit_code = 0;
  {
    msrp::relay::Server server(loop, state.config, std::move(state.tls), std::move(state.client_tls), state.users);
    daemon.server = &server;
    auto started = server.Start();
    uv_signal_t sigterm, sigint, sighup;
    uv_signal_init(loop, &sigterm);
    uv_signal_init(loop, &sigint);
    uv_signal_init(loop, &sighup);
    sigterm.data = sigint.data = sighup.data = &daemon;
    if (!started.ok()) {
      SPDLOG_CRITICAL("{}", started.error());
      server.Stop("startup failed");
      exit_code = 1;
    } else {
      uv_signal_start(&sigterm, &OnStopSignal, SIGTERM);
      uv_signal_start(&sigint, &OnStopSignal, SIGINT);
      uv_signal_start(&sighup, &OnReloadSignal, SIGHUP);
      // Signal handles do not keep the loop alive: it ends once Stop() has closed the rest.
      for (uv_signal_t* s : {&sigterm, &sigint, &sighup}) uv_unref(reinterpret_cast<uv_handle_t*>(s));
      SPDLOG_INFO("msrp-relay {} started as {}", MSRP_RELAY_VERSION, state.config->relay.hostname);
      msrp::relay::NotifyReady("serving as " + state.config->relay.hostname);
    }
    uv_run(loop, UV_RUN_DEFAULT);
    for (uv_signal_t* s : {&sigterm, &sigint, &sighup}) {
      if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(s))) uv_close(reinterpret_cast<uv_handle_t*>(s), nullptr);
    }
    uv_run(loop, UV_RUN_DEFAULT);
  }
  uv_run(loop, UV_RUN_DEFAULT);  // frees name lookups the Server dropped (their callbacks run here)
  uv_loop_close(loop);
  SPDLOG_INFO("msrp-relay exited");
  return exit_code;
}
