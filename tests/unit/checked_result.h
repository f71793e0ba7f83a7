// Unwrapping a Result in a test: the test fails (REQUIRE) unless it holds a value. Results may
// only be unwrapped after ok() (common/result.h), in tests too.
#pragma once

#include <doctest/doctest.h>

#include <utility>

#include "common/result.h"

namespace msrp {

/// The value of `r`; fails the test case when `r` holds an error (its message is shown).
template <typename T>
T Checked(Result<T> r) {
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error()));
  return std::move(r).value();
}

}  // namespace msrp
