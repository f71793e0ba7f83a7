// Session and transaction tables of the relay (RFC 4976 §6.3, §6.4): lookups, expiry, and the
// BR-01 property that every session added resolves until it expires, whatever the order.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "common/digest.h"
#include "relay/engine/session_table.h"
#include "relay/engine/transaction_table.h"

using msrp::relay::PendingTransaction;
using msrp::relay::Session;
using msrp::relay::SessionTable;
using msrp::relay::TransactionTable;

namespace {

Session MakeSession(std::string id, uint64_t owner, uint64_t expires_ms) {
  Session s;
  s.id = std::move(id);
  s.owner = owner;
  s.expires_ms = expires_ms;
  return s;
}

}  // namespace

TEST_CASE("BR-01, A-15: every session inserted in random order resolves until its Expires") {
  std::mt19937 rng(4976);
  SessionTable table;
  std::vector<std::string> ids;
  for (int i = 0; i < 5000; ++i) ids.push_back(msrp::RandomToken(16));
  // Ids that differ only late or share prefixes, like ids other relays mint (/ + =).
  for (int i = 0; i < 200; ++i) ids.push_back("abc/def+" + std::to_string(i) + "==");
  std::shuffle(ids.begin(), ids.end(), rng);
  for (size_t i = 0; i < ids.size(); ++i) {
    REQUIRE(table.Add(MakeSession(ids[i], i + 1, 1000 + (i % 7) * 100)) != nullptr);
  }
  std::shuffle(ids.begin(), ids.end(), rng);
  for (const auto& id : ids) {
    Session* s = table.Find(id, 999);
    REQUIRE(s != nullptr);
    CHECK(s->id == id);
  }
  CHECK(table.size() == ids.size());
}

TEST_CASE("A-15: an expired session is not found and is swept") {
  SessionTable table;
  table.Add(MakeSession("short", 1, 1000));
  table.Add(MakeSession("long", 2, 5000));
  CHECK(table.Find("short", 999) != nullptr);
  CHECK(table.Find("short", 1000) == nullptr);
  auto expired = table.TakeExpired(1000);
  REQUIRE(expired.size() == 1);
  CHECK(expired[0].id == "short");
  CHECK(table.size() == 1);
  CHECK(table.Find("long", 4999) != nullptr);
}

TEST_CASE("U-05: session ids compare case-sensitively") {
  SessionTable table;
  table.Add(MakeSession("AbC123", 1, 10000));
  CHECK(table.Find("AbC123", 0) != nullptr);
  CHECK(table.Find("abc123", 0) == nullptr);
  CHECK(table.Add(MakeSession("AbC123", 2, 10000)) == nullptr);  // duplicate id refused
}

TEST_CASE("R-04, R-08: pending transactions are found by (connection, tid) and time out in order") {
  TransactionTable table;
  for (int i = 0; i < 3; ++i) {
    PendingTransaction t;
    t.dest = 7;
    t.out_tid = "tid" + std::to_string(i);
    t.source = 3;
    table.Add(std::move(t));
  }
  PendingTransaction other;
  other.dest = 8;
  other.out_tid = "tid0";
  table.Add(std::move(other));
  CHECK(table.Find(7, "tid1") != nullptr);
  CHECK(table.Find(9, "tid1") == nullptr);
  table.Arm(table.Find(7, "tid0"), 100);
  table.Arm(table.Find(7, "tid1"), 200);
  // tid2 is not armed: still streaming, never times out.
  CHECK(table.TakeExpired(99).empty());
  auto first = table.TakeExpired(150);
  REQUIRE(first.size() == 1);
  CHECK(first[0].out_tid == "tid0");
  // A transaction answered before its deadline is gone; its deadline entry is skipped.
  CHECK(table.Take(7, "tid1").out_tid == "tid1");
  CHECK(table.TakeExpired(1000).empty());
  auto by_dest = table.TakeByDestination(7);
  REQUIRE(by_dest.size() == 1);
  CHECK(by_dest[0].out_tid == "tid2");
  CHECK(table.size() == 1);
  CHECK(table.Find(8, "tid0") != nullptr);
}

TEST_CASE("R-04: transaction lookups by tid view match only the exact (connection, tid), whatever the neighbours") {
  // Keys that sort next to each other: a tid and its prefix, the same tid on connections 6, 7
  // and 8, and the empty tid that TakeByDestination starts its scan from.
  TransactionTable table;
  for (uint64_t dest : {6u, 7u, 8u}) {
    for (const char* tid : {"abcd", "abcde", "abcc"}) {
      PendingTransaction t;
      t.dest = dest;
      t.out_tid = tid;
      t.source = 1;
      t.ended = true;
      table.Add(std::move(t));
    }
  }
  const std::string_view view = std::string_view("abcdef").substr(0, 4);  // not NUL-terminated
  REQUIRE(table.Find(7, view) != nullptr);
  CHECK(table.Find(7, view)->out_tid == "abcd");
  CHECK(table.Find(7, view)->dest == 7);
  CHECK(table.Find(7, "abc") == nullptr);
  CHECK(table.Find(7, "abcdef") == nullptr);
  CHECK(table.Find(7, "") == nullptr);
  CHECK(table.Take(7, "abcde").out_tid == "abcde");
  CHECK(table.Find(7, "abcde") == nullptr);
  CHECK(table.Find(6, "abcde") != nullptr);
  CHECK(table.Find(8, "abcde") != nullptr);
  // Arming connection 7's two transactions expires them only, not 6's and 8's.
  for (const char* tid : {"abcd", "abcc"}) table.Arm(table.Find(7, tid), 50);
  auto expired = table.TakeExpired(60);
  REQUIRE(expired.size() == 2);
  for (const auto& t : expired) CHECK(t.dest == 7);
  auto six = table.TakeByDestination(6);
  REQUIRE(six.size() == 3);
  CHECK(six[0].out_tid == "abcc");
  CHECK(six[1].out_tid == "abcd");
  CHECK(six[2].out_tid == "abcde");
  CHECK(table.size() == 3);
}
