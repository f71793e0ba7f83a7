// TLS client implementation for the end-to-end tests.
#include "tests/support/msrp_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>

#include "tests/support/crypto_util.h"
#include "tests/support/test_pki.h"

namespace msrp::test {
namespace {

using Clock = std::chrono::steady_clock;

// Writing to a socket the relay closed must not kill the test process.
struct IgnoreSigpipe {
  IgnoreSigpipe() { signal(SIGPIPE, SIG_IGN); }
} g_ignore_sigpipe;

std::string OpenSslErrors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

SSL_CTX* ClientContext() {
  static std::mutex mu;
  static SSL_CTX* ctx = nullptr;
  std::lock_guard<std::mutex> lock(mu);
  if (ctx) return ctx;
  const TestPki& pki = GetTestPki();
  SSL_CTX* c = SSL_CTX_new(TLS_client_method());
  if (!c) throw std::runtime_error("SSL_CTX_new: " + OpenSslErrors());
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  BIO* bio = BIO_new_mem_buf(pki.ca_cert_pem.data(), static_cast<int>(pki.ca_cert_pem.size()));
  X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!ca || X509_STORE_add_cert(SSL_CTX_get_cert_store(c), ca) != 1) {
    throw std::runtime_error("loading the test CA: " + OpenSslErrors());
  }
  X509_free(ca);
  ctx = c;
  return ctx;
}

// A client context that trusts the test CA and `extra_ca_pem` too; one per distinct PEM.
SSL_CTX* ClientContextWithExtraTrust(const std::string& extra_ca_pem) {
  static std::mutex mu;
  static std::map<std::string, SSL_CTX*> contexts;
  SSL_CTX* base = ClientContext();
  std::lock_guard<std::mutex> lock(mu);
  auto it = contexts.find(extra_ca_pem);
  if (it != contexts.end()) return it->second;
  SSL_CTX* c = SSL_CTX_new(TLS_client_method());
  if (!c) throw std::runtime_error("SSL_CTX_new: " + OpenSslErrors());
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  X509_STORE* store = SSL_CTX_get_cert_store(c);
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(SSL_CTX_get_cert_store(base));
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    X509* cert = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i));
    if (cert != nullptr) X509_STORE_add_cert(store, cert);
  }
  BIO* bio = BIO_new_mem_buf(extra_ca_pem.data(), static_cast<int>(extra_ca_pem.size()));
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(store, cert) == 1) ++added;
    X509_free(cert);
  }
  BIO_free(bio);
  ERR_clear_error();  // PEM_read_bio_X509 ends with "no start line"
  if (added == 0) throw std::runtime_error("ClientOptions::extra_ca_pem holds no certificate");
  contexts.emplace(extra_ca_pem, c);
  return c;
}

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

}  // namespace

std::string NewTid() { return RandomAlnum(12); }

int RawTcpConnect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

namespace {

std::string EndpointUri(const ClientOptions& o) {
  if (!o.uri.empty()) return o.uri;
  return std::string(o.plain_tcp ? "msrp" : "msrps") + "://" + o.name + ".example.com:9892/" +
         RandomAlnum(16) + ";tcp";
}

}  // namespace

std::unique_ptr<MsrpClient> MsrpClient::FromConnectedSocket(int fd, ClientOptions options) {
  options.plain_tcp = true;
  return std::unique_ptr<MsrpClient>(new MsrpClient(AdoptTag{}, fd, std::move(options)));
}

