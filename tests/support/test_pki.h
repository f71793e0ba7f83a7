// Test PKI for the end-to-end tests: a throw-away CA and a relay certificate
// (subjectAltName DNS:relay.test, IP:127.0.0.1) generated once per process with the OpenSSL API.
#pragma once

#include <string>
#include <vector>

namespace msrp::test {

/// PEM material of the process-wide test PKI, plus a temp folder that holds ca.crt,
/// relay.crt and relay.key. The folder is created with mkdtemp under /tmp and removed at exit.
struct TestPki {
  std::string dir;           ///< absolute path of the temp folder
  std::string ca_cert_pem;   ///< self-signed test CA
  std::string relay_cert_pem;///< leaf for relay.test, signed by the CA
  std::string relay_key_pem; ///< unencrypted PKCS#8 private key of the leaf
  std::string ca_key_pem;    ///< private key of the test CA (to issue more leaves)
};

/// A further leaf certificate and its key.
struct IssuedCert {
  std::string cert_pem;
  std::string key_pem;
};

/// The process-wide PKI, generated on first use (thread-safe). Throws std::runtime_error on
/// OpenSSL failures.
const TestPki& GetTestPki();

/// Issues a new leaf from the test CA with the same extensions as the relay certificate
/// (subjectAltName DNS:relay.test, IP:127.0.0.1), a fresh RSA key, serial `serial` and
/// subject CN `common_name`. Throws std::runtime_error on OpenSSL failures.
IssuedCert IssueRelayCertificate(long serial, const std::string& common_name);

/// Issues a leaf from the test CA (serverAuth and clientAuth, like the relay certificate) whose
/// subjectAltName holds exactly `dns_names` (DNS:...) and `ip_addresses` (IP:...), with a fresh
/// RSA key, serial `serial` and subject CN `common_name`. Throws std::runtime_error on OpenSSL
/// failures or when both lists are empty.
IssuedCert IssueLeafCertificate(long serial, const std::string& common_name,
                                const std::vector<std::string>& dns_names,
                                const std::vector<std::string>& ip_addresses = {"127.0.0.1"});

/// Like IssueLeafCertificate, but issued once per process for each distinct name set (serials
/// from 1000 up, CN = the first DNS name) and then reused; thread-safe. For relay chains
/// (relay1.test, relay2.test, a mismatching other.test).
const IssuedCert& LeafCertificateFor(const std::vector<std::string>& dns_names,
                                     const std::vector<std::string>& ip_addresses = {"127.0.0.1"});

}  // namespace msrp::test
