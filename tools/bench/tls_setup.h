// TLS contexts for msrp-bench: the client context (CA file, system store or no verification)
// and the direct-mode listener context (certificate files or a generated self-signed one).
#pragma once

#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace msrp::bench {

/// Client context: TLS 1.2+, read-ahead, verification against `ca_file` (or the system store
/// when empty) unless `insecure`. Returns nullptr and sets *error on failure.
SSL_CTX* MakeClientContext(const std::string& ca_file, bool insecure, std::string* error);

/// Server context for the direct-mode receiver listener. With empty `cert_file` a P-256
/// self-signed certificate for IP 127.0.0.1 is generated in memory.
SSL_CTX* MakeServerContext(const std::string& cert_file, const std::string& key_file, std::string* error);

/// Drains OpenSSL's error queue into one "; "-separated string.
std::string OpenSslErrors();

}  // namespace msrp::bench
