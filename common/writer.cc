// Wire encoding of heads, responses and end-lines; random transaction ids.
#include "common/writer.h"

#include <openssl/rand.h>

namespace msrp {

void AppendRequestHead(std::string& out, std::string_view tid, std::string_view method,
                       const std::vector<Header>& headers, bool has_body) {
  // One allocation for the whole head instead of one per doubling.
  size_t size = 5 + tid.size() + 1 + method.size() + 2 + (has_body ? 2 : 0);
  for (const auto& h : headers) size += h.name.size() + 2 + h.value.size() + 2;
  out.reserve(out.size() + size);
  out.append("MSRP ").append(tid).append(" ").append(method).append("\r\n");
  for (const auto& h : headers) out.append(h.name).append(": ").append(h.value).append("\r\n");
  if (has_body) out.append("\r\n");
}

void AppendEndLine(std::string& out, std::string_view tid, EndFlag flag, bool after_body) {
  out.reserve(out.size() + 2 + 7 + tid.size() + 3);
  if (after_body) out.append("\r\n");
  out.append("-------").append(tid);
  out.push_back(static_cast<char>(flag));
  out.append("\r\n");
}

void AppendResponse(std::string& out, std::string_view tid, int code, std::string_view phrase,
                    std::string_view to_path, std::string_view from_path,
                    const std::vector<Header>& extra) {
  // One allocation for the whole response, end-line included, instead of one per doubling.
  size_t size = 5 + tid.size() + 4 + 1 + phrase.size() + 11 + to_path.size() + 13 + from_path.size() + 2 +
                7 + tid.size() + 3;
  for (const auto& h : extra) size += h.name.size() + 2 + h.value.size() + 2;
  out.reserve(out.size() + size);
  out.append("MSRP ").append(tid).append(" ");
  char digits[4] = {static_cast<char>('0' + code / 100 % 10), static_cast<char>('0' + code / 10 % 10),
                    static_cast<char>('0' + code % 10), 0};
  out.append(digits, 3);
  if (!phrase.empty()) out.append(" ").append(phrase);
  out.append("\r\nTo-Path: ").append(to_path).append("\r\nFrom-Path: ").append(from_path).append("\r\n");
  for (const auto& h : extra) out.append(h.name).append(": ").append(h.value).append("\r\n");
  AppendEndLine(out, tid, EndFlag::kComplete, /*after_body=*/false);
}

std::string NewTransactionId() {
  static constexpr char kAlphabet[] =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  // One RAND_bytes call serves 32 transaction ids (the call, not the bytes, is what costs).
  thread_local unsigned char pool[512];
  thread_local size_t used = sizeof pool;
  if (used == sizeof pool) {
    if (RAND_bytes(pool, sizeof pool) != 1) {
      // RAND_bytes failing means the CSPRNG is unusable: nothing safe can continue.
      abort();
    }
    used = 0;
  }
  const unsigned char* raw = pool + used;
  used += 16;
  std::string tid(16, '0');
  for (size_t i = 0; i < 16; ++i) tid[i] = kAlphabet[raw[i] % 62];  // slight bias is harmless here
  return tid;
}

}  // namespace msrp
