// Two msrp-relay processes cross-configured as a relay chain (RFC 4976 §3, §6.4): relay1.test and
// relay2.test on 127.0.0.1, each with a certificate for its own name from the test CA, the test
// CA as tls.ca_file (mutual TLS between them, C-03), and peers.hosts resolving both names (and
// any extra test names) to 127.0.0.1. Plus the checks the chain tests share.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/msrp_client.h"
#include "tests/support/msrp_frame.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"

namespace msrp::test {

inline constexpr const char* kRelay1Host = "relay1.test";
inline constexpr const char* kRelay2Host = "relay2.test";

/// Options of one chain relay: relay.hostname `hostname`, a certificate for DNS:`hostname`
/// (+ IP:127.0.0.1), and a peers section whose hosts map relay1.test and relay2.test to
/// 127.0.0.1 (the URI ports are used).
RelayOptions ChainRelayOptions(const std::string& hostname);

/// Adds `host` -> `addresses` to options.peers.hosts (creating the peers section if unset).
void AddPeerHost(RelayOptions& options, const std::string& host,
                 const std::vector<std::string>& addresses);

struct RelayPairOptions {
  RelayOptions relay1 = ChainRelayOptions(kRelay1Host);
  RelayOptions relay2 = ChainRelayOptions(kRelay2Host);
};

/// relay1 and relay2, started in that order (both must come up) and stopped in reverse order.
/// Every client made through the pair reports both relays' state and TCP sockets on failure.
class RelayPair {
 public:
  explicit RelayPair(RelayPairOptions options = {});
  RelayPair(const RelayPair&) = delete;
  RelayPair& operator=(const RelayPair&) = delete;

  RelayProcess& relay1() { return *relay1_; }
  RelayProcess& relay2() { return *relay2_; }

  /// Established TCP connections between the two relays: relay1's sockets whose remote port is
  /// relay2's TLS port plus relay2's sockets whose remote port is relay1's TLS port (each
  /// connection is seen once, from the side that dialled). -1 if /proc is unreadable.
  int ConnectionsBetween() const;
  /// Both relays' TCP socket tables, for failure messages.
  std::string DescribeConnections() const;
  /// Both relays' liveness and log tails plus DescribeConnections().
  std::string Diagnostics();

  /// Client options for a client of `home` (one of the two relays) named `name`: verifies
  /// home's certificate name; diagnostics cover both relays.
  ClientOptions ClientOptionsFor(RelayProcess& home, const std::string& name);
  /// A TLS client of `home`.
  std::unique_ptr<MsrpClient> Connect(RelayProcess& home, const std::string& name);
  /// A client of `home` that authenticated as user/password (AUTH To-Path home.AuthUri()).
  Peer Authenticated(RelayProcess& home, const std::string& name, const std::string& user,
                     const std::string& password);

 private:
  std::unique_ptr<RelayProcess> relay1_;
  std::unique_ptr<RelayProcess> relay2_;
};

/// What a relay-generated REPORT about a SEND must look like (RFC 4975 §7.1.2, R-10).
struct ExpectedReport {
  std::string to_path;                 ///< e.g. A's URI
  std::string from_path;               ///< e.g. R1a (relay1 reports) or "R1a R2b" (relayed)
  std::string message_id;
  int64_t total = 0;                   ///< Byte-Range total of the SEND; start must be 1
  std::string status_prefix;           ///< e.g. "000 408"
  std::string sent_tid;                ///< the SEND's tid (the REPORT's must differ)
};

/// Empty when `r` is a REPORT as described (bodiless, '$', fresh tid, Status starting with
/// status_prefix followed by end or a space, Byte-Range 1-x/total, no *-Report headers);
/// otherwise lists every deviation and the frame.
std::string ReportProblems(const Frame& r, const ExpectedReport& want);

/// Empty when `r` is the response `MSRP <tid> <code> ...` with the given To-Path and From-Path
/// (exactly) and nothing else checked; otherwise lists the deviations and the frame.
std::string ResponseProblems(const Frame& r, const std::string& tid, int code,
                             const std::string& to_path, const std::string& from_path);

}  // namespace msrp::test
