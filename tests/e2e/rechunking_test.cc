// End-to-end tests of re-chunking and fairness on the connection between two relays (RFC 4976
// §3, §6.4.1; RFC 4975 §7.1.1): relay1 cuts one 64 MiB chunk into limits.outgoing_chunk_bytes
// pieces while another session's small messages keep flowing over the same relay connection,
// and a 100 MiB message crosses both relays intact with bounded relay memory (R-11, R-14, R-15,
// R-16, R-18, BR-09, BR-23, C-06).
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "tests/support/crypto_util.h"
#include "tests/support/expect.h"
#include "tests/support/msrp_client.h"
#include "tests/support/relay_pair.h"
#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"

namespace msrp::test {
namespace {

using Clock = std::chrono::steady_clock;

// The bytes of a SEND up to and including the empty line before the body, and the tail after
// the body, so that a huge body can be written in slices.
struct SendParts {
  std::string head;
  std::string tail;
};

SendParts SplitSend(const SendSpec& spec) {
  SendSpec empty = spec;
  empty.body = std::string();
  std::string whole = BuildSend(empty);  // head CRLF CRLF "" CRLF end-line
  std::string tail = "\r\n-------" + spec.tid + std::string(1, spec.flag) + "\r\n";
  if (whole.size() <= tail.size() || whole.compare(whole.size() - tail.size(), tail.size(), tail) != 0) {
    throw std::runtime_error("SplitSend: unexpected encoding of " + spec.tid);
  }
  return {whole.substr(0, whole.size() - tail.size()), tail};
}

// Writes `spec` with body `body` (the whole message, of which [offset, offset+len) is this
// chunk's body) in 1 MiB slices.
void WriteChunk(MsrpClient& client, const SendSpec& spec, const std::string& body, size_t offset,
                size_t len) {
  SendParts parts = SplitSend(spec);
  client.Write(parts.head, Millis(60000));
  const size_t kSlice = 1u << 20;
  for (size_t done = 0; done < len; done += kSlice) {
    client.Write(std::string_view(body).substr(offset + done, std::min(kSlice, len - done)), Millis(60000));
  }
  client.Write(parts.tail, Millis(60000));
}

// Checks the SEND pieces of one message as they arrive at a receiver: same Message-ID, fresh
// distinct tids, contiguous Byte-Ranges with range-end `*` and the right total, bodies no longer
// than `max_piece` (0 = any) that equal the original octets, '+' on every piece but the last '$'.
struct PieceChecker {
  std::string message_id;
  const std::string* original = nullptr;
  size_t max_piece = 0;
  size_t received = 0;
  int pieces = 0;
  size_t largest = 0;
  bool done = false;
  int mismatches = 0;
  std::set<std::string> tids;
  std::string problems;

