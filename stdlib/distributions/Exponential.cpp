// Exponential.cpp — exponential(rate): density rate exp(-rate x) on [0, inf).
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "exponential";

bool check(const Dist& d, std::string& why) { return check_positive(why, kName, "rate", d.p[0]); }

Word sample(const Dist& d, Rng& rng) { return real_value(exponential_sample(rng, d.p[0])); }

double log_density(const Dist& d, Word x) { return exponential_log_density(rt::to_real(x), d.p[0]); }

bool in_support(const Dist&, Word x) {
  const double v = rt::to_real(x);
  return v >= 0 && v <= DBL_MAX;
}

// log(rate) - rate x: d/drate = 1 / rate - x, d/dx = -rate.
double log_density_grad(const Dist& d, Word x, double* dp, double* dx, double* const*) {
  const double lp = log_density(d, x);
  if (!(lp > -kInf)) return lp;
  dp[0] = 1 / d.p[0] - rt::to_real(x);
  if (dx) dx[0] = -d.p[0];
  return lp;
}

double mean(const Dist& d) { return finite_or_nan(1 / d.p[0]); }

double variance(const Dist& d) { return finite_or_nan(1 / d.p[0] / d.p[0]); }

}  // namespace

extern const DistOps exponential_ops = {
    kName, 1, {"rate"}, {Kind::Real}, Kind::Real, "[0, inf)",
    check, sample, log_density, in_support, mean, variance,
    Support::Positive, log_density_grad,
};

}  // namespace borel::dist
