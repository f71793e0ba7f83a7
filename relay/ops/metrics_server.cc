// MetricsServer: libmicrohttpd daemon with an internal polling thread serving published text.
#include "relay/ops/metrics_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string_view>

#include <spdlog/spdlog.h>

namespace msrp::relay {

namespace {

MHD_Result Reply(MHD_Connection* connection, unsigned code, const std::string& body, const char* type) {
  MHD_Response* response =
      MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, "Content-Type", type);
  MHD_Result rc = MHD_queue_response(connection, code, response);
  MHD_destroy_response(response);
  return rc;
}

MHD_Result HandleRequest(void* cls, MHD_Connection* connection, const char* url, const char* method,
                         const char*, const char*, size_t*, void**) {
  auto* self = static_cast<MetricsServer*>(cls);
  if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0) {
    return Reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "text/plain");
  }
  if (std::strcmp(url, "/metrics") == 0) {
    return Reply(connection, MHD_HTTP_OK, self->Snapshot(), "text/plain; version=0.0.4; charset=utf-8");
  }
  if (std::strcmp(url, "/healthz") == 0) return Reply(connection, MHD_HTTP_OK, "ok\n", "text/plain");
  if (std::strcmp(url, "/readyz") == 0) {
    bool ready = self->ready();
    return Reply(connection, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, ready ? "ready\n" : "not ready\n",
                 "text/plain");
  }
  return Reply(connection, MHD_HTTP_NOT_FOUND, "not found\n", "text/plain");
}

/// libmicrohttpd's error messages go through the relay's logger (text or JSON lines) instead
/// of straight to stderr. Called on libmicrohttpd's thread; the logger is thread-safe.
void LogHttpError(void*, const char* format, va_list args) {
  char buf[512];
  int n = std::vsnprintf(buf, sizeof buf, format, args);
  if (n < 0) return;
  std::string_view text(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  // libmicrohttpd 0.9.75 says this even when the logger is the first option (it is): not news.
  if (text.rfind("MHD_OPTION_EXTERNAL_LOGGER is not the first option", 0) == 0) return;
  SPDLOG_WARN("metrics: {}", text);
}

}  // namespace

std::string MetricsServer::Snapshot() {
  std::lock_guard<std::mutex> lock(mu_);
  return exposition_;
}

MetricsServer::~MetricsServer() { Stop(); }

Result<uint16_t> MetricsServer::Start(const std::string& address, uint16_t port) {
  sockaddr_storage ss{};
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
  if (inet_pton(AF_INET6, address.c_str(), &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr) == 1) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    flags |= MHD_USE_IPv6;
  } else if (inet_pton(AF_INET, address.c_str(), &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr) == 1) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
  } else {
    return Err("metrics: bad address " + address);
  }
  // The logger comes first so that it also gets the messages about the options after it.
  daemon_ = MHD_start_daemon(flags, port, nullptr, nullptr, &HandleRequest, this,
                             MHD_OPTION_EXTERNAL_LOGGER, &LogHttpError, nullptr,
                             MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&ss),
                             MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
  if (daemon_ == nullptr) return Err("metrics: cannot listen on " + address + ":" + std::to_string(port));
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
  return static_cast<uint16_t>(info != nullptr ? info->port : port);
}

void MetricsServer::Stop() {
  if (daemon_ != nullptr) {
    MHD_stop_daemon(daemon_);
    daemon_ = nullptr;
  }
}

void MetricsServer::Publish(std::string exposition) {
  std::lock_guard<std::mutex> lock(mu_);
  exposition_ = std::move(exposition);
}

}  // namespace msrp::relay
