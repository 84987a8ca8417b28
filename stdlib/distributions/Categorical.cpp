// Categorical.cpp — categorical(probs): the index k in {0, ..., K-1} with
// probability probs[k]. probs must be non-negative, finite and sum to 1
// within kSumTolerance (1e-6, Family.h); they are used as given, not
// renormalised.
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "categorical";

bool check(const Dist& d, std::string& why) { return check_simplex_weights(why, kName, "probs", array_param(d, 0)); }

Word sample(const Dist& d, Rng& rng) { return int_value(sample_index(rng, array_param(d, 0))); }

double log_density(const Dist& d, Word k) {
  const Array* probs = array_param(d, 0);
  if (k < 0 || k >= probs->len) return -kInf;
  return std::log(rt::array_real(probs, k));
}

bool in_support(const Dist& d, Word k) {
  const Array* probs = array_param(d, 0);
  return k >= 0 && k < probs->len && rt::array_real(probs, k) > 0;
}

// log probs[k]: d/dprobs[k] = 1 / probs[k], 0 for the other entries (the
// probabilities are used as given, not renormalised, so no cross terms).
double log_density_grad(const Dist& d, Word k, double*, double*, double* const* da) {
  const double lp = log_density(d, k);
  if (!(lp > -kInf)) return lp;
  if (da && da[0]) {
    const Array* probs = array_param(d, 0);
    for (int64_t i = 0; i < probs->len; ++i) da[0][i] = 0;
    da[0][k] = 1 / rt::array_real(probs, k);
  }
  return lp;
}

double mean(const Dist& d) {
  const Array* probs = array_param(d, 0);
  double m = 0;
  for (int64_t k = 0; k < probs->len; ++k) m += static_cast<double>(k) * rt::array_real(probs, k);
  return m;
}

double variance(const Dist& d) {
  const Array* probs = array_param(d, 0);
  const double m = mean(d);
  double v = 0;
  for (int64_t k = 0; k < probs->len; ++k) {
    const double dev = static_cast<double>(k) - m;
    v += dev * dev * rt::array_real(probs, k);
  }
  return v;
}

}  // namespace

extern const DistOps categorical_ops = {
    kName, 1, {"probs"}, {Kind::RealArray}, Kind::Int, "{0, ..., K-1}",
    check, sample, log_density, in_support, mean, variance,
    Support::Discrete, log_density_grad,
};

}  // namespace borel::dist
