// Poisson.cpp — poisson(rate): P(k) = rate^k exp(-rate) / k! on
// {0, 1, ...}; rate = 0 is the point mass at 0.
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "poisson";

bool check(const Dist& d, std::string& why) { return check_nonnegative(why, kName, "rate", d.p[0]); }

Word sample(const Dist& d, Rng& rng) { return int_value(poisson_sample(rng, d.p[0])); }

double log_density(const Dist& d, Word k) { return poisson_log_density(k, d.p[0]); }

bool in_support(const Dist& d, Word k) { return k == 0 || (k > 0 && d.p[0] > 0); }

// k log(rate) - rate + const: d/drate = k / rate - 1 (-1 at k = 0, also for
// the point mass rate = 0).
double log_density_grad(const Dist& d, Word k, double* dp, double*, double* const*) {
  const double lp = log_density(d, k);
  if (!(lp > -kInf)) return lp;
  dp[0] = k == 0 ? -1.0 : static_cast<double>(k) / d.p[0] - 1;
  return lp;
}

double mean(const Dist& d) { return d.p[0]; }

double variance(const Dist& d) { return d.p[0]; }

// Inversion by sequential search from 0, for rate < 10 (one uniform per
// draw). Restarts past rate + 40 (probability < 1e-20) so that rounding in
// the cumulative sum cannot run on forever.
int64_t poisson_inversion(Rng& rng, double rate) {
  const double p0 = std::exp(-rate);
  for (;;) {
    double u = rng.uniform();
    double p = p0;
    int64_t k = 0;
    while (u > p && k < 40 + static_cast<int64_t>(rate)) {
      u -= p;
      ++k;
      p *= rate / static_cast<double>(k);
    }
    if (u <= p) return k;
  }
}

// PTRS, Hörmann (1993) "The transformed rejection method for generating
// Poisson random variables", for rate >= 10: ~1.15 uniform pairs per draw.
int64_t poisson_ptrs(Rng& rng, double rate) {
  const double slam = std::sqrt(rate);
  const double loglam = std::log(rate);
  const double b = 0.931 + 2.53 * slam;
  const double a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
  const double v_r = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const double u = rng.uniform() - 0.5;
    const double v = rng.uniform();
    const double us = 0.5 - std::fabs(u);
    const double k = std::floor((2 * a / us + b) * u + rate + 0.43);
    if (us >= 0.07 && v <= v_r) return clamp_count(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <= -rate + k * loglam - log_factorial(k))
      return clamp_count(k);
  }
}

}  // namespace

int64_t poisson_sample(Rng& rng, double rate) {
  if (rate == 0) return 0;
  if (rate < 10) return poisson_inversion(rng, rate);
  return poisson_ptrs(rng, rate);
}

extern const DistOps poisson_ops = {
    kName, 1, {"rate"}, {Kind::Real}, Kind::Int, "{0, 1, ...}",
    check, sample, log_density, in_support, mean, variance,
    Support::Discrete, log_density_grad,
};

}  // namespace borel::dist
