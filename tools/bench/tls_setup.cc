// Builds the OpenSSL contexts msrp-bench uses, including an in-memory self-signed certificate
// for the direct-mode receiver listener.
#include "tools/bench/tls_setup.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace msrp::bench {

namespace {

void CommonSettings(SSL_CTX* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Read whole socket buffers at once instead of record header + record (fewer syscalls);
  // StreamConn drains SSL_read until WANT_READ so nothing stays buffered unseen.
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_default_read_buffer_len(ctx, 64 * 1024);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
}

/// Self-signed P-256 certificate for CN/SAN 127.0.0.1, valid for a day.
bool UseGeneratedCertificate(SSL_CTX* ctx) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  bool ok = key != nullptr && cert != nullptr;
  if (ok) {
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"),
                               -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, "IP:127.0.0.1");
    ok = san != nullptr && X509_add_ext(cert, san, -1) == 1;
    X509_EXTENSION_free(san);
    ok = ok && X509_sign(cert, key, EVP_sha256()) > 0;
    ok = ok && SSL_CTX_use_certificate(ctx, cert) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1;
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

}  // namespace

std::string OpenSslErrors() {
  std::string out;
  for (int i = 0; i < 16; ++i) {
    unsigned long e = ERR_get_error();
    if (e == 0) break;
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

SSL_CTX* MakeClientContext(const std::string& ca_file, bool insecure, std::string* error) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    *error = "SSL_CTX_new: " + OpenSslErrors();
    return nullptr;
  }
  CommonSettings(ctx);
  if (insecure) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    return ctx;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  int ok = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                           : SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr);
  if (ok != 1) {
    *error = "loading CA " + (ca_file.empty() ? std::string("(system store)") : ca_file) + ": " + OpenSslErrors();
    SSL_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

SSL_CTX* MakeServerContext(const std::string& cert_file, const std::string& key_file, std::string* error) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) {
    *error = "SSL_CTX_new: " + OpenSslErrors();
    return nullptr;
  }
  CommonSettings(ctx);
  bool ok = cert_file.empty()
                ? UseGeneratedCertificate(ctx)
                : SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) == 1 &&
                      SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) == 1;
  if (!ok) {
    *error = "listener certificate: " + OpenSslErrors();
    SSL_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

}  // namespace msrp::bench
