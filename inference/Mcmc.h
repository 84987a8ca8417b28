// Mcmc.h — Metropolis–Hastings(–Green) chains over program traces.
//
// `mcmc` runs `chains` independent chains, in parallel on up to `threads`
// threads (chain c draws from stream 1 + c: the result does not depend on the
// number of threads). Each chain starts from a run of the program drawn from
// the prior (redrawn until it has positive weight), performs `warmup`
// iterations (kernels adapt; nothing kept) and then samples·thin iterations,
// keeping every thin-th state's result. An iteration applies each kernel of
// `kernel` (Kernels.h, e.g. "rw" or "rw+gmm_rj") once.
//
// The result is a Population of samples·chains Done particles with equal
// weights, chain-major (draw d of chain c is particle c·samples + d), and
// the diagnostics record the chains and each kernel's acceptance rate.
#pragma once

#include <cstdint>
#include <string>

#include "inference/Diagnostics.h"
#include "inference/Population.h"
#include "runtime/Model.h"

namespace borel::inference {

struct McmcSettings {
  int64_t samples = 1000;   // draws kept per chain (>= 1)
  int64_t warmup = 1000;    // iterations discarded at the start of each chain (>= 0)
  int64_t chains = 4;       // independent chains (>= 1)
  int64_t thin = 1;         // keep every thin-th iteration (>= 1)
  std::string kernel = "rw";
  // The "nuts" kernel's metric, adapted during warm-up: "unit", "diag" or
  // "dense" (NutsKernel.h); unused by the other kernels.
  std::string metric = "diag";
  const char* method = "mh";
  bool progress = false;
};

Population mcmc(rt::Model& model, const McmcSettings& settings, uint64_t seed, int threads = 1,
                Diagnostics* diagnostics = nullptr);

}  // namespace borel::inference
