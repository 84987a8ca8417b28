// Beta.cpp — beta(a, b): density x^(a-1) (1-x)^(b-1) / B(a, b) on the open
// interval (0, 1). Sampler: a ratio of gamma variates (Kernels.h).
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "beta";

bool check(const Dist& d, std::string& why) {
  return check_positive(why, kName, "a", d.p[0]) && check_positive(why, kName, "b", d.p[1]);
}

Word sample(const Dist& d, Rng& rng) { return real_value(beta_sample(rng, d.p[0], d.p[1])); }

double log_density(const Dist& d, Word x) { return beta_log_density(rt::to_real(x), d.p[0], d.p[1]); }

bool in_support(const Dist&, Word x) {
  const double v = rt::to_real(x);
  return v > 0 && v < 1;
}

// d/da = log x - psi(a) + psi(a + b), d/db = log(1 - x) - psi(b) + psi(a + b),
// d/dx = (a - 1) / x - (b - 1) / (1 - x).
double log_density_grad(const Dist& d, Word w, double* dp, double* dx, double* const*) {
  const double lp = log_density(d, w);
  if (!(lp > -kInf)) return lp;
  const double x = rt::to_real(w), a = d.p[0], b = d.p[1];
  const double psi_ab = digamma(a + b);
  dp[0] = std::log(x) - digamma(a) + psi_ab;
  dp[1] = std::log1p(-x) - digamma(b) + psi_ab;
  if (dx) dx[0] = (a - 1) / x - (b - 1) / (1 - x);
  return lp;
}

double mean(const Dist& d) { return d.p[0] / (d.p[0] + d.p[1]); }

double variance(const Dist& d) {
  const double a = d.p[0], b = d.p[1], s = a + b;
  return (a / s) * (b / s) / (s + 1);
}

}  // namespace

extern const DistOps beta_ops = {
    kName, 2, {"a", "b"}, {Kind::Real, Kind::Real}, Kind::Real, "(0, 1)",
    check, sample, log_density, in_support, mean, variance,
    Support::UnitInterval, log_density_grad,
};

}  // namespace borel::dist
