// Server SSL_CTX construction: TLS >= 1.2, PEM certificate chain and key, key/cert match check.
#include "relay/tls_context.h"

#include <openssl/err.h>

namespace msrp::relay {

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
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle connections hold no read/write buffers; a session-less relay needs no session cache.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.certificate.c_str()) != 1) {
    return Err("cannot load certificate " + tls.certificate + ": " + TakeOpenSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Err("cannot load private key " + tls.private_key + ": " + TakeOpenSslError());
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return Err("private key " + tls.private_key + " does not match certificate " + tls.certificate);
  }
  return ctx;
}

}  // namespace msrp::relay