MsrpClient::MsrpClient(AdoptTag, int fd, ClientOptions options) : options_(std::move(options)) {
  uri_ = EndpointUri(options_);
  fd_ = fd;
  int flags = fcntl(fd_, F_GETFL, 0);
  if (flags >= 0) fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

MsrpClient::MsrpClient(uint16_t port, ClientOptions options) : options_(std::move(options)) {
  uri_ = EndpointUri(options_);
  try {
    Connect(port);
  } catch (...) {
    Abort();
    throw;
  }
}

void MsrpClient::Connect(uint16_t port) {
  SSL_CTX* ctx = options_.extra_ca_pem.empty() ? ClientContext()
                                                : ClientContextWithExtraTrust(options_.extra_ca_pem);
  auto deadline = Clock::now() + options_.connect_timeout;

  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) Fail(std::string("socket: ") + strerror(errno));
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (options_.rcvbuf > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &options_.rcvbuf, sizeof(int));
  if (options_.sndbuf > 0) setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &options_.sndbuf, sizeof(int));
  if (!options_.source_address.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (inet_pton(AF_INET, options_.source_address.c_str(), &local.sin_addr) != 1) {
      Fail("bad source address " + options_.source_address);
    }
    if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      Fail("bind to " + options_.source_address + ": " + strerror(errno));
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) Fail(std::string("connect: ") + strerror(errno));
    if (!WaitFd(POLLOUT, deadline)) Fail("connect to 127.0.0.1:" + std::to_string(port) + " timed out");
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) Fail("connect to 127.0.0.1:" + std::to_string(port) + ": " + strerror(err));
  }
  if (options_.plain_tcp) return;

  ssl_ = SSL_new(ctx);
  if (!ssl_) Fail("SSL_new: " + OpenSslErrors());
  SSL_set_fd(ssl_, fd_);
  SSL_set_tlsext_host_name(ssl_, options_.server_name.c_str());
  SSL_set1_host(ssl_, options_.server_name.c_str());
  for (;;) {
    int rc = SSL_connect(ssl_);
    if (rc == 1) break;
    int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (!WaitFd(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
        Fail("TLS handshake timed out");
      }
      continue;
    }
    long verify = SSL_get_verify_result(ssl_);
    std::string why = "TLS handshake failed: " + OpenSslErrors();
    if (verify != X509_V_OK) why += std::string(" (verify: ") + X509_verify_cert_error_string(verify) + ")";
    Fail(why);
  }
}

MsrpClient::~MsrpClient() { Close(); }

std::string MsrpClient::Diagnostics() const {
  return options_.diagnostics ? options_.diagnostics() : std::string();
}

void MsrpClient::Fail(const std::string& message) const {
  std::string msg = "[" + options_.name + "] " + message;
  std::string diag = Diagnostics();
  if (!diag.empty()) msg += "\n" + diag;
  throw std::runtime_error(msg);
}

bool MsrpClient::WaitFd(short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd_, events, 0};
    int rc = poll(&p, 1, RemainingMs(deadline));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

size_t MsrpClient::WriteSome(std::string_view bytes, Millis timeout, bool* failed) {
  if (failed) *failed = false;
  if (!Open()) {
    if (failed) *failed = true;
    return 0;
  }
  auto deadline = Clock::now() + timeout;
  size_t done = 0;
  while (options_.plain_tcp && done < bytes.size()) {
    ssize_t rc = send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (rc > 0) {
      done += static_cast<size_t>(rc);
      continue;
    }
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (Clock::now() >= deadline) break;
      WaitFd(POLLOUT, deadline);
      continue;
    }
    closed_ = true;
    close_reason_ = "write failed: " + std::string(strerror(errno));
    if (failed) *failed = true;
    return done;
  }
  while (!options_.plain_tcp && done < bytes.size()) {
    size_t n = std::min<size_t>(bytes.size() - done, 1 << 20);
    ERR_clear_error();
    int rc = SSL_write(ssl_, bytes.data() + done, static_cast<int>(n));
    if (rc > 0) {
      done += static_cast<size_t>(rc);
      continue;
    }
    int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
      if (Clock::now() >= deadline) break;
      WaitFd(err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, deadline);
      continue;
    }
    closed_ = true;
    close_reason_ = "write failed: " + std::string(err == SSL_ERROR_SYSCALL ? strerror(errno) : "")
                    + OpenSslErrors();
    if (failed) *failed = true;
    break;
  }
  return done;
}

