// Rng.h — the random number generator every sampler and inference method uses.
//
// xoshiro256++ (fast, 256-bit state) with ziggurat normal and exponential
// variates. Reproducibility (DESIGN.md, decision 5): a generator is made from
// (seed, stream) by SplitMix64 hashing, so particle or chain i of a run seeded
// with s always gets the stream Rng(s, i) whatever the number of threads.
#pragma once

#include <cstdint>

namespace borel::rt {

class Rng {
 public:
  Rng(uint64_t seed = 0, uint64_t stream = 0);

  uint64_t next_u64();
  double uniform();            // in (0, 1): never exactly 0 or 1
  double normal();             // N(0, 1), ziggurat
  double exponential();        // Exp(1), ziggurat
  uint64_t below(uint64_t n);  // uniform in [0, n), unbiased
  // A new generator for sub-stream `stream`, independent of this one's state.
  static Rng split(uint64_t seed, uint64_t stream) { return Rng(seed, stream); }

 private:
  uint64_t s_[4];
};

}  // namespace borel::rt
