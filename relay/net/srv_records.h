// DNS SRV answer parsing for next-hop resolution (RFC 2782; RFC 4976 §8, U-08). Pure: no
// sockets, no libuv; the query itself (res_nsearch) runs in relay/resolver.cc on the pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace msrp::relay {

/// One SRV record of an answer.
struct SrvRecord {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  std::string target;  ///< host name without trailing dot; "." is the root ("service not here")
};

/// Parses a raw DNS response (as res_nsearch returns it) and returns its IN SRV answer records
/// sorted by priority ascending, then weight descending (stable otherwise). Other record types
/// (e.g. a CNAME) and SRV records with bad rdata are skipped. A message that does not parse
/// (truncated, counts beyond its end) yields no records. Never reads outside [answer, answer+len).
std::vector<SrvRecord> ParseSrvAnswer(const unsigned char* answer, size_t len);

}  // namespace msrp::relay
