// Importance.h — importance sampling with the prior as proposal
// (likelihood weighting).
//
// Each of N particles runs the program to its end, drawing every `sample`
// from the prior and weighting by its observes and factors; log-evidence =
// log mean exp of the weights (Population::log_evidence). Implemented as the
// SMC driver (Smc.h) without suspension and without resampling, so it shares
// its guarantees (reproducibility, threads, errors).
#pragma once

#include <cstdint>

#include "inference/Diagnostics.h"
#include "inference/Population.h"
#include "runtime/Model.h"

namespace borel::inference {

Population importance(rt::Model& model, int64_t particles, uint64_t seed, int threads = 1,
                      Diagnostics* diagnostics = nullptr, bool progress = false);

}  // namespace borel::inference