bool MsrpClient::TryWrite(std::string_view bytes, Millis timeout) {
  bool failed = false;
  size_t n = WriteSome(bytes, timeout, &failed);
  if (failed) return false;
  if (n != bytes.size()) {
    Fail("write of " + std::to_string(bytes.size()) + " octets timed out after " +
         std::to_string(n) + " octets");
  }
  return true;
}

void MsrpClient::Write(std::string_view bytes, Millis timeout) {
  if (!TryWrite(bytes, timeout)) Fail("write failed: connection closed (" + close_reason_ + ")");
}

void MsrpClient::WriteBytewise(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size(); ++i) Write(bytes.substr(i, 1), Millis(5000));
}

ReadStatus MsrpClient::Read(Frame* out, Millis timeout, std::string* error) {
  auto deadline = Clock::now() + timeout;
  char buf[65536];
  for (;;) {
    std::string perr;
    ParseStatus ps = reader_.Next(out, &perr);
    if (ps == ParseStatus::kFrame) return ReadStatus::kFrame;
    if (ps == ParseStatus::kMalformed) {
      if (error) *error = perr;
      return ReadStatus::kMalformed;
    }
    if (closed_ || !Open()) {
      if (error) *error = "connection closed: " + close_reason_;
      return ReadStatus::kClosed;
    }
    if (options_.plain_tcp) {
      ssize_t rc = recv(fd_, buf, sizeof buf, 0);
      if (rc > 0) {
        reader_.Feed(std::string_view(buf, static_cast<size_t>(rc)));
        continue;
      }
      if (rc < 0 && errno == EINTR) continue;
      if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (Clock::now() >= deadline || !WaitFd(POLLIN, deadline)) {
          if (error) *error = "timeout";
          return ReadStatus::kTimeout;
        }
        continue;
      }
      closed_ = true;
      close_reason_ = rc == 0 ? "EOF" : std::string(strerror(errno));
      continue;
    }
    ERR_clear_error();
    int rc = SSL_read(ssl_, buf, sizeof buf);
    if (rc > 0) {
      reader_.Feed(std::string_view(buf, static_cast<size_t>(rc)));
      continue;
    }
    int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (Clock::now() >= deadline ||
          !WaitFd(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
        if (error) *error = "timeout";
        return ReadStatus::kTimeout;
      }
      continue;
    }
    closed_ = true;
    if (err == SSL_ERROR_ZERO_RETURN) {
      close_reason_ = "TLS close_notify";
    } else if (err == SSL_ERROR_SYSCALL) {
      close_reason_ = errno == 0 ? "EOF" : std::string(strerror(errno));
    } else {
      close_reason_ = "TLS error " + OpenSslErrors();
    }
  }
}

Frame MsrpClient::ReadFrame(Millis timeout, std::string_view what) {
  Frame f;
  std::string error;
  ReadStatus st = Read(&f, timeout, &error);
  if (st == ReadStatus::kFrame) return f;
  std::string msg = "expected " + std::string(what) + " within " +
                    std::to_string(timeout.count()) + " ms, got ";
  if (st == ReadStatus::kTimeout) {
    msg += "nothing";
    if (reader_.buffered()) msg += " complete (" + std::to_string(reader_.buffered()) + " octets of a partial frame buffered)";
  } else if (st == ReadStatus::kClosed) {
    msg += "connection closed (" + close_reason_ + ")";
  } else {
    msg += "malformed bytes: " + error;
  }
  Fail(msg);
}

