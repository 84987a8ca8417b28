// Streams.h — which random stream each part of a run uses (decision 5).
//
// A run seeded with `seed` draws particle slot i's randomness from stream
// 1 + i and the resampling decisions from stream 0, so its result is a pure
// function of the seed, whatever the number of threads and whichever thread
// advances which particle. After resampling, slot i keeps its own stream
// (offspring of one ancestor diverge) — the stream belongs to the slot, not to
// the lineage.
//
// Nested inference (an `infer` inside a model) should seed the inner run
// with a draw from the calling particle's stream, ctx.rng->next_u64(), so the
// whole computation stays a function of the outer seed.
#pragma once

#include <cstdint>

#include "runtime/Rng.h"

namespace borel::inference {

inline rt::Rng resampling_stream(uint64_t seed) { return rt::Rng(seed, 0); }
inline rt::Rng particle_stream(uint64_t seed, int64_t slot) {
  return rt::Rng(seed, 1 + static_cast<uint64_t>(slot));
}

}  // namespace borel::inference
