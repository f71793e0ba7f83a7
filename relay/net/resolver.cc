// Next-hop name resolution off the loop thread (RFC 4976 §8, U-08): IP literals and the static
// table are answered from a zero-delay timer; SRV and A/AAAA lookups run on the libuv pool.
// A request is heap-allocated and frees itself in its last libuv callback, so it may outlive
// the Resolver (which then only detaches it).
#include "relay/net/resolver.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

#include "relay/net/srv_records.h"

namespace msrp::relay {

namespace {

constexpr uint16_t kDefaultPort = 2855;   // RFC 4976 §8: no SRV records, no port
constexpr size_t kMaxAddresses = 16;      // addresses returned per lookup
constexpr size_t kSrvAnswerBytes = 65536; // largest DNS message (TCP)

using Addresses = std::vector<ResolvedAddress>;

std::string ToLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

/// Sets `out->text` from `out->addr`: "192.0.2.1:2855" or "[2001:db8::1]:2855".
void SetText(ResolvedAddress* out) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (out->addr.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&out->addr);
    inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
    out->text = std::string(buf) + ":" + std::to_string(ntohs(sin->sin_port));
  } else {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&out->addr);
    inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
    out->text = "[" + std::string(buf) + "]:" + std::to_string(ntohs(sin6->sin6_port));
  }
}

/// `host` as an IPv4 or IPv6 literal (no brackets) with `port`; false when it is not one.
bool ParseLiteral(const std::string& host, uint16_t port, ResolvedAddress* out) {
  out->addr = {};
  auto* sin = reinterpret_cast<sockaddr_in*>(&out->addr);
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out->addr);
  if (inet_pton(AF_INET, host.c_str(), &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
  } else if (inet_pton(AF_INET6, host.c_str(), &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
  } else {
    return false;
  }
  SetText(out);
  return true;
}

bool IsNotFound(int gai_error) {
  return gai_error == EAI_NONAME || gai_error == EAI_NODATA || gai_error == EAI_ADDRFAMILY;
}

std::string DnsFailureText(const std::string& name, int gai_error, int sys_errno) {
  const char* reason = gai_error == EAI_SYSTEM ? std::strerror(sys_errno) : gai_strerror(gai_error);
  return "DNS failure for " + name + ": " + reason;
}

/// Pool thread. Appends getaddrinfo(name, port) results (until kMaxAddresses) in the order
/// returned. Returns 0 or the EAI_* error (`*sys_errno` set for EAI_SYSTEM).
int AppendAddresses(const std::string& name, uint16_t port, Addresses* out, int* sys_errno) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  int rc = getaddrinfo(name.c_str(), service.c_str(), &hints, &list);
  if (rc != 0) {
    *sys_errno = errno;
    return rc;
  }
  for (const addrinfo* ai = list; ai != nullptr && out->size() < kMaxAddresses; ai = ai->ai_next) {
    if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) || ai->ai_addrlen > sizeof(sockaddr_storage)) {
      continue;
    }
    ResolvedAddress a;
    std::memcpy(&a.addr, ai->ai_addr, ai->ai_addrlen);
    SetText(&a);
    out->push_back(std::move(a));
  }
  freeaddrinfo(list);
  return 0;
}

/// Pool thread. A/AAAA for `host` with `port`.
Result<Addresses> LookupAddresses(const std::string& host, uint16_t port) {
  Addresses out;
  int sys_errno = 0;
  int rc = AppendAddresses(host, port, &out, &sys_errno);
  if (!out.empty()) return out;
  if (rc != 0 && !IsNotFound(rc)) return Err(DnsFailureText(host, rc, sys_errno));
  return Err("no address for " + host);
}

/// Pool thread. SRV records of `name` (empty on any failure: NXDOMAIN, NODATA, timeout...).
std::vector<SrvRecord> QuerySrv(const std::string& name) {
  struct __res_state state;
  std::memset(&state, 0, sizeof state);
  // On failure nothing is held; res_nclose on a half-initialised state would close fd 0.
  if (res_ninit(&state) != 0) return {};
  std::vector<unsigned char> answer(kSrvAnswerBytes);
  int n = res_nsearch(&state, name.c_str(), ns_c_in, ns_t_srv, answer.data(), static_cast<int>(answer.size()));
  res_nclose(&state);
  if (n <= 0) return {};
  return ParseSrvAnswer(answer.data(), std::min(static_cast<size_t>(n), answer.size()));
}

