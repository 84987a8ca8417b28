// Gamma.cpp — gamma(shape, rate): density rate^shape x^(shape-1)
// exp(-rate x) / Gamma(shape) on (0, inf). Sampler: Marsaglia–Tsang, with
// the U^(1/shape) boost for shape < 1 (Kernels.h).
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "gamma";

bool check(const Dist& d, std::string& why) {
  return check_positive(why, kName, "shape", d.p[0]) && check_positive(why, kName, "rate", d.p[1]);
}

Word sample(const Dist& d, Rng& rng) { return real_value(gamma_sample(rng, d.p[0], d.p[1])); }

double log_density(const Dist& d, Word x) { return gamma_log_density(rt::to_real(x), d.p[0], d.p[1]); }

bool in_support(const Dist&, Word x) {
  const double v = rt::to_real(x);
  return v > 0 && v <= DBL_MAX;
}

// d/dshape = log(rate) - psi(shape) + log x, d/drate = shape / rate - x,
// d/dx = (shape - 1) / x - rate.
double log_density_grad(const Dist& d, Word w, double* dp, double* dx, double* const*) {
  const double lp = log_density(d, w);
  if (!(lp > -kInf)) return lp;
  const double x = rt::to_real(w), shape = d.p[0], rate = d.p[1];
  dp[0] = std::log(rate) - digamma(shape) + std::log(x);
  dp[1] = shape / rate - x;
  if (dx) dx[0] = (shape - 1) / x - rate;
  return lp;
}

double mean(const Dist& d) { return finite_or_nan(d.p[0] / d.p[1]); }

double variance(const Dist& d) { return finite_or_nan(d.p[0] / d.p[1] / d.p[1]); }

}  // namespace

extern const DistOps gamma_ops = {
    kName, 2, {"shape", "rate"}, {Kind::Real, Kind::Real}, Kind::Real, "(0, inf)",
    check, sample, log_density, in_support, mean, variance,
    Support::Positive, log_density_grad,
};

}  // namespace borel::dist
