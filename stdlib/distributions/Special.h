// Special.h — the special functions the densities need, accurate and
// thread-safe, plus the small numeric helpers shared by the families.
//
// `log_gamma` is glibc's reentrant lgamma_r (std::lgamma writes the global
// `signgam`, a data race under multi-threaded inference). `log_beta` follows
// Stan Math's lbeta: Stirling differences keep it accurate when one or both
// arguments are large, where lgamma(a) + lgamma(b) - lgamma(a + b) would
// cancel catastrophically (beta with a = 1e6, student_t with nu = 1e10).
// Counts use Loader's method (binomial_log_pmf, poisson_log_pmf) for the
// same reason.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>

#include <math.h>  // lgamma_r

namespace borel::dist {

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kLogPi = 1.14472988584940017414342735135;        // log(pi)
inline constexpr double kHalfLog2Pi = 0.918938533204672741780329736406;  // log(2 pi) / 2
inline constexpr double kPi = 3.14159265358979323846264338328;

// log |Gamma(x)|.
inline double log_gamma(double x) {
  int sign;
  return ::lgamma_r(x, &sign);
}

// lgamma(x) minus its Stirling approximation (x - 1/2) log x - x + log(2 pi)/2,
// for x >= 10: the asymptotic series, truncated where the next term is
// below 1e-16 relative.
inline double log_gamma_stirling_diff(double x) {
  const double inv = 1.0 / x;
  const double inv2 = inv * inv;
  return inv * (1.0 / 12 +
                inv2 * (-1.0 / 360 +
                        inv2 * (1.0 / 1260 + inv2 * (-1.0 / 1680 + inv2 * (1.0 / 1188 + inv2 * (-691.0 / 360360))))));
}

// log B(a, b) for a, b > 0.
inline double log_beta(double a, double b) {
  const double x = std::fmin(a, b);
  const double y = std::fmax(a, b);
  if (y < 10) return log_gamma(x) + log_gamma(y) - log_gamma(x + y);
  const double x_over_xy = x / (x + y);
  if (x < 10) {
    // y large: lgamma(y) - lgamma(x + y) by Stirling differences.
    const double stirling_diff = log_gamma_stirling_diff(y) - log_gamma_stirling_diff(x + y);
    const double stirling = (y - 0.5) * std::log1p(-x_over_xy) + x * (1 - std::log(x + y));
    return stirling + log_gamma(x) + stirling_diff;
  }
  const double stirling_diff =
      log_gamma_stirling_diff(x) + log_gamma_stirling_diff(y) - log_gamma_stirling_diff(x + y);
  const double stirling =
      (x - 0.5) * std::log(x_over_xy) + y * std::log1p(-x_over_xy) + kHalfLog2Pi - 0.5 * std::log(y);
  return stirling + stirling_diff;
}

// psi(x) = d/dx log Gamma(x) for x > 0 (the log-density gradients of gamma,
// beta, student_t, dirichlet, ...). The recurrence psi(x) = psi(x + 1) - 1/x
// carries x to >= 10, where the asymptotic series log x - 1/(2x) -
// sum_k B_2k / (2k x^2k), cut after the x^-14 term (the next is < 1e-17
// there), is exact to rounding. Absolute error ~1e-15 throughout; nan for
// x <= 0 (the recurrence would not end at -1e300).
inline double digamma(double x) {
  if (!(x > 0)) return kNaN;
  double shift = 0;
  while (x < 10) {
    shift -= 1 / x;
    x += 1;
  }
  const double inv = 1 / x;
  const double inv2 = inv * inv;
  const double tail = 1.0 / 240 - inv2 * (1.0 / 132 - inv2 * (691.0 / 32760 - inv2 / 12));
  const double series = inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * tail)));
  return shift + std::log(x) - 0.5 * inv - series;
}

// psi(x + k) - psi(x) for x > 0 and an integer k >= 0 (neg_binomial's
// gradient in r): the sum 1/x + ... + 1/(x + k - 1) while it is short, which
// stays accurate where the two digammas nearly cancel (x >> k).
inline double digamma_diff(double x, int64_t k) {
  if (k > 64) return digamma(x + static_cast<double>(k)) - digamma(x);
  double s = 0;
  for (int64_t i = 0; i < k; ++i) s += 1 / (x + static_cast<double>(i));
  return s;
}

// log n! for n >= 0.
inline double log_factorial(double n) { return log_gamma(n + 1); }

