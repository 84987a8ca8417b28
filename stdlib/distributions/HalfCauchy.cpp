// HalfCauchy.cpp — half_cauchy(scale): |X| for X ~ cauchy(0, scale), density
// 2 / (pi scale (1 + (x/scale)^2)) on [0, inf), scale > 0. The heavy-tailed
// prior on a scale (Gelman 2006). It has no mean or variance (both nan).
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "half_cauchy";
constexpr double kLog2OverPi = -0.451582705289454864726195229895;  // log(2 / pi)

bool check(const Dist& d, std::string& why) { return check_positive(why, kName, "scale", d.p[0]); }

// Inversion: scale tan(pi u / 2), u in (0, 1). kPi rounds below pi, so the
// angle stays below pi / 2 and the tangent finite; fmin keeps scale = 1e300
// draws finite.
Word sample(const Dist& d, Rng& rng) {
  return real_value(std::fmin(d.p[0] * std::tan(0.5 * kPi * rng.uniform()), DBL_MAX));
}

// As exponential: 0 is in the support (the density is largest there).
double log_density(const Dist& d, Word w) {
  const double x = rt::to_real(w), scale = d.p[0];
  if (!(x >= 0 && x <= DBL_MAX)) return -kInf;
  return kLog2OverPi - std::log(scale) - log1p_square_over(x / scale, 1.0);
}

bool in_support(const Dist&, Word x) {
  const double v = rt::to_real(x);
  return v >= 0 && v <= DBL_MAX;
}

// With z = x / scale: d/dx = -2 z / (scale (1 + z^2)), d/dscale =
// (2 z^2 / (1 + z^2) - 1) / scale (as cauchy with loc = 0). z / (1 + z^2) is
// formed as 1 / (z + 1 / z) where z^2 would overflow.
double log_density_grad(const Dist& d, Word x, double* dp, double* dx, double* const*) {
  const double lp = log_density(d, x);
  if (!(lp > -kInf)) return lp;
  const double scale = d.p[0];
  const double z = rt::to_real(x) / scale;
  const double r = z < 1e100 ? z / (1 + z * z) : 1 / (z + 1 / z);  // z / (1 + z^2)
  dp[0] = (2 * z * r - 1) / scale;
  if (dx) dx[0] = -2 * r / scale;
  return lp;
}

double mean(const Dist&) { return kNaN; }

double variance(const Dist&) { return kNaN; }

}  // namespace

extern const DistOps half_cauchy_ops = {
    kName, 1, {"scale"}, {Kind::Real}, Kind::Real, "[0, inf)",
    check, sample, log_density, in_support, mean, variance,
    Support::Positive, log_density_grad,
};

}  // namespace borel::dist
