// Stats.h — goodness-of-fit tests for the statistical unit tests (RNG and
// distributions), with critical values derived from a stated false-alarm
// rate rather than hand-picked tolerances.
//
// All tests use fixed seeds, so a pass or fail is reproducible; the
// false-alarm rate says how likely a correct sampler is to fail with a new
// seed.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>

namespace borel::test {

// The false-alarm rate of the goodness-of-fit tests (KS, chi-square).
inline constexpr double kFitAlpha = 1e-3;
// The false-alarm rate of one moment check (mean or variance within z
// standard errors); lower, because a test makes many of them.
inline constexpr double kMomentAlpha = 1e-6;

// P(K > t) for the Kolmogorov distribution (the limit of sqrt(n) D_n):
// 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 t^2).
inline double kolmogorov_survival(double t) {
  double s = 0;
  for (int k = 1; k <= 100; ++k) {
    const double term = std::exp(-2.0 * k * k * t * t);
    s += (k % 2 ? 2.0 : -2.0) * term;
    if (term < 1e-18) break;
  }
  return s;
}

// The t with P(K > t) = alpha, by bisection (1.9495 for alpha = 1e-3).
inline double kolmogorov_critical(double alpha) {
  double lo = 0.3, hi = 5.0;
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (kolmogorov_survival(mid) > alpha ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// The Kolmogorov–Smirnov statistic D of `xs` against the continuous cdf.
template <class Cdf>
double ks_statistic(std::vector<double> xs, Cdf cdf) {
  std::sort(xs.begin(), xs.end());
  const double n = static_cast<double>(xs.size());
  double d = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double f = cdf(xs[i]);
    d = std::max({d, (static_cast<double>(i) + 1) / n - f, f - static_cast<double>(i) / n});
  }
  return d;
}

struct KsResult {
  double statistic;  // Stephens' (sqrt(n) + 0.12 + 0.11 / sqrt(n)) D, ~ K under H0
  double critical;   // kolmogorov_critical(kFitAlpha)
  bool passed() const { return statistic <= critical; }
};

template <class Cdf>
KsResult ks_test(const std::vector<double>& xs, Cdf cdf, double alpha = kFitAlpha) {
  const double rn = std::sqrt(static_cast<double>(xs.size()));
  return {(rn + 0.12 + 0.11 / rn) * ks_statistic(xs, cdf), kolmogorov_critical(alpha)};
}

// Pearson's chi-square test of observed counts against expected counts (the
// caller merges cells so each expects >= 5): critical value from Boost's
// chi-squared quantile at 1 - alpha with cells - 1 degrees of freedom.
struct ChiSquareResult {
  double statistic;
  double critical;
  int cells;
  bool passed() const { return statistic <= critical; }
};

inline ChiSquareResult chi_square_test(const std::vector<double>& observed, const std::vector<double>& expected,
                                       double alpha = kFitAlpha) {
  double stat = 0;
  for (size_t i = 0; i < observed.size(); ++i) {
    const double diff = observed[i] - expected[i];
    stat += diff * diff / expected[i];
  }
  const int cells = static_cast<int>(observed.size());
  const double critical =
      cells > 1 ? boost::math::quantile(boost::math::chi_squared(cells - 1), 1.0 - alpha) : 0.0;
  return {stat, critical, cells};
}

// The two-sided z for a false-alarm rate alpha shared among m checks
// (Bonferroni): |estimate - truth| <= z * standard error.
inline double z_for(double alpha, int m = 1) {
  return boost::math::quantile(boost::math::normal(), 1.0 - alpha / (2.0 * m));
}

// Sample moments.
struct Moments {
  double mean = 0, variance = 0, m4 = 0;  // m4: fourth central moment
  double n = 0;
  // Standard errors of the sample mean and sample variance.
  double mean_se() const { return std::sqrt(variance / n); }
  double variance_se() const { return std::sqrt(std::max(m4 - variance * variance, 0.0) / n); }
};

inline Moments moments(const std::vector<double>& xs) {
  Moments m;
  m.n = static_cast<double>(xs.size());
  for (double x : xs) m.mean += x;
  m.mean /= m.n;
  for (double x : xs) {
    const double d = (x - m.mean) * (x - m.mean);
    m.variance += d;
    m.m4 += d * d;
  }
  m.variance /= m.n;
  m.m4 /= m.n;
  return m;
}

}  // namespace borel::test
