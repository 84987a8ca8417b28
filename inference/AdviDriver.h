// AdviDriver.h — ADVI on a compiled model: `infer(advi(...), model)`.
//
// Fits a Gaussian (mean-field or full-rank) to the model's posterior over
// its continuous choices in unconstrained space (Advi.h, ModelGradient.h),
// from the point where every unconstrained coordinate is 0, with one random
// stream (seed's stream 0). The result is the fitted approximation's
// `draws` draws mapped back to the program's results, with equal weights:
// the variational answer, as Stan's ADVI gives it.
//
// The evidence is the importance-sampling estimate log mean exp(log p − log q)
// over those draws (an unbiased estimate of Z, consistent as the draws grow;
// the ELBO is a lower bound on it); the diagnostics report the final ELBO,
// the iterations, and the Pareto k̂ of the importance weights (Yao et al.
// 2018), with a warning above 0.7, where the approximation is not to be
// trusted for more than a rough location.
#pragma once

#include <cstdint>

#include "inference/Advi.h"
#include "inference/Diagnostics.h"
#include "inference/Population.h"
#include "runtime/Model.h"

namespace borel::inference {

struct AdviRunSettings {
  AdviSettings advi;
  bool progress = false;
};

// Sets *log_evidence to the importance-sampling estimate (see above).
Population advi_run(rt::Model& model, const AdviRunSettings& settings, uint64_t seed, Diagnostics* diagnostics,
                    double* log_evidence);

}  // namespace borel::inference
