// msrp-bench command line: cxxopts definitions, size parsing and cross-option checks.
#include "tools/bench/bench_options.h"

#include <arpa/inet.h>

#include <cstdio>
#include <iostream>

#include <cxxopts.hpp>

namespace msrp::bench {

namespace {

/// Splits "HOST:PORT" (IPv4 literal) into its parts; false when malformed.
bool SplitHostPort(const std::string& text, std::string* host, uint16_t* port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = text.substr(0, colon);
  std::string p = text.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) return false;
  unsigned long v = std::stoul(p);
  if (v > 65535) return false;
  *port = static_cast<uint16_t>(v);
  in_addr a{};
  return inet_pton(AF_INET, host->c_str(), &a) == 1;
}

/// Parses msrps://HOST:PORT[/...][;tcp] into host and port.
bool ParseRelayUri(const std::string& uri, std::string* host, uint16_t* port) {
  const std::string scheme = "msrps://";
  if (uri.compare(0, scheme.size(), scheme) != 0) return false;
  std::string rest = uri.substr(scheme.size());
  auto end = rest.find_first_of("/;");
  if (end != std::string::npos) rest.resize(end);
  return SplitHostPort(rest, host, port);
}

}  // namespace

std::optional<uint64_t> ParseSize(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 15) return std::nullopt;
  uint64_t value = std::stoull(text.substr(0, digits));
  std::string unit = text.substr(digits);
  uint64_t mult = 1;
  if (unit.empty() || unit == "B") {
    mult = 1;
  } else if (unit == "K" || unit == "k" || unit == "KiB") {
    mult = 1024;
  } else if (unit == "M" || unit == "MiB") {
    mult = 1024 * 1024;
  } else if (unit == "G" || unit == "GiB") {
    mult = 1024ull * 1024 * 1024;
  } else {
    return std::nullopt;
  }
  return value * mult;
}

