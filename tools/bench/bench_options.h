// Command-line options of msrp-bench: what to connect to, how to authenticate, and the load
// shape (pairs, message and chunk sizes, window, open-loop rate, duration or count, idle-session mode).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace msrp::bench {

/// Everything the command line sets. Sizes are bytes, times seconds.
struct BenchOptions {
  // Target.
  std::string relay_uri;       ///< msrps://HOST:PORT of the relay (relay mode)
  std::string relay_host;      ///< host (and :port) placed in the AUTH To-Path; "" = from relay_uri
  std::string connect_host;    ///< numeric IPv4 to connect to (from relay_uri or --direct)
  uint16_t connect_port = 0;
  bool direct = false;         ///< --direct: no relay, sender talks to the bench's receiver
  std::string listen_host;     ///< direct mode: receiver listener address (default = --direct)
  uint16_t listen_port = 0;
  bool listen_plain = false;   ///< direct mode: receiver listener without TLS (behind a TLS proxy)
  std::string cert_file, key_file;  ///< direct mode listener certificate (default: generated)

  // Authentication.
  std::string user, password;
  std::string user_b, password_b;  ///< receivers' credentials (default: user/password)
  bool digest_uri = true;          ///< put uri= in Authorization
  uint32_t expires = 0;            ///< Expires on AUTH when > 0

  // TLS client verification.
  std::string ca_file;
  bool insecure = false;
  std::string tls_name;  ///< name or IP checked in the server certificate ("" = connect host)

  // Load.
  uint32_t pairs = 1;
  uint64_t size = 1024;
  uint64_t chunk = 0;          ///< 0 = whole message in one chunk
  uint32_t window = 1;         ///< messages in flight per pair
  double rate = 0;             ///< > 0: open loop, SENDs started on a schedule, msgs/s over all pairs
  uint32_t tick_us = 100;      ///< open loop: microseconds between the schedule's ticks (timerfd)
  double duration = 10;        ///< seconds of sending
  uint64_t count = 0;          ///< messages per pair; 0 = no limit (duration only)
  double drain_timeout = 10;   ///< seconds to wait for in-flight messages after sending stops
  double setup_timeout = 60;   ///< seconds for connecting and authenticating everything
  uint32_t connect_concurrency = 64;  ///< connections being set up at once
  uint32_t idle = 0;           ///< > 0: idle mode, open this many authenticated sessions and hold

  // Reporting.
  int relay_pid = 0;  ///< relay process (its descendants are included) for CPU and RSS
  bool json = false;
  std::string label;  ///< free text copied into the JSON line
};

/// Parses argv. On --help prints usage and returns nullopt with *exit_code = 0; on a bad
/// command line prints the reason and usage and returns nullopt with *exit_code = 2.
std::optional<BenchOptions> ParseOptions(int argc, char** argv, int* exit_code);

/// Parses "1024", "64K", "64KiB", "1M", "1MiB", "1G", "1GiB" (binary multiples) into bytes.
std::optional<uint64_t> ParseSize(const std::string& text);

}  // namespace msrp::bench
