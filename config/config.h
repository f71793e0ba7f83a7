// The relay's configuration as plain structs with in-class defaults (LevelDB Options style).
// Loaded from YAML by config/loader.h; every key is documented in config/msrp-relay.yaml.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace msrp::config {

/// Transport of a listener.
enum class Transport { kTls, kTcp };

/// relay.listen[]: one listening socket.
struct ListenConfig {
  std::string address = "127.0.0.1";  ///< IPv4 or IPv6 literal
  uint16_t port = 2855;                ///< 0 = any free port (tests); logged once bound
  Transport transport = Transport::kTls;
};

/// relay: identity and listeners.
struct RelaySection {
  std::string hostname;                ///< host placed in Use-Path URIs (U-07: an FQDN)
  std::vector<ListenConfig> listen;    ///< at least one
};

/// tls: server certificate (PEM), key (PEM), optional CA bundle for peers.
struct TlsSection {
  std::string certificate;             ///< absolute path (resolved against the config folder)
  std::string private_key;             ///< absolute path
  std::string ca_file;                 ///< absolute path or empty (system store)
};

/// auth.expires: bounds and default of the Expires granted to an AUTH (seconds, A-10).
struct ExpiresConfig {
  uint32_t min = 60;
  uint32_t default_s = 600;            ///< YAML key "default"
  uint32_t max = 3600;
};

/// auth: Digest realm, users, nonce and failure policy.
struct AuthSection {
  std::string realm;
  std::string users_file;              ///< absolute path to an htdigest file
  ExpiresConfig expires;
  uint32_t nonce_lifetime = 300;       ///< seconds a nonce is valid before stale=true (A-08)
  uint32_t max_failures = 5;           ///< failed AUTHs before the connection is closed (A-16)
  /// user names allowed to use the relay; empty: every user of `users_file` in `realm`.
  /// Others get 403 after proving their password (e.g. a users file shared with a web server).
  std::vector<std::string> allow_users;
};

/// limits: every bound the relay enforces. Sizes in bytes, times in seconds.
struct LimitsSection {
  uint32_t max_head_bytes = 16384;         ///< start line + headers (S-07)
  uint32_t max_headers = 64;               ///< header count (S-07)
  uint32_t max_non_send_body = 10240;      ///< F-12
  uint32_t probation = 30;                 ///< C-05: first successful request within this time
  uint32_t transaction_timeout = 30;       ///< R-08: seconds from last byte written to REPORT 408
  uint64_t high_watermark = 1048576;       ///< pause sources when a destination queue passes this
  uint64_t low_watermark = 262144;         ///< resume them below this
  uint64_t max_queue_bytes = 16777216;     ///< hard cap: close a destination queue above this
  uint32_t stall_timeout = 60;             ///< close a destination stuck above high this long
  uint32_t max_connections = 10000;        ///< total inbound connections
  uint32_t handshake_timeout = 10;         ///< TLS handshake must finish within this
  uint32_t max_connections_per_ip = 256;   ///< inbound connections from one source address
  uint32_t max_pending_transactions = 10000;  ///< forwarded requests awaiting a response, per source
  uint32_t idle_timeout = 300;             ///< close a connection with no session idle this long
  uint64_t max_message_bytes = 0;          ///< 0 = unlimited; larger messages get 413 (E-03)
  uint32_t drain_timeout = 10;             ///< on SIGTERM, seconds in-flight chunks may take to finish
  /// Body bytes per forwarded SEND piece: a longer incoming chunk leaves as several SENDs ('+'
  /// then the upstream flag, fresh transaction ids, Byte-Range moved on; ), so
  /// one long chunk cannot hold a shared connection. 0 = pass chunks through whole.
  uint64_t outgoing_chunk_bytes = 0;
};

/// peers.hosts entry: a static address for a next-hop host name, consulted before DNS.
struct StaticHostAddress {
  std::string address;                     ///< IPv4 or IPv6 literal (no brackets)
  uint16_t port = 0;                       ///< 0 = none given: the URI's port (or 2855, U-08)
};

/// peers: outbound connections to other relays and relay-less peers (RFC 4976 §6.4, C-03..C-09)
/// and which relays may use this one.
struct PeersSection {
  uint32_t connect_timeout = 10;           ///< seconds for DNS + TCP connect + TLS handshake
  uint32_t idle_timeout = 3600;            ///< seconds an outbound connection may stay unused (C-08)
  bool allow_plain_tcp = false;            ///< forward to msrp: (plain TCP) next hops (C-04)
  /// A-17 policy for relays that connect to us (identified by a client certificate whose
  /// subjectAltName matches From-Path[0]'s host): host names or "*.domain" patterns.
  std::vector<std::string> relays_allow;   ///< empty = any relay whose certificate validates
  std::vector<std::string> relays_deny;    ///< checked first
  /// Static name resolution (like /etc/hosts): host name (lower case) -> addresses in order.
  /// An entry's port is used for URIs without a port (in place of SRV); otherwise the URI's port.
  std::vector<std::pair<std::string, std::vector<StaticHostAddress>>> hosts;
};

/// metrics: Prometheus text exposition and health checks over HTTP; off when the section is absent.
struct MetricsSection {
  bool enabled = false;                    ///< true when the YAML has a metrics section
  std::string address = "127.0.0.1";       ///< IPv4 or IPv6 literal
  uint16_t port = 9090;                    ///< 0 = any free port (logged once bound)
};

/// log: level and format.
struct LogSection {
  std::string level = "info";              ///< trace, debug, info, warn, error, critical, off
  std::string format = "text";             ///< text or json
};

/// The whole configuration.
struct Config {
  std::string path;                        ///< the file it was loaded from (absolute)
  RelaySection relay;
  TlsSection tls;
  AuthSection auth;
  LimitsSection limits;
  LogSection log;
  MetricsSection metrics;
  PeersSection peers;
};

}  // namespace msrp::config