/// Pool thread. RFC 4976 §8 for a URI without a port: SRV, else A/AAAA with 2855.
Result<Addresses> LookupSrv(const std::string& host, bool tls) {
  std::vector<SrvRecord> records = QuerySrv((tls ? "_msrps._tcp." : "_msrp._tcp.") + host);
  if (records.empty()) return LookupAddresses(host, kDefaultPort);
  Addresses out;
  std::optional<std::string> first_failure;
  for (const SrvRecord& r : records) {
    if (out.size() >= kMaxAddresses) break;
    if (r.target == "." || r.target.empty()) continue;  // RFC 2782: service not offered there
    int sys_errno = 0;
    int rc = AppendAddresses(r.target, r.port, &out, &sys_errno);
    if (rc != 0 && !IsNotFound(rc) && !first_failure) first_failure = DnsFailureText(r.target, rc, sys_errno);
  }
  if (!out.empty()) return out;
  if (first_failure) return Err(*first_failure);
  return Err("no address for " + host);
}

/// Pool thread: sources 3 and 4 of Resolve().
Result<Addresses> LookupDns(const std::string& host, std::optional<uint16_t> port, bool tls) {
  if (port) return LookupAddresses(host, *port);
  return LookupSrv(host, tls);
}

/// Runs a user callback; nothing escapes into libuv.
void Deliver(Resolver::Callback& callback, Result<Addresses> result) {
  if (!callback) return;
  try {
    callback(std::move(result));
  } catch (const std::exception& e) {
    SPDLOG_ERROR("resolver callback threw: {}", e.what());
  } catch (...) {
    SPDLOG_ERROR("resolver callback threw");
  }
}

uint16_t ReadU16(const unsigned char* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

}  // namespace

std::vector<SrvRecord> ParseSrvAnswer(const unsigned char* answer, size_t len) {
  std::vector<SrvRecord> records;
  if (answer == nullptr || len == 0 || len > 65535) return records;
  ns_msg msg;
  if (ns_initparse(answer, static_cast<int>(len), &msg) < 0) return records;
  const int count = ns_msg_count(msg, ns_s_an);
  for (int i = 0; i < count; ++i) {
    ns_rr rr;
    if (ns_parserr(&msg, ns_s_an, i, &rr) < 0) break;  // damaged from here on
    if (ns_rr_type(rr) != ns_t_srv || ns_rr_class(rr) != ns_c_in) continue;
    const unsigned char* rdata = ns_rr_rdata(rr);
    const int rdlen = ns_rr_rdlen(rr);
    if (rdlen < 7) continue;  // priority, weight, port and at least the root label
    char name[NS_MAXDNAME];
    int used = dn_expand(ns_msg_base(msg), ns_msg_end(msg), rdata + 6, name, sizeof name);
    if (used < 0 || 6 + used > rdlen) continue;
    SrvRecord r;
    r.priority = ReadU16(rdata);
    r.weight = ReadU16(rdata + 2);
    r.port = ReadU16(rdata + 4);
    r.target = name;
    if (r.target.empty() || r.target == ".") {
      r.target = ".";
    } else if (r.target.back() == '.') {
      r.target.pop_back();
    }
    records.push_back(std::move(r));
  }
  std::stable_sort(records.begin(), records.end(), [](const SrvRecord& a, const SrvRecord& b) {
    if (a.priority != b.priority) return a.priority < b.priority;
    return a.weight > b.weight;
  });
  return records;
}

/// One Resolve() call. Owned by libuv from Resolve() until its last callback, which frees it:
/// AfterWork (DNS on the pool) or the timer's close callback (literal / static answers).
struct Resolver::Request {
  uint64_t id = 0;
  Resolver* owner = nullptr;  ///< nullptr once detached (cancelled or Resolver destroyed)
  Callback callback;          ///< loop thread only
  // Read by the pool thread; fixed before uv_queue_work.
  std::string host;
  std::optional<uint16_t> port;
  bool tls = false;
  bool use_timer = false;     ///< answered on the loop (timer) rather than on the pool
  // Written by the pool thread (or in Resolve() when use_timer); read in the loop callback.
  std::optional<Result<Addresses>> result;
  uv_work_t work{};
  uv_timer_t timer{};
};

Resolver::Resolver(uv_loop_t* loop) : loop_(loop) {}

Resolver::~Resolver() {
  for (auto& [id, request] : pending_) Detach(request);
  pending_.clear();
}