// Loader (2000), "Fast and accurate computation of binomial probabilities"
// (the method of R's dbinom and dpois): densities of counts as Stirling
// corrections plus deviance terms, each small, so that log P(k) keeps ~15
// significant digits even when n or k is 1e9 (the plain
// lgamma(n + 1) - lgamma(k + 1) - ... loses 8 of them to cancellation).

// stirlerr(n) = log n! - log(sqrt(2 pi n) (n / e)^n), for n > 0.
inline double stirling_error(double n) {
  if (n > 15) {
    const double nn = n * n;
    return (1.0 / 12 - (1.0 / 360 - (1.0 / 1260 - (1.0 / 1680 - 1.0 / 1188 / nn) / nn) / nn) / nn) / n;
  }
  return log_gamma(n + 1) - (n + 0.5) * std::log(n) + n - kHalfLog2Pi;
}

// bd0(x, m) = x log(x / m) + m - x, the deviance term, accurate when x ~ m.
inline double deviance_term(double x, double m) {
  if (std::fabs(x - m) < 0.1 * (x + m)) {
    double v = (x - m) / (x + m);
    double s = (x - m) * v;
    double ej = 2 * x * v;
    v *= v;
    for (int j = 1; j < 1000; ++j) {
      ej *= v;
      const double s1 = s + ej / (2 * j + 1);
      if (s1 == s) return s1;
      s = s1;
    }
    return s;
  }
  return x * std::log(x / m) + m - x;
}

// log of the binomial probability of x successes in n trials, p + q = 1,
// 0 <= x <= n (x and n need not be integers: neg_binomial uses it too).
inline double binomial_log_pmf(double x, double n, double p, double q) {
  if (p == 0) return x == 0 ? 0.0 : -kInf;
  if (q == 0) return x == n ? 0.0 : -kInf;
  if (x == 0) {
    if (n == 0) return 0.0;
    return p < 0.1 ? -deviance_term(n, n * q) - n * p : n * std::log(q);
  }
  if (x == n) return q < 0.1 ? -deviance_term(n, n * p) - n * q : n * std::log(p);
  const double lc = stirling_error(n) - stirling_error(x) - stirling_error(n - x) - deviance_term(x, n * p) -
                    deviance_term(n - x, n * q);
  const double lf = 2 * kHalfLog2Pi + std::log(x) + std::log1p(-x / n);  // log(2 pi x (n - x) / n)
  return lc - 0.5 * lf;
}

// log of the Poisson probability of x >= 0 events at rate lambda > 0.
inline double poisson_log_pmf(double x, double lambda) {
  if (x == 0) return -lambda;
  return -stirling_error(x) - deviance_term(x, lambda) - 0.5 * (2 * kHalfLog2Pi + std::log(x));
}

// x log(1 - y) with 0 log 0 = 0.
inline double xlog1my(double x, double y) { return x == 0 ? 0.0 : x * std::log1p(-y); }

// log(exp(a) + exp(b)) without overflow; -inf when both are -inf.
inline double log_add_exp(double a, double b) {
  if (a == -kInf) return b;
  if (b == -kInf) return a;
  return a > b ? a + std::log1p(std::exp(b - a)) : b + std::log1p(std::exp(a - b));
}

// Samplers compute in floating point and can round a draw onto the edge of a
// support that excludes it (a gamma variate with shape 0.01 underflows to 0 a
// few times in a thousand). These move such a draw to the nearest value
// inside; the change is below the resolution of a double.
inline double clamp_positive(double x) {  // into (0, DBL_MAX]
  return x < DBL_TRUE_MIN ? DBL_TRUE_MIN : (x > DBL_MAX ? DBL_MAX : x);
}
inline double clamp_finite(double x) {  // into [-DBL_MAX, DBL_MAX]
  return x > DBL_MAX ? DBL_MAX : (x < -DBL_MAX ? -DBL_MAX : x);
}
inline double clamp_unit(double x) {  // into (0, 1)
  return x < DBL_TRUE_MIN ? DBL_TRUE_MIN : (x >= 1.0 ? 1.0 - 0x1.0p-53 : x);
}
// Moments: nan where the moment is undefined or infinite (or overflows).
inline double finite_or_nan(double x) { return std::isfinite(x) ? x : kNaN; }

// A count computed as a double, into [0, INT64_MAX].
inline int64_t clamp_count(double k) {
  return k >= 0x1.0p63 ? INT64_MAX : (k > 0 ? static_cast<int64_t>(k) : 0);
}

}  // namespace borel::dist
