// Interoperability with Kamailio's MSRP relay (msrp module, Kamailio 5.6), RFC 4976 §3 chains:
// A (alice) authenticates at msrp-relay (Use-Path R1a), B (bob) at Kamailio (Use-Path K_b =
// msrps://127.0.0.1:KPORT/<id>;tcp), and messages cross both relays in each direction.
//
// Opt-in (-DMSRP_INTEROP_TESTS=ON, ctest label "interop"): Kamailio must already run, e.g. via
// scripts/interop-kamailio.sh. Environment:
//   KAMAILIO_TLS_PORT  its TLS listener on 127.0.0.1 (required)
//   KAMAILIO_RUNDIR    its runtime folder holding relay.crt and kamailio.log (default: $RUNDIR,
//                      then /tmp/msrp-peers/kamailio)
//
// msrp-relay runs with relay.hostname `localhost` (relay.hostname may not be an IP literal, and
// Kamailio resolves `localhost` through /etc/hosts when it dials R1a), a certificate for
// DNS:localhost + IP:127.0.0.1 from the test CA, tls.ca_file = test CA + Kamailio's self-signed
// certificate (so msrp-relay verifies Kamailio: chain and iPAddress 127.0.0.1), and
// limits.outgoing_chunk_bytes 8192 (Kamailio's msrp module relays frames of about 10 KB at most).
//
// Every frame an endpoint sees is printed (run ctest with -V or --output-on-failure).
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "tests/support/crypto_util.h"
#include "tests/support/expect.h"
#include "tests/support/msrp_client.h"
#include "tests/support/msrp_frame.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"
#include "tests/support/test_pki.h"

namespace msrp::test {
namespace {

// A frame crossing both relays may include a TCP + TLS handshake between them.
constexpr Millis kHopTimeout{10000};

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

// The running Kamailio instance the test talks to.
struct Kamailio {
  uint16_t tls_port = 0;
  std::string rundir;
  std::string cert_pem;  // its self-signed certificate (CN and SAN IP 127.0.0.1)

  std::string AuthUri() const { return "msrps://127.0.0.1:" + std::to_string(tls_port) + ";tcp"; }
  std::string LogPath() const { return rundir + "/kamailio.log"; }
  std::string Log() const { return ReadWholeFile(LogPath()); }
};

const Kamailio& GetKamailio() {
  static const Kamailio k = [] {
    Kamailio out;
    std::string port = EnvOr("KAMAILIO_TLS_PORT", "");
    if (port.empty()) {
      throw std::runtime_error(
          "KAMAILIO_TLS_PORT is not set: the interop tests need a running Kamailio MSRP relay "
          "(run scripts/interop-kamailio.sh, which starts one and sets it)");
    }
    int p = std::atoi(port.c_str());
    if (p <= 0 || p > 65535) throw std::runtime_error("bad KAMAILIO_TLS_PORT " + port);
    out.tls_port = static_cast<uint16_t>(p);
    out.rundir = EnvOr("KAMAILIO_RUNDIR", EnvOr("RUNDIR", "/tmp/msrp-peers/kamailio"));
    out.cert_pem = ReadWholeFile(out.rundir + "/relay.crt");
    if (out.cert_pem.find("BEGIN CERTIFICATE") == std::string::npos) {
      throw std::runtime_error("no Kamailio certificate at " + out.rundir +
                               "/relay.crt (set KAMAILIO_RUNDIR to the RUNDIR of its start.sh)");
    }
    int fd = RawTcpConnect(out.tls_port);
    if (fd < 0) {
      throw std::runtime_error("nothing listens on 127.0.0.1:" + port +
                               " (KAMAILIO_TLS_PORT): start Kamailio first");
    }
    close(fd);
    return out;
  }();
  return k;
}

// Prints a frame as the endpoint `where` saw it: start line, headers, body size, end-line.
void Show(const std::string& where, const Frame& f) {
  std::ostringstream o;
  o << "  [" << where << "] MSRP " << f.tid << " "
    << (f.is_request ? f.method : std::to_string(f.status) + (f.phrase.empty() ? "" : " " + f.phrase))
    << "\n";
  for (const auto& [name, value] : f.headers) o << "      " << name << ": " << value << "\n";
  if (f.has_body) o << "      <body: " << f.body.size() << " octets>\n";
  o << "      -------" << f.tid << f.flag << "\n";
  std::cout << o.str() << std::flush;
}

void Say(const std::string& text) { std::cout << text << "\n" << std::flush; }

// Lines of `log` from offset `from` on that match `pattern` (ECMAScript, case-insensitive).
std::string GrepLines(const std::string& log, size_t from, const std::string& pattern) {
  std::regex re(pattern, std::regex::icase);
  std::istringstream in(from < log.size() ? log.substr(from) : std::string());
  std::string line, out;
  while (std::getline(in, line)) {
    if (std::regex_search(line, re)) out += "      " + line + "\n";
  }
  return out;
}

RelayOptions InteropRelayOptions(const Kamailio& k) {
  RelayOptions o;
  o.hostname = "localhost";
  o.cert_dns_names = {"localhost"};
  o.limits["outgoing_chunk_bytes"] = "8192";
  o.limits["transaction_timeout"] = "10";
  PeersOptions peers;
  peers.connect_timeout = 5;
  o.peers = peers;
  o.extra_ca_pem = k.cert_pem;
  return o;
}

// msrp-relay with A authenticated (R1a), and B authenticated at Kamailio (K_b).
struct Interop {
  const Kamailio& k;
  size_t kamailio_log_start;
  RelayProcess relay;
  Peer a;
  Peer b;

