// Estimator.h — `estimator(d, "reinforce")`: a distribution that draws and
// scores exactly as `d` does, marked with the gradient estimator that
// variational inference (inference/Vi.h) should use for a guide's choice
// drawn from it. Outside a guide being fitted the mark changes nothing.
//
// Estimators (Becker et al., PLDI 2024, section 5):
//   "reparam"    the draw as a differentiable function of the parameters
//                (x = mu + sigma * eps, ...): families with such a sampler;
//   "reinforce"  the score function, grad log q(x) * (signal - baseline);
//   "enumerate"  the exact sum over a finite support (bool or small int);
//   "mvd"        measure-valued derivative: the difference of two runs of
//                the rest of the program (normal: Rayleigh and Maxwell
//                couplings; bernoulli: x = 1 against x = 0);
//   "default"    reparam where the family has a reparameterised sampler,
//                reinforce otherwise.
// Guarantees: the wrapper's sample, log_density, in_support, mean and
// variance are the inner distribution's; its check is the inner one's.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/Dist.h"

namespace borel::rt {

enum class GradientEstimator : uint8_t { Default, Reparam, Reinforce, Enumerate, MeasureValued };

extern const DistOps estimator_ops;

const char* estimator_name(GradientEstimator e);
// Throws rt::RuntimeError (no location) for an unknown name, listing the valid ones.
GradientEstimator parse_estimator(const std::string& name);

// A boxed wrapper of `inner` (itself boxed by this call) marked `e`.
Dist* with_estimator(const Dist& inner, GradientEstimator e);
// The distribution under any estimator marks, and the outermost mark.
const Dist& unwrap_estimator(const Dist& d);
GradientEstimator estimator_of(const Dist& d);

}  // namespace borel::rt