  void Add(const Frame& f) {
    ++pieces;
    auto fail = [&](const std::string& what) {
      if (problems.size() < 4000) problems += "piece " + std::to_string(pieces) + ": " + what + "\n";
    };
    if (!f.is_request || f.method != "SEND") {
      fail("want a SEND, got:\n" + f.Describe());
      return;
    }
    if (!tids.insert(f.tid).second) fail("tid " + f.tid + " used twice");
    if (f.Header("Message-ID") != std::optional<std::string>(message_id)) {
      fail("want Message-ID " + message_id + ", got " + f.Header("Message-ID").value_or("(none)"));
    }
    auto br = f.Header("Byte-Range") ? ParseByteRange(*f.Header("Byte-Range")) : std::nullopt;
    if (!br) {
      fail("missing or bad Byte-Range: " + f.Header("Byte-Range").value_or("(none)"));
    } else {
      if (br->start != static_cast<int64_t>(received) + 1) {
        fail("want Byte-Range start " + std::to_string(received + 1) + ", got " + *f.Header("Byte-Range"));
      }
      if (br->end != -1) fail("want range-end * (R-15), got " + *f.Header("Byte-Range"));
      if (br->total != static_cast<int64_t>(original->size())) {
        fail("want total " + std::to_string(original->size()) + ", got " + *f.Header("Byte-Range"));
      }
    }
    if (max_piece != 0 && f.body.size() > max_piece) {
      fail("body of " + std::to_string(f.body.size()) + " octets, want <= " + std::to_string(max_piece));
    }
    largest = std::max(largest, f.body.size());
    if (received + f.body.size() > original->size()) {
      fail("body runs past the end of the message");
    } else if (std::memcmp(f.body.data(), original->data() + received, f.body.size()) != 0) {
      size_t i = 0;
      while (f.body[i] == (*original)[received + i]) ++i;
      std::string where = "(not searched)";
      if (++mismatches <= 3) {
        size_t at = original->find(f.body.substr(i, std::min<size_t>(32, f.body.size() - i)));
        where = at != std::string::npos ? "at message octet " + std::to_string(at + 1) : "nowhere in the message";
      }
      fail("body of " + std::to_string(f.body.size()) + " octets (" + f.StartLine() + ", Byte-Range " +
           f.Header("Byte-Range").value_or("?") + ") differs from octet " + std::to_string(received + i + 1) +
           " of the message on; the octets found there are " + where);
    }
    received += f.body.size();
    const bool last = received == original->size();
    if (f.flag != (last ? '$' : '+')) {
      fail(std::string("want flag ") + (last ? '$' : '+') + " at " + std::to_string(received) + " of " +
           std::to_string(original->size()) + " octets, got " + f.flag);
    }
    if (f.flag == '$' || f.flag == '#') done = true;
  }
};

struct SmallMessage {
  Clock::time_point sent;
  bool arrived = false;
};

}  // namespace

TEST_CASE("R-11, R-14, R-15, R-18, BR-09, BR-23: relay1 cuts a 64 MiB chunk into <= 64 KiB SENDs "
          "while another session's small SENDs keep flowing over the same relay connection") {
  const size_t kTotal = 64u << 20;
  const size_t kPiece = 65536;
  RelayPairOptions o;
  o.relay1.limits["outgoing_chunk_bytes"] = std::to_string(kPiece);
  o.relay1.limits["transaction_timeout"] = "30";
  o.relay2.limits["transaction_timeout"] = "30";
  RelayPair relays(std::move(o));
  Peer a1 = relays.Authenticated(relays.relay1(), "a1", "alice", "alicepw");
  Peer a2 = relays.Authenticated(relays.relay1(), "a2", "carol", "carolpw");
  Peer b1 = relays.Authenticated(relays.relay2(), "b1", "bob", "bobpw");
  Peer b2 = relays.Authenticated(relays.relay2(), "b2", "carol", "carolpw");

  // Warm up: one small message opens the relay connection both sessions then share.
  {
    SendSpec w = SendBetween(a2, b2, "warm-up");
    std::string sent = BuildSend(w);
    a2->Write(sent);
    std::string problems = CheckRelay200(a2->ReadFrame(Millis(10000), "relay1's 200 (warm-up)"), w.tid, a2);
    REQUIRE_MESSAGE(problems.empty(), problems);
    Frame got = b2->ReadFrame(Millis(10000), "the warm-up SEND through both relays");
    REQUIRE_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, a2, b2));
    b2->Write(BuildResponse(got.tid, 200, "OK", {b2.use_path}, {b2.uri()}));
  }

  const std::string message = PseudoRandomBytes(kTotal, 0x64);
  SendSpec big = SendBetween(a1, b1, "");
  big.message_id = "big-" + RandomAlnum(8);
  big.content_type = "application/octet-stream";
  big.byte_range = "1-" + std::to_string(kTotal) + "/" + std::to_string(kTotal);

  // B1 checks every piece and answers it.
  PieceChecker checker;
  checker.message_id = big.message_id;
  checker.original = &message;
  checker.max_piece = kPiece;
  std::atomic<bool> b1_started{false}, b1_done{false};
  Clock::time_point b1_first, b1_last;
  BackgroundWriter b1_reader([&] {
    struct Done {
      std::atomic<bool>& flag;
      ~Done() { flag = true; }
    } done{b1_done};
    while (!checker.done) {  // keep answering after a problem, so other sessions are not stalled
      Frame f = b1->ReadFrame(Millis(30000), "the next piece of the 64 MiB chunk at B1");
      if (!b1_started) b1_first = Clock::now();
      b1_started = true;
      checker.Add(f);
      if (f.is_request) b1->Write(BuildResponse(f.tid, 200, "OK", {b1.use_path}, {b1.uri()}));
    }
    b1_last = Clock::now();
  });
  BackgroundWriter a1_writer([&] { WriteChunk(*a1.client, big, message, 0, kTotal); });

  // A2 sends a small SEND every ~10 ms until the big chunk is through (at least 20).
  std::mutex mu;
  std::vector<SmallMessage> smalls;
  std::atomic<int> small_sent{0};
  std::atomic<bool> a2_done{false};
  std::string a2_problems;
  const std::string small_tag = "small-" + RandomAlnum(6) + "-";
  {
    auto until = Clock::now() + Millis(5000);
    while (!b1_started && !b1_done && Clock::now() < until) std::this_thread::sleep_for(Millis(1));
  }
  BackgroundWriter a2_sender([&] {
    struct Done {
      std::atomic<bool>& flag;
      ~Done() { flag = true; }
    } done{a2_done};
    int oks = 0;
    std::set<std::string> tids;
    auto drain = [&](Millis timeout) {
      Frame f;
      std::string error;
      ReadStatus st = a2->Read(&f, timeout, &error);
      if (st == ReadStatus::kTimeout) return false;
      if (st != ReadStatus::kFrame) throw std::runtime_error("A2: " + error);
      if (f.is_request || f.status != 200 || !tids.count(f.tid)) {
        a2_problems += "A2 got something other than a 200 for its SEND:\n" + f.Describe() + "\n";
      }
      ++oks;
      return true;
    };
    auto deadline = Clock::now() + Millis(180000);
    for (int i = 0; (!b1_done || i < 20) && Clock::now() < deadline; ++i) {
      SendSpec s = SendBetween(a2, b2, "small message #" + std::to_string(i) + " " + std::string(200, 's'));
      s.message_id = small_tag + std::to_string(i);
      tids.insert(s.tid);
      {
        std::lock_guard<std::mutex> lock(mu);
        smalls.push_back({Clock::now(), false});
      }
      a2->Write(BuildSend(s));
      ++small_sent;
      while (drain(Millis(0))) {
      }
      std::this_thread::sleep_for(Millis(10));
    }
    while (oks < small_sent && drain(Millis(10000))) {
    }
    if (oks != small_sent) {
      a2_problems += "A2 got " + std::to_string(oks) + " 200s for " + std::to_string(small_sent.load()) +
                     " small SENDs\n";
    }
  });

  // B2 (this thread) receives every small message and answers it.
  std::vector<long> delays_ms;
  std::string b2_problems;
  int during_big = 0;
  int last_index = -1;
  auto missing_smalls = [&] {
    std::lock_guard<std::mutex> lock(mu);
    std::string out;
    int n = 0;
    for (size_t i = 0; i < smalls.size(); ++i) {
      if (smalls[i].arrived) continue;
      if (++n <= 20) out += " #" + std::to_string(i);
    }
    if (n > 20) out += " ...";
    return std::to_string(n) + " of " + std::to_string(smalls.size()) + " small messages missing:" + out;
  };
  for (;;) {
    if (a2_done && static_cast<int>(delays_ms.size()) >= small_sent) break;
    Frame f;
    std::string error;
    ReadStatus st = b2->Read(&f, Millis(10000), &error);
    if (st == ReadStatus::kTimeout) {
      if (a2_done && static_cast<int>(delays_ms.size()) >= small_sent) break;
      b2_problems += "nothing reached B2 for 10 s; " + missing_smalls() + "\n";
      break;
    }
    if (st != ReadStatus::kFrame) {
      b2_problems += "B2: " + error + "\n";
      break;
    }
    auto now = Clock::now();
    auto mid = f.Header("Message-ID").value_or("");
    if (!f.is_request || f.method != "SEND" || mid.rfind(small_tag, 0) != 0) {
      b2_problems += "B2 got an unexpected frame:\n" + f.Describe() + "\n";
      continue;
    }
    int index = std::stoi(mid.substr(small_tag.size()));
    {
      std::lock_guard<std::mutex> lock(mu);
      if (index < 0 || index >= static_cast<int>(smalls.size()) || smalls[index].arrived) {
        b2_problems += "B2 got small message #" + std::to_string(index) + " unexpectedly\n";
      } else {
        smalls[index].arrived = true;
        delays_ms.push_back(std::chrono::duration_cast<Millis>(now - smalls[index].sent).count());
      }
    }
    if (b1_started && !b1_done) ++during_big;
    if (index < last_index && b2_problems.size() < 4000) {
      b2_problems += "small message #" + std::to_string(index) + " arrived after #" + std::to_string(last_index) + "\n";
    }
    last_index = std::max(last_index, index);
    b2->Write(BuildResponse(f.tid, 200, "OK", {b2.use_path}, {b2.uri()}));
  }

  std::string werr = a1_writer.Join();
  std::string rerr = b1_reader.Join();
  std::string serr = a2_sender.Join();
  CHECK_MESSAGE(werr.empty(), "A1 writing the 64 MiB chunk: " << werr);
  CHECK_MESSAGE(rerr.empty(), "B1 reading the pieces: " << rerr);
  CHECK_MESSAGE(serr.empty(), "A2 sending small messages: " << serr);
  CHECK_MESSAGE(checker.problems.empty(), "pieces of the 64 MiB chunk at B1:\n" << checker.problems);
  CHECK_MESSAGE(checker.received == kTotal, "B1 received " << checker.received << " of " << kTotal << " octets");
  CHECK_MESSAGE(checker.pieces >= static_cast<int>(kTotal / kPiece),
                "want >= " << kTotal / kPiece << " pieces of <= " << kPiece << " octets, got " << checker.pieces);
  CHECK_MESSAGE(a2_problems.empty(), a2_problems);
  CHECK_MESSAGE(b2_problems.empty(), b2_problems);
  CHECK_MESSAGE(static_cast<int>(delays_ms.size()) == small_sent.load(),
                delays_ms.size() << " of " << small_sent.load() << " small messages reached B2");
  if (!rerr.empty() || !werr.empty()) return;  // no 200 to wait for

  std::string problems = CheckRelay200(a1->ReadFrame(Millis(60000), "relay1's 200 for the 64 MiB chunk"), big.tid, a1);
  CHECK_MESSAGE(problems.empty(), problems);
  CHECK_SILENT(*a1.client, 500);

  if (!delays_ms.empty()) {
    std::vector<long> sorted = delays_ms;
    std::sort(sorted.begin(), sorted.end());
    auto big_ms = std::chrono::duration_cast<Millis>(b1_last - b1_first).count();
    MESSAGE("64 MiB chunk: " << checker.pieces << " pieces (largest " << checker.largest << " octets) in "
            << big_ms << " ms; " << sorted.size() << " small messages (" << during_big
            << " arrived while the big chunk was in flight): delay A2->B2 median " << sorted[sorted.size() / 2]
            << " ms, worst " << sorted.back() << " ms");
  }
  int n = relays.ConnectionsBetween();
  CHECK_MESSAGE(n == 1, "want both sessions on 1 connection between the relays, got " << n << "\n"
                                                                                         << relays.DescribeConnections());
}