  Interop()
      : k(GetKamailio()), kamailio_log_start(k.Log().size()), relay(InteropRelayOptions(k)) {
    a = AuthenticatedPeer(relay, "alice", "alice", "alicepw");
    ClientOptions bo;
    bo.name = "bob";
    bo.server_name = "127.0.0.1";  // Kamailio's certificate: SAN IP:127.0.0.1
    bo.extra_ca_pem = k.cert_pem;
    bo.diagnostics = [this] { return Diagnostics(); };
    b.client = std::make_unique<MsrpClient>(k.tls_port, bo);
    AuthOptions ao;
    ao.to_uri = k.AuthUri();
    ao.with_uri_param = true;                // Kamailio needs uri= in Authorization
    ao.require_authentication_info = false;  // Kamailio's 200 has none
    AuthResult r = b.client->Authenticate("bob", "bobpass", ao);
    b.use_path = r.use_path;
    Say("  A  = " + a.uri() + "\n  R1a = " + a.use_path + "   (msrp-relay 127.0.0.1:" +
        std::to_string(relay.port()) + ")\n  B  = " + b.uri() + "\n  K_b = " + b.use_path +
        "   (Kamailio, AUTH 200 Expires " + std::to_string(r.expires) + ")");
    REQUIRE_MESSAGE(std::regex_match(b.use_path, std::regex("msrps://127\\.0\\.0\\.1:" +
                                                            std::to_string(k.tls_port) +
                                                            "/[^/;]+;tcp")),
                    "Kamailio's Use-Path: " << b.use_path);
  }

  ~Interop() {
    // What both relays logged about this test's traffic.
    Say("  msrp-relay log (connections, TLS, relays, forwarding):\n" +
        GrepLines(relay.Log(), 0,
                  "127\\.0\\.0\\.1:" + std::to_string(k.tls_port) +
                      "|peer is relay|certificate|outbound|next hop|connect|split|piece|warn|error"));
    Say("  kamailio.log (this test):\n" +
        GrepLines(k.Log(), kamailio_log_start, "MSRP|tls|msrp|ERROR|WARN"));
  }

