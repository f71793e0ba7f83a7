// The head of an MSRP message (RFC 4975 §7, §9): start line and headers, as parsed by the framer.
// Bodies are never part of a head: they stream through Framer::Sink::OnBody.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace msrp {

/// The continuation flag of an end-line (RFC 4975 §7.1, F-09).
enum class EndFlag : char {
  kComplete = '$',  ///< last chunk of the message
  kMore = '+',      ///< chunk interrupted or continued: more of the message follows
  kAbort = '#',     ///< message aborted
};

/// One header as it was on the wire: name (case kept) and value (after ": ").
struct Header {
  std::string name;
  std::string value;
};

/// A request or response head. Header views are owned strings: the head stays valid after the
/// framer moves on.
struct MessageHead {
  bool is_request = true;
  std::string tid;                ///< transaction id (F-02)
  std::string method;             ///< requests: SEND, REPORT, AUTH, NICKNAME, other UPALPHA
  int status = 0;                 ///< responses: three-digit code
  std::string comment;            ///< responses: text after the code, may be empty
  std::vector<Header> headers;    ///< in wire order, To-Path and From-Path included
  bool has_body = false;          ///< a blank line followed the headers (Content-Type present or not)
  std::string malformed;          ///< non-empty: framed but a header line broke the grammar (reason)

  /// First header whose name equals `name` case-insensitively (F-14), or nullptr.
  const Header* Find(std::string_view name) const;
  /// Value of Find(name), or nullopt.
  std::optional<std::string_view> Value(std::string_view name) const;
  /// Replaces the value of the first header named `name`; returns false when absent.
  bool Replace(std::string_view name, std::string value);
};

/// Checks the header order rules of RFC 4975 §9 that framing does not: To-Path first and
/// From-Path second (F-05), each exactly once; with a body, Content-Type present and last
/// (F-07); without a body, no Content-Type (F-08). Returns the reason, or nullopt when the
/// order is right. `malformed` set by the framer is reported first.
std::optional<std::string> CheckHeaderOrder(const MessageHead& head);

/// True for an RFC 4975 `ident` (F-02): ALPHANUM then 3..31 of ALPHANUM . - + % =.
bool IsValidTransactionId(std::string_view tid);

/// True for an RFC 4975 method name (F-04): one or more upper-case ASCII letters.
bool IsValidMethod(std::string_view method);

}  // namespace msrp
