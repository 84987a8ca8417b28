// Geometric.cpp — geometric(p): the number of failures before the first
// success in trials with success probability p, P(k) = p (1-p)^k on
// {0, 1, ...}.
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "geometric";

bool check(const Dist& d, std::string& why) { return check_positive_probability(why, kName, "p", d.p[0]); }

// Inversion through the exponential: floor(E / -log(1 - p)) with E ~ Exp(1)
// (P(K >= k) = exp(k log(1 - p)) = (1 - p)^k). Counts beyond INT64_MAX
// (possible only for p < 1e-17) are returned as INT64_MAX.
Word sample(const Dist& d, Rng& rng) {
  const double p = d.p[0];
  if (p == 1) return int_value(0);
  return int_value(clamp_count(std::floor(rng.exponential() / -std::log1p(-p))));
}

double log_density(const Dist& d, Word k) {
  const double p = d.p[0];
  if (k < 0) return -kInf;
  return std::log(p) + xlog1my(static_cast<double>(k), p);
}

bool in_support(const Dist& d, Word k) { return k == 0 || (k > 0 && d.p[0] < 1); }

// log p + k log(1 - p): d/dp = 1 / p - k / (1 - p) (1 / p at k = 0, also for p = 1).
double log_density_grad(const Dist& d, Word k, double* dp, double*, double* const*) {
  const double lp = log_density(d, k);
  if (!(lp > -kInf)) return lp;
  const double p = d.p[0];
  dp[0] = k == 0 ? 1 / p : 1 / p - static_cast<double>(k) / (1 - p);
  return lp;
}

double mean(const Dist& d) { return finite_or_nan((1 - d.p[0]) / d.p[0]); }

double variance(const Dist& d) { return finite_or_nan((1 - d.p[0]) / (d.p[0] * d.p[0])); }

}  // namespace

extern const DistOps geometric_ops = {
    kName, 1, {"p"}, {Kind::Real}, Kind::Int, "{0, 1, ...}",
    check, sample, log_density, in_support, mean, variance,
    Support::Discrete, log_density_grad,
};

}  // namespace borel::dist
