// Transactions the relay forwarded and still expects a response for (RFC 4976 §6.4):
// (destination connection, downstream transaction id) -> what to do with the response, or
// with its absence (REPORT 408 after the transaction timeout, R-08).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <unordered_map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/header_values.h"

namespace msrp::relay {

/// State kept for one forwarded request until its response arrives or its timer fires.
struct PendingTransaction {
  uint64_t dest = 0;                 ///< connection the request was forwarded on
  std::string out_tid;               ///< its transaction id there
  uint64_t source = 0;               ///< connection the request came from
  std::string in_tid;                ///< its transaction id there (non-SEND responses map back, R-4)
  bool is_send = false;
  FailureReport failure_report = FailureReport::kYes;
  std::vector<std::string> hops;     ///< our URIs the request consumed, in To-Path order (1 or 2)
  std::string from_path;             ///< the request's From-Path as received (REPORT To-Path, R-10)
  std::string message_id;            ///< empty when the SEND had none
  ByteRange range;                   ///< the SEND's Byte-Range (start, total) as received
  uint64_t bytes_forwarded = 0;      ///< body bytes written downstream
  bool ended = false;                 ///< end-line sent (or queued) downstream
  bool armed = false;                ///< end-line written: the timer runs (R-08)
  uint64_t deadline_ms = 0;          ///< loop time at which the transaction times out
};

/// Key of a pending transaction.
using TransactionKey = std::pair<uint64_t, std::string>;

/// Orders TransactionKeys, and compares them with (dest, tid view) pairs so that lookups
/// build no key string (no allocation per lookup).
struct TransactionKeyLess {
  using is_transparent = void;
  using View = std::pair<uint64_t, std::string_view>;
  static View AsView(const TransactionKey& k) { return {k.first, k.second}; }
  static View AsView(const View& k) { return k; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return AsView(a) < AsView(b);
  }
};

/// Pending transactions with a deadline queue. Not thread-safe (one loop).
class TransactionTable {
 public:
  /// Adds a transaction (not yet armed). Returns a pointer valid until it is removed.
  PendingTransaction* Add(PendingTransaction txn);

  /// The transaction for (dest, tid), or nullptr.
  PendingTransaction* Find(uint64_t dest, std::string_view tid);

  /// Starts the timer of a transaction: it expires at `deadline_ms`.
  void Arm(PendingTransaction* txn, uint64_t deadline_ms);

  /// Removes and returns a transaction (nullopt-like: empty `out_tid` when absent).
  PendingTransaction Take(uint64_t dest, std::string_view tid);

  /// Removes and returns every armed transaction whose deadline is <= now_ms.
  std::vector<PendingTransaction> TakeExpired(uint64_t now_ms);

  /// Removes and returns every transaction forwarded on connection `dest`.
  std::vector<PendingTransaction> TakeByDestination(uint64_t dest);

  size_t size() const { return txns_.size(); }

  /// Pending transactions whose request came from connection `source`.
  uint32_t CountBySource(uint64_t source) const {
    auto it = by_source_.find(source);
    return it == by_source_.end() ? 0 : it->second;
  }

 private:
  void Forget(const PendingTransaction& txn);

  std::map<TransactionKey, PendingTransaction, TransactionKeyLess> txns_;
  std::unordered_map<uint64_t, uint32_t> by_source_;  ///< source connection -> pending count
  /// Armed keys in deadline order (one timeout value for all, so arming order is deadline
  /// order). Entries whose transaction is gone are skipped lazily.
  std::deque<std::pair<uint64_t, TransactionKey>> deadlines_;
};

}  // namespace msrp::relay
