// ParticleGibbs.h — particle Gibbs: MCMC whose transition is a conditional
// SMC sweep (Andrieu, Doucet & Holenstein 2010).
//
// Each iteration runs the SMC driver (Smc.h) with N particles, resampling
// multinomially after every step, a RecordingHandler (Traced.h) and
// `conditional` set: particle 0 replays the reference path (its k-th draw at
// a site takes the reference's value at (site, k)) and is its own ancestor
// at every resampling. Then one particle is drawn with probability equal to
// its final weight; its result is the iteration's draw and its recorded
// choices become the next reference. The first iteration, with no
// reference, is plain SMC. This leaves the posterior invariant for any
// N ≥ 2; mixing of early states improves with N. Chains run in parallel,
// chain c on streams derived from (seed, c).
#pragma once

#include <cstdint>

#include "inference/Diagnostics.h"
#include "inference/Population.h"
#include "runtime/Model.h"

namespace borel::inference {

struct ParticleGibbsSettings {
  int64_t particles = 100;  // N of each conditional SMC sweep (>= 2)
  int64_t samples = 1000;   // draws per chain
  int64_t warmup = 100;     // sweeps discarded per chain
  int64_t chains = 4;
  const char* method = "pgibbs";
  // Each conditional sweep's language-model calls batched (SmcSettings::batched).
  bool batched = true;
};

Population particle_gibbs(rt::Model& model, const ParticleGibbsSettings& settings, uint64_t seed, int threads = 1,
                          Diagnostics* diagnostics = nullptr);

}  // namespace borel::inference