void Resolver::SetStaticHosts(
    const std::vector<std::pair<std::string, std::vector<config::StaticHostAddress>>>& hosts) {
  auto table = std::make_shared<std::unordered_map<std::string, std::vector<config::StaticHostAddress>>>();
  for (const auto& [name, addresses] : hosts) table->emplace(ToLower(name), addresses);  // first wins
  hosts_ = std::move(table);
}

uint64_t Resolver::Resolve(const std::string& host, std::optional<uint16_t> port, bool tls, Callback callback) {
  auto* request = new Request;
  request->id = next_id_++;
  request->owner = this;
  request->callback = std::move(callback);
  request->host = host;
  request->port = port;
  request->tls = tls;

  // 1. IP literal.
  ResolvedAddress literal;
  if (ParseLiteral(host, port.value_or(kDefaultPort), &literal)) {
    request->result = Addresses{std::move(literal)};
  } else if (hosts_) {
    // 2. Static table (its snapshot at this call).
    auto it = hosts_->find(ToLower(host));
    if (it != hosts_->end()) {
      Addresses out;
      for (const config::StaticHostAddress& entry : it->second) {
        if (out.size() >= kMaxAddresses) break;
        uint16_t p = port ? *port : (entry.port != 0 ? entry.port : kDefaultPort);
        ResolvedAddress a;
        if (ParseLiteral(entry.address, p, &a)) out.push_back(std::move(a));
      }
      if (out.empty()) {
        request->result = Err("no address for " + host);
      } else {
        request->result = std::move(out);
      }
    }
  }

  pending_.emplace(request->id, request);
  if (!request->result) {
    // 3./4. DNS on the pool.
    request->work.data = request;
    int rc = uv_queue_work(loop_, &request->work, &Resolver::DoWork, &Resolver::AfterWork);
    if (rc == 0) return request->id;
    request->result = Err("DNS failure for " + host + ": " + uv_strerror(rc));
  }
  // Never call back from inside Resolve(): a zero-delay timer delivers on the next loop turn.
  request->use_timer = true;
  uv_timer_init(loop_, &request->timer);
  request->timer.data = request;
  uv_timer_start(&request->timer, &Resolver::OnTimer, 0, 0);
  return request->id;
}

void Resolver::Cancel(uint64_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Request* request = it->second;
  pending_.erase(it);
  Detach(request);
}

void Resolver::Detach(Request* request) {
  request->owner = nullptr;
  request->callback = nullptr;
  if (request->use_timer) {
    uv_close(reinterpret_cast<uv_handle_t*>(&request->timer),
             [](uv_handle_t* handle) { delete static_cast<Request*>(handle->data); });
  } else {
    // Not started yet: AfterWork comes with UV_ECANCELED. Running: it comes when done. Either
    // way AfterWork sees owner == nullptr and only frees the request.
    uv_cancel(reinterpret_cast<uv_req_t*>(&request->work));
  }
}

void Resolver::DoWork(uv_work_t* work) {
  auto* request = static_cast<Request*>(work->data);
  try {
    request->result = LookupDns(request->host, request->port, request->tls);
  } catch (...) {
    // Out of memory: AfterWork reports the missing result.
  }
}

void Resolver::AfterWork(uv_work_t* work, int status) {
  auto* request = static_cast<Request*>(work->data);
  Resolver* self = request->owner;
  if (self == nullptr) {
    delete request;
    return;
  }
  self->pending_.erase(request->id);
  Callback callback = std::move(request->callback);
  Result<Addresses> result = request->result ? std::move(*request->result)
                                             : Result<Addresses>(Err("DNS failure for " + request->host + ": " +
                                                                     (status != 0 ? uv_strerror(status) : "lookup failed")));
  delete request;
  Deliver(callback, std::move(result));  // may destroy the Resolver: nothing touched after
}

void Resolver::OnTimer(uv_timer_t* timer) {
  auto* request = static_cast<Request*>(timer->data);
  // A detached request's timer is closed, so it never fires: owner is set here.
  request->owner->pending_.erase(request->id);
  request->owner = nullptr;
  Callback callback = std::move(request->callback);
  Result<Addresses> result = std::move(*request->result);
  uv_close(reinterpret_cast<uv_handle_t*>(timer), [](uv_handle_t* handle) { delete static_cast<Request*>(handle->data); });
  Deliver(callback, std::move(result));
}

}  // namespace msrp::relay
