// Independent MSRP frame model for the end-to-end tests (RFC 4975 §7.1, §9): an incremental
// reader, an exact byte encoder and builders for SEND/REPORT/NICKNAME/AUTH and responses.
// Deliberately does not use the relay's framer, so the relay's output is checked independently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace msrp::test {

/// Ordered header list: (name, value) exactly as on the wire (no trailing CRLF).
using Headers = std::vector<std::pair<std::string, std::string>>;

/// One complete MSRP frame (request or response) as read from the wire.
struct Frame {
  bool is_request = false;
  std::string tid;
  std::string method;   ///< requests: e.g. "SEND"
  int status = 0;       ///< responses: 3-digit code
  std::string phrase;   ///< responses: text after the code (may be empty)
  Headers headers;      ///< in wire order, including To-Path and From-Path
  bool has_body = false;///< an empty line followed the headers (Content-Stuff present)
  std::string body;     ///< body octets (without the CRLF before the end-line)
  char flag = '$';      ///< end-line flag: '$', '+' or '#'
  std::string raw;      ///< every octet of the frame, start line through end-line CRLF

  /// Value of the first header named `name` (case-insensitive), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
  /// Number of headers named `name` (case-insensitive).
  int CountHeader(std::string_view name) const;
  /// The header's value split on single spaces (To-Path / From-Path / Use-Path); empty if absent.
  std::vector<std::string> Path(std::string_view name) const;
  /// "MSRP tid SEND" / "MSRP tid 200 OK": the start line without CRLF.
  std::string StartLine() const;
  /// Short human-readable dump (start line, headers, body size, flag) for failure messages.
  std::string Describe() const;
};

/// Result of trying to take one frame out of a buffer.
enum class ParseStatus { kNeedMore, kFrame, kMalformed };

/// Incremental frame reader over a byte stream: feed bytes, take frames out. Handles any
/// split point and several frames per feed. Framing is boundary based: the body ends at the
/// first CRLF + "-------" + tid + flag + CRLF (F-09, F-10).
class FrameReader {
 public:
  /// Appends received bytes.
  void Feed(std::string_view bytes);
  /// Takes the next complete frame. On kMalformed, `error` says why and the reader is stuck.
  ParseStatus Next(Frame* out, std::string* error);
  /// Bytes buffered but not yet part of a returned frame.
  size_t buffered() const { return buf_.size() - pos_; }
  /// The buffered bytes of the frame not yet complete (start line onwards).
  std::string_view pending() const { return std::string_view(buf_).substr(pos_); }

 private:
  std::string buf_;
  size_t pos_ = 0;           ///< start of the current (incomplete) frame in buf_
  size_t body_scan_from_ = 0;///< absolute offset where the end-line search resumes (0 = unset)
};

/// Parses exactly one frame from `bytes` (which must hold exactly one). Throws on error.
Frame ParseSingleFrame(std::string_view bytes);

/// Encodes a frame byte-exactly: start line, headers, then, if `body` is set, CRLF, body,
/// CRLF; then the end-line `-------<tid><flag>` CRLF. The caller orders headers (To-Path,
/// From-Path first; Content-Type last when there is a body).
std::string EncodeFrame(std::string_view tid, std::string_view start_rest, const Headers& headers,
                        const std::optional<std::string>& body, char flag = '$');

/// Re-encodes a parsed frame (inverse of FrameReader for well-formed frames).
std::string EncodeFrame(const Frame& frame);

/// Joins URIs with single spaces.
std::string JoinPath(const std::vector<std::string>& uris);

/// Builder for a SEND (or any body-capable request) with RFC 4975 header order.
struct SendSpec {
  std::string tid;
  std::string method = "SEND";
  std::vector<std::string> to_path;
  std::vector<std::string> from_path;
  std::string message_id;                     ///< omitted when empty
  std::optional<std::string> byte_range;      ///< e.g. "1-5/5"
  std::optional<std::string> failure_report;  ///< "yes" / "no" / "partial"
  std::optional<std::string> success_report;
  Headers extra;                              ///< after the standard headers, before Content-Type
  std::string content_type = "text/plain";    ///< written only when body is set
  std::optional<std::string> body;            ///< nullopt = bodiless
  char flag = '$';
};

/// Encodes a SendSpec: To-Path, From-Path, Message-ID, Byte-Range, Failure-Report,
/// Success-Report, extra..., Content-Type, body.
std::string BuildSend(const SendSpec& spec);

/// Encodes a response `MSRP tid code phrase` with To-Path, From-Path and extra headers.
std::string BuildResponse(std::string_view tid, int code, std::string_view phrase,
                          const std::vector<std::string>& to_path,
                          const std::vector<std::string>& from_path, const Headers& extra = {});

/// Encodes a bodiless REPORT with Message-ID, Byte-Range and Status.
std::string BuildReport(std::string_view tid, const std::vector<std::string>& to_path,
                        const std::vector<std::string>& from_path, std::string_view message_id,
                        std::string_view byte_range, std::string_view status);

/// Parsed Byte-Range; -1 stands for `*`.
struct ByteRange {
  int64_t start = 0;
  int64_t end = 0;
  int64_t total = 0;
};

/// Parses "start-end/total" (end/total may be "*"); nullopt if malformed.
std::optional<ByteRange> ParseByteRange(std::string_view value);

/// One auth-param of a Digest header: value with quotes removed, and whether it was quoted.
struct AuthParam {
  std::string value;
  bool quoted = false;
};

/// Parses `Digest a="x", b=y, ...` (also "," without space). `scheme` receives the first
/// token. Returns nullopt on syntax errors (unterminated quote, missing '=').
std::optional<std::map<std::string, AuthParam>> ParseAuthParams(std::string_view value,
                                                                std::string* scheme);

/// Escapes bytes for failure messages: printable ASCII as is, CR LF as \r \n, others \xNN;
/// strings longer than `max` are cut in the middle.
std::string Printable(std::string_view bytes, size_t max = 2000);

}  // namespace msrp::test
