// libFuzzer target for the whole relay engine (relay/engine/): one Engine per input, driven
// through the in-memory transport (tests/sim/memory_transport.h) with a simulated clock by a
// byte-coded op language: clients that AUTH with Digest, relay-less peers on the TCP listener,
// another relay identified by its certificate, outbound dials that come up or fail, requests
// built from the URIs the relay granted and mutated by the input, partial deliveries and
// drains, responses, closes and time steps. After every op and at the end it checks: framing
// of everything written (tests' frame model), no open relay, response and REPORT rules, memory
// and transaction bounds, and an empty engine once every timer ran and every peer closed.
// Any violation prints the op trace and aborts.
//
// Input: 3 config bytes, then ops (fuzz/relay_harness/ops.md). Seeds: fuzz/corpus/relay/
// (fuzz/relay_harness/make_seeds.py). MSRP_FUZZ_TRACE=1 prints the ops as they run, and
// MSRP_FUZZ_LOG=debug the engine's log lines.
// Build: cmake -S . -B build-fuzz -DMSRP_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DMSRP_BUILD_TESTS=OFF
//        && cmake --build build-fuzz --target fuzz_relay
// Run:   build-fuzz/fuzz_relay /tmp/relay-corpus fuzz/corpus/relay -max_len=16384 -dict=fuzz/relay.dict
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "fuzz/relay_harness/det_random.h"
#include "fuzz/relay_harness/harness.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The engine's log lines cost time; MSRP_FUZZ_LOG=debug shows them when replaying an input.
  const char* level = std::getenv("MSRP_FUZZ_LOG");
  spdlog::set_level(level != nullptr ? spdlog::level::from_str(level) : spdlog::level::off);
  msrp::fuzz::InstallDeterministicRandom();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  msrp::fuzz::ResetDeterministicRandom(0x6d737270ull);  // every input starts from the same state
  msrp::fuzz::Harness harness(data, size);
  harness.Run();
  return 0;
}
