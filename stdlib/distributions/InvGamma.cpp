// InvGamma.cpp — inv_gamma(shape, scale): 1 / X for X ~ gamma(shape, scale),
// density scale^shape x^(-shape-1) exp(-scale / x) / Gamma(shape) on (0, inf).
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "inv_gamma";

bool check(const Dist& d, std::string& why) {
  return check_positive(why, kName, "shape", d.p[0]) && check_positive(why, kName, "scale", d.p[1]);
}

// scale / G with G ~ Gamma(shape, 1), in log space (G underflows for small
// shapes).
Word sample(const Dist& d, Rng& rng) {
  return real_value(clamp_positive(std::exp(std::log(d.p[1]) - log_gamma_variate(rng, d.p[0]))));
}

double log_density(const Dist& d, Word w) {
  const double x = rt::to_real(w), shape = d.p[0], scale = d.p[1];
  if (!(x > 0 && x <= DBL_MAX)) return -kInf;
  return shape * std::log(scale) - log_gamma(shape) - (shape + 1) * std::log(x) - scale / x;
}

bool in_support(const Dist&, Word x) {
  const double v = rt::to_real(x);
  return v > 0 && v <= DBL_MAX;
}

// Defined for shape > 1 (mean) and shape > 2 (variance); nan otherwise.
// d/dshape = log(scale) - psi(shape) - log x, d/dscale = shape / scale - 1 / x,
// d/dx = (scale / x - shape - 1) / x.
double log_density_grad(const Dist& d, Word w, double* dp, double* dx, double* const*) {
  const double lp = log_density(d, w);
  if (!(lp > -kInf)) return lp;
  const double x = rt::to_real(w), shape = d.p[0], scale = d.p[1];
  dp[0] = std::log(scale) - digamma(shape) - std::log(x);
  dp[1] = shape / scale - 1 / x;
  if (dx) dx[0] = (scale / x - shape - 1) / x;
  return lp;
}

double mean(const Dist& d) { return d.p[0] > 1 ? finite_or_nan(d.p[1] / (d.p[0] - 1)) : kNaN; }

double variance(const Dist& d) {
  if (!(d.p[0] > 2)) return kNaN;
  const double m = d.p[1] / (d.p[0] - 1);
  return finite_or_nan(m * m / (d.p[0] - 2));
}

}  // namespace

extern const DistOps inv_gamma_ops = {
    kName, 2, {"shape", "scale"}, {Kind::Real, Kind::Real}, Kind::Real, "(0, inf)",
    check, sample, log_density, in_support, mean, variance,
    Support::Positive, log_density_grad,
};

}  // namespace borel::dist
