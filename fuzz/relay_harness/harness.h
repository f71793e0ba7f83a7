// fuzz_relay's harness: one relay Engine per input, driven through the in-memory transport by a
// small byte-coded op language (fuzz/relay_harness/ops.md describes it), with invariants
// checked after every step and at the end of the input. Deterministic: simulated clock,
// deterministic OpenSSL randomness (det_random.h), no environment input.
//
// Split over: harness.cc (config, actors, ops, end phase), harness_requests.cc (the requests and
// responses the simulated peers send), harness_oracle.cc (what the engine wrote: framing,
// no open relay, REPORT and response rules, memory bounds).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/framer.h"
#include "config/config.h"
#include "fuzz/relay_harness/fuzz_transport.h"
#include "relay/engine/engine.h"
#include "tests/support/msrp_frame.h"

namespace msrp::fuzz {

/// Reads the fuzz input; past its end every read gives 0, so every op is total.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t U8() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint16_t U16() {
    const uint16_t hi = U8();
    return static_cast<uint16_t>(hi << 8 | U8());
  }
  /// Up to `n` raw bytes (fewer at the end of the input).
  std::string_view Bytes(size_t n) {
    n = n < size_ - pos_ ? n : size_ - pos_;
    std::string_view out(reinterpret_cast<const char*>(data_) + pos_, n);
    pos_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

/// A request the harness delivered to the engine on one connection, as the relay's own framer
/// frames the delivered bytes (same bytes, same order, same limits: the same heads the engine
/// saw). Used to tell which transactions a connection opened.
struct SentRequest {
  std::string tid;
  std::string method;
  std::string to_path;
  std::string from_path;
  std::string message_id;
  /// Failure-Report as the relay reads it: 'y' (yes, absent or unparseable), 'n', 'p'.
  char failure_report = 'y';
};

/// Frames the bytes delivered on one connection and keeps the request heads (bounded).
class InboundModel : private Framer::Sink {
 public:
  explicit InboundModel(FramerLimits limits) : framer_(this, limits) {}
  void Feed(std::string_view bytes);
  void set_limits(FramerLimits limits) { framer_.set_limits(limits); }
  /// Requests sent with transaction id `tid`.
  std::vector<const SentRequest*> WithTid(std::string_view tid) const;
  const std::vector<SentRequest>& requests() const { return requests_; }
  /// More requests than kept: checks that need every request are skipped.
  bool overflowed() const { return overflowed_; }

 private:
  void OnHead(MessageHead& head) override;
  void OnBody(std::string_view) override {}
  void OnEnd(EndFlag) override {}
  void OnFrameError(const FrameError&) override {}

  static constexpr size_t kMaxRequests = 4096;
  Framer framer_;
  std::vector<SentRequest> requests_;
  bool overflowed_ = false;
};

/// Who a simulated peer is.
enum class ActorKind {
  kClient,    ///< an MSRP client on the TLS listener (AUTHs, sends through the relay)
  kPlain,     ///< a relay-less peer on the plain TCP listener (msrp: URIs, no AUTH)
  kRelay,     ///< another relay on the TLS listener, identified by its client certificate
  kOutbound,  ///< the peer at the other end of a connection the engine dialled
};

/// One simulated peer: the endpoint or relay at the other end of one connection.
struct Actor {
  relay::ConnectionId id = 0;
  ActorKind kind = ActorKind::kClient;
  int index = 0;                       ///< position in Harness::actors_ (names its URIs)
  std::string from_path;               ///< From-Path its requests carry
  std::string endpoint;                ///< URI others address it by (the last To-Path hop)
  std::vector<std::string> minted;     ///< our Use-Path URIs granted in AUTH 200s on this connection
  std::vector<std::string> certificate_names;  ///< its TLS client certificate (A-17)
  relay::DialTarget target;            ///< kOutbound: what the engine dialled
  std::string outbox;                  ///< request bytes built but not yet delivered
  std::string last_tid;                ///< tid of its last request (for deliberate reuse)
  std::map<std::string, uint64_t> next_byte;  ///< Message-ID -> next Byte-Range start (chunks)
  bool stalled = false;                ///< stopped reading (backpressure on the engine)
  std::string relay_identity;          ///< relay the engine identified it as (sticky snapshot)
  // AUTH state (RFC 4976 §5.1).
  std::set<std::string> auth_tids;     ///< AUTHs it sent
  std::string nonce, opaque;           ///< the last Digest challenge it got
  uint32_t nc = 0;                     ///< last nonce count used with `nonce`
  // What the engine wrote to it.
  test::FrameReader out;               ///< frames of everything it took
  std::string out_error;               ///< set once the output stopped parsing (a finding)
  std::vector<test::Frame> received;   ///< requests it got and has not answered
  std::string downstream_tid;          ///< tid of the last SEND written to it (complete or not)
  uint64_t taken = 0;                  ///< bytes taken
  // What it delivered.
  std::unique_ptr<InboundModel> in;
  uint64_t delivered = 0;              ///< bytes delivered
};

/// A 200 the relay sent for a SEND: some SEND with one of these Message-IDs must have
/// been written to some connection by the end of the input.
struct OkForSend {
  relay::ConnectionId conn = 0;
  std::string tid;
  std::vector<std::string> message_ids;
};

class Harness {
 public:
  /// The fuzz input: 3 config bytes, then ops (see ops.md).
  Harness(const uint8_t* data, size_t size);
  ~Harness();
  /// Runs every op, checking invariants after each, then the end phase.
  void Run();

 private:
  // --- harness.cc: config, actors, ops, end phase.
  std::shared_ptr<config::Config> MakeConfig(uint8_t a, uint8_t b, uint8_t c) const;
  void UseConfig(std::shared_ptr<config::Config> config);
  void RunOp(uint8_t op);
  Actor* PickOpen(uint8_t selector);
  Actor* PickAny(uint8_t selector);
  Actor& AddActor(relay::ConnectionId id, ActorKind kind);
  void AdoptDials();
  void OpOpen(uint8_t kind);
  void OpDial(uint8_t pick, uint8_t how);
  void OpAdvance(uint8_t step);
  /// Delivers up to `max` bytes (all when 0) of the actor's outbox, unless the engine paused
  /// reading it (the bytes stay, as in the peer's socket buffer). Returns bytes delivered.
  size_t Deliver(Actor& a, size_t max);
  /// The actor reads up to `max` bytes (all when 0) of what the engine wrote to it.
  void Take(Actor& a, size_t max);
  /// Every actor that is not stalled reads everything, until the engine writes no more.
  void Sync();
  void Finish();
  bool IsOpen(const Actor& a);
  void Trace(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

  // --- harness_requests.cc: what the simulated peers send.
  std::string NewTid();
  void OpAuth(Actor& a, uint8_t user, uint8_t variant);
  void OpSend(Actor& a, uint8_t shape, uint8_t target, uint8_t hdr, uint8_t len, uint8_t flags);
  void OpRequest(Actor& a, uint8_t method, uint8_t shape, uint8_t target, uint8_t len);
  void OpRespond(Actor& a, uint8_t pick, uint8_t code);
  /// An RFC 4975/4976/7977 example request (rfc-examples.txt, typos kept) with its paths
  /// replaced by a To-Path of `shape` and the sender's From-Path.
  void OpSendRfc(Actor& a, uint8_t which, uint8_t shape, uint8_t target, uint8_t deliver);
  void OpEndLine(Actor& a, uint8_t source, uint8_t flag);
  void OpMutate(Actor& a, uint16_t pos, uint8_t value);
  /// To-Path for a request from `a` following `shape` toward actor `target`.
  std::string BuildToPath(Actor& a, uint8_t shape, uint8_t target);
  std::string ExternalUri(uint8_t which) const;
  std::string Respond(Actor& a, const test::Frame& request, uint8_t code);

  // --- harness_oracle.cc: invariants.
  [[noreturn]] void Fail(const std::string& what, const std::string& detail = "");
  void OnWrite(relay::ConnectionId id, uint64_t queued_before, size_t size);
  void Observe(Actor& a, const test::Frame& f);
  void ObserveResponse(Actor& a, const test::Frame& f);
  void ObserveRequest(Actor& a, const test::Frame& f);
  void CheckEarned(Actor& a, const test::Frame& f);
  /// A frame whose head is complete but whose body is not (or was cut by a close): its head
  /// still went out, so it counts for the no-open-relay rule and for delivered SENDs.
  void ObservePartialHead(Actor& a);
  void CheckState();
  /// After the timers ran (peers reading, never answering): what may still be pending. `strict`:
  /// every timer has run (Expires, idle, probation...).
  void CheckQuiescent(bool strict);
  void CheckDeliveredOk();
  bool IsOurUri(std::string_view uri) const;

  ByteReader in_;
  FuzzTransport transport_;
  std::unique_ptr<relay::Engine> engine_;
  std::shared_ptr<const UserDb> users_;
  std::shared_ptr<config::Config> config_;
  uint64_t max_queue_cap_ = 0;      ///< largest max_queue_bytes of every config used so far
  uint64_t max_head_cap_ = 0;       ///< largest max_head_bytes so far
  uint64_t max_body_cap_ = 0;       ///< largest max_non_send_body so far
  uint32_t max_pending_cap_ = 0;    ///< largest max_pending_transactions so far
  uint64_t max_delivery_ = 0;       ///< largest single delivery (one engine read)
  std::vector<std::unique_ptr<Actor>> actors_;
  uint64_t tid_counter_ = 0;
  uint64_t connections_opened_ = 0; ///< inbound opens plus dials
  bool draining_ = false;
  std::set<std::string> forwarded_send_ids_;  ///< Message-IDs of SENDs the engine wrote
  std::vector<OkForSend> ok_for_send_;
  std::vector<std::string> trace_;  ///< the ops run, for failure messages
  bool trace_live_ = false;         ///< MSRP_FUZZ_TRACE set: print ops as they run
};

}  // namespace msrp::fuzz
