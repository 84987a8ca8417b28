// Normal.cpp — normal(mu, sigma): the Gaussian with mean mu and standard
// deviation sigma > 0, on the real line.
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "normal";

bool check(const Dist& d, std::string& why) {
  return check_finite(why, kName, "mu", d.p[0]) && check_positive(why, kName, "sigma", d.p[1]);
}

Word sample(const Dist& d, Rng& rng) { return real_value(normal_sample(rng, d.p[0], d.p[1])); }

double log_density(const Dist& d, Word x) { return normal_log_density(rt::to_real(x), d.p[0], d.p[1]); }

bool in_support(const Dist&, Word x) { return std::isfinite(rt::to_real(x)); }

// With z = (x - mu) / sigma: d/dmu = z / sigma = -d/dx, d/dsigma = (z^2 - 1) / sigma.
double log_density_grad(const Dist& d, Word x, double* dp, double* dx, double* const*) {
  const double lp = log_density(d, x);
  if (!(lp > -kInf)) return lp;
  const double sigma = d.p[1];
  const double z = (rt::to_real(x) - d.p[0]) / sigma;
  dp[0] = z / sigma;
  dp[1] = (z * z - 1) / sigma;
  if (dx) dx[0] = -dp[0];
  return lp;
}

double mean(const Dist& d) { return d.p[0]; }

double variance(const Dist& d) { return finite_or_nan(d.p[1] * d.p[1]); }

}  // namespace

extern const DistOps normal_ops = {
    kName, 2, {"mu", "sigma"}, {Kind::Real, Kind::Real}, Kind::Real, "(-inf, inf)",
    check, sample, log_density, in_support, mean, variance,
    Support::Real, log_density_grad,
};

}  // namespace borel::dist
