// Laplace.cpp — laplace(mu, b): the double exponential, density
// exp(-|x - mu| / b) / (2 b) on the real line.
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "laplace";

bool check(const Dist& d, std::string& why) {
  return check_finite(why, kName, "mu", d.p[0]) && check_positive(why, kName, "b", d.p[1]);
}

Word sample(const Dist& d, Rng& rng) { return real_value(laplace_sample(rng, d.p[0], d.p[1])); }

double log_density(const Dist& d, Word x) { return laplace_log_density(rt::to_real(x), d.p[0], d.p[1]); }

bool in_support(const Dist&, Word x) { return std::isfinite(rt::to_real(x)); }

// -log(2b) - |x - mu| / b: d/dx = -sign(x - mu) / b = -d/dmu (0 at the kink
// x = mu, the midpoint of the one-sided slopes), d/db = (|x - mu| / b - 1) / b.
double log_density_grad(const Dist& d, Word w, double* dp, double* dx, double* const*) {
  const double lp = log_density(d, w);
  if (!(lp > -kInf)) return lp;
  const double r = rt::to_real(w) - d.p[0], b = d.p[1];
  const double sign = r > 0 ? 1.0 : (r < 0 ? -1.0 : 0.0);
  dp[0] = sign / b;
  dp[1] = (std::fabs(r) / b - 1) / b;
  if (dx) dx[0] = -dp[0];
  return lp;
}

double mean(const Dist& d) { return d.p[0]; }

double variance(const Dist& d) { return finite_or_nan(2 * d.p[1] * d.p[1]); }

}  // namespace

extern const DistOps laplace_ops = {
    kName, 2, {"mu", "b"}, {Kind::Real, Kind::Real}, Kind::Real, "(-inf, inf)",
    check, sample, log_density, in_support, mean, variance,
    Support::Real, log_density_grad,
};

}  // namespace borel::dist
