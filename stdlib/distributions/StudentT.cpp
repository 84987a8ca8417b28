// StudentT.cpp — student_t(nu, mu, sigma): the location-scale Student t with
// nu > 0 degrees of freedom, on the real line.
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "student_t";

bool check(const Dist& d, std::string& why) {
  return check_positive(why, kName, "nu", d.p[0]) && check_finite(why, kName, "mu", d.p[1]) &&
         check_positive(why, kName, "sigma", d.p[2]);
}

Word sample(const Dist& d, Rng& rng) { return real_value(student_t_sample(rng, d.p[0], d.p[1], d.p[2])); }

double log_density(const Dist& d, Word x) {
  return student_t_log_density(rt::to_real(x), d.p[0], d.p[1], d.p[2]);
}

bool in_support(const Dist&, Word x) { return std::isfinite(rt::to_real(x)); }

// The mean exists for nu > 1, the variance for nu > 2 (infinite for
// 1 < nu <= 2: reported as nan, like every moment that is not finite).
// With z = (x - mu) / sigma and the weight q = z^2 / (nu + z^2) in [0, 1):
// d/dx = -(nu + 1) z / (sigma (nu + z^2)) = -d/dmu,
// d/dsigma = ((nu + 1) q - 1) / sigma,
// d/dnu = (psi((nu + 1) / 2) - psi(nu / 2) - 1 / nu - log(1 + z^2 / nu) + (nu + 1) q / nu) / 2.
// z / (nu + z^2) is formed as 1 / (z + nu / z) where z^2 would overflow.
double log_density_grad(const Dist& d, Word x, double* dp, double* dx, double* const*) {
  const double lp = log_density(d, x);
  if (!(lp > -kInf)) return lp;
  const double nu = d.p[0], sigma = d.p[2];
  const double z = (rt::to_real(x) - d.p[1]) / sigma;
  const double r = std::fabs(z) < 1e100 ? z / (nu + z * z) : 1 / (z + nu / z);  // z / (nu + z^2)
  const double q = z * r;
  dp[0] = 0.5 * (digamma(0.5 * (nu + 1)) - digamma(0.5 * nu) - 1 / nu - log1p_square_over(z, nu) +
                 (nu + 1) * q / nu);
  dp[1] = (nu + 1) * r / sigma;
  dp[2] = ((nu + 1) * q - 1) / sigma;
  if (dx) dx[0] = -dp[1];
  return lp;
}

double mean(const Dist& d) { return d.p[0] > 1 ? d.p[1] : kNaN; }

double variance(const Dist& d) {
  const double nu = d.p[0];
  return nu > 2 ? finite_or_nan(d.p[2] * d.p[2] * (nu / (nu - 2))) : kNaN;
}

}  // namespace

extern const DistOps student_t_ops = {
    kName, 3, {"nu", "mu", "sigma"}, {Kind::Real, Kind::Real, Kind::Real}, Kind::Real, "(-inf, inf)",
    check, sample, log_density, in_support, mean, variance,
    Support::Real, log_density_grad,
};

}  // namespace borel::dist
