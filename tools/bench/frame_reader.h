// Incremental MSRP frame reader for msrp-bench (RFC 4975 §7.1): start line and headers into a
// small head struct, body bytes streamed as they arrive, end-line flag at the end.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/end_line_scanner.h"

namespace msrp::bench {

/// Start line and headers of one received message.
struct FrameHead {
  bool is_request = false;
  std::string tid;
  std::string method;  ///< requests
  int status = 0;      ///< responses
  std::vector<std::pair<std::string, std::string>> headers;
  bool has_body = false;

  /// Value of the first header named `name` (exact case), or empty.
  std::string_view Get(std::string_view name) const;
};

/// Feeds on arbitrary byte slices and reports frames to a Sink. Bodies are never buffered.
class FrameReader {
 public:
  /// Receives frames. Views are valid only during the call.
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void OnHead(const FrameHead& head) = 0;
    virtual void OnBody(std::string_view bytes) = 0;
    /// End of the message; `flag` is '$', '+' or '#'.
    virtual void OnEnd(char flag) = 0;
  };

  explicit FrameReader(Sink* sink) : sink_(sink) {}

  /// Consumes `data`. Returns false (and sets *error) when the bytes are not MSRP; the reader
  /// is then unusable.
  bool Feed(std::string_view data, std::string* error);

 private:
  bool OnLine(std::string_view line, std::string* error);

  Sink* sink_;
  bool in_body_ = false;
  bool have_start_ = false;
  std::string line_;
  FrameHead head_;
  EndLineScanner scanner_;
};

}  // namespace msrp::bench
