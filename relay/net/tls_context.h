// TLS contexts (OpenSSL 3) for both directions of a relay (RFC 4976 §9.2, C-01..C-03, S-08):
// the server context presents our certificate and asks every peer for one (a relay proves its
// name with it; a client sends none); the client context, for outbound connections to other
// relays, presents the same certificate (mutual TLS) and verifies the peer's chain and name.
// TLS 1.2 or newer only (RFC 8996).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <openssl/ssl.h>

#include "common/result.h"
#include "config/config.h"

namespace msrp::relay {

/// Owning SSL_CTX pointer. SSL objects made from it keep their own reference, so a reload may
/// drop the old context while old connections still use it.
using SslCtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

/// Builds the server context from `tls`: certificate chain and key (PEM), and a
/// CertificateRequest in every handshake (C-02) verified against tls.ca_file (the system
/// store when empty). A peer that sends no certificate is accepted (an MSRP client); one whose
/// certificate does not verify fails the handshake. Errors name the file and OpenSSL's reason.
Result<SslCtxPtr> CreateServerContext(const config::TlsSection& tls);

/// Builds the client context for outbound connections (C-03): our certificate and key as the
/// client certificate, peer verification (SSL_VERIFY_PEER) against tls.ca_file or the system
/// store. Errors name the file and OpenSSL's reason.
Result<SslCtxPtr> CreateClientContext(const config::TlsSection& tls);

/// Prepares a client-side SSL for dialling `host` (DNS name or IP literal, no brackets): SNI
/// for DNS names, and the name the peer certificate must carry in its subjectAltName, checked
/// during the handshake with RFC 6125 rules (at most one wildcard, left-most label only, no
/// partial-label wildcards; IP literals against iPAddress entries). Errors: OpenSSL's reason.
Result<bool> PrepareClientSsl(SSL* ssl, const std::string& host);

/// true when the peer of a finished handshake presented a certificate that verified
/// (SSL_get_verify_result X509_V_OK) and whose subjectAltName matches `host` (DNS name with the
/// rules above, or an IP literal). False when no certificate was presented.
bool PeerCertificateMatches(SSL* ssl, std::string_view host);

/// The earliest queued OpenSSL error on this thread as text (usually the root cause), and
/// clears the queue.
std::string TakeOpenSslError();

}  // namespace msrp::relay
