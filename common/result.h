// Result<T>: a value or an error message, returned instead of throwing.
// Errors are values on the data path (no exceptions may cross a libuv callback).
#pragma once

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
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  const std::string& error() const { return std::get<1>(v_).message; }

 private:
  std::variant<T, Error> v_;
};

/// Shorthand for building an Error.
inline Error Err(std::string message) { return Error{std::move(message)}; }

}  // namespace msrp
