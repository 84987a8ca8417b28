// HalfNormal.cpp — half_normal(sigma): |X| for X ~ normal(0, sigma), density
// 2 exp(-x^2 / (2 sigma^2)) / (sigma sqrt(2 pi)) on [0, inf), sigma > 0. The
// usual prior on a scale (Stan's normal(0, sigma) on a <lower=0> parameter).
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "half_normal";
constexpr double kHalfLog2OverPi = -0.225791352644727432363097614947;  // log(2 / pi) / 2
constexpr double kSqrt2OverPi = 0.797884560802865355879892119869;      // sqrt(2 / pi)
constexpr double kOneMinus2OverPi = 0.363380227632418656924464946510;  // 1 - 2 / pi

bool check(const Dist& d, std::string& why) { return check_positive(why, kName, "sigma", d.p[0]); }

// sigma |Z|; fmin keeps sigma = 1e300 draws finite.
Word sample(const Dist& d, Rng& rng) {
  return real_value(std::fmin(d.p[0] * std::fabs(rng.normal()), DBL_MAX));
}

// As exponential: 0 is in the support (the density is largest there).
double log_density(const Dist& d, Word w) {
  const double x = rt::to_real(w), sigma = d.p[0];
  if (!(x >= 0 && x <= DBL_MAX)) return -kInf;
  const double z = x / sigma;
  return kHalfLog2OverPi - std::log(sigma) - 0.5 * z * z;
}

bool in_support(const Dist&, Word x) {
  const double v = rt::to_real(x);
  return v >= 0 && v <= DBL_MAX;
}

// With z = x / sigma: d/dsigma = (z^2 - 1) / sigma, d/dx = -z / sigma.
double log_density_grad(const Dist& d, Word x, double* dp, double* dx, double* const*) {
  const double lp = log_density(d, x);
  if (!(lp > -kInf)) return lp;
  const double sigma = d.p[0];
  const double z = rt::to_real(x) / sigma;
  dp[0] = (z * z - 1) / sigma;
  if (dx) dx[0] = -z / sigma;
  return lp;
}

double mean(const Dist& d) { return finite_or_nan(kSqrt2OverPi * d.p[0]); }

double variance(const Dist& d) { return finite_or_nan(kOneMinus2OverPi * d.p[0] * d.p[0]); }

}  // namespace

extern const DistOps half_normal_ops = {
    kName, 1, {"sigma"}, {Kind::Real}, Kind::Real, "[0, inf)",
    check, sample, log_density, in_support, mean, variance,
    Support::Positive, log_density_grad,
};

}  // namespace borel::dist
