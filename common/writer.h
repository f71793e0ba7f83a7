// Encodes MSRP heads, responses, REPORTs and end-lines (RFC 4975 §7, §9) as wire bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/message_head.h"

namespace msrp {

/// Appends a request head: "MSRP tid METHOD" CRLF, each header "Name: value" CRLF, and, when
/// `has_body`, the empty line that starts the body. The end-line is written separately.
void AppendRequestHead(std::string& out, std::string_view tid, std::string_view method,
                       const std::vector<Header>& headers, bool has_body);

/// Appends an end-line: CRLF (only when `after_body`) "-------" tid flag CRLF (F-09). A
/// message with a body needs the CRLF that ends the body before the end-line.
void AppendEndLine(std::string& out, std::string_view tid, EndFlag flag, bool after_body);

/// Appends a complete bodiless response (F-17: always '$'): "MSRP tid CODE PHRASE", To-Path,
/// From-Path, `extra` headers in order, end-line. `code` is a three-digit status code
/// (100..999). `phrase` may be empty (then no SP follows the code).
void AppendResponse(std::string& out, std::string_view tid, int code, std::string_view phrase,
                    std::string_view to_path, std::string_view from_path,
                    const std::vector<Header>& extra = {});

/// A fresh transaction id (F-03): 16 random base62 characters (95 bits) from OpenSSL RAND_bytes.
std::string NewTransactionId();

}  // namespace msrp
