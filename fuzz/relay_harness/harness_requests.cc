// Harness: what the simulated peers send. Requests are built from templates over the URIs the
// harness knows (Use-Path URIs learned from AUTH 200s, the peers' own URIs, other relays),
// shaped by the input's argument bytes, and appended to the sender's outbox; the input decides
// when and in what pieces the outbox is delivered, and may corrupt it.
#include <algorithm>
#include <cstdio>

#include "common/digest.h"
#include "fuzz/relay_harness/harness.h"

namespace msrp::fuzz {

namespace {

/// `n` body octets: printable filler with CRLFs (no end-line of any tid).
std::string Filler(size_t n) {
  static constexpr std::string_view kText = "The quick brown fox jumps over the lazy dog 0123456789.\r\n";
  std::string out;
  out.reserve(n);
  while (out.size() < n) out.append(kText.substr(0, std::min(kText.size(), n - out.size())));
  return out;
}

/// Body length for a length byte: 0..127 as is, then steps of 300 up to 38,400 octets.
size_t BodyLength(uint8_t len) { return len < 128 ? len : static_cast<size_t>(len - 127) * 300; }

/// The first URI of a path value.
std::string FirstUri(const std::string& path) { return path.substr(0, path.find(' ')); }

}  // namespace

std::string Harness::NewTid() {
  char buf[24];
  std::snprintf(buf, sizeof buf, "h%05llu", static_cast<unsigned long long>(++tid_counter_));
  return buf;
}

std::string Harness::ExternalUri(uint8_t which) const {
  switch (which % 6) {
    case 0: return "msrps://relay2.example.net:2855/x2;tcp msrps://far.example.net:9892/far;tcp";
    case 1: return "msrps://relay3.example.org:2855/x3;tcp msrps://far.example.org:9892/far;tcp";
    case 2: return "msrp://peer.example.org:9000/px;tcp";                // a relay-less peer (C-04)
    case 3: return "msrps://[2001:db8::5]:2856/v6;tcp";                  // IPv6 next hop (BR-02)
    case 4: return "msrps://relay2.example.net:2855/x2;tcp";
    default: return "msrps://relay.example.com:2856/unknown;tcp";        // ours, unknown session
  }
}

std::string Harness::BuildToPath(Actor& a, uint8_t shape, uint8_t target) {
  // target: low nibble picks the actor addressed, high nibble the URI variants.
  Actor* t = PickAny(target & 15);
  const uint8_t variant = target >> 4;
  auto minted = [&](const Actor* x, uint8_t k) {
    return x != nullptr && !x->minted.empty() ? x->minted[k % x->minted.size()]
                                              : std::string("msrps://relay.example.com:2855/none;tcp");
  };
  // How to reach the endpoint of `t` after our URI: through its relay when it is one.
  auto via = [&](const Actor* x) -> std::string {
    if (x == nullptr) return "msrps://nobody.example.org:9892/n;tcp";
    if (x->kind == ActorKind::kRelay || (x->kind == ActorKind::kOutbound && x->target.tls)) {
      return FirstUri(x->from_path) + " " + x->endpoint;
    }
    return x->endpoint;
  };
  const std::string mine = minted(&a, variant);
  switch (shape % 8) {
    case 0: return mine + " " + minted(t, variant) + " " + via(t);  // through us to another session
    case 1: return minted(t, variant) + " " + via(t);               // inbound to a session
    case 2: return mine + " " + ExternalUri(variant);                // out to another relay or peer
    case 3: return mine + " " + via(t);                                  // out to an endpoint's host
    case 4: return minted(t, variant) + " " + ExternalUri(variant);  // someone's token elsewhere (S-02)
    case 5: {                                                            // free form from everything known
      std::vector<std::string> pool{"msrps://relay.example.com:2855;tcp", "msrps://relay.example.com:2855/none;tcp"};
      for (auto& x : actors_) {
        pool.insert(pool.end(), x->minted.begin(), x->minted.end());
        pool.push_back(x->endpoint);
        pool.push_back(FirstUri(x->from_path));
      }
      for (uint8_t i = 0; i < 6; ++i) pool.push_back(FirstUri(ExternalUri(i)));
      std::string path;
      const int n = 1 + (variant & 3);
      for (int i = 0; i < n; ++i) path += (i ? " " : "") + pool[in_.U8() % pool.size()];
      return path;
    }
    case 6: return "msrps://relay.example.com:2855;tcp";                 // the relay itself
    default: return mine + " " + minted(t, variant) + " " + ExternalUri(variant);
  }
}

namespace {

/// An example request from /work/shared/rfc/rfc-examples.txt without its To-Path/From-Path.
struct RfcExample {
  const char* name;
  const char* method;
  test::Headers headers;              ///< after To-Path and From-Path, in the RFC's order
  std::optional<std::string> body;
  char flag;
};

const std::vector<RfcExample>& RfcExamples() {
  static const std::vector<RfcExample> examples = {
      {"4975-4 SEND-basic (Byte-Range typo 1-25/25 for 23 octets)", "SEND",
       {{"Message-ID", "87652491"}, {"Byte-Range", "1-25/25"}, {"Content-Type", "text/plain"}},
       "Hey Bob, are you there?", '$'},
      {"4975-11.1 SEND-alice-to-bob", "SEND",
       {{"Message-ID", "12339sdqwer"}, {"Byte-Range", "1-16/16"}, {"Content-Type", "text/plain"}},
       "Hi, I'm Alice!", '$'},
      {"4975-11.1 SEND-bob-to-alice", "SEND",
       {{"Message-ID", "456s9wlk3"}, {"Byte-Range", "1-21/21"}, {"Content-Type", "text/plain"}},
       "Hi, Alice!  I'm Bob!", '$'},
      {"4975-11.2 SEND-xhtml", "SEND",
       {{"Message-ID", "456so39s"}, {"Byte-Range", "1-374/374"}, {"Content-Type", "application/xhtml+xml"}},
       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!DOCTYPE html\r\nPUBLIC \"-//W3C//DTD XHTML 1.0 "
       "Strict//EN\"\r\n\"_http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd_\">\r\n<html "
       "xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\r\n  <head>\r\n    "
       "<title>FY2005 Results</title>\r\n</head>\r\n  <body>\r\n   <p>See the results at <a\r\n"
       "href=\"http://example.org/\">example.org</a>.</p>\r\n  </body>\r\n</html>",
       '$'},
      {"4975-11.4 cpim-chunk-1", "SEND",
       {{"Message-ID", "12339sdqwer"}, {"Byte-Range", "1-137/148"}, {"Content-Type", "message/cpim"}},
       "To: Bob <sip:bob@example.com>\r\nFrom: Alice <sip:alice@example.com>\r\nDateTime: "
       "2006-05-15T15:02:31-03:00\r\nContent-Type: text/plain\r\n\r\nABCD",
       '+'},
      {"4975-11.4 cpim-chunk-2 (Byte-Range typo)", "SEND",
       {{"Message-ID", "12339sdqwer"}, {"Byte-Range", "138-148/148"}, {"Content-Type", "message/cpim"}},
       "1234567890", '$'},
      {"4975-11.5 system-message (no reports)", "SEND",
       {{"Message-ID", "12339sdqwer"}, {"Byte-Range", "1-38/38"}, {"Failure-Report", "no"}, {"Success-Report", "no"},
        {"Content-Type", "text/plain"}},
       "This conference will end in 5 minutes", '$'},
      {"4975-11.6 SEND-success-report-requested", "SEND",
       {{"Message-ID", "12339sdqwer"}, {"Byte-Range", "1-106/106"}, {"Success-Report", "yes"}, {"Failure-Report", "no"},
        {"Content-Type", "text/html"}},
       "<html><body>\r\n<p>Here is that important link...\r\n<a href=\"http://www.example.com/foobar\">foobar</a>\r\n"
       "</p>\r\n</body></html>",
       '$'},
      {"4975-11.6 REPORT-success", "REPORT",
       {{"Message-ID", "12339sdqwer"}, {"Byte-Range", "1-106/106"}, {"Status", "000 200 OK"}}, std::nullopt, '$'},
      {"4976-3 SEND-alice-to-relayA", "SEND",
       {{"Success-Report", "yes"}, {"Byte-Range", "1-*/*"}, {"Message-ID", "87652"}, {"Content-Type", "text/plain"}},
       "Hi Bob, I'm about to send you file.mpeg", '$'},
      {"4976-3 REPORT-bob", "REPORT",
       {{"Message-ID", "87652"}, {"Byte-Range", "1-39/39"}, {"Status", "000 200 OK"}}, std::nullopt, '$'},
      {"4975-5.1 chunk-1-of-2", "SEND",
       {{"Message-ID", "4564dpWd"}, {"Byte-Range", "1-*/8"}, {"Content-Type", "text/plain"}}, "abcd", '+'},
      {"4975-5.1 chunk-2-of-2", "SEND",
       {{"Message-ID", "4564dpWd"}, {"Byte-Range", "5-8/8"}, {"Content-Type", "text/plain"}}, "EFGH", '$'},
      {"7977-8.2.2 SEND-ws-client-to-relay", "SEND",
       {{"Success-Report", "no"}, {"Byte-Range", "1-*/*"}, {"Message-ID", "87652"}, {"Content-Type", "text/plain"}},
       "Hi Bob, I'm about to send you file.mpeg", '$'},
  };
  return examples;
}

}  // namespace

void Harness::OpSendRfc(Actor& a, uint8_t which, uint8_t shape, uint8_t target, uint8_t deliver) {
  const RfcExample& ex = RfcExamples()[which % RfcExamples().size()];
  const std::string tid = NewTid();
  a.last_tid = tid;
  test::Headers h{{"To-Path", BuildToPath(a, shape, target)}, {"From-Path", a.from_path}};
  h.insert(h.end(), ex.headers.begin(), ex.headers.end());
  a.outbox += test::EncodeFrame(tid, ex.method, h, ex.body, ex.flag);
  Trace("rfc c%llu %s tid %s to-path %s", static_cast<unsigned long long>(a.id), ex.name, tid.c_str(), h[0].second.c_str());
  if (deliver & 1) Deliver(a, 0);
}

void Harness::OpAuth(Actor& a, uint8_t user_sel, uint8_t variant) {
  static const char* const kUsers[] = {"alice", "bob", "carol", "mallory"};
  static const char* const kPasswords[] = {"pa", "pb", "pc", "pm"};
  static const char* const kExpires[] = {nullptr, "30", "1", "999999"};
  const sim::MemoryConnection* c = transport_.Get(a.id);
  if (c->outbound && !c->established) return;
  const int u = user_sel & 3;
  std::string to = "msrps://relay.example.com:2855;tcp";
  if (variant & 0x40) to = "msrps://relay.example.com;tcp";  // portless: only AUTH may (U-07)
  if (variant & 0x80) to = std::string("msrps://") + kUsers[u] + "@relay.example.com:2855;tcp";
  test::Headers extra;
  if (kExpires[variant & 3] != nullptr) extra.emplace_back("Expires", kExpires[variant & 3]);
  Trace("auth c%llu user %s variant %02x%s", static_cast<unsigned long long>(a.id), kUsers[u], variant,
        (user_sel & 0x80) ? " nc-replay" : "");
  // RFC 4976 §5.1: AUTH without credentials, 401 with a challenge (unless reusing the last one).
  if (!(variant & 0x20) || a.nonce.empty()) {
    const std::string tid = NewTid();
    a.auth_tids.insert(tid);
    a.nonce.clear();
    test::Headers h{{"To-Path", to}, {"From-Path", a.from_path}};
    h.insert(h.end(), extra.begin(), extra.end());
    a.outbox += test::EncodeFrame(tid, "AUTH", h, std::nullopt);
    Deliver(a, 0);
    Take(a, 0);  // ObserveResponse keeps the challenge's nonce
    if (a.nonce.empty()) return;
  }
  // Then with Digest credentials, right or wrong as the variant says.
  const bool replay = (user_sel & 0x80) && a.nc > 0;
  const uint32_t nc = replay ? a.nc : a.nc + 1;
  a.nc = nc;
  char ncs[16];
  std::snprintf(ncs, sizeof ncs, "%08x", nc);
  const std::string realm = (variant & 0x10) ? "other.example" : "example.com";
  const std::string ha1 = ComputeHa1(kUsers[u], realm, (variant & 0x04) ? "wrong" : kPasswords[u]);
  const std::string cnonce = "0a4f113b";
  std::string authorization = std::string("Digest username=\"") + kUsers[u] + "\", realm=\"" + realm +
                              "\", nonce=\"" + a.nonce + "\", qop=auth, nc=" + ncs + ", cnonce=\"" + cnonce +
                              "\", opaque=\"" + a.opaque + "\", response=\"" +
                              ComputeResponse(ha1, a.nonce, ncs, cnonce, "auth", to) + "\"";
  if (!(variant & 0x08)) authorization += ", uri=\"" + to + "\"";
  const std::string tid = NewTid();
  a.auth_tids.insert(tid);
  test::Headers h{{"To-Path", to}, {"From-Path", a.from_path}, {"Authorization", authorization}};
  h.insert(h.end(), extra.begin(), extra.end());
  a.outbox += test::EncodeFrame(tid, "AUTH", h, std::nullopt);
  if (user_sel & 0x40) return;  // left in the outbox: the input delivers it (maybe in pieces)
  Deliver(a, 0);
  Take(a, 0);
}

void Harness::OpSend(Actor& a, uint8_t shape, uint8_t target, uint8_t hdr, uint8_t len, uint8_t flags) {
  static constexpr char kFlags[] = {'$', '$', '+', '#'};
  const std::string tid = (flags & 0x80) && !a.last_tid.empty() ? a.last_tid : NewTid();
  a.last_tid = tid;
  const char flag = kFlags[(flags >> 1) & 3];
  const bool bodiless = flags & 0x20;
  const std::string message_id = "m" + std::to_string(a.index) + "x" + std::to_string(hdr >> 5);
  const size_t n = bodiless ? 0 : BodyLength(len);
  // Byte-Range continues the message across '+' chunks (F-15, R-17).
  uint64_t& next = a.next_byte[message_id];
  if (next == 0) next = 1;
  const uint64_t start = bodiless ? 1 : next, end = start + n - 1;
  test::Headers h{{"To-Path", BuildToPath(a, shape, target)}, {"From-Path", a.from_path}, {"Message-ID", message_id}};
  const std::string total = flag == '+' ? "*" : std::to_string(end);
  switch ((hdr >> 3) & 3) {
    case 0: h.emplace_back("Byte-Range", std::to_string(start) + "-" + std::to_string(end) + "/" + total); break;
    case 1: h.emplace_back("Byte-Range", std::to_string(start) + "-*/" + total); break;
    case 2: break;  // absent: the whole message from octet 1
    default: h.emplace_back("Byte-Range", std::to_string(start) + "-*/*"); break;
  }
  static const char* const kFailureReport[] = {nullptr, "yes", "no", "partial"};
  if (kFailureReport[hdr & 3] != nullptr) h.emplace_back("Failure-Report", kFailureReport[hdr & 3]);
  if (hdr & 0x04) h.emplace_back("Success-Report", "yes");
  if (flags & 0x08) h.emplace_back("X-Fuzz", "1");
  std::optional<std::string> body;
  if (!bodiless) {
    body = Filler(n);
    // F-10: a body holding the end-line of another transaction passes through intact.
    if ((flags & 0x10) && n > 4) body->insert(n / 2, "\r\n-------" + NewTid() + "$\r\n");
    if (!(flags & 0x40)) h.emplace_back("Content-Type", "text/plain");  // else: 400 (F-07)
  }
  next = flag == '+' ? end + 1 : 1;
  a.outbox += test::EncodeFrame(tid, "SEND", h, body, flag);
  Trace("send c%llu tid %s shape %d to-path %s, %zu octets %c, hdr %02x flags %02x", static_cast<unsigned long long>(a.id),
        tid.c_str(), shape % 8, h[0].second.c_str(), n, flag, hdr, flags);
  if (flags & 1) Deliver(a, 0);
}

void Harness::OpRequest(Actor& a, uint8_t method, uint8_t shape, uint8_t target, uint8_t len) {
  const std::string tid = NewTid();
  a.last_tid = tid;
  test::Headers h{{"To-Path", BuildToPath(a, shape, target)}, {"From-Path", a.from_path}};
  std::optional<std::string> body;
  std::string name;
  switch (method % 6) {
    case 0:  // a REPORT, e.g. a Success-Report back toward a sender (RFC 4975 §7.1.2)
      name = "REPORT";
      h.emplace_back("Message-ID", "m" + std::to_string(target % 8) + "x" + std::to_string(len % 8));
      h.emplace_back("Byte-Range", "1-" + std::to_string(len) + "/" + std::to_string(len));
      h.emplace_back("Status", (len & 1) ? "000 200 OK" : "000 415 Unsupported");
      break;
    case 1:  // RFC 7701
      name = "NICKNAME";
      h.emplace_back("Use-Nickname", "\"nick" + std::to_string(a.index) + "\"");
      break;
    case 2:  // unknown method with a body (F-12: non-SEND bodies are bounded)
      name = "FOO";
      h.emplace_back("Content-Type", "text/plain");
      body = Filler(len < 128 ? len : static_cast<size_t>(len - 127) * 100);
      break;
    case 3:  // AUTH through us to another relay (RFC 4976 §5.1, relayed like any request)
      name = "AUTH";
      h[0].second = (a.minted.empty() ? std::string("msrps://relay.example.com:2855/none;tcp") : a.minted.back()) +
                    ((len & 1) ? " msrps://relay3.example.org;tcp" : " msrps://relay2.example.net:2855;tcp");
      break;
    case 4:  // bodiless SEND: keep-alive or binding traffic (C-12)
      name = "SEND";
      h.emplace_back("Message-ID", "k" + std::to_string(a.index) + "x" + std::to_string(len % 4));
      if (len & 1) h.emplace_back("Byte-Range", "1-0/0");
      break;
    default:
      name = "FOO";
      break;
  }
  a.outbox += test::EncodeFrame(tid, name, h, body, (len & 0x80) && (method & 0x40) ? '#' : '$');
  Trace("request c%llu %s tid %s to-path %s", static_cast<unsigned long long>(a.id), name.c_str(), tid.c_str(),
        h[0].second.c_str());
  if (!(method & 0x80)) Deliver(a, 0);
}

std::string Harness::Respond(Actor& a, const test::Frame& request, uint8_t code_sel) {
  static constexpr int kCodes[] = {200, 200, 200, 400, 403, 408, 413, 415, 481, 501, 506, 401};
  const int code = kCodes[code_sel % 12];
  const std::vector<std::string> to = request.Path("To-Path"), from = request.Path("From-Path");
  // RFC 4975 §7.2: a SEND is answered to the previous hop only, other requests to the whole
  // From-Path; From-Path is the request's To-Path URI (the responder).
  std::string to_path = request.method == "SEND" ? (from.empty() ? "" : from[0]) : request.Header("From-Path").value_or("");
  if (code_sel & 0x80) to_path = "msrps://elsewhere.example.org:2855/zz;tcp " + to_path;  // not ours
  const std::string from_path = to.empty() ? "" : to[0];
  test::Headers h{{"To-Path", to_path}, {"From-Path", from_path}};
  if (request.method == "AUTH" && code == 401) {
    h.emplace_back("WWW-Authenticate", "Digest realm=\"example.net\", nonce=\"n" + request.tid + "\", qop=\"auth\"");
  } else if (request.method == "AUTH" && code == 200) {
    const std::string host = a.kind == ActorKind::kOutbound ? a.target.host : "relay2.example.net";
    h.emplace_back("Use-Path", (from.empty() ? "" : from[0]) + " msrps://" + host + ":2855/u" + request.tid + ";tcp");
    h.emplace_back("Expires", "600");
  }
  const char* phrase = code == 200 ? "OK" : (code_sel & 0x40) ? "" : "Failed here";
  std::string rest = std::to_string(code);
  if (*phrase != '\0') rest.append(" ").append(phrase);
  return test::EncodeFrame(request.tid, rest, h, std::nullopt);
}

void Harness::OpRespond(Actor& a, uint8_t pick, uint8_t code) {
  if (a.received.empty()) return;
  const size_t i = pick % a.received.size();
  const test::Frame request = a.received[i];
  a.received.erase(a.received.begin() + static_cast<long>(i));
  // A peer answering a REPORT breaks RFC 4975 §7.1.2; do it rarely (the relay must drop it).
  if (request.method == "REPORT" && !(code & 0x20)) return;
  const std::string response = Respond(a, request, code);
  Trace("respond c%llu %s to %s %s", static_cast<unsigned long long>(a.id), response.substr(0, response.find('\r')).c_str(),
        request.method.c_str(), request.tid.c_str());
  a.outbox += response;
  Deliver(a, 0);
}

void Harness::OpEndLine(Actor& a, uint8_t source, uint8_t flag) {
  // F-11: the end-line of a transaction the relay is streaming to `source` (learned from the
  // frame it is writing there), put next in `a`'s outbox: once inside a body the relay
  // forwards to `source`, it must cut the piece there instead of ending the frame early.
  Actor* s = PickAny(source);
  if (s == nullptr || s->downstream_tid.empty()) return;
  static constexpr char kFlags[] = {'$', '+', '#'};
  std::string line = "-------" + s->downstream_tid + kFlags[flag % 3] + "\r\n";
  if (!(flag & 0x10)) line.insert(0, "\r\n");
  a.outbox.insert(0, line);
  Trace("end-line of c%llu's %s put first in c%llu's outbox", static_cast<unsigned long long>(s->id),
        s->downstream_tid.c_str(), static_cast<unsigned long long>(a.id));
  if (flag & 0x20) Deliver(a, 0);
}

void Harness::OpMutate(Actor& a, uint16_t pos, uint8_t value) {
  if (a.outbox.empty()) return;
  const size_t p = (pos & 0x3fff) % a.outbox.size();
  switch (pos >> 14) {
    case 0: a.outbox[p] = static_cast<char>(value); break;
    case 1: a.outbox.insert(p, 1, static_cast<char>(value)); break;
    case 2: a.outbox.erase(p, 1 + value % 16); break;
    default: a.outbox.insert(p, "\r\n"); break;
  }
  Trace("mutate c%llu at %zu mode %d value %02x", static_cast<unsigned long long>(a.id), p, pos >> 14, value);
}

}  // namespace msrp::fuzz