std::string MsrpClient::ReadPartial(std::string_view needle, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    std::string_view pending = reader_.pending();
    if (pending.find(needle) != std::string_view::npos) return std::string(pending);
    auto now = Clock::now();
    if (now >= deadline) {
      Fail("expected a partial frame containing \"" + Printable(needle) + "\" within " +
           std::to_string(timeout.count()) + " ms, have: " + Printable(pending));
    }
    Frame f;
    std::string error;
    auto step = std::min<Millis>(Millis(50), std::chrono::duration_cast<Millis>(deadline - now) + Millis(1));
    ReadStatus st = Read(&f, step, &error);
    if (st == ReadStatus::kFrame) {
      Fail("a complete frame arrived while waiting for a partial one:\n" + f.Describe());
    }
    if (st == ReadStatus::kClosed || st == ReadStatus::kMalformed) {
      Fail("waiting for a partial frame: " + error);
    }
  }
}

std::string MsrpClient::ExpectSilence(Millis timeout) {
  Frame f;
  std::string error;
  ReadStatus st = Read(&f, timeout, &error);
  switch (st) {
    case ReadStatus::kTimeout: return "";
    case ReadStatus::kFrame: return "[" + options_.name + "] unexpected frame:\n" + f.Describe();
    case ReadStatus::kClosed: return "[" + options_.name + "] connection closed unexpectedly (" + close_reason_ + ")";
    case ReadStatus::kMalformed: return "[" + options_.name + "] malformed bytes: " + error;
  }
  return "";
}

bool MsrpClient::WaitClosed(Millis timeout, std::vector<Frame>* frames) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    Frame f;
    ReadStatus st = Read(&f, std::chrono::duration_cast<Millis>(deadline - Clock::now()));
    switch (st) {
      case ReadStatus::kFrame:
        if (frames) frames->push_back(std::move(f));
        continue;
      case ReadStatus::kClosed: return true;
      case ReadStatus::kMalformed: {
        // Garbage from the relay: keep draining raw bytes until it closes.
        reader_ = FrameReader();
        continue;
      }
      case ReadStatus::kTimeout: return false;
    }
  }
}

Frame MsrpClient::SendAuth(std::string_view tid, std::string_view to_uri, const Headers& extra) {
  return SendAuthPath(tid, {std::string(to_uri)}, extra);
}

Frame MsrpClient::SendAuthPath(std::string_view tid, const std::vector<std::string>& to_path,
                               const Headers& extra) {
  Headers h;
  h.emplace_back("To-Path", JoinPath(to_path));
  h.emplace_back("From-Path", uri_);
  for (const auto& e : extra) h.push_back(e);
  Write(EncodeFrame(tid, "AUTH", h, std::nullopt));
  return ReadFrame(kFrameTimeout, "a response to AUTH " + std::string(tid));
}

std::string BuildAuthorization(std::string_view user, std::string_view realm,
                               std::string_view password, std::string_view nonce,
                               std::string_view nc, std::string_view cnonce,
                               std::string_view opaque, std::string_view to_uri,
                               bool with_uri_param) {
  std::string ha1 = Md5Hex(std::string(user) + ":" + std::string(realm) + ":" + std::string(password));
  std::string response = DigestResponse(ha1, nonce, nc, cnonce, to_uri);
  std::string v = "Digest username=\"" + std::string(user) + "\", realm=\"" + std::string(realm) +
                  "\", nonce=\"" + std::string(nonce) + "\", ";
  if (with_uri_param) v += "uri=\"" + std::string(to_uri) + "\", ";
  v += "qop=auth, nc=" + std::string(nc) + ", cnonce=\"" + std::string(cnonce) + "\", response=\"" +
       response + "\"";
  if (!opaque.empty()) v += ", opaque=\"" + std::string(opaque) + "\"";
  return v;
}

