// EndLineScanner: pattern setup (the scanning itself is a template in the header).
#include "common/end_line_scanner.h"

#include <cassert>
#include <cstring>

namespace msrp {

void EndLineScanner::Reset(std::string_view tid) {
  assert(tid.size() <= 32);
  if (tid.size() > 32) tid = tid.substr(0, 32);
  std::memcpy(pattern_, "\r\n-------", 9);
  std::memcpy(pattern_ + 9, tid.data(), tid.size());
  fixed_len_ = 9 + tid.size();
  matched_ = 0;
}

}  // namespace msrp