  std::string Diagnostics() {
    std::string klog = k.Log();
    size_t from = klog.size() > 4000 ? klog.size() - 4000 : 0;
    return relay.Diagnostics() + "\nkamailio.log tail:\n" + klog.substr(from);
  }
};

SendSpec Send(const std::vector<std::string>& to_path, const std::string& from,
              const std::string& body) {
  SendSpec s;
  s.tid = NewTid();
  s.to_path = to_path;
  s.from_path = {from};
  s.message_id = RandomAlnum(10);
  s.byte_range = "1-" + std::to_string(body.size()) + "/" + std::to_string(body.size());
  s.body = body;
  return s;
}

// The reply an endpoint sends to a SEND it received (RFC 4975 §7.2: To-Path = the first URI of
// the request's From-Path).
std::string Answer200(const Frame& got, const Peer& me) {
  return BuildResponse(got.tid, 200, "OK", {got.Path("From-Path").front()}, {me.uri()});
}

std::string Problems(const Frame& r, const std::string& tid, int code, const std::string& to,
                     const std::string& from) {
  std::string p;
  if (r.is_request || r.tid != tid || r.status != code) {
    p += "want MSRP " + tid + " " + std::to_string(code) + ", got " + r.StartLine() + "\n";
  }
  if (r.Header("To-Path") != std::optional<std::string>(to)) p += "want To-Path: " + to + "\n";
  if (r.Header("From-Path") != std::optional<std::string>(from)) p += "want From-Path: " + from + "\n";
  return p.empty() ? p : p + r.Describe();
}

// Receives the chunks of one message at `to` (answering each SEND with 200), until one ends
// in '$'; returns them. Each must carry `message_id`.
std::vector<Frame> ReceiveMessage(const Peer& to, const std::string& where,
                                  const std::string& message_id, int max_chunks = 16) {
  std::vector<Frame> chunks;
  for (int i = 0; i < max_chunks; ++i) {
    Frame f = to->ReadFrame(kHopTimeout, "chunk " + std::to_string(i + 1) + " of message " + message_id);
    Show(where, f);
    REQUIRE_MESSAGE(f.is_request, f.Describe());
    CHECK(f.method == "SEND");
    CHECK(f.Header("Message-ID") == std::optional<std::string>(message_id));
    to->Write(Answer200(f, to));
    chunks.push_back(f);
    if (f.flag == '$') break;
  }
  return chunks;
}

// Puts chunk bodies at their Byte-Range offsets; checks ranges are consistent with `total`.
std::string Reassemble(const std::vector<Frame>& chunks, size_t total) {
  std::string out(total, '\0');
  std::vector<bool> have(total, false);
  for (const Frame& f : chunks) {
    auto br = ParseByteRange(f.Header("Byte-Range").value_or(""));
    REQUIRE_MESSAGE(br.has_value(), f.Describe());
    CHECK(br->total == static_cast<int64_t>(total));
    REQUIRE(br->start >= 1);
    REQUIRE(static_cast<size_t>(br->start - 1) + f.body.size() <= total);
    if (br->end != -1) CHECK(br->end == br->start - 1 + static_cast<int64_t>(f.body.size()));
    out.replace(static_cast<size_t>(br->start - 1), f.body.size(), f.body);
    for (size_t i = 0; i < f.body.size(); ++i) have[static_cast<size_t>(br->start - 1) + i] = true;
  }
  for (size_t i = 0; i < total; ++i) {
    if (!have[i]) {
      FAIL_CHECK("octet " << i + 1 << " of " << total << " never arrived");
      break;
    }
  }
  return out;
}

void WriteWholeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

// `kamcmd tls.reload` on Kamailio's ctl socket: Kamailio re-reads $RUNDIR/tls.cfg (new
// connections use it). Returns the command's output; throws unless it succeeded.
std::string KamailioTlsReload(const Kamailio& k) {
  std::string cmd = "kamcmd -s unix:" + k.rundir + "/kamailio_ctl tls.reload 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) throw std::runtime_error("cannot run " + cmd);
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  int status = pclose(f);
  if (status != 0 || out.find("error") != std::string::npos) {
    throw std::runtime_error(cmd + " failed (status " + std::to_string(status) + "): " + out);
  }
  return out;
}

// Kamailio's tls.cfg with certificates on both sides: as server it asks for a client
// certificate (optional, so test clients without one still connect) and verifies it against
// `ca_list`; as client it presents its own certificate and verifies the server's chain.
std::string MutualTlsConfig(const Kamailio& k, const std::string& ca_list) {
  const std::string& d = k.rundir;
  return "# written by tests/interop/kamailio_test.cc (mutual TLS case), restored afterwards\n"
         "[server:default]\nmethod = TLSv1.2+\nverify_certificate = yes\nrequire_certificate = no\n"
         "ca_list = " + ca_list + "\nprivate_key = " + d + "/relay.key\ncertificate = " + d +
         "/relay.crt\n\n"
         "[client:default]\nmethod = TLSv1.2+\nverify_certificate = yes\nrequire_certificate = yes\n"
         "ca_list = " + ca_list + "\nprivate_key = " + d + "/relay.key\ncertificate = " + d +
         "/relay.crt\n";
}

// Swaps Kamailio's tls.cfg for the test's and restores (and reloads) the original at scope end.
class KamailioTlsConfigSwap {
 public:
  KamailioTlsConfigSwap(const Kamailio& k, const std::string& config)
      : k_(k), path_(k.rundir + "/tls.cfg"), original_(ReadWholeFile(path_)) {
    if (original_.empty()) throw std::runtime_error("no " + path_);
    Apply(config);
  }
  void Apply(const std::string& config) {
    WriteWholeFile(path_, config);
    KamailioTlsReload(k_);
  }
  ~KamailioTlsConfigSwap() {
    try {
      WriteWholeFile(path_, original_);
      KamailioTlsReload(k_);
    } catch (const std::exception& e) {
      ADD_FAIL_CHECK_AT(__FILE__, __LINE__, (std::string("restoring Kamailio's tls.cfg: ") + e.what()));
    }
  }

