// NegBinomial.cpp — neg_binomial(r, p): the number of failures before the
// r-th success, P(k) = Gamma(k + r) / (k! Gamma(r)) p^r (1-p)^k on
// {0, 1, ...}; r > 0 need not be an integer.
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "neg_binomial";

bool check(const Dist& d, std::string& why) {
  return check_positive(why, kName, "r", d.p[0]) && check_positive_probability(why, kName, "p", d.p[1]);
}

// The gamma–Poisson mixture: K ~ Poisson(L), L ~ Gamma(r, rate p / (1 - p)).
Word sample(const Dist& d, Rng& rng) {
  const double r = d.p[0], p = d.p[1];
  if (p == 1) return int_value(0);
  const double rate = gamma_sample(rng, r, p / (1 - p));
  return int_value(poisson_sample(rng, std::fmin(rate, 0x1.0p62)));
}

// P(k) = r / (r + k) binomial(r successes in r + k trials), the binomial
// term by Loader's method (Special.h; as R's dnbinom).
double log_density(const Dist& d, Word k) {
  const double r = d.p[0], p = d.p[1];
  if (k < 0) return -kInf;
  const double kd = static_cast<double>(k);
  return std::log(r / (r + kd)) + binomial_log_pmf(r, r + kd, p, 1 - p);
}

bool in_support(const Dist& d, Word k) { return k == 0 || (k > 0 && d.p[1] < 1); }

// log Gamma(k + r) - log Gamma(r) + r log p + k log(1 - p) + const:
// d/dr = psi(k + r) - psi(r) + log p, d/dp = r / p - k / (1 - p).
double log_density_grad(const Dist& d, Word k, double* dp, double*, double* const*) {
  const double lp = log_density(d, k);
  if (!(lp > -kInf)) return lp;
  const double r = d.p[0], p = d.p[1];
  dp[0] = digamma_diff(r, k) + std::log(p);
  dp[1] = k == 0 ? r / p : r / p - static_cast<double>(k) / (1 - p);
  return lp;
}

double mean(const Dist& d) { return finite_or_nan(d.p[0] * (1 - d.p[1]) / d.p[1]); }

double variance(const Dist& d) { return finite_or_nan(d.p[0] * (1 - d.p[1]) / (d.p[1] * d.p[1])); }

}  // namespace

extern const DistOps neg_binomial_ops = {
    kName, 2, {"r", "p"}, {Kind::Real, Kind::Real}, Kind::Int, "{0, 1, ...}",
    check, sample, log_density, in_support, mean, variance,
    Support::Discrete, log_density_grad,
};

}  // namespace borel::dist
