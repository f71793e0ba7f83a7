// SSL_CTX construction for both directions (TLS >= 1.2, PEM certificate chain and key, peer
// verification against tls.ca_file or the system store) and the per-connection name checks.
#include "relay/net/tls_context.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace msrp::relay {
namespace {

// RFC 6125: wildcards only as a whole left-most label; names only from subjectAltName (the
// subject CN is never consulted, RFC 4976 §9.2 names the subjectAltName).
constexpr unsigned int kHostFlags =
    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;

// Session id context: required by OpenSSL for resumption when peers are verified; no session
// is ever resumed here (no cache, no tickets), this only avoids a fatal "uninitialized" error.
constexpr unsigned char kSessionIdContext[] = "msrp-relay";

bool IsIpLiteral(const std::string& host) {
  in_addr a4;
  in6_addr a6;
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

/// Our certificate chain and key, checked to match.
Result<bool> UseCertificateAndKey(SSL_CTX* ctx, const config::TlsSection& tls) {
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.certificate.c_str()) != 1) {
    return Err("cannot load certificate " + tls.certificate + ": " + TakeOpenSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, tls.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Err("cannot load private key " + tls.private_key + ": " + TakeOpenSslError());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return Err("private key " + tls.private_key + " does not match certificate " + tls.certificate);
  }
  return true;
}

/// Trust anchors for verifying peers: tls.ca_file, or the system store when it is empty.
Result<bool> LoadVerifyLocations(SSL_CTX* ctx, const config::TlsSection& tls) {
  if (tls.ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return Err("cannot load the system trust store: " + TakeOpenSslError());
    }
    return true;
  }
  if (SSL_CTX_load_verify_locations(ctx, tls.ca_file.c_str(), nullptr) != 1) {
    return Err("cannot load CA file " + tls.ca_file + ": " + TakeOpenSslError());
  }
  return true;
}

}  // namespace

std::string TakeOpenSslError() {
  unsigned long code = ERR_get_error();
  std::string text = code ? ERR_reason_error_string(code) ? ERR_reason_error_string(code) : "unknown"
                          : "no OpenSSL error";
  ERR_clear_error();
  return text;
}

Result<SslCtxPtr> CreateServerContext(const config::TlsSection& tls) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()), &SSL_CTX_free);
  if (!ctx) return Err("SSL_CTX_new failed: " + TakeOpenSslError());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                     SSL_OP_NO_TICKET);
  // Idle connections hold no read/write buffers; a session-less relay needs no session cache
  // and issues no TLS 1.3 tickets.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx.get(), 0);
  SSL_CTX_set_session_id_context(ctx.get(), kSessionIdContext, sizeof kSessionIdContext - 1);
  if (auto ok = UseCertificateAndKey(ctx.get(), tls); !ok) return Err(ok.error());
  if (auto ok = LoadVerifyLocations(ctx.get(), tls); !ok) return Err(ok.error());
  // C-02: a CertificateRequest in every handshake, naming our CAs when a bundle is given; no
  // SSL_VERIFY_FAIL_IF_NO_PEER_CERT, so a client without a certificate is accepted, while a
  // certificate that does not verify aborts the handshake.
  if (!tls.ca_file.empty()) {
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.ca_file.c_str());
    if (names == nullptr) {
      return Err("cannot load CA names from " + tls.ca_file + ": " + TakeOpenSslError());
    }
    SSL_CTX_set_client_CA_list(ctx.get(), names);  // takes ownership
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

Result<SslCtxPtr> CreateClientContext(const config::TlsSection& tls) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
  if (!ctx) return Err("SSL_CTX_new failed: " + TakeOpenSslError());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  if (auto ok = UseCertificateAndKey(ctx.get(), tls); !ok) return Err(ok.error());
  if (auto ok = LoadVerifyLocations(ctx.get(), tls); !ok) return Err(ok.error());
  // C-03: the chain must verify; the name is set per connection by PrepareClientSsl.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

Result<bool> PrepareClientSsl(SSL* ssl, const std::string& host) {
  if (host.empty() || host.find('\0') != std::string::npos) {
    return Err("invalid host name for TLS: '" + host.substr(0, host.find('\0')) + "'");
  }
  if (IsIpLiteral(host)) {
    // No SNI for IP literals (RFC 6066 §3); the certificate must carry the iPAddress.
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) != 1) {
      return Err("cannot set the expected peer address " + host + ": " + TakeOpenSslError());
    }
    return true;
  }
  if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
    return Err("cannot set SNI " + host + ": " + TakeOpenSslError());
  }
  SSL_set_hostflags(ssl, kHostFlags);
  if (SSL_set1_host(ssl, host.c_str()) != 1) {
    return Err("cannot set the expected peer name " + host + ": " + TakeOpenSslError());
  }
  return true;
}

bool PeerCertificateMatches(SSL* ssl, std::string_view host) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return false;
  std::string name(host);
  if (name.empty() || name.find('\0') != std::string::npos) return false;
  if (IsIpLiteral(name)) return X509_check_ip_asc(cert, name.c_str(), 0) == 1;
  return X509_check_host(cert, name.data(), name.size(), kHostFlags, nullptr) == 1;
}

}  // namespace msrp::relay
