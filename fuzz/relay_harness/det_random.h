// Deterministic randomness for fuzz_relay: the engine mints transaction ids, session ids,
// nonces and per-connection secrets with OpenSSL RAND_bytes. Under the fuzzer those bytes come
// from a counter-based generator reset for every input, so an input replays exactly (same ids,
// same frames, same coverage) and a crash reproduces from its file alone. The harness never
// assumes these values: it learns them from the frames the engine writes.
#pragma once

#include <cstdint>

namespace msrp::fuzz {

/// Replaces OpenSSL's default RAND method by the deterministic generator (once per process).
void InstallDeterministicRandom();

/// Restarts the generator at `seed` and realigns the engine's cached transaction-id pool
/// (common/writer.cc keeps one RAND_bytes call's worth of ids per thread), so that every input
/// starts from the same random state whatever ran before it.
void ResetDeterministicRandom(uint64_t seed);

}  // namespace msrp::fuzz
