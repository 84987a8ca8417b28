// Kernels.h — the densities and samplers of the common families as inline
// functions, for compiled code and inference loops that know the family
// statically and skip the DistOps table (a bootstrap filter's
// `observe(normal(x, s), y)` is one inline call).
//
// The DistOps of these families call the same kernels, so there is one
// implementation of each. Kernels do not check parameters (`check` in the
// family's DistOps does, once, where the distribution is built); they do
// check the value: a log-density is -inf outside the support (nan included)
// and every sampler returns a value inside it.
#pragma once

#include <cmath>
#include <cstdint>

#include "runtime/Rng.h"
#include "stdlib/distributions/Special.h"

namespace borel::dist {

using rt::Rng;

// ---- normal(mu, sigma) -------------------------------------------------------

// log(sigma) of the last call, per thread: models usually observe with the
// same noise scale many times in a row, and the logarithm was a tenth of an
// SMC step on lgssm.
struct LogCache {
  double x = 1.0, log_x = 0.0;
  double log(double v) {
    if (v != x) {
      x = v;
      log_x = std::log(v);
    }
    return log_x;
  }
};
inline thread_local LogCache normal_log_sigma;

inline double normal_log_density(double x, double mu, double sigma) {
  if (!std::isfinite(x)) return -kInf;
  const double z = (x - mu) / sigma;
  return -0.5 * z * z - normal_log_sigma.log(sigma) - kHalfLog2Pi;
}

inline double normal_sample(Rng& rng, double mu, double sigma) {
  return clamp_finite(mu + sigma * rng.normal());
}

// ---- lognormal(mu, sigma) ----------------------------------------------------

inline double lognormal_log_density(double x, double mu, double sigma) {
  if (!(x > 0 && x <= DBL_MAX)) return -kInf;
  const double log_x = std::log(x);
  const double z = (log_x - mu) / sigma;
  return -0.5 * z * z - std::log(sigma) - kHalfLog2Pi - log_x;
}

inline double lognormal_sample(Rng& rng, double mu, double sigma) {
  return clamp_positive(std::exp(mu + sigma * rng.normal()));
}

// ---- uniform(lo, hi), on the closed interval [lo, hi] ------------------------

inline double uniform_log_density(double x, double lo, double hi) {
  if (!(x >= lo && x <= hi)) return -kInf;
  return -std::log(hi - lo);
}

inline double uniform_sample(Rng& rng, double lo, double hi) {
  const double x = lo + (hi - lo) * rng.uniform();
  return x > hi ? hi : x;  // rounding can overshoot by an ulp
}

// ---- exponential(rate), on [0, inf) ------------------------------------------

inline double exponential_log_density(double x, double rate) {
  if (!(x >= 0 && x <= DBL_MAX)) return -kInf;
  return std::log(rate) - rate * x;
}

inline double exponential_sample(Rng& rng, double rate) {
  return std::fmin(rng.exponential() / rate, DBL_MAX);
}

// ---- gamma(shape, rate), on (0, inf) -----------------------------------------

inline double gamma_log_density(double x, double shape, double rate) {
  if (!(x > 0 && x <= DBL_MAX)) return -kInf;
  return shape * std::log(rate) - log_gamma(shape) + (shape - 1) * std::log(x) - rate * x;
}

// A Gamma(shape, 1) variate for shape >= 1: Marsaglia & Tsang (2000), "A
// simple method for generating gamma variables". Acceptance >= 95%.
inline double gamma_variate_mt(Rng& rng, double shape) {
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = rng.normal();
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = rng.uniform();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v;  // the squeeze
    if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return d * v;
  }
}

// The logarithm of a Gamma(shape, 1) variate, for any shape > 0. For
// shape < 1, Marsaglia & Tsang's boost G(a) = G(a + 1) U^(1/a), kept in log
// space: with shape = 0.01 most variates are below the smallest double, yet
// their ratios (beta, dirichlet) are ordinary numbers.
inline double log_gamma_variate(Rng& rng, double shape) {
  if (shape >= 1) return std::log(gamma_variate_mt(rng, shape));
  return std::log(gamma_variate_mt(rng, shape + 1.0)) + std::log(rng.uniform()) / shape;
}

inline double gamma_sample(Rng& rng, double shape, double rate) {
  if (shape >= 1) return clamp_positive(gamma_variate_mt(rng, shape) / rate);
  return clamp_positive(std::exp(log_gamma_variate(rng, shape) - std::log(rate)));
}