AuthResult MsrpClient::Authenticate(std::string_view user, std::string_view password,
                                    const AuthOptions& options) {
  AuthResult result;
  Headers extra;
  if (options.expires) extra.emplace_back("Expires", std::to_string(*options.expires));
  std::vector<std::string> to_path = options.via;
  to_path.push_back(options.to_uri);
  std::string tid1 = NewTid();
  result.challenge = SendAuthPath(tid1, to_path, extra);
  if (result.challenge.is_request || result.challenge.tid != tid1 || result.challenge.status != 401) {
    Fail("AUTH " + tid1 + ": expected 401, got:\n" + result.challenge.Describe());
  }
  auto www = result.challenge.Header("WWW-Authenticate");
  std::string scheme;
  auto params = www ? ParseAuthParams(*www, &scheme) : std::nullopt;
  if (!params || scheme != "Digest" || !params->count("nonce")) {
    Fail("401 without a usable Digest challenge:\n" + result.challenge.Describe());
  }
  result.nonce = (*params)["nonce"].value;
  std::string realm = params->count("realm") ? (*params)["realm"].value : "relay.test";
  std::string opaque = params->count("opaque") ? (*params)["opaque"].value : "";
  result.cnonce = RandomAlnum(16);
  const std::string nc = "00000001";
  Headers extra2;
  extra2.emplace_back("Authorization",
                      BuildAuthorization(user, realm, password, result.nonce, nc, result.cnonce,
                                         opaque, options.to_uri, options.with_uri_param));
  for (const auto& e : extra) extra2.push_back(e);
  std::string tid2 = NewTid();
  result.response = SendAuthPath(tid2, to_path, extra2);
  const Frame& r = result.response;
  if (r.is_request || r.tid != tid2 || r.status != 200) {
    Fail("AUTH " + tid2 + " with credentials of " + std::string(user) + ": expected 200, got:\n" +
         r.Describe());
  }
  auto use_path = r.Header("Use-Path");
  auto expires = r.Header("Expires");
  auto info = r.Header("Authentication-Info");
  if (!use_path || !expires || (!info && options.require_authentication_info)) {
    Fail("AUTH 200 lacks Use-Path, Expires or Authentication-Info:\n" + r.Describe());
  }
  result.use_path = *use_path;
  try {
    result.expires = std::stoll(*expires);
  } catch (...) {
    Fail("AUTH 200 has a non-numeric Expires:\n" + r.Describe());
  }
  if (!info) return result;  // allowed by !options.require_authentication_info
  std::string info_scheme;
  auto info_params = ParseAuthParams("x " + *info, &info_scheme);
  if (!info_params || !info_params->count("rspauth")) {
    Fail("Authentication-Info without rspauth:\n" + r.Describe());
  }
  std::string ha1 = Md5Hex(std::string(user) + ":" + realm + ":" + std::string(password));
  std::string want = DigestRspauth(ha1, result.nonce, nc, result.cnonce, options.to_uri);
  if ((*info_params)["rspauth"].value != want) {
    Fail("Authentication-Info rspauth does not verify (want " + want + "):\n" + r.Describe());
  }
  return result;
}

void MsrpClient::Close() {
  if (ssl_) {
    if (!closed_) {
      ERR_clear_error();
      SSL_shutdown(ssl_);  // best effort close_notify; non-blocking
    }
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  closed_ = true;
  if (close_reason_.empty()) close_reason_ = "closed locally";
}

void MsrpClient::Abort() {
  if (fd_ >= 0) {
    linger lg{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);  // RST
  }
  if (ssl_) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  closed_ = true;
  if (close_reason_.empty()) close_reason_ = "aborted locally";
}

std::string MsrpClient::PeerCertificateSerial() const {
  if (ssl_ == nullptr) return "";
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return "";
  std::string out;
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (bn != nullptr) {
    char* dec = BN_bn2dec(bn);
    if (dec != nullptr) out = dec;
    OPENSSL_free(dec);
    BN_free(bn);
  }
  X509_free(cert);
  return out;
}

std::string MsrpClient::PeerCertificateSubject() const {
  if (ssl_ == nullptr) return "";
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return "";
  std::string out;
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio != nullptr && X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    if (len > 0) out.assign(data, static_cast<size_t>(len));
  }
  BIO_free(bio);
  X509_free(cert);
  return out;
}

}  // namespace msrp::test
