// Uniform.cpp — uniform(lo, hi): the uniform distribution on the closed
// interval [lo, hi], lo < hi.
#include "stdlib/distributions/Family.h"

#include <fmt/format.h>

namespace borel::dist {

namespace {

constexpr const char* kName = "uniform";

bool check(const Dist& d, std::string& why) {
  const double lo = d.p[0], hi = d.p[1];
  return check_finite(why, kName, "lo", lo) && check_finite(why, kName, "hi", hi) &&
         (hi > lo || fail(why, kName, "hi", hi, fmt::format("greater than lo ({})", format_number(lo)))) &&
         (std::isfinite(hi - lo) || fail(why, kName, "hi - lo", hi - lo, "finite"));
}

Word sample(const Dist& d, Rng& rng) { return real_value(uniform_sample(rng, d.p[0], d.p[1])); }

double log_density(const Dist& d, Word x) { return uniform_log_density(rt::to_real(x), d.p[0], d.p[1]); }

bool in_support(const Dist& d, Word x) {
  const double v = rt::to_real(x);
  return v >= d.p[0] && v <= d.p[1];
}

// -log(hi - lo) on [lo, hi]: flat in x, 1 / (hi - lo) in lo, its negative in hi.
double log_density_grad(const Dist& d, Word x, double* dp, double* dx, double* const*) {
  const double lp = log_density(d, x);
  if (!(lp > -kInf)) return lp;
  const double inv_width = 1 / (d.p[1] - d.p[0]);
  dp[0] = inv_width;
  dp[1] = -inv_width;
  if (dx) dx[0] = 0;
  return lp;
}

double mean(const Dist& d) { return 0.5 * d.p[0] + 0.5 * d.p[1]; }

double variance(const Dist& d) {
  const double w = d.p[1] - d.p[0];
  return finite_or_nan(w * w / 12);
}

}  // namespace

extern const DistOps uniform_ops = {
    kName, 2, {"lo", "hi"}, {Kind::Real, Kind::Real}, Kind::Real, "[lo, hi]",
    check, sample, log_density, in_support, mean, variance,
    Support::Interval, log_density_grad,
};

}  // namespace borel::dist
