// Transforms.h — the bijections between a random choice's support and R^n
// that gradient-based inference (NUTS, ADVI) samples in, with the
// log-Jacobians that keep the density right (Stan's transforms).
//
//   support           unconstrained size   x = constrain(q)
//   Real, RealVector  n                    q
//   Positive          1                    exp(q)
//   UnitInterval      1                    sigmoid(q)
//   Interval (a, b)   1                    a + (b − a)·sigmoid(q)
//   Simplex (K)       K − 1                stick-breaking (Stan's, centred so
//                                          that q = 0 is the uniform point)
//   Ordered (k)       k                    x_0 = q_0, x_i = x_{i−1} + exp(q_i)
//   PositiveOrdered   k                    x_0 = exp(q_0), then as Ordered
//   CholeskyCorr (k)  k(k − 1)/2           Stan's: tanh(q) are the canonical
//                                          partial correlations, row by row
//                                          to the Cholesky factor L of a
//                                          correlation matrix (k rows of k)
//
// Everything is on words (runtime/Tape.h): with a tape current, the value and
// the log-Jacobian are tape variables, so an interval whose bounds depend on
// earlier choices is differentiated through its bounds too — a support that
// depends on another choice is part of the density, not an afterthought.
// Guarantees: constrain(unconstrain(x)) == x up to rounding for x inside the
// support; the log-Jacobian is log |det ∂x/∂q| computed without overflow
// (log-sigmoid, never log(sigmoid)).
#pragma once

#include <cstddef>

#include "runtime/Dist.h"
#include "runtime/Value.h"

namespace borel::inference {

// The number of unconstrained coordinates of a value of d, whose support
// (ad::support_of) is s. Discrete and Dependent supports have none: the
// caller reports them.
size_t unconstrained_size(const rt::Dist& d, rt::Support s);

// The value of d's type at the unconstrained point q[0..unconstrained_size):
// a real, an array of reals (Simplex, RealVector, the ordered ones) or rows
// of reals (CholeskyCorr). Adds log |det ∂x/∂q| to log_jacobian (a word,
// possibly a tape variable); for CholeskyCorr x stands for its free entries,
// those below the diagonal (the others are functions of them).
rt::Word constrain(const rt::Dist& d, rt::Support s, const rt::Word* q, rt::Word& log_jacobian);

// The inverse for a plain value x in the support: writes
// unconstrained_size(d, s) coordinates to q.
void unconstrain(const rt::Dist& d, rt::Support s, rt::Word x, double* q);

}  // namespace borel::inference
