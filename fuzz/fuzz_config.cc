// libFuzzer target for config/loader: LoadConfigText on arbitrary YAML never throws or crashes,
// every error carries a message, and a config reported good satisfies the validation rules.
// abort()s otherwise (an escaping exception is reported by libFuzzer as a crash).

// The config "lives" in a temporary folder ($TMPDIR or /tmp) holding the files the sample config
// names (tls/relay.crt, tls/relay.key, users.htdigest), so valid inputs reach every rule.
// Run: build-fuzz/fuzz_config CORPUS_COPY -max_len=8192
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "config/loader.h"
#include "config/validate.h"

namespace {

std::string g_dir;          // the temporary folder
std::string g_config_path;  // g_dir + "/msrp-relay.yaml" (never written: only its folder matters)

void RemoveDir() {
  std::error_code ec;
  if (!g_dir.empty()) std::filesystem::remove_all(g_dir, ec);
}

[[noreturn]] void Die(const char* what, std::string_view text, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz_config: %s\n  detail: %.*s\n  input (%zu bytes):\n%.*s\n", what,
               static_cast<int>(detail.size()), detail.data(), text.size(),
               static_cast<int>(std::min<size_t>(text.size(), 4000)), text.data());
  std::abort();
}

void CheckGoodConfig(const msrp::config::Config& c, std::string_view text) {
  using msrp::config::HostNameProblem;
  if (c.relay.hostname.empty() || !HostNameProblem(c.relay.hostname).empty()) Die("bad hostname accepted", text);
  if (c.relay.listen.empty()) Die("config without listeners accepted", text);
  if (c.tls.certificate.empty() || c.tls.private_key.empty()) Die("config without certificate or key accepted", text);
  if (c.auth.realm.empty() || c.auth.users_file.empty()) Die("config without realm or users file accepted", text);
  for (char ch : c.auth.realm) {
    auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\' || u < 0x20 || u == 0x7f) Die("realm with a quote or control accepted", text);
  }
  const auto& e = c.auth.expires;
  if (e.min == 0 || e.min > e.default_s || e.default_s > e.max) Die("auth.expires out of order accepted", text);
  if (c.auth.nonce_lifetime == 0 || c.auth.max_failures == 0) Die("zero auth limit accepted", text);
  const auto& l = c.limits;
  if (l.max_head_bytes < 1024 || l.max_head_bytes > 1048576) Die("max_head_bytes out of range accepted", text);
  if (!(l.low_watermark < l.high_watermark && l.high_watermark < l.max_queue_bytes)) {
    Die("watermarks out of order accepted", text);
  }
  if (l.max_headers == 0 || l.probation == 0 || l.transaction_timeout == 0 || l.stall_timeout == 0 ||
      l.max_connections == 0 || l.handshake_timeout == 0) {
    Die("zero limit accepted", text);
  }
  if (c.log.format != "text" && c.log.format != "json") Die("bad log.format accepted", text);
  for (const std::string* p : {&c.tls.certificate, &c.tls.private_key, &c.auth.users_file}) {
    if (p->empty() || p->front() != '/') Die("file path not made absolute", text, *p);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/fuzz_config.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::perror("fuzz_config: mkdtemp");
    std::abort();
  }
  g_dir = pattern;
  g_config_path = g_dir + "/msrp-relay.yaml";
  std::filesystem::create_directories(g_dir + "/tls");
  for (const char* name : {"/tls/relay.crt", "/tls/relay.key", "/users.htdigest"}) {
    std::ofstream(g_dir + name) << "# fuzz_config placeholder\n";
  }
  std::atexit(RemoveDir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  msrp::config::LoadResult result = msrp::config::LoadConfigText(text, g_config_path);
  for (const msrp::config::ConfigError& e : result.errors) {
    if (e.message.empty()) Die("error without a message", text, e.ToString());
    if (e.file != g_config_path) Die("error names another file", text, e.ToString());
    if (e.line < 0) Die("negative line number", text, e.ToString());
    if (e.message.rfind("internal error", 0) == 0) Die("an exception escaped the loader", text, e.ToString());
    if (e.ToString().empty()) Die("empty error text", text);
  }
  if (result.ok()) CheckGoodConfig(result.config, text);
  return 0;
}
