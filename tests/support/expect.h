// doctest helpers for the e2e scenarios: byte-exact comparisons printed with CR/LF escaped,
// and "nothing arrives" checks.
#pragma once

#include <doctest/doctest.h>

#include "tests/support/msrp_frame.h"

/// CHECKs that two byte strings are equal, printing both with CR, LF and binary escaped.
#define CHECK_BYTES(got, want) \
  CHECK(::msrp::test::Printable((got), 200000) == ::msrp::test::Printable((want), 200000))

/// REQUIRE variant of CHECK_BYTES.
#define REQUIRE_BYTES(got, want) \
  REQUIRE(::msrp::test::Printable((got), 200000) == ::msrp::test::Printable((want), 200000))

/// CHECKs that `client` (an MsrpClient& or pointer-like) receives nothing for `ms` ms.
#define CHECK_SILENT(client, ms)                                                   \
  do {                                                                             \
    std::string silence_problem_ = (client).ExpectSilence(::msrp::test::Millis(ms)); \
    CHECK_MESSAGE(silence_problem_.empty(), silence_problem_);                     \
  } while (0)
