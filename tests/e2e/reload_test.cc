// End-to-end tests of SIGHUP: a new user, a refused broken config, a reload during a 16 MiB
// transfer, certificate rotation.
#include <doctest/doctest.h>

#include <signal.h>

#include <string>

#include "tests/support/crypto_util.h"
#include "tests/support/expect.h"
#include "tests/support/msrp_client.h"
#include "tests/support/relay_admin.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"
#include "tests/support/test_pki.h"

namespace msrp::test {

TEST_CASE("SIGHUP with a new user in the users file keeps existing sessions relaying and lets "
          "the new user authenticate") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  RelayOneMessage(p.a, p.b, "before the reload");
  const std::string use_a = p.a.use_path;
  const std::string use_b = p.b.use_path;

  // dave is unknown before the reload.
  {
    auto dave = relay.Connect("dave");
    CHECK_THROWS(dave->Authenticate("dave", "davepw"));
  }

  WriteText(relay.dir() + "/users.htdigest", DefaultUsers() + UserLine("dave", "davepw"));
  std::string after = ReloadAndWait(relay, "reload done");
  CHECK(after.find("SIGHUP: reloading " + relay.dir() + "/relay.yaml") != std::string::npos);
  CHECK(after.find("reload refused") == std::string::npos);

  // Same connections, same Use-Paths, both directions.
  CHECK(p.a.use_path == use_a);
  CHECK(p.b.use_path == use_b);
  RelayOneMessage(p.a, p.b, "after the reload, A to B");
  RelayOneMessage(p.b, p.a, "after the reload, B to A");

  Peer dave = AuthenticatedPeer(relay, "dave", "dave", "davepw");
  RelayOneMessage(dave, p.a, "dave is new");
  RelayOneMessage(p.b, dave, "hello dave");
  CHECK_SILENT(*p.a.client, 200);
}

TEST_CASE("SIGHUP with a broken config is refused with FILE:LINE: KEY: MESSAGE and the running "
          "configuration keeps serving") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  const std::string config_path = relay.dir() + "/relay.yaml";
  std::string yaml = ReadText(config_path);
  size_t limits = yaml.find("limits:\n");
  REQUIRE(limits != std::string::npos);
  yaml.insert(limits + 8, "  max_headers: abc\n");
  WriteText(config_path, yaml);
  // The users file changes too: it must not be applied when the reload is refused.
  WriteText(relay.dir() + "/users.htdigest", UserLine("dave", "davepw"));
  const int line = LineNumberOf(yaml, "  max_headers: abc");
  REQUIRE(line > 0);

  std::string after = ReloadAndWait(relay, "reload refused: keeping the running configuration");
  const std::string want = "reload refused: " + config_path + ":" + std::to_string(line) +
                           ": limits.max_headers: expected an integer, got 'abc'";
  CHECK_MESSAGE(after.find(want) != std::string::npos, "want \"" << want << "\" in:\n" << after);
  CHECK(after.find("reload done") == std::string::npos);

  // Old users still authenticate, new ones do not; existing and fresh pairs relay.
  Peer carol = AuthenticatedPeer(relay, "carol", "carol", "carolpw");
  {
    auto dave = relay.Connect("dave");
    CHECK_THROWS(dave->Authenticate("dave", "davepw"));
  }
  RelayOneMessage(p.a, p.b, "still relaying");
  RelayOneMessage(carol, p.b, "carol after a refused reload");
  RequireRelayStillWorks(relay);
  relay.RequireAlive();
}

TEST_CASE("SIGHUP while a 16 MiB message is relaying loses no session and no chunk") {
  constexpr size_t kChunk = 1 << 20;
  constexpr size_t kChunks = 16;
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);

  const std::string message = PseudoRandomBytes(kChunk * kChunks, 7977);
  const std::string message_id = RandomAlnum(12);
  const std::string stream = ChunkedSends(p, message, message_id, kChunk);
  MsrpClient& a = *p.a.client;
  BackgroundWriter writer([&a, &stream] { a.TryWrite(stream, Millis(30000)); });

  Frame first = p.b->ReadFrame(Millis(10000), "the first chunk");
  REQUIRE(first.body == message.substr(0, kChunk));

  // Reload mid-transfer: a new user, so the reload really applies something.
  WriteText(relay.dir() + "/users.htdigest", DefaultUsers() + UserLine("dave", "davepw"));
  std::string after = ReloadAndWait(relay, "reload done");
  CHECK(after.find("reload refused") == std::string::npos);

  // Every remaining chunk arrives complete, in order, byte-identical, with its own flag.
  for (size_t i = 1; i < kChunks; ++i) {
    Frame f = p.b->ReadFrame(Millis(10000), "chunk " + std::to_string(i + 1));
    auto range = ParseByteRange(f.Header("Byte-Range").value_or(""));
    REQUIRE_MESSAGE(range.has_value(), f.Describe());
    CHECK(range->start == i * kChunk + 1);
    CHECK(f.body == message.substr(i * kChunk, kChunk));
    CHECK(f.flag == (i + 1 == kChunks ? '$' : '+'));
  }
  CHECK(writer.Join().empty());
  RelayOneMessage(p.b, p.a, "same session after the reload");
}

