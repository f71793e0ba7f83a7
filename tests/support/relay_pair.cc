// Two cross-configured relays for the relay-chain e2e tests.
#include "tests/support/relay_pair.h"

#include <stdexcept>

namespace msrp::test {

RelayOptions ChainRelayOptions(const std::string& hostname) {
  RelayOptions o;
  o.hostname = hostname;
  o.cert_dns_names = {hostname};
  PeersOptions peers;
  peers.hosts = {{kRelay1Host, {"127.0.0.1"}}, {kRelay2Host, {"127.0.0.1"}}};
  o.peers = peers;
  return o;
}

void AddPeerHost(RelayOptions& options, const std::string& host,
                 const std::vector<std::string>& addresses) {
  if (!options.peers) options.peers = PeersOptions{};
  options.peers->hosts.emplace_back(host, addresses);
}

RelayPair::RelayPair(RelayPairOptions options) {
  relay1_ = std::make_unique<RelayProcess>(std::move(options.relay1));
  relay2_ = std::make_unique<RelayProcess>(std::move(options.relay2));
}

int RelayPair::ConnectionsBetween() const {
  int a = relay1_->EstablishedConnectionsToPort(relay2_->port());
  int b = relay2_->EstablishedConnectionsToPort(relay1_->port());
  if (a < 0 || b < 0) return -1;
  return a + b;
}

std::string RelayPair::DescribeConnections() const {
  return relay1_->DescribeTcpSockets() + relay2_->DescribeTcpSockets();
}

std::string RelayPair::Diagnostics() {
  return "relay1 (" + relay1_->hostname() + "): " + relay1_->Diagnostics() + "\nrelay2 (" +
         relay2_->hostname() + "): " + relay2_->Diagnostics() + "\n" + DescribeConnections();
}

ClientOptions RelayPair::ClientOptionsFor(RelayProcess& home, const std::string& name) {
  ClientOptions o = home.ClientOptionsFor(name);
  o.diagnostics = [this] { return Diagnostics(); };
  return o;
}

std::unique_ptr<MsrpClient> RelayPair::Connect(RelayProcess& home, const std::string& name) {
  return std::make_unique<MsrpClient>(home.port(), ClientOptionsFor(home, name));
}

Peer RelayPair::Authenticated(RelayProcess& home, const std::string& name, const std::string& user,
                              const std::string& password) {
  Peer p;
  p.client = Connect(home, name);
  AuthOptions options;
  options.to_uri = home.AuthUri();
  p.use_path = p.client->Authenticate(user, password, options).use_path;
  return p;
}

std::string ReportProblems(const Frame& r, const ExpectedReport& want) {
  std::string problems;
  if (!r.is_request || r.method != "REPORT") {
    problems += "want a REPORT request, got \"" + r.StartLine() + "\"\n";
  }
  if (r.tid == want.sent_tid) problems += "want a fresh tid, got the SEND's tid " + r.tid + "\n";
  if (r.headers.size() < 2 || r.headers[0].first != "To-Path" || r.headers[0].second != want.to_path) {
    problems += "want first header \"To-Path: " + want.to_path + "\"\n";
  }
  if (r.headers.size() < 2 || r.headers[1].first != "From-Path" ||
      r.headers[1].second != want.from_path) {
    problems += "want second header \"From-Path: " + want.from_path + "\"\n";
  }
  if (r.Header("Message-ID") != std::optional<std::string>(want.message_id)) {
    problems += "want \"Message-ID: " + want.message_id + "\"\n";
  }
  auto br = r.Header("Byte-Range");
  auto range = br ? ParseByteRange(*br) : std::nullopt;
  if (!range || range->start != 1 || range->total != want.total) {
    problems += "want \"Byte-Range: 1-<end>/" + std::to_string(want.total) + "\"\n";
  }
  auto status = r.Header("Status");
  bool status_ok = status && status->rfind(want.status_prefix, 0) == 0 &&
                   (status->size() == want.status_prefix.size() ||
                    (*status)[want.status_prefix.size()] == ' ');
  if (!status_ok) problems += "want \"Status: " + want.status_prefix + " <comment>\"\n";
  if (r.CountHeader("Success-Report") != 0 || r.CountHeader("Failure-Report") != 0) {
    problems += "want no Success-Report / Failure-Report header in a REPORT\n";
  }
  if (r.has_body || r.flag != '$') problems += "want a bodiless REPORT ending in $\n";
  if (!problems.empty()) problems += "got:\n" + r.Describe();
  return problems;
}

std::string ResponseProblems(const Frame& r, const std::string& tid, int code,
                             const std::string& to_path, const std::string& from_path) {
  std::string problems;
  if (r.is_request || r.tid != tid || r.status != code) {
    problems += "want start line \"MSRP " + tid + " " + std::to_string(code) + " ...\", got \"" +
                r.StartLine() + "\"\n";
  }
  if (r.headers.size() < 2 || r.headers[0].first != "To-Path" || r.headers[0].second != to_path) {
    problems += "want first header \"To-Path: " + to_path + "\"\n";
  }
  if (r.headers.size() < 2 || r.headers[1].first != "From-Path" || r.headers[1].second != from_path) {
    problems += "want second header \"From-Path: " + from_path + "\"\n";
  }
  if (r.flag != '$' || r.has_body) problems += "want a bodiless response ending in $\n";
  if (!problems.empty()) problems += "got:\n" + r.Describe();
  return problems;
}

}  // namespace msrp::test