 private:
  const Kamailio& k_;
  std::string path_;
  std::string original_;
};

}  // namespace

TEST_SUITE("interop.kamailio") {

TEST_CASE("msrp-relay -> Kamailio: A's SEND `To-Path: R1a K_b B` is forwarded by msrp-relay over "
          "TLS to Kamailio (certificate verified) and Kamailio delivers it to B") {
  Say("\n=== direction 1: A@msrp-relay -> B@Kamailio (SEND)");
  Interop x;
  const std::string body = "Hello Bob, from Alice via msrp-relay and Kamailio";
  SendSpec s = Send({x.a.use_path, x.b.use_path, x.b.uri()}, x.a.uri(), body);
  s.extra = {{"X-Interop", "direction 1"}};
  const std::string sent = BuildSend(s);
  x.a->Write(sent);
  Say("  A sent MSRP " + s.tid + " SEND, To-Path: " + JoinPath(s.to_path));

  Frame ok = x.a->ReadFrame(kHopTimeout, "msrp-relay's 200");
  Show("A <- msrp-relay", ok);
  std::string p = CheckRelay200(ok, s.tid, x.a);
  CHECK_MESSAGE(p.empty(), p);

  Frame got = x.b->ReadFrame(kHopTimeout, "the SEND relayed by msrp-relay and Kamailio");
  Show("B <- Kamailio", got);
  CHECK(got.method == "SEND");
  CHECK(got.Path("To-Path") == std::vector<std::string>{x.b.uri()});
  CHECK(got.Path("From-Path") == std::vector<std::string>{x.b.use_path, x.a.use_path, x.a.uri()});
  CHECK(got.body == body);
  // Byte-exact: msrp-relay rewrote To-Path/From-Path, the tid and the Byte-Range end (`*`,
  // R-15); Kamailio rewrote the paths again and kept msrp-relay's tid; every other header
  // passes unchanged.
  CHECK_BYTES(got.raw, ExpectedForward(sent, got.tid, {x.b.uri()},
                                       {x.b.use_path, x.a.use_path, x.a.uri()}, true));
  x.b->Write(Answer200(got, x.b));
  // Kamailio answered msrp-relay's hop with 200 (and drops B's hop-by-hop 200): A sees nothing
  // more, in particular no failure REPORT.
  CHECK_SILENT(*x.a.client, 2000);
  CHECK_SILENT(*x.b.client, 200);
  CHECK(x.relay.EstablishedConnectionsToPort(x.k.tls_port) == 1);
}

TEST_CASE("Kamailio -> msrp-relay: B's SEND `To-Path: K_b R1a A` is forwarded by Kamailio over "
          "TLS to msrp-relay (localhost) and msrp-relay delivers it to A") {
  Say("\n=== direction 2: B@Kamailio -> A@msrp-relay (SEND)");
  Interop x;
  const std::string body = "Hello Alice, from Bob via Kamailio and msrp-relay";
  SendSpec s = Send({x.b.use_path, x.a.use_path, x.a.uri()}, x.b.uri(), body);
  s.extra = {{"X-Interop", "direction 2"}};
  const std::string sent = BuildSend(s);
  x.b->Write(sent);
  Say("  B sent MSRP " + s.tid + " SEND, To-Path: " + JoinPath(s.to_path));

  Frame ok = x.b->ReadFrame(kHopTimeout, "Kamailio's 200");
  Show("B <- Kamailio", ok);
  std::string p = Problems(ok, s.tid, 200, x.b.uri(), x.b.use_path);
  CHECK_MESSAGE(p.empty(), p);

  Frame got = x.a->ReadFrame(kHopTimeout, "the SEND relayed by Kamailio and msrp-relay");
  Show("A <- msrp-relay", got);
  CHECK(got.method == "SEND");
  CHECK(IsFreshRelayTid(got.tid, s.tid));
  CHECK(got.Path("To-Path") == std::vector<std::string>{x.a.uri()});
  CHECK(got.Path("From-Path") == std::vector<std::string>{x.a.use_path, x.b.use_path, x.b.uri()});
  CHECK(got.body == body);
  CHECK_BYTES(got.raw, ExpectedForward(sent, got.tid, {x.a.uri()},
                                       {x.a.use_path, x.b.use_path, x.b.uri()}, true));
  x.a->Write(Answer200(got, x.a));
  CHECK_SILENT(*x.b.client, 2000);
  CHECK_SILENT(*x.a.client, 200);
}

TEST_CASE("both directions on one pair, then Success-Report: B's REPORT reaches A and A's REPORT "
          "reaches B") {
  Say("\n=== both directions + REPORTs");
  Interop x;
  // A -> B with Success-Report: yes
  SendSpec s = Send({x.a.use_path, x.b.use_path, x.b.uri()}, x.a.uri(), "please confirm");
  s.success_report = "yes";
  x.a->Write(BuildSend(s));
  Frame ok = x.a->ReadFrame(kHopTimeout, "msrp-relay's 200");
  Show("A <- msrp-relay", ok);
  std::vector<Frame> got = ReceiveMessage(x.b, "B <- Kamailio", s.message_id);
  REQUIRE(got.size() == 1);
  CHECK(got[0].body == "please confirm");

  // B's success REPORT back to A (RFC 4975 §7.1.2: To-Path = the SEND's From-Path).
  std::string rtid = NewTid();
  std::string report = BuildReport(rtid, got[0].Path("From-Path"), {x.b.uri()}, s.message_id,
                                   "1-14/14", "000 200 OK");
  x.b->Write(report);
  Say("  B sent MSRP " + rtid + " REPORT, To-Path: " + JoinPath(got[0].Path("From-Path")));
  Frame r = x.a->ReadFrame(kHopTimeout, "B's REPORT via Kamailio and msrp-relay");
  Show("A <- msrp-relay", r);
  CHECK(r.method == "REPORT");
  CHECK(r.Path("To-Path") == std::vector<std::string>{x.a.uri()});
  CHECK(r.Path("From-Path") == std::vector<std::string>{x.a.use_path, x.b.use_path, x.b.uri()});
  CHECK(r.Header("Status") == std::optional<std::string>("000 200 OK"));
  CHECK(r.Header("Message-ID") == std::optional<std::string>(s.message_id));

  // A's REPORT to B (e.g. about a message B sent): through msrp-relay and Kamailio.
  std::string mid = RandomAlnum(10);
  std::string atid = NewTid();
  x.a->Write(BuildReport(atid, {x.a.use_path, x.b.use_path, x.b.uri()}, {x.a.uri()}, mid, "1-5/5",
                         "000 200 OK"));
  Say("  A sent MSRP " + atid + " REPORT");
  Frame r2 = x.b->ReadFrame(kHopTimeout, "A's REPORT via msrp-relay and Kamailio");
  Show("B <- Kamailio", r2);
  CHECK(r2.method == "REPORT");
  CHECK(r2.Path("To-Path") == std::vector<std::string>{x.b.uri()});
  CHECK(r2.Path("From-Path") == std::vector<std::string>{x.b.use_path, x.a.use_path, x.a.uri()});
  CHECK(r2.Header("Message-ID") == std::optional<std::string>(mid));
  // Nobody answers a REPORT.
  CHECK_SILENT(*x.a.client, 1500);
  CHECK_SILENT(*x.b.client, 200);
}

TEST_CASE("a 2-chunk message (8000 + 8000 octets) crosses both relays in each direction") {
  Say("\n=== 2-chunk messages, both directions");
  Interop x;
  const std::string body = PseudoRandomBytes(16000, 4976);
  struct Dir {
    const Peer* from;
    const Peer* to;
    std::string from_label;
    std::string to_label;
  };
  for (const Dir& d : {Dir{&x.a, &x.b, "A <- msrp-relay", "B <- Kamailio"},
                       Dir{&x.b, &x.a, "B <- Kamailio", "A <- msrp-relay"}}) {
    const Peer& from = *d.from;
    const Peer& to = *d.to;
    Say("  " + std::string(&from == &x.a ? "A -> B" : "B -> A") + ": 2 chunks");
    std::string mid = RandomAlnum(10);
    for (int i = 0; i < 2; ++i) {
      SendSpec s;
      s.tid = NewTid();
      s.to_path = {from.use_path, to.use_path, to.uri()};
      s.from_path = {from.uri()};
      s.message_id = mid;
      s.byte_range = std::to_string(i * 8000 + 1) + "-" + std::to_string(i * 8000 + 8000) + "/16000";
      s.body = body.substr(static_cast<size_t>(i) * 8000, 8000);
      s.content_type = "application/octet-stream";
      s.flag = i == 0 ? '+' : '$';
      from->Write(BuildSend(s));
      Frame ok = from->ReadFrame(kHopTimeout, "the first relay's 200 for chunk " + std::to_string(i + 1));
      Show(d.from_label, ok);
      CHECK(ok.status == 200);
      CHECK(ok.tid == s.tid);
    }
    std::vector<Frame> chunks = ReceiveMessage(to, d.to_label, mid);
    CHECK(chunks.size() == 2);
    CHECK_MESSAGE(Reassemble(chunks, 16000) == body, "the reassembled message differs");
    CHECK_SILENT(*from.client, 1500);
  }
}

TEST_CASE("a 20000-octet single-chunk SEND from A is split by msrp-relay "
          "(limits.outgoing_chunk_bytes 8192) so Kamailio can carry it, and B gets it intact") {
  Say("\n=== 20000 octets in one chunk from A, split by msrp-relay");
  Interop x;
  const std::string body = PseudoRandomBytes(20000, 4975);
  SendSpec s = Send({x.a.use_path, x.b.use_path, x.b.uri()}, x.a.uri(), body);
  s.content_type = "application/octet-stream";
  x.a->Write(BuildSend(s));
  Say("  A sent MSRP " + s.tid + " SEND, Byte-Range 1-20000/20000, one chunk");
  std::vector<Frame> chunks = ReceiveMessage(x.b, "B <- Kamailio", s.message_id);
  CHECK_MESSAGE(chunks.size() == 3, "want 3 pieces of at most 8192 octets, got " << chunks.size());
  for (const Frame& f : chunks) CHECK(f.body.size() <= 8192);
  CHECK_MESSAGE(Reassemble(chunks, 20000) == body, "the reassembled message differs");
  Frame ok = x.a->ReadFrame(kHopTimeout, "msrp-relay's 200");
  Show("A <- msrp-relay", ok);
  std::string p = CheckRelay200(ok, s.tid, x.a);
  CHECK_MESSAGE(p.empty(), p);
  CHECK_SILENT(*x.a.client, 2000);  // no failure REPORT: Kamailio answered every piece
}

TEST_CASE("mutual TLS: with Kamailio verifying client certificates and presenting its own, "
          "both directions still work, msrp-relay identifies Kamailio as relay 127.0.0.1, and "
          "Kamailio refuses msrp-relay when it does not trust msrp-relay's CA") {
  const char* reload = getenv("KAMAILIO_TLS_RELOAD");
  if (reload == nullptr || std::string(reload) != "1") {
    MESSAGE("skipped: set KAMAILIO_TLS_RELOAD=1 to let this test rewrite $KAMAILIO_RUNDIR/tls.cfg "
            "and run kamcmd tls.reload (scripts/interop-kamailio.sh does)");
    return;
  }
  Say("\n=== mutual TLS (Kamailio tls.cfg: verify_certificate = yes, client certificate set)");
  const Kamailio& k = GetKamailio();
  const std::string ca_list = k.rundir + "/msrp-relay-test-ca.crt";
  WriteWholeFile(ca_list, GetTestPki().ca_cert_pem);
  KamailioTlsConfigSwap swap(k, MutualTlsConfig(k, ca_list));
  {
    Interop x;
    // B -> A first: Kamailio dials msrp-relay, presenting its certificate (SAN IP:127.0.0.1,
    // trusted through tls.ca_file) with From-Path[0] msrps://127.0.0.1:KPORT/...: msrp-relay
    // identifies it as relay 127.0.0.1 (A-17) and may reuse that connection toward K_b (C-06).
    SendSpec s2 = Send({x.b.use_path, x.a.use_path, x.a.uri()}, x.b.uri(), "mTLS B->A");
    x.b->Write(BuildSend(s2));
    Show("B <- Kamailio", x.b->ReadFrame(kHopTimeout, "Kamailio's 200"));
    std::vector<Frame> got = ReceiveMessage(x.a, "A <- msrp-relay", s2.message_id);
    CHECK(got.at(0).body == "mTLS B->A");
    auto line = x.relay.WaitForLog("peer is relay 127\\.0\\.0\\.1 \\(client certificate verified", Millis(2000));
    CHECK_MESSAGE(line.has_value(), "msrp-relay did not identify Kamailio by its client certificate\n"
                                        << x.relay.LogTail(40));
    // A -> B: msrp-relay's client certificate is verified by Kamailio (verify_certificate = yes).
    SendSpec s1 = Send({x.a.use_path, x.b.use_path, x.b.uri()}, x.a.uri(), "mTLS A->B");
    x.a->Write(BuildSend(s1));
    Show("A <- msrp-relay", x.a->ReadFrame(kHopTimeout, "msrp-relay's 200"));
    got = ReceiveMessage(x.b, "B <- Kamailio", s1.message_id);
    CHECK(got.at(0).body == "mTLS A->B");
    CHECK_SILENT(*x.a.client, 1500);
    CHECK_SILENT(*x.b.client, 200);
    const int dialled = x.relay.EstablishedConnectionsToPort(k.tls_port);
    Say("  msrp-relay connections it dialled to Kamailio: " + std::to_string(dialled) +
        " (0 = it reused Kamailio's inbound connection, C-06)\n" + x.relay.DescribeTcpSockets());
    CHECK_MESSAGE(dialled == 0, "msrp-relay opened its own connection to Kamailio although "
                                "Kamailio's connection was identified as relay 127.0.0.1");
  }

  Say("\n=== mutual TLS, negative control: Kamailio trusts only its own certificate");
  swap.Apply(MutualTlsConfig(k, k.rundir + "/relay.crt"));
  {
    Interop x;
    SendSpec s = Send({x.a.use_path, x.b.use_path, x.b.uri()}, x.a.uri(), "must not arrive");
    s.failure_report = "yes";
    x.a->Write(BuildSend(s));
    // A hears of the failure (C-09): a 200 and then REPORT 000 403, as for any TLS failure
    // toward a next hop (under TLS 1.3 the refusal arrives just after the handshake).
    bool failure_seen = false;
    for (int i = 0; i < 3 && !failure_seen; ++i) {
      Frame r = x.a->ReadFrame(Millis(15000), "msrp-relay's failure response or REPORT");
      Show("A <- msrp-relay", r);
      failure_seen = r.is_request ? r.method == "REPORT" : r.status != 200;
      if (r.is_request && r.method == "REPORT") {
        CHECK(r.Header("Status").value_or("").rfind("000 403", 0) == 0);
      }
    }
    CHECK_MESSAGE(failure_seen, "A was never told that the SEND failed");
    CHECK_SILENT(*x.b.client, 2000);
    auto failed = x.relay.WaitForLog("127\\.0\\.0\\.1:" + std::to_string(k.tls_port) + ".*(fail|error|closed)",
                                     Millis(2000));
    CHECK_MESSAGE(failed.has_value(), x.relay.LogTail(30));
    if (failed) Say("  msrp-relay: " + failed->at(0));
  }
}

}  // TEST_SUITE
}  // namespace msrp::test