std::optional<BenchOptions> ParseOptions(int argc, char** argv, int* exit_code) {
  cxxopts::Options spec("msrp-bench",
                        "Load generator for RFC 4976 MSRP relays: N sender/receiver pairs AUTH at the relay, "
                        "then senders SEND through it (To-Path: UsePathA UsePathB receiverURI) and receivers "
                        "verify every byte and answer 200 OK. --direct skips the relay (baseline). Latency is from "
                        "a message's start (first byte queued; with --rate its scheduled start) to its last byte "
                        "read at the receiver.");
  spec.add_options("target")
      ("relay", "relay URI, msrps://IPV4:PORT", cxxopts::value<std::string>())
      ("relay-host", "host[:port] for the AUTH To-Path msrps://HOST;tcp (default: from --relay)",
       cxxopts::value<std::string>()->default_value(""))
      ("direct", "no relay: senders connect with TLS to IPV4:PORT (the bench's receiver or a TLS proxy)",
       cxxopts::value<std::string>())
      ("listen", "direct mode: the bench's receiver listener IPV4:PORT (default: the --direct address)",
       cxxopts::value<std::string>())
      ("listen-plain", "direct mode: receiver listener speaks plain TCP (a TLS-terminating proxy is in front)")
      ("cert", "direct mode: listener certificate PEM (default: a generated self-signed one)",
       cxxopts::value<std::string>()->default_value(""))
      ("key", "direct mode: listener private key PEM", cxxopts::value<std::string>()->default_value(""));
  spec.add_options("auth")
      ("user", "sender user", cxxopts::value<std::string>()->default_value(""))
      ("password", "sender password", cxxopts::value<std::string>()->default_value(""))
      ("user-b", "receiver user (default: --user)", cxxopts::value<std::string>()->default_value(""))
      ("password-b", "receiver password (default: --password)", cxxopts::value<std::string>()->default_value(""))
      ("digest-uri", "include uri= in Authorization: yes or no (Kamailio needs yes)",
       cxxopts::value<std::string>()->default_value("yes"))
      ("expires", "Expires value on AUTH (0 = none)", cxxopts::value<uint32_t>()->default_value("0"));
  spec.add_options("tls")
      ("ca", "CA bundle to verify the server certificate", cxxopts::value<std::string>()->default_value(""))
      ("insecure", "do not verify the server certificate")
      ("tls-name", "name or IP to verify in the certificate (default: the connect address)",
       cxxopts::value<std::string>()->default_value(""));
  spec.add_options("load")
      ("pairs", "sender/receiver pairs", cxxopts::value<uint32_t>()->default_value("1"))
      ("size", "message size (bytes; K/M/G suffixes are binary)", cxxopts::value<std::string>()->default_value("1024"))
      ("chunk", "chunk size (0 = one chunk per message)", cxxopts::value<std::string>()->default_value("0"))
      ("window", "messages in flight per pair", cxxopts::value<uint32_t>()->default_value("1"))
      ("rate", "open loop: start MSGS_PER_S messages a second in total, spread evenly over the pairs, on a "
       "timer (--tick-us) instead of when the window frees up. The window still caps messages in flight per pair: "
       "a message due while its pair's window (or socket queue) is full starts late and is counted in "
       "late_starts. Latency is measured from the scheduled start, so waiting inside the bench counts. "
       "0 = closed loop", cxxopts::value<double>()->default_value("0"), "MSGS_PER_S")
      ("tick-us", "open loop: microseconds between schedule ticks (a timerfd). Each tick starts every message "
       "due by then, so a coarse tick sends bursts: 1000 at 19,000 msg/s starts ~19 messages at once",
       cxxopts::value<uint32_t>()->default_value("100"), "US")
      ("duration", "seconds of sending (idle mode: seconds to hold)", cxxopts::value<double>()->default_value("10"))
      ("count", "messages per pair (0 = until --duration)", cxxopts::value<uint64_t>()->default_value("0"))
      ("drain-timeout", "seconds to wait for in-flight messages", cxxopts::value<double>()->default_value("10"))
      ("setup-timeout", "seconds for all connections and AUTHs", cxxopts::value<double>()->default_value("60"))
      ("connect-concurrency", "connections set up at once", cxxopts::value<uint32_t>()->default_value("64"))
      ("idle", "idle mode: open N authenticated TLS sessions, hold them --duration s, report relay memory",
       cxxopts::value<uint32_t>()->default_value("0"));
  spec.add_options("report")
      ("relay-pid", "relay pid: CPU seconds and RSS of it and its descendants",
       cxxopts::value<int>()->default_value("0"))
      ("json", "print one JSON object as the last line")
      ("label", "text copied into the JSON output", cxxopts::value<std::string>()->default_value(""))
      ("h,help", "print this help");

  auto usage = [&] { return spec.help({"target", "auth", "tls", "load", "report"}); };
  auto fail = [&](const std::string& why) -> std::optional<BenchOptions> {
    std::fprintf(stderr, "msrp-bench: %s\n%s", why.c_str(), usage().c_str());
    *exit_code = 2;
    return std::nullopt;
  };

  cxxopts::ParseResult args;
  try {
    args = spec.parse(argc, argv);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  if (args.count("help")) {
    std::cout << usage();
    *exit_code = 0;
    return std::nullopt;
  }

  BenchOptions o;
  try {
    if (args.count("relay") && args.count("direct")) return fail("--relay and --direct exclude each other");
    if (args.count("relay")) {
      o.relay_uri = args["relay"].as<std::string>();
      if (!ParseRelayUri(o.relay_uri, &o.connect_host, &o.connect_port)) {
        return fail("--relay must look like msrps://127.0.0.1:2855");
      }
      o.relay_host = args["relay-host"].as<std::string>();
      if (o.relay_host.empty()) o.relay_host = o.connect_host + ":" + std::to_string(o.connect_port);
    } else if (args.count("direct")) {
      o.direct = true;
      if (!SplitHostPort(args["direct"].as<std::string>(), &o.connect_host, &o.connect_port)) {
        return fail("--direct must be IPV4:PORT");
      }
      o.listen_host = o.connect_host;
      o.listen_port = o.connect_port;
      if (args.count("listen") && !SplitHostPort(args["listen"].as<std::string>(), &o.listen_host, &o.listen_port)) {
        return fail("--listen must be IPV4:PORT");
      }
      o.listen_plain = args.count("listen-plain") > 0;
      o.cert_file = args["cert"].as<std::string>();
      o.key_file = args["key"].as<std::string>();
      if (o.cert_file.empty() != o.key_file.empty()) return fail("--cert and --key go together");
    } else {
      return fail("give --relay URI or --direct HOST:PORT");
    }
    o.user = args["user"].as<std::string>();
    o.password = args["password"].as<std::string>();
    o.user_b = args["user-b"].as<std::string>();
    o.password_b = args["password-b"].as<std::string>();
    if (o.user_b.empty()) o.user_b = o.user;
    if (o.password_b.empty()) o.password_b = o.password;
    if (!o.direct && o.user.empty()) return fail("relay mode needs --user and --password");
    std::string du = args["digest-uri"].as<std::string>();
    if (du != "yes" && du != "no") return fail("--digest-uri is yes or no");
    o.digest_uri = du == "yes";
    o.expires = args["expires"].as<uint32_t>();
    o.ca_file = args["ca"].as<std::string>();
    o.insecure = args.count("insecure") > 0;
    if (!o.ca_file.empty() && o.insecure) return fail("--ca and --insecure exclude each other");
    o.tls_name = args["tls-name"].as<std::string>();
    if (o.tls_name.empty()) o.tls_name = o.connect_host;

    o.pairs = args["pairs"].as<uint32_t>();
    auto size = ParseSize(args["size"].as<std::string>());
    auto chunk = ParseSize(args["chunk"].as<std::string>());
    if (!size || *size == 0) return fail("--size must be a positive size");
    if (!chunk) return fail("--chunk must be a size");
    o.size = *size;
    o.chunk = *chunk == 0 || *chunk > o.size ? o.size : *chunk;
    if (o.chunk > (64ull << 20)) return fail("--chunk is at most 64 MiB");
    o.window = args["window"].as<uint32_t>();
    o.rate = args["rate"].as<double>();
    o.tick_us = args["tick-us"].as<uint32_t>();
    o.duration = args["duration"].as<double>();
    o.count = args["count"].as<uint64_t>();
    o.drain_timeout = args["drain-timeout"].as<double>();
    o.setup_timeout = args["setup-timeout"].as<double>();
    o.connect_concurrency = args["connect-concurrency"].as<uint32_t>();
    o.idle = args["idle"].as<uint32_t>();
    if (o.idle > 0 && o.direct) return fail("--idle needs a relay");
    if (o.idle > 0 && o.rate > 0) return fail("--idle sends nothing: no --rate");
    if (o.pairs == 0 || o.pairs > 100000) return fail("--pairs must be 1..100000");
    if (o.window == 0 || o.window > 100000) return fail("--window must be 1..100000");
    if (!(o.rate >= 0) || o.rate > 1e7) return fail("--rate must be in [0, 10000000] messages per second");
    if (o.tick_us < 10 || o.tick_us > 1000000) return fail("--tick-us must be in [10, 1000000]");
    if (!(o.duration > 0) || o.duration > 86400) return fail("--duration must be in (0, 86400]");
    if (o.drain_timeout < 0 || o.setup_timeout <= 0) return fail("timeouts must be positive");
    if (o.connect_concurrency == 0) return fail("--connect-concurrency must be positive");
    o.relay_pid = args["relay-pid"].as<int>();
    o.json = args.count("json") > 0;
    o.label = args["label"].as<std::string>();
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return o;
}

}  // namespace msrp::bench
