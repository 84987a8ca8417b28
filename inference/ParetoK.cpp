// ParetoK.cpp — PSIS k̂ (ParetoK.h), following loo's psis / gpdfit.
#include "inference/ParetoK.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace borel::inference {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kMinTail = 5;         // loo: fewer tail draws give no estimate
constexpr int kMinGridPoints = 30;  // Zhang & Stephens' grid, as in loo
constexpr double kPrior = 3.0;
constexpr double kPriorDraws = 10.0;  // weakly informative prior: 10 draws at k = 0.5
constexpr double kPriorShape = 0.5;

// The profile log-likelihood per observation at theta (Zhang & Stephens eq.
// 3.2 in loo's parameterisation): with k(theta) = mean log(1 - theta x),
// log(-theta / k) - k - 1.
double profile_loglik(double theta, std::span<const double> x) {
  double s = 0.0;
  for (double xi : x) s += std::log1p(-theta * xi);
  const double k = s / static_cast<double>(x.size());
  return std::log(-theta / k) - k - 1.0;
}

}  // namespace

double gpd_shape_zhang_stephens(std::span<const double> x) {
  const size_t n = x.size();
  if (n < 2) return kNaN;
  const int m = kMinGridPoints + static_cast<int>(std::floor(std::sqrt(static_cast<double>(n))));
  // The first quartile (loo: x[floor(n/4 + 0.5)], 1-based).
  const size_t q = std::max<size_t>(1, static_cast<size_t>(std::floor(n / 4.0 + 0.5)));
  const double xstar = x[q - 1];
  const double xmax = x[n - 1];
  std::vector<double> theta(m), loglik(m);
  double best = -std::numeric_limits<double>::infinity();
  for (int j = 0; j < m; ++j) {
    // Every theta is below 1 / max(x), so 1 - theta x > 0 for all x.
    theta[j] = 1.0 / xmax + (1.0 - std::sqrt(m / (j + 0.5))) / kPrior / xstar;
    loglik[j] = static_cast<double>(n) * profile_loglik(theta[j], x);
    if (std::isnan(loglik[j])) loglik[j] = -std::numeric_limits<double>::infinity();
    best = std::max(best, loglik[j]);
  }
  if (!std::isfinite(best)) return kNaN;
  // Posterior mean of theta under the grid weights exp(loglik) (normalised).
  double wsum = 0.0, tsum = 0.0;
  for (int j = 0; j < m; ++j) {
    const double w = std::exp(loglik[j] - best);
    wsum += w;
    tsum += w * theta[j];
  }
  const double theta_hat = tsum / wsum;
  double s = 0.0;
  for (double xi : x) s += std::log1p(-theta_hat * xi);
  return s / static_cast<double>(n);
}

double pareto_k(std::span<const double> log_weights) {
  const size_t n = log_weights.size();
  const double nd = static_cast<double>(n);
  const size_t tail = static_cast<size_t>(
      std::min(std::ceil(0.2 * nd), std::ceil(3.0 * std::sqrt(nd))));
  if (tail < static_cast<size_t>(kMinTail) || tail >= n) return kNaN;
  for (double lw : log_weights)
    if (std::isnan(lw) || lw == std::numeric_limits<double>::infinity()) return kNaN;
  // The tail + 1 largest, ascending: the smallest of them is the cutoff.
  std::vector<double> lw(log_weights.begin(), log_weights.end());
  std::nth_element(lw.begin(), lw.begin() + (n - tail - 1), lw.end());
  std::vector<double> top(lw.begin() + (n - tail - 1), lw.end());
  std::sort(top.begin(), top.end());
  const double lmax = top.back();
  if (lmax == -std::numeric_limits<double>::infinity()) return kNaN;
  // Exceedances over the cutoff on the weight scale, shifted by the largest
  // log-weight so that exp() cannot overflow.
  const double cutoff = std::exp(top.front() - lmax);
  std::vector<double> x(tail);
  for (size_t i = 0; i < tail; ++i) x[i] = std::exp(top[i + 1] - lmax) - cutoff;
  if (x.back() - x.front() <= 0.0) return kNaN;
  const double k = gpd_shape_zhang_stephens(x);
  if (std::isnan(k)) return kNaN;
  const double m = static_cast<double>(tail);
  return (k * m + kPriorDraws * kPriorShape) / (m + kPriorDraws);
}

}  // namespace borel::inference
