// Server-side TLS context (OpenSSL 3): certificate and key from PEM files, TLS 1.2 or newer
// only (RFC 8996, C-01), buffers released on idle connections.
#pragma once

#include <memory>
#include <string>

#include <openssl/ssl.h>

#include "common/result.h"
#include "config/config.h"

namespace msrp::relay {

/// Owning SSL_CTX pointer. SSL objects made from it keep their own reference, so a reload may
/// drop the old context while old connections still use it.
using SslCtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

/// Builds the server context from `tls`. Errors name the file and OpenSSL's reason.
Result<SslCtxPtr> CreateServerContext(const config::TlsSection& tls);

/// The last OpenSSL error on this thread as text, and clears the queue.
std::string TakeOpenSslError();

}  // namespace msrp::relay