// ---- beta(a, b), on (0, 1) ---------------------------------------------------

inline double beta_log_density(double x, double a, double b) {
  if (!(x > 0 && x < 1)) return -kInf;
  return (a - 1) * std::log(x) + (b - 1) * std::log1p(-x) - log_beta(a, b);
}

// X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b); in log space when a shape is
// below 1 (see log_gamma_variate).
inline double beta_sample(Rng& rng, double a, double b) {
  if (a >= 1 && b >= 1) {
    const double x = gamma_variate_mt(rng, a);
    const double y = gamma_variate_mt(rng, b);
    return clamp_unit(x / (x + y));
  }
  const double log_x = log_gamma_variate(rng, a);
  const double log_y = log_gamma_variate(rng, b);
  return clamp_unit(1.0 / (1.0 + std::exp(log_y - log_x)));
}

// ---- student_t(nu, mu, sigma) ------------------------------------------------

// log(1 + z^2 / nu), also where z^2 overflows.
inline double log1p_square_over(double z, double nu) {
  const double az = std::fabs(z);
  if (az < 1e100) return std::log1p(az * az / nu);
  return 2.0 * std::log(az) - std::log(nu) + std::log1p(nu / (az * az));
}

inline double student_t_log_density(double x, double nu, double mu, double sigma) {
  if (!std::isfinite(x)) return -kInf;
  const double z = (x - mu) / sigma;
  // log Gamma((nu+1)/2) - log Gamma(nu/2) - log(pi)/2 = -log B(1/2, nu/2),
  // accurate for large nu where the lgamma difference cancels.
  return -log_beta(0.5, 0.5 * nu) - 0.5 * std::log(nu) - std::log(sigma) -
         0.5 * (nu + 1) * log1p_square_over(z, nu);
}

// mu + sigma Z / sqrt(V / nu) with V ~ chi^2(nu) = Gamma(nu/2, rate 1/2).
inline double student_t_sample(Rng& rng, double nu, double mu, double sigma) {
  const double v = gamma_sample(rng, 0.5 * nu, 0.5);
  return clamp_finite(mu + sigma * rng.normal() / std::sqrt(v / nu));
}

// ---- cauchy(loc, scale) ------------------------------------------------------

inline double cauchy_log_density(double x, double loc, double scale) {
  if (!std::isfinite(x)) return -kInf;
  return -kLogPi - std::log(scale) - log1p_square_over((x - loc) / scale, 1.0);
}

inline double cauchy_sample(Rng& rng, double loc, double scale) {
  return clamp_finite(loc + scale * std::tan(kPi * (rng.uniform() - 0.5)));
}

// ---- laplace(mu, b) ----------------------------------------------------------

inline double laplace_log_density(double x, double mu, double b) {
  if (!std::isfinite(x)) return -kInf;
  return -std::log(2.0 * b) - std::fabs(x - mu) / b;
}

// Inversion: u uniform in (-1/2, 1/2), x = mu - b sign(u) log(1 - 2|u|).
inline double laplace_sample(Rng& rng, double mu, double b) {
  const double u = rng.uniform() - 0.5;
  const double e = -std::log1p(-2.0 * std::fabs(u));
  return clamp_finite(u < 0 ? mu - b * e : mu + b * e);
}

// ---- bernoulli(p), a bool ----------------------------------------------------

inline double bernoulli_log_density(bool x, double p) { return x ? std::log(p) : std::log1p(-p); }

inline bool bernoulli_sample(Rng& rng, double p) { return rng.uniform() < p; }

// ---- poisson(rate), on {0, 1, ...} -------------------------------------------

inline double poisson_log_density(int64_t k, double rate) {
  if (k < 0) return -kInf;
  if (rate == 0) return k == 0 ? 0.0 : -kInf;
  return poisson_log_pmf(static_cast<double>(k), rate);
}

// Inversion for rate < 10, Hörmann's PTRS otherwise (Poisson.cpp).
int64_t poisson_sample(Rng& rng, double rate);

// ---- binomial(n, p), on {0, ..., n} ------------------------------------------

inline double binomial_log_density(int64_t k, int64_t n, double p) {
  if (k < 0 || k > n) return -kInf;
  return binomial_log_pmf(static_cast<double>(k), static_cast<double>(n), p, 1 - p);
}

// Inversion for n min(p, 1-p) < 10, Hörmann's BTRS otherwise (Binomial.cpp).
int64_t binomial_sample(Rng& rng, int64_t n, double p);

}  // namespace borel::dist
