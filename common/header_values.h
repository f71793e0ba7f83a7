// Typed values of the MSRP headers a relay reads or writes (RFC 4975 §9, RFC 4976 §7):
// Byte-Range, Failure-Report, Expires / Min-Expires / Max-Expires, Status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace msrp {

/// Byte-Range: range-start "-" range-end "/" total (RFC 4975 §7.1.1, F-15).
/// Octets are 1-based; `end`/`total` absent mean "*". Values up to 2^63-1 are accepted without
/// allocating anything sized by them (F-16).
struct ByteRange {
  uint64_t start = 1;
  std::optional<uint64_t> end;    ///< nullopt = "*"
  std::optional<uint64_t> total;  ///< nullopt = "*"
};

/// Parses a Byte-Range value such as "1-*/8" or "1-0/0". Errors: bad syntax, start == 0,
/// end < start - 1, end > total, numbers over 19 digits.
Result<ByteRange> ParseByteRange(std::string_view value);

/// Formats a Byte-Range as on the wire, e.g. "5-*/8".
std::string FormatByteRange(const ByteRange& range);

/// Failure-Report (RFC 4975 §7.1.4). Absent header means kYes.
enum class FailureReport { kYes, kNo, kPartial };

/// Parses "yes" / "no" / "partial", case-insensitively (F-14). Errors on anything else.
Result<FailureReport> ParseFailureReport(std::string_view value);

/// Parses Expires / Min-Expires / Max-Expires: 1*DIGIT seconds (F-18). Errors on empty,
/// non-digits or a value over 2^32-1.
Result<uint32_t> ParseExpires(std::string_view value);

/// Status header of a REPORT (RFC 4975 §9): namespace SP status-code [SP comment].
struct StatusValue {
  uint16_t ns = 0;      ///< namespace, "000" for MSRP codes (E-09)
  uint16_t code = 0;    ///< three digits
  std::string comment;  ///< may be empty
};

/// Parses a Status value such as "000 200 OK". Errors on bad syntax.
Result<StatusValue> ParseStatus(std::string_view value);

/// The RFC 4975 §10 / RFC 4976 reason phrase for a status code ("OK", "Unintelligible", ...);
/// "Unknown" for codes it does not know.
std::string_view ReasonPhrase(int code);

/// ASCII case-insensitive equality (RFC 4975 quoted-string tokens, F-14).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

/// `text` with ASCII letters in lower case (host names, U-03).
std::string ToLowerAscii(std::string_view text);

}  // namespace msrp
