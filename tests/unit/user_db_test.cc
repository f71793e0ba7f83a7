// Unit tests for common/user_db: htdigest parsing (user:realm:HA1), lookups and the error
// messages naming the offending line. HA1 values computed with `printf '%s' u:r:p | md5sum`.
#include "common/user_db.h"

#include <doctest/doctest.h>

#include <string>

#include "common/digest.h"
#include "tests/unit/checked_result.h"

namespace msrp {

TEST_CASE("A-06: an htdigest file yields the HA1 per (user, realm)") {
  Result<UserDb> db = UserDb::Parse(
      "# users of intra.example.com\n"
      "alice:intra.example.com:fad0c0e0a35b1e3aa64d00b76a756f51\n"
      "\n"
      "Mufasa:testrealm@host.com:939e7578ed9e3c518a452acee763bce9\n");
  REQUIRE(db.ok());
  CHECK(db->size() == 2);
  CHECK(db->FindHa1("alice", "intra.example.com") == std::optional<std::string>("fad0c0e0a35b1e3aa64d00b76a756f51"));
  CHECK(db->FindHa1("Mufasa", "testrealm@host.com") ==
        std::optional<std::string>(ComputeHa1("Mufasa", "testrealm@host.com", "Circle Of Life")));
}

TEST_CASE("A-06: username and realm compare exactly (case-sensitive)") {
  Result<UserDb> db = UserDb::Parse("alice:intra.example.com:fad0c0e0a35b1e3aa64d00b76a756f51\n");
  REQUIRE(db.ok());
  CHECK_FALSE(db->FindHa1("Alice", "intra.example.com").has_value());
  CHECK_FALSE(db->FindHa1("alice", "Intra.example.com").has_value());
  CHECK_FALSE(db->FindHa1("alice", "extra.example.com").has_value());
  CHECK_FALSE(db->FindHa1("bob", "intra.example.com").has_value());
  CHECK_FALSE(db->FindHa1("", "").has_value());
}

TEST_CASE("A-06: the same user in two realms gives two entries") {
  Result<UserDb> db = UserDb::Parse(
      "alice:intra.example.com:fad0c0e0a35b1e3aa64d00b76a756f51\n"
      "alice:extra.example.com:00000000000000000000000000000001\n");
  REQUIRE(db.ok());
  CHECK(db->size() == 2);
  CHECK(*db->FindHa1("alice", "extra.example.com") == "00000000000000000000000000000001");
}

TEST_CASE("A-06: CRLF line ends, a missing final newline and blank lines are accepted") {
  Result<UserDb> db = UserDb::Parse(
      "\r\n   \n\t\n#comment\r\nalice:r:fad0c0e0a35b1e3aa64d00b76a756f51\r\nbob:r:939e7578ed9e3c518a452acee763bce9");
  REQUIRE(db.ok());
  CHECK(db->size() == 2);
  CHECK(*db->FindHa1("alice", "r") == "fad0c0e0a35b1e3aa64d00b76a756f51");
  CHECK(*db->FindHa1("bob", "r") == "939e7578ed9e3c518a452acee763bce9");
}

TEST_CASE("A-06: an empty file gives an empty table") {
  Result<UserDb> db = UserDb::Parse("");
  REQUIRE(db.ok());
  CHECK(db->size() == 0);
  CHECK(Checked(UserDb::Parse("# only a comment\n\n")).size() == 0);
}

TEST_CASE("A-06: upper-case HA1 is stored lower-case, as ComputeResponse expects") {
  Result<UserDb> db = UserDb::Parse("alice:r:FAD0C0E0A35B1E3AA64D00B76A756F51\n");
  REQUIRE(db.ok());
  CHECK(*db->FindHa1("alice", "r") == "fad0c0e0a35b1e3aa64d00b76a756f51");
}

TEST_CASE("A-06: a realm containing ':' is everything between the first and last ':'") {
  Result<UserDb> db = UserDb::Parse("alice:realm:with:colons:fad0c0e0a35b1e3aa64d00b76a756f51\n");
  REQUIRE(db.ok());
  CHECK(db->FindHa1("alice", "realm:with:colons").has_value());
}

TEST_CASE("A-06: malformed lines are rejected with the 1-based line number") {
  Result<UserDb> bad_hex = UserDb::Parse(
      "# header\n"
      "alice:r:fad0c0e0a35b1e3aa64d00b76a756f51\n"
      "bob:r:zzd0c0e0a35b1e3aa64d00b76a756f51\n");
  REQUIRE_FALSE(bad_hex.ok());
  CHECK(bad_hex.error() == "line 3: HA1 must be 32 hex digits");

  Result<UserDb> short_ha1 = UserDb::Parse("alice:r:fad0c0e0a35b1e3aa64d00b76a756f5\n");
  REQUIRE_FALSE(short_ha1.ok());
  CHECK(short_ha1.error() == "line 1: HA1 must be 32 hex digits");

  Result<UserDb> long_ha1 = UserDb::Parse("alice:r:fad0c0e0a35b1e3aa64d00b76a756f511\n");
  REQUIRE_FALSE(long_ha1.ok());
  CHECK(long_ha1.error() == "line 1: HA1 must be 32 hex digits");

  Result<UserDb> trailing_space = UserDb::Parse("alice:r:fad0c0e0a35b1e3aa64d00b76a756f51 \n");
  REQUIRE_FALSE(trailing_space.ok());
  CHECK(trailing_space.error() == "line 1: HA1 must be 32 hex digits");

  Result<UserDb> two_fields = UserDb::Parse("\n\nalice:fad0c0e0a35b1e3aa64d00b76a756f51\n");
  REQUIRE_FALSE(two_fields.ok());
  CHECK(two_fields.error() == "line 3: expected user:realm:HA1");

  Result<UserDb> no_colon = UserDb::Parse("alice\n");
  REQUIRE_FALSE(no_colon.ok());
  CHECK(no_colon.error() == "line 1: expected user:realm:HA1");

  Result<UserDb> empty_user = UserDb::Parse(":r:fad0c0e0a35b1e3aa64d00b76a756f51\n");
  REQUIRE_FALSE(empty_user.ok());
  CHECK(empty_user.error() == "line 1: empty user name");

  Result<UserDb> empty_realm = UserDb::Parse("alice::fad0c0e0a35b1e3aa64d00b76a756f51\n");
  REQUIRE_FALSE(empty_realm.ok());
  CHECK(empty_realm.error() == "line 1: empty realm");
}

TEST_CASE("A-06: a duplicate (user, realm) is an error naming the second line") {
  Result<UserDb> db = UserDb::Parse(
      "alice:r:fad0c0e0a35b1e3aa64d00b76a756f51\n"
      "bob:r:fad0c0e0a35b1e3aa64d00b76a756f51\n"
      "alice:r:939e7578ed9e3c518a452acee763bce9\n");
  REQUIRE_FALSE(db.ok());
  CHECK(db.error() == "line 3: duplicate user and realm");
}

TEST_CASE("A-06: the first error wins") {
  Result<UserDb> db = UserDb::Parse("bad\nalso:bad:x\n");
  REQUIRE_FALSE(db.ok());
  CHECK(db.error() == "line 1: expected user:realm:HA1");
}

}  // namespace msrp
