// Bernoulli.cpp — bernoulli(p): true with probability p, a bool.
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "bernoulli";

bool check(const Dist& d, std::string& why) { return check_probability(why, kName, "p", d.p[0]); }

Word sample(const Dist& d, Rng& rng) { return bool_value(bernoulli_sample(rng, d.p[0])); }

double log_density(const Dist& d, Word x) {
  if (x != 0 && x != 1) return -kInf;
  return bernoulli_log_density(x == 1, d.p[0]);
}

// The support is where the probability is positive: {false} when p = 0.
bool in_support(const Dist& d, Word x) { return (x == 1 && d.p[0] > 0) || (x == 0 && d.p[0] < 1); }

// d/dp = 1 / p at true, -1 / (1 - p) at false; no value derivative (discrete).
double log_density_grad(const Dist& d, Word x, double* dp, double*, double* const*) {
  const double lp = log_density(d, x);
  if (!(lp > -kInf)) return lp;
  dp[0] = x == 1 ? 1 / d.p[0] : -1 / (1 - d.p[0]);
  return lp;
}

double mean(const Dist& d) { return d.p[0]; }

double variance(const Dist& d) { return d.p[0] * (1 - d.p[0]); }

}  // namespace

extern const DistOps bernoulli_ops = {
    kName, 1, {"p"}, {Kind::Real}, Kind::Bool, "{false, true}",
    check, sample, log_density, in_support, mean, variance,
    Support::Discrete, log_density_grad,
};

}  // namespace borel::dist
