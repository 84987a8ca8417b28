// Smc2.h — SMC² (Chopin, Jacob & Papaspiliopoulos 2013): SMC over the
// parameters θ, each θ-particle carrying its own inner particle filter.
//
// Parameters are chosen as in PMMH (Pmmh.h): the random choices made before
// the first observe/factor (or the first `params` of them). The outer
// population holds N_θ θ-particles drawn from the prior; θ-particle m owns an
// inner SMC run (SmcRun, Smc.h) of N_x particles with a ParamHandler imposing
// θ_m. Each outer step advances every inner filter by one step and multiplies
// the θ-particle's weight by the increment of its evidence estimate,
// Ẑ_t(θ_m) / Ẑ_{t−1}(θ_m). When the outer ESS falls below
// ess_threshold · N_θ, the θ-particles are resampled (a copy takes its
// ancestor's inner population, continuations shared, with streams of its
// own), then each makes `moves` PMMH iterations targeting p(θ) Ẑ_t(θ), each
// proposal accepted with a fresh inner filter run to step t: one joint
// random walk on the real parameters, θ' = θ + (2.38/√d) L z with L L^T their
// covariance across the θ-particles (so correlated parameters move together),
// then one single-site proposal for each other parameter (Pmmh.h,
// propose_parameter: a redraw from its distribution; a real one left out of
// the joint walk moves by its sd across the θ-particles). This keeps the target of every step exact for any
// N_x, and the product of the outer mean weights is an unbiased estimate of
// the evidence Z.
//
// Result: one value per θ-particle, the result of one of its inner particles
// drawn by weight, with the θ-particle's final weight; log_evidence() of the
// returned population is the SMC² estimate of log Z.
//
// Streams: θ-particle slot m draws θ, its moves and the seeds of its inner
// filters from stream 1 + m, the outer resampling from stream 0 (Streams.h);
// moves and inner steps run in parallel over θ-particles, identical for any
// number of threads.
#pragma once

#include <cstdint>

#include "inference/Diagnostics.h"
#include "inference/Population.h"
#include "inference/Resampling.h"
#include "runtime/Model.h"

namespace borel::inference {

struct Smc2Settings {
  int64_t particles = 200;        // θ-particles N_θ (>= 1)
  int64_t inner_particles = 100;  // particles N_x of each inner filter (>= 1)
  // PMMH iterations (a joint move of the real parameters, single-site moves
  // of the others) on every θ-particle after each outer resampling (>= 0).
  int64_t moves = 1;
  int64_t params = 0;             // parameters: the first `params` choices (0: all before the first observe/factor)
  Resampling resampling = Resampling::Systematic;  // outer resampling scheme
  // Resample the θ-particles when their ESS < ess_threshold · N_θ (1: every step).
  double ess_threshold = 0.5;
  const char* method = "smc2";
  bool progress = false;          // progress line on stderr (terminal only, runs > 1 s)
  // Prepare the language-model calls of all inner filters' particles
  // together, one batched call per round (SmcSettings::batched). Never
  // changes a result; false is for tests that compare.
  bool batched = true;
};

Population smc2(rt::Model& model, const Smc2Settings& settings, uint64_t seed, int threads = 1,
                Diagnostics* diagnostics = nullptr);

}  // namespace borel::inference
