// The seeded random run of random_run_test.cc: many simulated MSRP clients over one Engine and
// MemoryTransport, with an independent model of what each must see. Clients connect, AUTH
// (some refresh, some fail, some never ask), send chunked messages to each other with random
// sizes, chunking, Failure-Report and write splits, read in random portions or stall, answer
// 200 / never / 415, send REPORTs back, try to misuse tokens, and drop at random points.
// Every frame a client receives is checked against the model as it arrives (no open relay,
// in-order exact bytes, REPORTs only to senders, no response to a REPORT, R-06); the end checks
// exact delivery, liveness and an empty engine. Only this header's RandomRun is public.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tests/sim/sim_harness.h"

namespace msrp::sim::rr {

/// The knobs of one run.
struct RunParams {
  /// Liveness: a SEND fully sent must be answered within this while its sender stays
  /// connected (legitimate waits, behind stalled receivers and busy streams, stay well under).
  uint64_t max_response_wait_ms = 120'000;
  uint64_t seed = 1;
  int total_clients = 2000;     ///< connections opened over the run
  int concurrent = 250;         ///< target number open at once
  size_t max_send = 8192;       ///< largest single Send() of a client (one "TCP read")
  uint64_t step_ms = 20;        ///< simulated time per step
  double new_message_p = 0.02;  ///< per action of an idle client with a session
};

/// What a run observed (printed with a failure).
struct RunStats {
  uint64_t steps = 0, sim_ms = 0, opened = 0, authed = 0, refreshed = 0, messages = 0, evil = 0, chunks = 0;
  uint64_t acked_chunks = 0, checked_chunks = 0, pieces = 0, bytes_delivered = 0, aborted = 0;
  uint64_t relay_reports = 0, fwd_reports = 0, responses = 0, drops = 0, engine_closes = 0;
  uint64_t max_response_ms = 0;  ///< longest wait of a SEND for its response (before the wind-down)
  uint64_t peak_queue = 0, peak_held = 0, peak_waiting = 0, peak_connections = 0;
  std::string Describe() const;
};

class RandomRun {
 public:
  RandomRun(RunParams params, std::shared_ptr<config::Config> config);
  /// Runs the scenario and the end checks. Failures are collected (first ones kept).
  void Run();
  const std::vector<std::string>& failures() const { return failures_; }
  uint64_t failure_count() const { return failure_count_; }
  const RunStats& stats() const { return stats_; }
  const relay::Engine& engine() const { return relay_.engine; }

 private:
  enum class Role { kNormal, kLurker, kBadAuth };
  enum class Kind { kAuth, kSend, kReport };
  /// A request a client sent, by its transaction id.
  struct Sent {
    Kind kind = Kind::kSend;
    int message = -1;
    uint64_t start = 0, len = 0;  ///< SEND: the chunk's octets (start 1-based)
    bool fully_sent = false;      ///< its end-line left the client
    uint64_t fully_sent_at = 0;   ///< when
    int responses = 0;
    int code = 0;
  };
  /// A message from one client to another, and what its receiver got so far.
  struct Message {
    std::string id;
    int sender = -1, receiver = -1;
    std::string first_hop;   ///< To-Path[0] the sender used (its token, or a misused one)
    std::string to_token;    ///< the receiver's token at creation
    std::vector<std::string> to_path;
    uint64_t seed = 0, total = 0;
    bool unknown_total = false;  ///< Byte-Range total '*'
    std::string fr;              ///< "", "yes", "partial", "no"
    bool evil = false;           ///< must never be delivered
    std::vector<std::pair<uint64_t, uint64_t>> chunks;  ///< (start, len)
    struct Ack {
      uint64_t start = 0, len = 0;
      uint64_t at_ms = 0;  ///< when the sender read the 200 (the relay sent it earlier)
    };
    std::vector<Ack> acked;      ///< chunks answered 200
    uint64_t delivered = 0;      ///< contiguous octets the receiver got
    bool aborted = false;        ///< a piece ended with '#'
    bool report_back = false;    ///< the receiver sends a REPORT to the sender at '$'
  };
  struct Client {
    int idx = 0;
    ConnectionId id = 0;
    Role role = Role::kNormal;
    std::string uri, user, password, token;
    std::vector<std::string> tokens;  ///< every Use-Path URI minted for it
    bool authed = false, closed = false, ending = false, graceful = false, never_reads = false;
    int answer_mode = 0;  ///< 0: 200, 1: never, 2: 415
    uint32_t expires = 600, nc = 0;
    uint64_t end_at = 0, grace_until = 0, stall_until = 0, refresh_at = 0;
    uint64_t send_pause_until = 0;  ///< stops sending (mid-frame too) until then
    uint64_t auth_sent_at = 0, valid_until = 0;  ///< lower bound of the relay's expiry
    /// A graceful client read everything the relay had written just before it closed, at this
    /// time (0: it did not): every chunk answered 200 before then had reached it.
    uint64_t final_read_at = 0;
    bool refreshing = false;
    test::FrameReader reader;
    std::string out;
    size_t out_pos = 0;
    uint64_t sent_total = 0, queued_total = 0;
    std::deque<std::pair<uint64_t, std::string>> frame_ends;  ///< (cumulative end, tid)
    std::deque<std::pair<int, size_t>> chunk_queue;            ///< (message, chunk) to send
    std::unordered_map<std::string, Sent> sent;
    uint64_t next_tid = 0;
    std::mt19937_64 rng;
  };

