// Result<T>: a value or an error message, returned instead of throwing.
// Errors are values on the data path (no exceptions may cross a libuv callback).
//
// Checked unwrap: value(), operator* and operator-> may only be used after ok() (or operator
// bool) was asked on the same object. In builds with MSRP_CHECK_RESULTS (Debug, sanitizer and
// fuzz builds) an unwrap that was not preceded by that check aborts at once, even when the
// Result holds a value, so a path that could unwrap an error on some input fails under tests
// and fuzzing on every input. In other builds the unwrap is unchecked: code must check first.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace msrp {

/// An error: a short human-readable reason (no secrets, no body bytes).
struct Error {
  std::string message;
};

/// Either a T or an Error. Check ok() before value().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}           // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}       // NOLINT: implicit by design
  /// True when a value is held. Marks this object as checked (see the file comment).
  bool ok() const {
    checked_ = true;
    return v_.index() == 0;
  }
  explicit operator bool() const { return ok(); }
  /// The value; only after ok() returned true.
  T& value() & { return *Get(); }
  const T& value() const& { return *Get(); }
  T&& value() && { return std::move(*Get()); }
  T* operator->() { return Get(); }
  const T* operator->() const { return Get(); }
  T& operator*() & { return *Get(); }
  const T& operator*() const& { return *Get(); }
  /// The error message; only after ok() returned false.
  const std::string& error() const {
    RequireChecked();
    const Error* e = std::get_if<1>(&v_);
    return e != nullptr ? e->message : NoError();
  }

 private:
  T* Get() {
    RequireChecked();
    return &std::get<0>(v_);
  }
  const T* Get() const {
    RequireChecked();
    return &std::get<0>(v_);
  }
  void RequireChecked() const {
#ifdef MSRP_CHECK_RESULTS
    if (!checked_) {
      std::fputs("msrp: Result unwrapped without checking ok() first\n", stderr);
      std::abort();
    }
#endif
  }
  static const std::string& NoError() {
    static const std::string kNone;
    return kNone;
  }

  std::variant<T, Error> v_;
  mutable bool checked_ = false;  ///< ok() was asked (kept in every build: one layout)
};

/// Shorthand for building an Error.
inline Error Err(std::string message) { return Error{std::move(message)}; }

}  // namespace msrp
