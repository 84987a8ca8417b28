// Dist.h — a distribution value as the runtime sees it.
//
// A `Dist` is a small plain struct: a pointer to the distribution's operations
// (`DistOps`, one static table per distribution family) and its parameters,
// scalars in `p`, arrays (Array*) or other pointers in `a`. Compiled code can
// build one on the stack (unboxed: `sample(normal(m, s))` allocates nothing)
// or on the GC heap when the distribution is a first-class value.
//
// Guarantees of every family: `check` accepts exactly the valid parameters and
// otherwise explains, in the one format `normal: sigma is -1, but must be
// positive`; `log_density` is -infinity outside the support and never NaN for
// valid parameters; `sample` returns a value in the support.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/Value.h"

namespace borel::rt {

class BatchWork;
class Rng;
struct Dist;

// The type of a parameter or of a value, as far as the runtime needs it.
enum class Kind : uint8_t {
  Real,
  Int,
  Bool,
  RealArray,    // [real]
  RealMatrix,   // [[real]] (rows)
  DistArray,    // [Dist[T]] (mixture components)
  RealDist,     // Dist[real] (ordered's base): a boxed Dist* in Dist::a
  Any,          // decided by the arguments (mixture, empirical)
};

// Where a family's values live, for the transforms of gradient-based
// inference (inference/Transforms.h): each continuous support maps to R^n by
// a bijection whose log-Jacobian the sampler adds. A family's support_kind is
// its own; rt::ad::support_of refines it by the parameters (a mixture's
// components, ordered's base).
enum class Support : uint8_t {
  Discrete,      // ints or bools: no transform, no gradient with respect to the value
  Real,          // (-inf, inf)
  Positive,      // (0, inf)
  UnitInterval,  // (0, 1)
  Interval,      // (p[0], p[1]): uniform
  Simplex,       // the probability simplex of dimension len(a[0]): dirichlet
  RealVector,    // R^n, n = len(a[0]): mv_normal
  Ordered,         // x_1 <= ... <= x_k in R^k, k = p[0]: ordered over a base on the reals
  PositiveOrdered, // 0 < x_1 <= ... <= x_k, k = p[0]: ordered over a base on (0, inf)
  CholeskyCorr,    // Cholesky factors of k x k correlation matrices, k = p[0]: lkj_corr_cholesky
  Dependent,     // decided by the parameters (mixture); or no transform covers it
};

struct DistOps {
  const char* name;              // the constructor's name in Borel, e.g. "normal"
  int nparams;
  const char* param_names[4];
  Kind param_kinds[4];
  Kind value_kind;
  const char* support;           // human-readable, e.g. "(0, inf)"
  // Returns true when the parameters are valid; otherwise sets `why`.
  bool (*check)(const Dist& d, std::string& why);
  Word (*sample)(const Dist& d, Rng& rng);
  double (*log_density)(const Dist& d, Word x);
  bool (*in_support)(const Dist& d, Word x);
  // Moments of scalar distributions; NaN when undefined (or not scalar).
  double (*mean)(const Dist& d);
  double (*variance)(const Dist& d);
  Support support_kind;
  // The log-density at x (as log_density) and its partial derivatives, for
  // gradient-based inference (reverse-mode AD, inference/Tape.h):
  //   dp[k]  d/d p[k] for every scalar parameter (0 for Int/Bool ones);
  //   dx     d/dx: one double for a Real value, len(x) for a RealArray
  //          value, rows·cols (row-major) for a RealMatrix value (null for
  //          discrete values: not written);
  //   da[j]  d/d(elements of a[j]) for the j-th array parameter: len(a[j])
  //          for a RealArray, rows·cols (row-major) for a RealMatrix; for
  //          a RealDist, one per parameter of that distribution (d/d its
  //          p[k], 0 for Int/Bool ones; such a distribution has scalar
  //          parameters only); a null da or da[j]: not wanted, not written.
  // Where the log-density is -inf (x outside the support) the partials are
  // left 0. Null: the family has no gradient (mixture: the AD handler
  // differentiates through its components).
  double (*log_density_grad)(const Dist& d, Word x, double* dp, double* dx, double* const* da);
  // Null for the families whose densities are cheap to compute. Otherwise
  // (a language model's next token): the work that would make d ready to be
  // done for many particles at once, or null when d is ready
  // (runtime/BatchWork.h).
  BatchWork* (*pending)(const Dist& d) = nullptr;
  // Null unless the work depends on the observed value too (a generated
  // sequence's density: a forward pass over x): the work that would make
  // log_density(d, x) ready, or null once it is. Only read when `pending` is
  // set.
  BatchWork* (*pending_at)(const Dist& d, Word x) = nullptr;
};

struct Dist {
  const DistOps* ops;
  double p[4];   // scalar parameters, in declaration order (ints stored exactly)
  Word a[2];     // array/pointer parameters, in declaration order of the non-scalars
};

// The families, found by name ("normal") or listed (registration in
// stdlib/distributions/Distributions.def).
const DistOps* find_distribution(const std::string& name);
int distribution_count();
const DistOps* distribution_at(int i);

// Copies a stack Dist into GC memory (for first-class distribution values).
Dist* dist_box(const Dist& d);

}  // namespace borel::rt
