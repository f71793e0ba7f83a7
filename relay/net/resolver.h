// Next-hop name resolution that never blocks the loop (RFC 4976 §8, U-08; RFC 4975 §6.2):
// static peers.hosts entries first, then SRV (_msrps._tcp / _msrp._tcp) for URIs without a
// port, then A/AAAA. Lookups run on the libuv thread pool (uv_queue_work: res_nsearch for SRV,
// getaddrinfo for addresses); results come back on the loop thread.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <uv.h>

#include "common/result.h"
#include "config/config.h"

namespace msrp::relay {

/// One address to try, in the order given (U-08: try further addresses on failure).
struct ResolvedAddress {
  sockaddr_storage addr{};   ///< AF_INET or AF_INET6 with the port set
  std::string text;          ///< "192.0.2.1:2855" or "[2001:db8::1]:2855", for logs
};

/// Asynchronous resolver for next-hop URI authorities. One per loop; not thread-safe (its
/// methods are called on the loop thread only).
class Resolver {
 public:
  /// Called once on the loop thread with the addresses in order (never empty on success), or
  /// an error text such as "no address for relay2.example.net" or "DNS failure: ...".
  using Callback = std::function<void(Result<std::vector<ResolvedAddress>>)>;

  explicit Resolver(uv_loop_t* loop);
  ~Resolver();  ///< pending callbacks are dropped (the work itself finishes on the pool)
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  /// Replaces the static host table (peers.hosts; reload). Lookups already running keep the
  /// table they started with.
  void SetStaticHosts(const std::vector<std::pair<std::string, std::vector<config::StaticHostAddress>>>& hosts);

  /// Starts resolving `host` (a DNS name, or an IPv4 / IPv6 literal without brackets) for a
  /// URI with `port` (nullopt when the URI has none) and scheme msrps (`tls` true) or msrp.
  /// Order of sources:
  ///   1. IP literal: that address with `port` (2855 when none).
  ///   2. `host` in the static table (case-insensitive): its entries in order; an entry's own
  ///      port applies when the URI has no port, else the URI's port; no port anywhere: 2855.
  ///   3. `port` given: getaddrinfo(host, AF_UNSPEC, SOCK_STREAM), in the order it returns.
  ///   4. No port: SRV _msrps._tcp.<host> (_msrp._tcp for plain) ordered by priority, then
  ///      weight (RFC 2782; higher weight first among equal priority is good enough), each
  ///      target resolved with getaddrinfo and its SRV port; no SRV records: A/AAAA with 2855.
  /// The callback is never invoked from inside Resolve() (always later, from the loop).
  /// Returns an id for Cancel().
  uint64_t Resolve(const std::string& host, std::optional<uint16_t> port, bool tls, Callback callback);

  /// The callback of request `id` will not be called (no-op when it already ran).
  void Cancel(uint64_t id);

 private:
  struct Request;
  static void DoWork(uv_work_t* work);                 // pool thread: DNS lookups
  static void AfterWork(uv_work_t* work, int status);  // loop: delivers or frees a DNS request
  static void OnTimer(uv_timer_t* timer);              // loop: delivers a literal/static answer
  void Detach(Request* request);  // drops the callback; the request frees itself later

  uv_loop_t* loop_;
  uint64_t next_id_ = 1;
  std::shared_ptr<const std::unordered_map<std::string, std::vector<config::StaticHostAddress>>> hosts_;
  std::unordered_map<uint64_t, Request*> pending_;  ///< id -> request in flight
};

}  // namespace msrp::relay
