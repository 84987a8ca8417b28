// Reparam.h — reparameterised draws and finite supports, the two facts about
// a family that variational gradient estimators need (inference/Vi.h).
//
// reparam_sample draws x ~ d as a differentiable function of d's
// parameters and noise independent of them (x = mu + sigma * eps), so that
// on a tape (runtime/Tape.h) x carries d x / d parameters:
//   normal       mu + sigma eps              lognormal   exp(mu + sigma eps)
//   uniform      lo + (hi - lo) u            exponential -log(u) / rate
//   cauchy       loc + scale tan(pi (u - 1/2))
//   laplace      mu - b sgn(v) log(1 - 2|v|), v = u - 1/2
//   half_normal  sigma |eps|                 half_cauchy scale tan(pi u / 2)
// (eps ~ N(0, 1), u ~ U(0, 1) from `rng`). Other families have none.
//
// finite_support lists the values of a bool or bounded-int family
// (bernoulli, categorical, discrete_uniform, binomial), for enumeration.
//
// Guarantees: reparam_sample's value is distributed as d (tests compare
// its moments); it draws from rng only when it returns true.
#pragma once

#include <vector>

#include "runtime/Dist.h"
#include "runtime/Rng.h"

namespace borel::inference {

bool has_reparam_sampler(const rt::Dist& d);
// False (and no draw) when d's family has no reparameterised sampler.
bool reparam_sample(const rt::Dist& d, rt::Rng& rng, rt::Word& x);

// False when d's values are not a finite set small enough (<= max_values).
bool finite_support(const rt::Dist& d, std::vector<rt::Word>& values, size_t max_values = 1000);

}  // namespace borel::inference