TEST_CASE("R-16, BR-09, C-06: a 100 MiB message crossing both relays arrives intact with bounded "
          "relay memory") {
  const size_t kTotal = 100u << 20;
  RelayPairOptions o;
  o.relay1.limits["transaction_timeout"] = "30";
  o.relay2.limits["transaction_timeout"] = "30";
  RelayPair relays(std::move(o));
  RelayProcess& r1 = relays.relay1();
  RelayProcess& r2 = relays.relay2();
  Peer a = relays.Authenticated(r1, "alice", "alice", "alicepw");
  Peer b = relays.Authenticated(r2, "bob", "bob", "bobpw");
  {  // warm-up: the relay connection and its TLS buffers exist before the baseline
    SendSpec w = SendBetween(a, b, "warm-up");
    std::string sent = BuildSend(w);
    a->Write(sent);
    Frame got = b->ReadFrame(Millis(10000), "the warm-up SEND");
    REQUIRE_BYTES(got.raw, ExpectedSendAtPeer(sent, got.tid, a, b));
    b->Write(BuildResponse(got.tid, 200, "OK", {b.use_path}, {b.uri()}));
    std::string problems = CheckRelay200(a->ReadFrame(Millis(10000), "relay1's 200 (warm-up)"), w.tid, a);
    REQUIRE_MESSAGE(problems.empty(), problems);
  }

  size_t chunk = 0;
  SUBCASE("in 1 MiB chunks") { chunk = 1u << 20; }
  SUBCASE("as one chunk") { chunk = kTotal; }
  const std::string message = PseudoRandomBytes(kTotal, 0x100);
  const std::string want_sha = Sha256Hex(message);
  const std::string mid = "huge-" + RandomAlnum(8);
  std::vector<SendSpec> chunks;
  for (size_t off = 0; off < kTotal; off += chunk) {
    SendSpec c = SendBetween(a, b, "");
    c.message_id = mid;
    c.content_type = "application/octet-stream";
    c.byte_range = std::to_string(off + 1) + "-" + std::to_string(off + chunk) + "/" + std::to_string(kTotal);
    c.flag = off + chunk < kTotal ? '+' : '$';
    chunks.push_back(c);
  }

  const long base1 = r1.VmRssKb(), base2 = r2.VmRssKb();
  std::atomic<long> max1{base1}, max2{base2};
  std::atomic<bool> sampling{true};
  std::thread sampler([&] {
    while (sampling) {
      max1 = std::max(max1.load(), r1.VmRssKb());
      max2 = std::max(max2.load(), r2.VmRssKb());
      std::this_thread::sleep_for(Millis(20));
    }
  });
  struct StopSampler {
    std::atomic<bool>& flag;
    std::thread& t;
    ~StopSampler() {
      flag = false;
      if (t.joinable()) t.join();
    }
  } stop_sampler{sampling, sampler};

  auto start = Clock::now();
  BackgroundWriter writer([&] {
    for (size_t i = 0; i < chunks.size(); ++i) WriteChunk(*a.client, chunks[i], message, i * chunk, chunk);
  });
  PieceChecker checker;
  checker.message_id = mid;
  checker.original = &message;
  std::string received;
  received.reserve(kTotal);
  while (!checker.done) {
    Frame f = b->ReadFrame(Millis(30000), "the next piece of the 100 MiB message at B");
    checker.Add(f);
    received += f.body;
    if (f.is_request) b->Write(BuildResponse(f.tid, 200, "OK", {b.use_path}, {b.uri()}));
  }
  auto ms = std::chrono::duration_cast<Millis>(Clock::now() - start).count();
  std::string werr = writer.Join();
  CHECK_MESSAGE(werr.empty(), werr);
  CHECK_MESSAGE(checker.problems.empty(), checker.problems);
  CHECK(received.size() == kTotal);
  CHECK_MESSAGE(Sha256Hex(received) == want_sha, "SHA-256 of the 100 MiB received at B differs");
  for (const SendSpec& c : chunks) {
    std::string problems = CheckRelay200(a->ReadFrame(Millis(30000), "relay1's 200 per chunk"), c.tid, a);
    CHECK_MESSAGE(problems.empty(), problems);
  }
  CHECK_SILENT(*a.client, 500);
  sampling = false;
  sampler.join();
  MESSAGE("100 MiB (" << chunks.size() << " chunk(s) of " << chunk << ") arrived at B in " << checker.pieces
          << " pieces (largest " << checker.largest << ") in " << ms << " ms; VmRSS growth relay1 "
          << (max1 - base1) / 1024 << " MiB, relay2 " << (max2 - base2) / 1024 << " MiB");
  if (r1.IsSanitized() || r2.IsSanitized()) {
    MESSAGE("relays run under a sanitizer: RSS bound not checked");
  } else {
    CHECK_MESSAGE(max1 - base1 < 64 * 1024, "relay1 VmRSS grew by " << (max1 - base1) / 1024
                                                                     << " MiB, want < 64 MiB (streaming)");
    CHECK_MESSAGE(max2 - base2 < 64 * 1024, "relay2 VmRSS grew by " << (max2 - base2) / 1024
                                                                     << " MiB, want < 64 MiB (streaming)");
  }
}

}  // namespace msrp::test