TEST_CASE("SIGHUP after a certificate rotation: new connections see the new certificate, "
          "existing ones keep working") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  const std::string old_serial = p.a->PeerCertificateSerial();
  const std::string old_subject = p.a->PeerCertificateSubject();
  CHECK(old_serial == "2");
  CHECK(old_subject == "CN=relay.test,O=msrp-relay e2e tests");

  IssuedCert rotated = IssueRelayCertificate(4242, "relay.test rotated");
  WriteText(relay.dir() + "/relay.crt", rotated.cert_pem);
  WriteText(relay.dir() + "/relay.key", rotated.key_pem);
  ReloadAndWait(relay, "reload done");

  Peer carol = AuthenticatedPeer(relay, "carol", "carol", "carolpw");
  CHECK(carol->PeerCertificateSerial() == "4242");
  CHECK(carol->PeerCertificateSubject() == "CN=relay.test rotated,O=msrp-relay e2e tests");

  // The existing connections keep their session (and their handshake's certificate).
  CHECK(p.a->PeerCertificateSerial() == old_serial);
  RelayOneMessage(p.a, p.b, "old connections after the rotation");
  RelayOneMessage(carol, p.a, "new connection to an old one");
  RelayOneMessage(p.b, carol, "old connection to a new one");
}

TEST_CASE("SIGHUP applies a new log level and new limits to running connections") {
  RelayOptions options;
  options.log_level = "info";
  RelayProcess relay(options);
  PeerPair p = AuthenticatedPair(relay);
  RelayOneMessage(p.a, p.b, "at info level");
  // Text lines are "DATE TIME LEVEL MESSAGE": no debug line so far.
  CHECK(relay.Log().find(" debug ") == std::string::npos);

  const std::string config_path = relay.dir() + "/relay.yaml";
  std::string yaml = ReadText(config_path);
  const size_t level = yaml.find("  level: info\n");
  REQUIRE(level != std::string::npos);
  yaml.replace(level, 14, "  level: debug\n");
  yaml.insert(yaml.find("limits:\n") + 8, "  max_message_bytes: 100000\n");
  WriteText(config_path, yaml);
  ReloadAndWait(relay, "reload done");

  // The same exchange now logs at debug, e.g. the forwarding line "[cN] SEND TID -> cM as TID".
  const size_t mark = relay.Log().size();
  RelayOneMessage(p.a, p.b, "at debug level");
  CHECK(relay.WaitForLog(R"( debug \[c\d+\] SEND \S+ -> c\d+ as )", Millis(2000), mark).has_value());
  Peer carol = AuthenticatedPeer(relay, "carol", "carol", "carolpw");

  // The new limit applies on a connection opened before the reload: 413 at the head.
  SendSpec s = SendBetween(p.a, p.b, std::string(1000, 'x'));
  s.byte_range = "1-1000/200000";
  s.flag = '+';
  p.a->Write(BuildSend(s));
  Frame r = p.a->ReadFrame(kFrameTimeout, "413 for a message over the reloaded limit");
  CHECK_BYTES(r.raw, BuildResponse(s.tid, 413, "Stop Sending Message", {p.a.uri()}, {p.a.use_path}));
  CHECK_SILENT(*p.b.client, 300);
  RelayOneMessage(p.a, p.b, "a small message still passes");
  RelayOneMessage(carol, p.a, "and from the new connection");
}

TEST_CASE("SIGHUP with changed listeners and host name reports each as needing a restart, "
          "applies the rest and keeps serving on the running listener") {
  RelayProcess relay;
  PeerPair p = AuthenticatedPair(relay);
  const std::string config_path = relay.dir() + "/relay.yaml";
  std::string yaml = ReadText(config_path);
  const std::string old_listen = "    - { address: 127.0.0.1, port: 0, transport: tls }\n";
  const size_t listen = yaml.find(old_listen);
  REQUIRE(listen != std::string::npos);
  yaml.replace(listen, old_listen.size(), "    - { address: 127.0.0.1, port: 2, transport: tls }\n");
  const size_t host = yaml.find("  hostname: relay.test\n");
  REQUIRE(host != std::string::npos);
  yaml.replace(host, 23, "  hostname: other.test\n");
  WriteText(config_path, yaml);
  WriteText(relay.dir() + "/users.htdigest", DefaultUsers() + UserLine("dave", "davepw"));

  std::string after = ReloadAndWait(relay, "reload done");
  CHECK(after.find("reload: relay.hostname changed to 'other.test': needs a restart; keeping 'relay.test'") !=
        std::string::npos);
  CHECK(after.find("reload: relay.listen changed to 127.0.0.1:2/tls: needs a restart; keeping 127.0.0.1:0/tls") !=
        std::string::npos);
  CHECK(after.find("reload refused") == std::string::npos);

  // Same port and host name in new Use-Paths; the new users file is applied.
  Peer dave = AuthenticatedPeer(relay, "dave", "dave", "davepw");
  CHECK(dave.use_path.rfind(relay.RelayUri().substr(0, relay.RelayUri().size() - 4) + "/", 0) == 0);
  RelayOneMessage(dave, p.a, "dave after a partial reload");
  RelayOneMessage(p.b, dave, "to dave");
}

}  // namespace msrp::test
