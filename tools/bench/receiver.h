// Receiver: accepts SEND chunks for its pair, checks every body byte against the expected
// payload, answers each SEND with 200 OK and marks messages delivered.
#pragma once

#include "tools/bench/endpoint.h"

namespace msrp::bench {

/// The receiving side of a pair. In direct mode it is created per accepted connection and
/// learns its pair from the first Message-ID ("P<pair>S<seq>").
class Receiver : public Endpoint {
 public:
  using Endpoint::Endpoint;

  /// This endpoint's URI (From-Path of its 200s).
  std::string uri;

 private:
  void OnTrafficHead(const FrameHead& head) override;
  void OnTrafficBody(std::string_view bytes) override;
  void OnTrafficEnd(char flag) override;
  void OnLost(const std::string& why) override;

  bool in_send_ = false;
  uint32_t cur_pair_ = 0;
  uint64_t cur_seq_ = 0;
  uint64_t cur_offset_ = 0;   ///< message offset of the next body byte
  uint64_t chunk_bytes_ = 0;  ///< body bytes of the current chunk
  bool chunk_bad_ = false;    ///< a byte of the current chunk did not match
  std::string tid_;
  std::string reply_to_;      ///< first From-Path URI of the current SEND
  std::string out_;
};

}  // namespace msrp::bench
