// Infer.h — the entry point compiled programs call: `infer(method, model)`.
//
// A Method names an algorithm and its settings (the Borel value built by
// `smc(particles = 1000)` etc.); infer runs it on a Model and returns the
// empirical distribution of the model's result (Empirical.h), a GC-allocated
// rt::Dist that can be summarised, sampled, observed against, or used inside
// another model (decision 3).
//
//   method       algorithm                          evidence
//   "smc"        bootstrap particle filter (Smc.h)  SMC estimate
//   "importance" likelihood weighting (Importance.h) log mean exp of weights
//   "prior"      forward sampling (Forward.h)       none (NaN)
//   "mh"         MH/MHG chains over traces (Mcmc.h) none
//   "enumerate"  exact enumeration (Enumerate.h)    exact
//   "rmsmc"      resample-move SMC (ResampleMove.h) SMC estimate
//   "pgibbs"     particle Gibbs (ParticleGibbs.h)   none
//   "pmmh"       particle marginal MH (Pmmh.h)      none
//   "smc2"       SMC² (Smc2.h)                      SMC² estimate
//
// Reproducibility: the result is a pure function of (method, model, seed),
// bitwise identical for any `threads`. A nested `infer` (inside a model)
// should be called with seed = ctx.rng->next_u64() of the calling particle and
// threads = 1.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/Dist.h"
#include "runtime/Model.h"
#include "runtime/TypeDesc.h"

namespace borel::inference {

struct Method {
  // "smc", "importance", "prior", "mh", "enumerate", "rmsmc", "pgibbs", "pmmh", "smc2".
  std::string name = "smc";
  // Number of particles (SMC, importance; θ-particles for smc2) or of draws (prior); >= 1.
  int64_t particles = 1000;
  // SMC, rmsmc, smc2 (outer): "systematic" (default), "multinomial", "stratified", "residual".
  std::string resampling = "systematic";
  // SMC, rmsmc, smc2 (outer): resample after a step when ESS < ess_threshold · particles;
  // >= 1 resamples after every step, 0 never. Unset: the method's default, as
  // in the language (compiler/Methods.cpp): 1 for smc, 0.5 (adaptive) for
  // rmsmc and smc2.
  std::optional<double> ess_threshold;
  // MCMC (mh, pgibbs, pmmh): draws kept per chain, warm-up iterations,
  // chains, thinning (see Mcmc.h).
  int64_t samples = 1000;
  int64_t warmup = 1000;
  int64_t chains = 4;
  int64_t thin = 1;
  // mh, rmsmc: the kernels, e.g. "rw", "single", "independent", "rw+gmm_rj" (Kernels.h).
  std::string kernel = "rw";
  // mh, rmsmc: the "nuts" kernel's metric, "unit", "diag" or "dense" (NutsKernel.h).
  std::string metric = "diag";
  // rmsmc, smc2: MCMC iterations after each resampling.
  int64_t moves = 1;
  int64_t lag = 0;  // rmsmc: fixed-lag moves (ResampleMove.h)
  // pmmh, smc2: particles of the inner SMC; pmmh, smc2: parameters are the
  // first `params` random choices (0: those before the first observe/factor).
  int64_t inner_particles = 100;
  int64_t params = 0;
  // enumerate: bounds on the executions walked and on the branching choices
  // of one execution (Enumerate.h).
  int64_t max_executions = 1000000;
  int64_t max_depth = 1000;
  // Show a progress line on stderr (only when stderr is a terminal and the
  // run lasts more than a second).
  bool progress = true;
};

// Runs `method` on `model` whose result values have type `value_type` (kept
// by reference in the result: it must live as long as the module). threads
// <= 0 means one per hardware thread. Raises rt::RuntimeError for invalid
// settings and for the run's errors (Smc.h).
rt::Dist* infer(const Method& method, rt::Model& model, const rt::TypeDesc& value_type, uint64_t seed,
                int threads = 1);

// The log-evidence of an infer result; NaN for "prior". Raises
// rt::RuntimeError when d is not an infer result.
double log_evidence(const rt::Dist& d);

}  // namespace borel::inference
