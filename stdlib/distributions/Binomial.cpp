// Binomial.cpp — binomial(n, p): the number of successes in n independent
// trials with success probability p, on {0, ..., n}. n is an int.
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "binomial";

bool check(const Dist& d, std::string& why) {
  return check_integer(why, kName, "n", d.p[0]) &&
         (d.p[0] >= 0 || fail(why, kName, "n", d.p[0], "non-negative")) &&
         check_probability(why, kName, "p", d.p[1]);
}

Word sample(const Dist& d, Rng& rng) { return int_value(binomial_sample(rng, int_param(d, 0), d.p[1])); }

double log_density(const Dist& d, Word k) { return binomial_log_density(k, int_param(d, 0), d.p[1]); }

bool in_support(const Dist& d, Word k) {
  const int64_t n = int_param(d, 0);
  const double p = d.p[1];
  if (k < 0 || k > n) return false;
  return (k == 0 || p > 0) && (k == n || p < 1);  // p = 0 or 1: a point mass
}

// k log p + (n - k) log(1 - p) + const: d/dp = k / p - (n - k) / (1 - p), each
// term absent when its count is 0 (so p = 0 or 1 at a point mass stays finite);
// n is an int (d/dn = 0).
double log_density_grad(const Dist& d, Word k, double* dp, double*, double* const*) {
  const double lp = log_density(d, k);
  if (!(lp > -kInf)) return lp;
  const double p = d.p[1], successes = static_cast<double>(k);
  const double failures = static_cast<double>(int_param(d, 0) - k);
  dp[0] = 0;
  dp[1] = (successes > 0 ? successes / p : 0.0) - (failures > 0 ? failures / (1 - p) : 0.0);
  return lp;
}

double mean(const Dist& d) { return d.p[0] * d.p[1]; }

double variance(const Dist& d) { return d.p[0] * d.p[1] * (1 - d.p[1]); }

// log k! minus Stirling's approximation (k + 1/2) log(k + 1) - (k + 1) +
// log(2 pi) / 2, i.e. the correction term at x = k + 1.
double stirling_tail(double k) {
  const double x = k + 1;
  if (x >= 10) return log_gamma_stirling_diff(x);
  return log_factorial(k) - ((k + 0.5) * std::log(x) - x + kHalfLog2Pi);
}

// Inversion by sequential search from 0 (Kachitvichyanukul & Schmeiser's
// BINV), for n p < 10 with p <= 1/2. The search restarts past
// n p + 10 sd (probability < 1e-20) so rounding cannot run it off the end.
int64_t binomial_inversion(Rng& rng, int64_t n, double p) {
  const double q = 1 - p;
  const double qn = std::exp(static_cast<double>(n) * std::log1p(-p));
  const double np = static_cast<double>(n) * p;
  const double bound = std::fmin(static_cast<double>(n), np + 10.0 * std::sqrt(np * q + 1));
  for (;;) {
    int64_t x = 0;
    double px = qn;
    double u = rng.uniform();
    while (u > px) {
      ++x;
      if (static_cast<double>(x) > bound) break;
      u -= px;
      px *= (static_cast<double>(n - x + 1) * p) / (static_cast<double>(x) * q);
    }
    if (static_cast<double>(x) <= bound) return x;
  }
}

// BTRS, Hörmann (1993) "The generation of binomial random variates":
// transformed rejection with a squeeze, for n p >= 10 with p <= 1/2.
int64_t binomial_btrs(Rng& rng, int64_t n, double p) {
  const double nd = static_cast<double>(n);
  const double q = 1 - p;
  const double spq = std::sqrt(nd * p * q);
  const double b = 1.15 + 2.53 * spq;
  const double a = -0.0873 + 0.0248 * b + 0.01 * p;
  const double c = nd * p + 0.5;
  const double v_r = 0.92 - 4.2 / b;
  const double r = p / q;
  const double alpha = (2.83 + 5.1 / b) * spq;
  const double m = std::floor((nd + 1) * p);
  for (;;) {
    const double u = rng.uniform() - 0.5;
    double v = rng.uniform();
    const double us = 0.5 - std::fabs(u);
    const double k = std::floor((2 * a / us + b) * u + c);
    if (k < 0 || k > nd) continue;
    if (us >= 0.07 && v <= v_r) return static_cast<int64_t>(k);
    // log f(k) / f(m), by Stirling with corrections, against the hat.
    v = std::log(v * alpha / (a / (us * us) + b));
    const double bound = (m + 0.5) * std::log((m + 1) / (r * (nd - m + 1))) +
                         (nd + 1) * std::log((nd - m + 1) / (nd - k + 1)) +
                         (k + 0.5) * std::log(r * (nd - k + 1) / (k + 1)) + stirling_tail(m) +
                         stirling_tail(nd - m) - stirling_tail(k) - stirling_tail(nd - k);
    if (v <= bound) return static_cast<int64_t>(k);
  }
}

}  // namespace

int64_t binomial_sample(Rng& rng, int64_t n, double p) {
  if (n == 0 || p == 0) return 0;
  if (p == 1) return n;
  if (p > 0.5) return n - binomial_sample(rng, n, 1 - p);
  if (static_cast<double>(n) * p < 10) return binomial_inversion(rng, n, p);
  return binomial_btrs(rng, n, p);
}

extern const DistOps binomial_ops = {
    kName, 2, {"n", "p"}, {Kind::Int, Kind::Real}, Kind::Int, "{0, ..., n}",
    check, sample, log_density, in_support, mean, variance,
    Support::Discrete, log_density_grad,
};

}  // namespace borel::dist
