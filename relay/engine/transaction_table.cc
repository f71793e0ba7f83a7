// TransactionTable: ordered map for lookups by (connection, tid), FIFO deadline queue.
#include "relay/engine/transaction_table.h"

namespace msrp::relay {

PendingTransaction* TransactionTable::Add(PendingTransaction txn) {
  TransactionKey key{txn.dest, txn.out_tid};
  auto found = txns_.find(key);
  if (found != txns_.end()) Forget(found->second);
  by_source_[txn.source]++;
  auto [it, inserted] = txns_.insert_or_assign(std::move(key), std::move(txn));
  return &it->second;
}

void TransactionTable::Forget(const PendingTransaction& txn) {
  auto it = by_source_.find(txn.source);
  if (it != by_source_.end() && --it->second == 0) by_source_.erase(it);
}

PendingTransaction* TransactionTable::Find(uint64_t dest, std::string_view tid) {
  auto it = txns_.find(TransactionKeyLess::View{dest, tid});
  return it == txns_.end() ? nullptr : &it->second;
}

void TransactionTable::Arm(PendingTransaction* txn, uint64_t deadline_ms) {
  txn->armed = true;
  txn->deadline_ms = deadline_ms;
  deadlines_.emplace_back(deadline_ms, TransactionKey{txn->dest, txn->out_tid});
}

PendingTransaction TransactionTable::Take(uint64_t dest, std::string_view tid) {
  auto it = txns_.find(TransactionKeyLess::View{dest, tid});
  if (it == txns_.end()) return PendingTransaction{};
  PendingTransaction out = std::move(it->second);
  txns_.erase(it);
  Forget(out);
  return out;
}

std::vector<PendingTransaction> TransactionTable::TakeExpired(uint64_t now_ms) {
  std::vector<PendingTransaction> out;
  while (!deadlines_.empty() && deadlines_.front().first <= now_ms) {
    auto key = std::move(deadlines_.front().second);
    uint64_t deadline = deadlines_.front().first;
    deadlines_.pop_front();
    auto it = txns_.find(key);
    if (it != txns_.end() && it->second.armed && it->second.deadline_ms == deadline) {
      Forget(it->second);
      out.push_back(std::move(it->second));
      txns_.erase(it);
    }
  }
  return out;
}

std::vector<PendingTransaction> TransactionTable::TakeByDestination(uint64_t dest) {
  std::vector<PendingTransaction> out;
  auto it = txns_.lower_bound(TransactionKeyLess::View{dest, std::string_view()});
  while (it != txns_.end() && it->first.first == dest) {
    Forget(it->second);
    out.push_back(std::move(it->second));
    it = txns_.erase(it);
  }
  return out;
}

}  // namespace msrp::relay
