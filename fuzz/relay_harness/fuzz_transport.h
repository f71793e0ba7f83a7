// The in-memory transport of the simulation tests (tests/sim/memory_transport.h) with a hook on
// every write: fuzz_relay checks there, at the moment the engine writes, that a connection's
// queue stays within limits.max_queue_bytes (the engine must close a connection once its queue
// passes the cap, so no write may find it over the cap) and that no single write is
// unreasonably large, and it snapshots which relay a connection was identified as.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "tests/sim/memory_transport.h"

namespace msrp::fuzz {

class FuzzTransport : public sim::MemoryTransport {
 public:
  /// Called before each write the engine makes to a connection the transport still has open:
  /// (id, bytes queued before this write, the write's size).
  using WriteHook = std::function<void(relay::ConnectionId, uint64_t, size_t)>;

  void set_write_hook(WriteHook hook) { hook_ = std::move(hook); }

  void Write(relay::ConnectionId id, std::string_view bytes) override {
    if (sim::MemoryConnection* c = Get(id); c != nullptr && !c->closed && hook_) {
      hook_(id, c->written.size(), bytes.size());
    }
    sim::MemoryTransport::Write(id, bytes);
  }

 private:
  WriteHook hook_;
};

}  // namespace msrp::fuzz
