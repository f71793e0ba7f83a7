// Generates the test CA and relay certificate with OpenSSL 3 (RSA 2048, SHA-256).
#include "tests/support/test_pki.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace msrp::test {
namespace {

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct X509Free { void operator()(X509* p) const { X509_free(p); } };
struct BioFree { void operator()(BIO* p) const { BIO_free(p); } };
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what + " failed");
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Check(ext != nullptr, value);
  Check(X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(ext);
}

constexpr const char* kDefaultSan = "DNS:relay.test,IP:127.0.0.1";

X509Ptr MakeCert(EVP_PKEY* key, const char* cn, long serial, X509* issuer, EVP_PKEY* issuer_key,
                 const std::string& san = kDefaultSan) {
  X509Ptr cert(X509_new());
  Check(cert != nullptr, "X509_new");
  Check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
  Check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("msrp-relay e2e tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  Check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1, "set_issuer_name");
  AddExt(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer == nullptr) {
    AddExt(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    AddExt(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExt(cert.get(), signer, NID_authority_key_identifier, "keyid");
    AddExt(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    AddExt(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    AddExt(cert.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth");
    AddExt(cert.get(), signer, NID_subject_alt_name, san.c_str());
  }
  Check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  return BioToString(bio.get());
}

std::string KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  return BioToString(bio.get());
}

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  Check(static_cast<bool>(out), "writing a PEM file");
  out.close();
  chmod(path.c_str(), mode);
}

struct PkiHolder {
  TestPki pki;
  ~PkiHolder() {
    if (!pki.dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(pki.dir, ec);
    }
  }
};

TestPki Generate() {
  TestPki pki;
  PkeyPtr ca_key(EVP_RSA_gen(2048));
  Check(ca_key != nullptr, "EVP_RSA_gen (CA)");
  X509Ptr ca = MakeCert(ca_key.get(), "msrp-relay e2e test CA", 1, nullptr, ca_key.get());
  PkeyPtr relay_key(EVP_RSA_gen(2048));
  Check(relay_key != nullptr, "EVP_RSA_gen (relay)");
  X509Ptr relay = MakeCert(relay_key.get(), "relay.test", 2, ca.get(), ca_key.get());
  pki.ca_cert_pem = CertPem(ca.get());
  pki.relay_cert_pem = CertPem(relay.get());
  pki.relay_key_pem = KeyPem(relay_key.get());
  pki.ca_key_pem = KeyPem(ca_key.get());

  char tmpl[] = "/tmp/msrp-e2e-pki-XXXXXX";
  Check(mkdtemp(tmpl) != nullptr, "mkdtemp");
  pki.dir = tmpl;
  WriteFile(pki.dir + "/ca.crt", pki.ca_cert_pem, 0644);
  WriteFile(pki.dir + "/relay.crt", pki.relay_cert_pem, 0644);
  WriteFile(pki.dir + "/relay.key", pki.relay_key_pem, 0600);
  return pki;
}

}  // namespace

IssuedCert IssueRelayCertificate(long serial, const std::string& common_name) {
  return IssueLeafCertificate(serial, common_name, {"relay.test"}, {"127.0.0.1"});
}

IssuedCert IssueLeafCertificate(long serial, const std::string& common_name,
                                const std::vector<std::string>& dns_names,
                                const std::vector<std::string>& ip_addresses) {
  std::string san;
  for (const auto& d : dns_names) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& ip : ip_addresses) san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
  if (san.empty()) throw std::runtime_error("test PKI: a leaf needs at least one subjectAltName");
  const TestPki& pki = GetTestPki();
  BioPtr ca_bio(BIO_new_mem_buf(pki.ca_cert_pem.data(), static_cast<int>(pki.ca_cert_pem.size())));
  X509Ptr ca(PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr));
  Check(ca != nullptr, "PEM_read_bio_X509 (CA)");
  BioPtr key_bio(BIO_new_mem_buf(pki.ca_key_pem.data(), static_cast<int>(pki.ca_key_pem.size())));
  PkeyPtr ca_key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  Check(ca_key != nullptr, "PEM_read_bio_PrivateKey (CA)");
  PkeyPtr key(EVP_RSA_gen(2048));
  Check(key != nullptr, "EVP_RSA_gen (leaf)");
  X509Ptr cert = MakeCert(key.get(), common_name.c_str(), serial, ca.get(), ca_key.get(), san);
  return IssuedCert{CertPem(cert.get()), KeyPem(key.get())};
}

const IssuedCert& LeafCertificateFor(const std::vector<std::string>& dns_names,
                                     const std::vector<std::string>& ip_addresses) {
  static std::mutex mu;
  static std::map<std::pair<std::vector<std::string>, std::vector<std::string>>, IssuedCert> cache;
  static long next_serial = 1000;
  std::lock_guard<std::mutex> lock(mu);
  auto key = std::make_pair(dns_names, ip_addresses);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  std::string cn = dns_names.empty() ? ip_addresses.front() : dns_names.front();
  IssuedCert cert = IssueLeafCertificate(next_serial++, cn, dns_names, ip_addresses);
  return cache.emplace(std::move(key), std::move(cert)).first->second;
}

const TestPki& GetTestPki() {
  static std::mutex mu;
  static std::unique_ptr<PkiHolder> holder;
  std::lock_guard<std::mutex> lock(mu);
  if (!holder) {
    auto h = std::make_unique<PkiHolder>();
    h->pki = Generate();
    holder = std::move(h);
  }
  return holder->pki;
}

}  // namespace msrp::test
