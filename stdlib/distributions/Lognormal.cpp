// Lognormal.cpp — lognormal(mu, sigma): exp(X) for X ~ normal(mu, sigma), on
// (0, inf).
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "lognormal";

bool check(const Dist& d, std::string& why) {
  return check_finite(why, kName, "mu", d.p[0]) && check_positive(why, kName, "sigma", d.p[1]);
}

Word sample(const Dist& d, Rng& rng) { return real_value(lognormal_sample(rng, d.p[0], d.p[1])); }

double log_density(const Dist& d, Word x) { return lognormal_log_density(rt::to_real(x), d.p[0], d.p[1]); }

bool in_support(const Dist&, Word x) {
  const double v = rt::to_real(x);
  return v > 0 && v <= DBL_MAX;
}

// With z = (log x - mu) / sigma: d/dmu = z / sigma, d/dsigma = (z^2 - 1) / sigma,
// d/dx = -(z / sigma + 1) / x.
double log_density_grad(const Dist& d, Word w, double* dp, double* dx, double* const*) {
  const double lp = log_density(d, w);
  if (!(lp > -kInf)) return lp;
  const double x = rt::to_real(w), sigma = d.p[1];
  const double z = (std::log(x) - d.p[0]) / sigma;
  dp[0] = z / sigma;
  dp[1] = (z * z - 1) / sigma;
  if (dx) dx[0] = -(dp[0] + 1) / x;
  return lp;
}

double mean(const Dist& d) { return finite_or_nan(std::exp(d.p[0] + 0.5 * d.p[1] * d.p[1])); }

double variance(const Dist& d) {
  const double s2 = d.p[1] * d.p[1];
  return finite_or_nan(std::expm1(s2) * std::exp(2 * d.p[0] + s2));
}

}  // namespace

extern const DistOps lognormal_ops = {
    kName, 2, {"mu", "sigma"}, {Kind::Real, Kind::Real}, Kind::Real, "(0, inf)",
    check, sample, log_density, in_support, mean, variance,
    Support::Positive, log_density_grad,
};

}  // namespace borel::dist
