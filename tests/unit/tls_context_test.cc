// Unit tests for relay/tls_context: server and client contexts, name checks (RFC 6125 rules,
// subjectAltName only) and in-memory handshakes between them (two SSLs joined by a BIO pair).
// The PKI is generated in-process (EC P-256, fast): a CA, leaves with chosen subjectAltNames,
// and a second, untrusted CA.

#include <doctest/doctest.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "relay/net/tls_context.h"
#include "tests/unit/temp_dir.h"

namespace msrp::relay {
namespace {

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct X509Free { void operator()(X509* p) const { X509_free(p); } };
struct SslFree { void operator()(SSL* p) const { SSL_free(p); } };
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using SslPtr = std::unique_ptr<SSL, SslFree>;

using unit_test::TempDir;

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  REQUIRE_MESSAGE(ext != nullptr, value);
  REQUIRE(X509_add_ext(cert, ext, -1) == 1);
  X509_EXTENSION_free(ext);
}

PkeyPtr NewKey() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  REQUIRE(key != nullptr);
  return key;
}

/// A CA certificate (issuer null) or a leaf signed by `issuer` with subjectAltName `san` (none
/// when empty).
X509Ptr MakeCert(EVP_PKEY* key, const std::string& cn, const std::string& san, X509* issuer,
                 EVP_PKEY* issuer_key) {
  static long serial = 1;
  X509Ptr cert(X509_new());
  REQUIRE(cert != nullptr);
  REQUIRE(X509_set_version(cert.get(), 2) == 1);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  REQUIRE(X509_set_pubkey(cert.get(), key) == 1);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  REQUIRE(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1);
  AddExt(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer == nullptr) {
    AddExt(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    AddExt(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExt(cert.get(), signer, NID_authority_key_identifier, "keyid");
    AddExt(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    AddExt(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    AddExt(cert.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth");
    if (!san.empty()) AddExt(cert.get(), signer, NID_subject_alt_name, san.c_str());
  }
  REQUIRE(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0);
  return cert;
}

void WritePem(const std::string& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  REQUIRE(f != nullptr);
  CHECK(PEM_write_X509(f, cert) == 1);
  std::fclose(f);
}

void WritePem(const std::string& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  REQUIRE(f != nullptr);
  CHECK(PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  std::fclose(f);
}

/// A trusted CA and an untrusted one in a temp folder; Leaf() issues certificates as files.
class Pki {
 public:
  Pki() : ca_key_(NewKey()), other_key_(NewKey()) {
    ca_ = MakeCert(ca_key_.get(), "tls_context_test CA", "", nullptr, nullptr);
    other_ = MakeCert(other_key_.get(), "tls_context_test untrusted CA", "", nullptr, nullptr);
    WritePem(dir_ / "ca.crt", ca_.get());
  }

  /// Writes NAME.crt / NAME.key (a leaf with subjectAltName `san`, CN `cn`, signed by the
  /// trusted CA or the untrusted one) and returns a TlsSection using them with ca.crt.
  config::TlsSection Leaf(const std::string& name, const std::string& san, bool trusted = true,
                          const std::string& cn = "leaf") {
    PkeyPtr key = NewKey();
    X509Ptr cert = MakeCert(key.get(), cn, san, trusted ? ca_.get() : other_.get(),
                            trusted ? ca_key_.get() : other_key_.get());
    config::TlsSection tls;
    tls.certificate = dir_ / (name + ".crt");
    tls.private_key = dir_ / (name + ".key");
    tls.ca_file = dir_ / "ca.crt";
    WritePem(tls.certificate, cert.get());
    WritePem(tls.private_key, key.get());
    return tls;
  }

  X509* ca() const { return ca_.get(); }
  std::string Path(const std::string& name) const { return dir_ / name; }

 private:
  TempDir dir_;
  PkeyPtr ca_key_;
  PkeyPtr other_key_;
  X509Ptr ca_;
  X509Ptr other_;
};

SslCtxPtr ServerCtx(const config::TlsSection& tls) {
  auto ctx = CreateServerContext(tls);
  REQUIRE_MESSAGE(ctx.ok(), ctx.error());
  return std::move(ctx).value();
}

SslCtxPtr ClientCtx(const config::TlsSection& tls) {
  auto ctx = CreateClientContext(tls);
  REQUIRE_MESSAGE(ctx.ok(), ctx.error());
  return std::move(ctx).value();
}

/// An MSRP client's context: verifies the relay against `ca_file`, presents no certificate.
SslCtxPtr PlainClientCtx(const std::string& ca_file) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
  REQUIRE(ctx != nullptr);
  REQUIRE(SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) == 1);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

/// Both ends of one in-memory TLS connection after the handshake ran to completion or failure.
struct Handshake {
  SslPtr client;
  SslPtr server;
  bool client_ok = false;
  bool server_ok = false;
};

/// Runs a handshake between a client SSL from `client_ctx` (prepared for `host` unless empty)
/// and a server SSL from `server_ctx`, joined by a BIO pair.
Handshake RunHandshake(SSL_CTX* client_ctx, SSL_CTX* server_ctx, const std::string& host,
                       int max_version = 0) {
  Handshake h;
  h.client.reset(SSL_new(client_ctx));
  h.server.reset(SSL_new(server_ctx));
  REQUIRE(h.client != nullptr);
  REQUIRE(h.server != nullptr);
  if (max_version != 0) REQUIRE(SSL_set_max_proto_version(h.client.get(), max_version) == 1);
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  REQUIRE(BIO_new_bio_pair(&client_bio, 0, &server_bio, 0) == 1);
  SSL_set_bio(h.client.get(), client_bio, client_bio);
  SSL_set_bio(h.server.get(), server_bio, server_bio);
  SSL_set_connect_state(h.client.get());
  SSL_set_accept_state(h.server.get());
  if (!host.empty()) {
    auto prepared = PrepareClientSsl(h.client.get(), host);
    REQUIRE_MESSAGE(prepared.ok(), prepared.error());
  }
  bool client_failed = false;
  bool server_failed = false;
  auto step = [](SSL* ssl, bool* ok, bool* failed) {
    if (*ok || *failed) return;
    int r = SSL_do_handshake(ssl);
    if (r == 1) {
      *ok = true;
      return;
    }
    int e = SSL_get_error(ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) *failed = true;
  };
  for (int i = 0; i < 50; ++i) {
    step(h.client.get(), &h.client_ok, &client_failed);
    step(h.server.get(), &h.server_ok, &server_failed);
    if ((h.client_ok || client_failed) && (h.server_ok || server_failed)) break;
  }
  // TLS 1.3: the client finishes before the server has checked its certificate; one read lets
  // it see the server's verdict (an alert), as a real connection would on its first read.
  if (h.client_ok && !h.server_ok) {
    char byte;
    int r = SSL_read(h.client.get(), &byte, 1);
    if (r <= 0 && SSL_get_error(h.client.get(), r) != SSL_ERROR_WANT_READ) h.client_ok = false;
  }
  ERR_clear_error();
  return h;
}

// ---------------------------------------------------------------------------------------------
// Contexts

TEST_CASE("C-01: server and client contexts refuse TLS below 1.2") {
  Pki pki;
  config::TlsSection tls = pki.Leaf("relay1", "DNS:relay1.test");
  SslCtxPtr server = ServerCtx(tls);
  SslCtxPtr client = ClientCtx(tls);
  CHECK(SSL_CTX_get_min_proto_version(server.get()) == TLS1_2_VERSION);
  CHECK(SSL_CTX_get_min_proto_version(client.get()) == TLS1_2_VERSION);
  CHECK(SSL_CTX_get_verify_mode(server.get()) == SSL_VERIFY_PEER);
  CHECK(SSL_CTX_get_verify_mode(client.get()) == SSL_VERIFY_PEER);
  CHECK(SSL_CTX_get_num_tickets(server.get()) == 0);
  CHECK(SSL_CTX_get_session_cache_mode(server.get()) == SSL_SESS_CACHE_OFF);
  CHECK((SSL_CTX_get_mode(server.get()) & SSL_MODE_RELEASE_BUFFERS) != 0);
  CHECK((SSL_CTX_get_mode(client.get()) & SSL_MODE_RELEASE_BUFFERS) != 0);
}

TEST_CASE("C-02: without tls.ca_file both contexts use the system trust store") {
  Pki pki;
  config::TlsSection tls = pki.Leaf("relay1", "DNS:relay1.test");
  tls.ca_file.clear();
  CHECK(CreateServerContext(tls).ok());
  CHECK(CreateClientContext(tls).ok());
}

/// The errors of creating a server and a client context from `tls`, which must both fail.
std::vector<std::string> ContextErrors(const config::TlsSection& tls) {
  std::vector<std::string> errors;
  for (auto make : {&CreateServerContext, &CreateClientContext}) {
    auto r = make(tls);
    REQUIRE_FALSE(r.ok());
    errors.push_back(r.error());
  }
  return errors;
}

TEST_CASE("C-03: context errors name the file") {
  Pki pki;
  config::TlsSection tls = pki.Leaf("relay1", "DNS:relay1.test");
  config::TlsSection bad = tls;
  bad.certificate = pki.Path("missing.crt");
  for (const std::string& e : ContextErrors(bad)) {
    CHECK(e.rfind("cannot load certificate " + bad.certificate + ": ", 0) == 0);
  }
  bad = tls;
  bad.private_key = pki.Path("missing.key");
  for (const std::string& e : ContextErrors(bad)) {
    CHECK(e.rfind("cannot load private key " + bad.private_key + ": ", 0) == 0);
  }
  bad = tls;
  bad.private_key = pki.Leaf("other", "DNS:other.test").private_key;
  for (const std::string& e : ContextErrors(bad)) {
    // OpenSSL already refuses a key of the certificate's type that does not match it.
    CHECK(e == "cannot load private key " + bad.private_key + ": key values mismatch");
  }
  bad = tls;
  bad.ca_file = pki.Path("missing-ca.crt");
  for (const std::string& e : ContextErrors(bad)) {
    CHECK(e.rfind("cannot load CA file " + bad.ca_file + ": ", 0) == 0);
  }
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("C-03: PrepareClientSsl rejects an empty host") {
  Pki pki;
  SslCtxPtr ctx = ClientCtx(pki.Leaf("relay1", "DNS:relay1.test"));
  SslPtr ssl(SSL_new(ctx.get()));
  auto r = PrepareClientSsl(ssl.get(), "");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == "invalid host name for TLS: ''");
}

// ---------------------------------------------------------------------------------------------
// Outbound (client) name checks, C-03

TEST_CASE("C-03: an outbound handshake verifies when the dialled name is in the subjectAltName") {
  Pki pki;
  config::TlsSection server_tls = pki.Leaf("relay1", "DNS:relay1.test");
  config::TlsSection client_tls = pki.Leaf("relay2", "DNS:relay2.test");
  SslCtxPtr server = ServerCtx(server_tls);
  SslCtxPtr client = ClientCtx(client_tls);
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    CAPTURE(version);
    Handshake h = RunHandshake(client.get(), server.get(), "relay1.test", version);
    CHECK(h.client_ok);
    CHECK(h.server_ok);
    CHECK(SSL_get_verify_result(h.client.get()) == X509_V_OK);
    CHECK(SSL_version(h.client.get()) == version);
    // SNI carried the dialled name.
    const char* sni = SSL_get_servername(h.server.get(), TLSEXT_NAMETYPE_host_name);
    REQUIRE(sni != nullptr);
    CHECK(std::string(sni) == "relay1.test");
    CHECK(PeerCertificateMatches(h.client.get(), "relay1.test"));
    CHECK(PeerCertificateMatches(h.client.get(), "RELAY1.test"));
    CHECK_FALSE(PeerCertificateMatches(h.client.get(), "relay2.test"));
    CHECK_FALSE(PeerCertificateMatches(h.client.get(), "127.0.0.1"));
  }
}

TEST_CASE("C-03: an outbound handshake fails when the dialled name is not in the subjectAltName") {
  Pki pki;
  SslCtxPtr server = ServerCtx(pki.Leaf("relay1", "DNS:relay1.test"));
  SslCtxPtr client = ClientCtx(pki.Leaf("relay2", "DNS:relay2.test"));
  Handshake h = RunHandshake(client.get(), server.get(), "relay2.test");
  CHECK_FALSE(h.client_ok);
  CHECK_FALSE(h.server_ok);
  CHECK(SSL_get_verify_result(h.client.get()) == X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST_CASE("C-03: the subject CN is not a name: a certificate without subjectAltName never matches") {
  Pki pki;
  SslCtxPtr server = ServerCtx(pki.Leaf("cn-only", "", true, "relay1.test"));
  SslCtxPtr client = ClientCtx(pki.Leaf("relay2", "DNS:relay2.test"));
  Handshake h = RunHandshake(client.get(), server.get(), "relay1.test");
  CHECK_FALSE(h.client_ok);
  // Without a name check the chain itself verifies; the name still does not match.
  Handshake any = RunHandshake(client.get(), server.get(), "");
  REQUIRE(any.client_ok);
  CHECK_FALSE(PeerCertificateMatches(any.client.get(), "relay1.test"));
}

TEST_CASE("C-03, BR-31: a wildcard matches one whole left-most label only (RFC 6125)") {
  Pki pki;
  SslCtxPtr server = ServerCtx(pki.Leaf("wild", "DNS:*.example.test"));
  SslCtxPtr client = ClientCtx(pki.Leaf("relay2", "DNS:relay2.test"));
  Handshake ok = RunHandshake(client.get(), server.get(), "a.example.test");
  CHECK(ok.client_ok);
  CHECK(ok.server_ok);
  CHECK(PeerCertificateMatches(ok.client.get(), "a.example.test"));
  CHECK(PeerCertificateMatches(ok.client.get(), "zz.example.test"));
  CHECK_FALSE(PeerCertificateMatches(ok.client.get(), "b.a.example.test"));
  CHECK_FALSE(PeerCertificateMatches(ok.client.get(), "example.test"));
  for (const char* host : {"b.a.example.test", "example.test"}) {
    CAPTURE(host);
    Handshake bad = RunHandshake(client.get(), server.get(), host);
    CHECK_FALSE(bad.client_ok);
    CHECK(SSL_get_verify_result(bad.client.get()) == X509_V_ERR_HOSTNAME_MISMATCH);
  }
}

TEST_CASE("C-03: a partial-label wildcard matches nothing") {
  Pki pki;
  SslCtxPtr server = ServerCtx(pki.Leaf("partial", "DNS:a*.example.test"));
  SslCtxPtr client = ClientCtx(pki.Leaf("relay2", "DNS:relay2.test"));
  Handshake h = RunHandshake(client.get(), server.get(), "ab.example.test");
  CHECK_FALSE(h.client_ok);
  Handshake any = RunHandshake(client.get(), server.get(), "");
  REQUIRE(any.client_ok);
  CHECK_FALSE(PeerCertificateMatches(any.client.get(), "ab.example.test"));
}

TEST_CASE("C-03: an IP literal is checked against iPAddress entries, without SNI") {
  Pki pki;
  SslCtxPtr server = ServerCtx(pki.Leaf("ip", "IP:127.0.0.1,IP:::1"));
  SslCtxPtr client = ClientCtx(pki.Leaf("relay2", "DNS:relay2.test"));
  for (const char* host : {"127.0.0.1", "::1"}) {
    CAPTURE(host);
    Handshake h = RunHandshake(client.get(), server.get(), host);
    CHECK(h.client_ok);
    CHECK(h.server_ok);
    CHECK(SSL_get_servername(h.server.get(), TLSEXT_NAMETYPE_host_name) == nullptr);
    CHECK(PeerCertificateMatches(h.client.get(), "127.0.0.1"));
    CHECK(PeerCertificateMatches(h.client.get(), "0:0::1"));
    CHECK_FALSE(PeerCertificateMatches(h.client.get(), "127.0.0.2"));
    CHECK_FALSE(PeerCertificateMatches(h.client.get(), "localhost"));
  }
  Handshake bad = RunHandshake(client.get(), server.get(), "127.0.0.2");
  CHECK_FALSE(bad.client_ok);
  CHECK(SSL_get_verify_result(bad.client.get()) == X509_V_ERR_IP_ADDRESS_MISMATCH);
}

TEST_CASE("C-03: an outbound handshake fails when the server's chain is not trusted") {
  Pki pki;
  SslCtxPtr server = ServerCtx(pki.Leaf("rogue", "DNS:relay1.test", false));
  SslCtxPtr client = ClientCtx(pki.Leaf("relay2", "DNS:relay2.test"));
  Handshake h = RunHandshake(client.get(), server.get(), "relay1.test");
  CHECK_FALSE(h.client_ok);
  CHECK(SSL_get_verify_result(h.client.get()) != X509_V_OK);
}

// ---------------------------------------------------------------------------------------------
// Inbound (server) side, C-02 and A-17

TEST_CASE("C-02: the server asks for a certificate, naming the CAs of tls.ca_file") {
  Pki pki;
  SslCtxPtr server = ServerCtx(pki.Leaf("relay1", "DNS:relay1.test"));
  SslCtxPtr client = ClientCtx(pki.Leaf("relay2", "DNS:relay2.test"));
  Handshake h = RunHandshake(client.get(), server.get(), "relay1.test");
  REQUIRE(h.client_ok);
  STACK_OF(X509_NAME)* names = SSL_get_client_CA_list(h.client.get());
  REQUIRE(names != nullptr);
  REQUIRE(sk_X509_NAME_num(names) == 1);
  CHECK(X509_NAME_cmp(sk_X509_NAME_value(names, 0), X509_get_subject_name(pki.ca())) == 0);
}

TEST_CASE("C-02, A-17: a client without a certificate is accepted and is not a relay") {
  Pki pki;
  config::TlsSection server_tls = pki.Leaf("relay1", "DNS:relay1.test");
  SslCtxPtr server = ServerCtx(server_tls);
  SslCtxPtr client = PlainClientCtx(server_tls.ca_file);
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    CAPTURE(version);
    Handshake h = RunHandshake(client.get(), server.get(), "relay1.test", version);
    CHECK(h.client_ok);
    CHECK(h.server_ok);
    CHECK(SSL_get0_peer_certificate(h.server.get()) == nullptr);
    CHECK_FALSE(PeerCertificateMatches(h.server.get(), "relay2.test"));
    CHECK_FALSE(PeerCertificateMatches(h.server.get(), ""));
  }
}

TEST_CASE("C-02, A-17: a relay's valid client certificate identifies it by subjectAltName") {
  Pki pki;
  SslCtxPtr server = ServerCtx(pki.Leaf("relay1", "DNS:relay1.test"));
  SslCtxPtr client = ClientCtx(pki.Leaf("relay2", "DNS:relay2.test,IP:192.0.2.2"));
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    CAPTURE(version);
    Handshake h = RunHandshake(client.get(), server.get(), "relay1.test", version);
    CHECK(h.client_ok);
    CHECK(h.server_ok);
    CHECK(SSL_get_verify_result(h.server.get()) == X509_V_OK);
    CHECK(PeerCertificateMatches(h.server.get(), "relay2.test"));
    CHECK(PeerCertificateMatches(h.server.get(), "Relay2.Test"));
    CHECK(PeerCertificateMatches(h.server.get(), "192.0.2.2"));
    CHECK_FALSE(PeerCertificateMatches(h.server.get(), "relay1.test"));
    CHECK_FALSE(PeerCertificateMatches(h.server.get(), "relay2.test.evil"));
    CHECK_FALSE(PeerCertificateMatches(h.server.get(), std::string_view("relay2.test\0x", 13)));
  }
}

TEST_CASE("C-02: a client certificate from an unknown CA aborts the handshake") {
  Pki pki;
  SslCtxPtr server = ServerCtx(pki.Leaf("relay1", "DNS:relay1.test"));
  // Trusts our CA for the server, but presents a certificate from another CA.
  SslCtxPtr client = ClientCtx(pki.Leaf("rogue", "DNS:relay2.test", false));
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    CAPTURE(version);
    Handshake h = RunHandshake(client.get(), server.get(), "relay1.test", version);
    CHECK_FALSE(h.server_ok);
    CHECK_FALSE(h.client_ok);
    CHECK(SSL_get_verify_result(h.server.get()) != X509_V_OK);
    CHECK_FALSE(PeerCertificateMatches(h.server.get(), "relay2.test"));
  }
}

}  // namespace
}  // namespace msrp::relay
