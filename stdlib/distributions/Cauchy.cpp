// Cauchy.cpp — cauchy(loc, scale): density 1 / (pi scale (1 + ((x-loc)/scale)^2))
// on the real line. It has no mean or variance (both nan).
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "cauchy";

bool check(const Dist& d, std::string& why) {
  return check_finite(why, kName, "loc", d.p[0]) && check_positive(why, kName, "scale", d.p[1]);
}

Word sample(const Dist& d, Rng& rng) { return real_value(cauchy_sample(rng, d.p[0], d.p[1])); }

double log_density(const Dist& d, Word x) { return cauchy_log_density(rt::to_real(x), d.p[0], d.p[1]); }

bool in_support(const Dist&, Word x) { return std::isfinite(rt::to_real(x)); }

// With z = (x - loc) / scale: d/dx = -2 z / (scale (1 + z^2)) = -d/dloc,
// d/dscale = (2 z^2 / (1 + z^2) - 1) / scale. z / (1 + z^2) is formed as
// 1 / (z + 1 / z) where z^2 would overflow.
double log_density_grad(const Dist& d, Word x, double* dp, double* dx, double* const*) {
  const double lp = log_density(d, x);
  if (!(lp > -kInf)) return lp;
  const double scale = d.p[1];
  const double z = (rt::to_real(x) - d.p[0]) / scale;
  const double r = std::fabs(z) < 1e100 ? z / (1 + z * z) : 1 / (z + 1 / z);  // z / (1 + z^2)
  dp[0] = 2 * r / scale;
  dp[1] = (2 * z * r - 1) / scale;
  if (dx) dx[0] = -dp[0];
  return lp;
}

double mean(const Dist&) { return kNaN; }

double variance(const Dist&) { return kNaN; }

}  // namespace

extern const DistOps cauchy_ops = {
    kName, 2, {"loc", "scale"}, {Kind::Real, Kind::Real}, Kind::Real, "(-inf, inf)",
    check, sample, log_density, in_support, mean, variance,
    Support::Real, log_density_grad,
};

}  // namespace borel::dist