  void Spawn();
  void Act(Client& c, bool winding_down);
  void Read(Client& c, size_t max);
  void SendSome(Client& c);
  /// Appends a whole frame to what `c` sends (after what it is sending now).
  void Append(Client& c, const std::string& frame);
  /// Appends request `frame` with transaction `tid` and remembers it as `sent`.
  void Queue(Client& c, const std::string& tid, const std::string& frame, Sent sent);
  void StartAuth(Client& c);
  void NewMessage(Client& c);
  void Drop(Client& c);
  bool RefreshClosed(Client& c);
  void Handle(Client& c, const test::Frame& f);
  void HandleResponse(Client& c, const test::Frame& f);
  void HandleSend(Client& c, const test::Frame& f);
  void HandleReport(Client& c, const test::Frame& f);
  void CheckBounds();
  void WindDown();
  void FinalChecks();
  std::string Tid(Client& c);
  std::string ChunkFrame(const Message& m, size_t chunk, const std::string& tid) const;
  void Fail(const std::string& what);
  uint64_t Now() const { return relay_.t.NowMs(); }
  uint64_t Uniform(Client& c, uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(c.rng);
  }
  bool Coin(Client& c, double p) { return std::bernoulli_distribution(p)(c.rng); }

  RunParams params_;
  std::shared_ptr<config::Config> config_;
  SimRelay relay_;
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<int> active_;
  std::vector<Message> messages_;
  std::unordered_map<std::string, int> message_by_id_;
  std::unordered_map<std::string, int> client_by_uri_;
  std::vector<std::string> failures_;
  bool winding_down_ = false;
  uint64_t failure_count_ = 0;
  RunStats stats_;
};

/// The 8 body octets of block `block` (octets 8*block .. 8*block+7) of the message with seed
/// `seed`, one per byte of the result; each octet is a letter (never CR/LF).
inline uint64_t BodyBlock(uint64_t seed, uint64_t block) {
  uint64_t x = seed + block * 0x9E3779B97F4A7C15ull;
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// Octet `i` (0-based) of the body of the message with seed `seed`.
inline char BodyOctet(uint64_t seed, uint64_t i) {
  return static_cast<char>('a' + ((BodyBlock(seed, i >> 3) >> (8 * (i & 7))) & 0xff) % 26);
}

/// Writes octets `from` .. `from + n - 1` of the message with seed `seed` to `out`.
inline void FillBody(uint64_t seed, uint64_t from, char* out, size_t n) {
  uint64_t block = from >> 3, bits = BodyBlock(seed, block);
  for (size_t k = 0; k < n; ++k) {
    const uint64_t i = from + k;
    if ((i >> 3) != block) bits = BodyBlock(seed, block = i >> 3);
    out[k] = static_cast<char>('a' + ((bits >> (8 * (i & 7))) & 0xff) % 26);
  }
}

/// The index of the first of `data` that is not octet `from + index` of the message, or
/// data.size() when all match.
inline size_t FirstMismatch(uint64_t seed, uint64_t from, std::string_view data) {
  uint64_t block = from >> 3, bits = BodyBlock(seed, block);
  for (size_t k = 0; k < data.size(); ++k) {
    const uint64_t i = from + k;
    if ((i >> 3) != block) bits = BodyBlock(seed, block = i >> 3);
    if (data[k] != static_cast<char>('a' + ((bits >> (8 * (i & 7))) & 0xff) % 26)) return k;
  }
  return data.size();
}

/// The users of the run: u0..u49, password "p" + index.
std::shared_ptr<const UserDb> RunUsers();

}  // namespace msrp::sim::rr
