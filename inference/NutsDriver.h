// NutsDriver.h — NUTS on a compiled model: `infer(nuts(...), model)`.
//
// Runs `chains` independent NUTS chains (Nuts.h) on the model's log density
// over its continuous choices in unconstrained space (ModelGradient.h), in
// parallel on up to `threads` threads; chain c draws from stream c, so the
// result does not depend on the number of threads. Each chain starts at
// Stan's random initial point (uniform(-2, 2) in every unconstrained
// coordinate, until the density and its gradient are finite), adapts its step
// size and metric during `warmup`, and keeps `samples` draws, mapped back to
// the program's results by running it at each draw.
//
// The result is a Population of samples·chains Done particles with equal
// weights, chain-major, like Mcmc.h's; the diagnostics hold the mean
// acceptance statistic, the adapted step sizes, tree depths and gradient
// evaluations (notes), and warnings for divergent transitions, transitions
// cut at max_depth and a low E-BFMI (Betancourt 2016), as Stan gives them.
#pragma once

#include <cstdint>

#include "inference/Diagnostics.h"
#include "inference/Nuts.h"
#include "inference/Population.h"
#include "runtime/Model.h"

namespace borel::inference {

struct NutsRunSettings {
  NutsSettings nuts;
  int64_t chains = 4;
  bool progress = false;  // a progress line on stderr (a terminal only)
};

Population nuts_run(rt::Model& model, const NutsRunSettings& settings, uint64_t seed, int threads = 1,
                    Diagnostics* diagnostics = nullptr);

}  // namespace borel::inference
