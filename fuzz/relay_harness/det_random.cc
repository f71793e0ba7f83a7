// Deterministic OpenSSL RAND method (splitmix64 stream) for fuzz_relay; see det_random.h.
// RAND_set_rand_method is deprecated in OpenSSL 3 but still honoured by RAND_bytes.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "fuzz/relay_harness/det_random.h"

#include <openssl/rand.h>

#include <cstdlib>

#include "common/writer.h"

namespace msrp::fuzz {

namespace {

uint64_t g_state = 0;   // generator state
uint64_t g_calls = 0;   // RAND_bytes calls served (detects the tid pool refill)

uint64_t Next() {
  uint64_t z = (g_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

int Bytes(unsigned char* buf, int num) {
  ++g_calls;
  for (int i = 0; i < num; i += 8) {
    uint64_t v = Next();
    for (int j = 0; j < 8 && i + j < num; ++j) buf[i + j] = static_cast<unsigned char>(v >> (8 * j));
  }
  return 1;
}

int Seed(const void*, int) { return 1; }
int Add(const void*, int, double) { return 1; }
int Status() { return 1; }

const RAND_METHOD kMethod = {Seed, Bytes, nullptr, Add, Bytes, Status};

}  // namespace

void InstallDeterministicRandom() {
  if (RAND_set_rand_method(&kMethod) != 1) std::abort();
}

void ResetDeterministicRandom(uint64_t seed) {
  g_state = seed;
  // Drain the engine's thread-local tid pool up to its next refill: the refill then comes from
  // this seed, whatever the previous input left in the pool (at most 32 ids per pool).
  const uint64_t before = g_calls;
  for (int i = 0; i < 64 && g_calls == before; ++i) (void)NewTransactionId();
  g_state = seed ^ 0x5DEECE66Dull;
}

}  // namespace msrp::fuzz
