// Test PKI for the end-to-end tests: a throw-away CA and a relay certificate
// (subjectAltName DNS:relay.test, IP:127.0.0.1) generated once per process with the OpenSSL API.
#pragma once

#include <string>

namespace msrp::test {

/// PEM material of the process-wide test PKI, plus a temp folder that holds ca.crt,
/// relay.crt and relay.key. The folder is created with mkdtemp under /tmp and removed at exit.
struct TestPki {
  std::string dir;           ///< absolute path of the temp folder
  std::string ca_cert_pem;   ///< self-signed test CA
  std::string relay_cert_pem;///< leaf for relay.test, signed by the CA
  std::string relay_key_pem; ///< unencrypted PKCS#8 private key of the leaf
};

/// The process-wide PKI, generated on first use (thread-safe). Throws std::runtime_error on
/// OpenSSL failures.
const TestPki& GetTestPki();

}  // namespace msrp::test
