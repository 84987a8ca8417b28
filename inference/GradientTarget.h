// GradientTarget.h — a differentiable log-density on R^n: what gradient-based
// inference (HMC/NUTS, ADVI) needs from a model.
//
// A compiled Borel model becomes one through reverse-mode AD of its
// continuous choices mapped to unconstrained coordinates (inference/
// Transforms.h adds the log-Jacobians); tests implement it by hand.
// Guarantees of an implementation: log_density_gradient is a pure function
// of q (same q, same answer, bit for bit); it returns -infinity (and leaves
// grad unspecified) where the density is zero or not finite, and throws
// rt::RuntimeError for errors in the user's program.
#pragma once

#include <cstddef>

namespace borel::inference {

class GradientTarget {
 public:
  virtual ~GradientTarget() = default;
  virtual size_t dimension() const = 0;
  // log p(q) up to a constant; writes d/dq into grad[0..dimension()).
  virtual double log_density_gradient(const double* q, double* grad) = 0;
};

}  // namespace borel::inference
