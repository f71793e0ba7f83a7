// Sender: writes SEND chunks for its pair within the window and counts the first hop's 200s
// (and failure REPORTs) per chunk.
#pragma once

#include "tools/bench/endpoint.h"

namespace msrp::bench {

/// The sending side of a pair. Transaction ids are "s<seq>c<chunk>" so responses map back.
class Sender : public Endpoint {
 public:
  using Endpoint::Endpoint;

  /// Writes chunks while the window, the count and the output queue allow.
  void Pump();

 private:
  void OnTrafficHead(const FrameHead& head) override;
  void OnDrained(StreamConn& conn) override { Pump(); }
  void OnLost(const std::string& why) override;
  void WriteChunk();

  bool has_current_ = false;
  uint64_t cur_seq_ = 0;
  uint64_t cur_offset_ = 0;
  uint32_t cur_chunk_ = 0;
  std::string head_;  ///< scratch buffer for heads
};

}  // namespace msrp::bench
