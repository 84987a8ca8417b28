// McmcStats.cpp — R-hat, ESS and MCSE (see McmcStats.h).
#include "inference/McmcStats.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <numeric>

namespace borel::inference {

namespace {

using Chains = std::vector<std::vector<double>>;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void fft(std::vector<std::complex<double>>& a, bool inverse) {
  const size_t n = a.size();
  for (size_t i = 1, j = 0; i < n; ++i) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    const double ang = 2 * M_PI / static_cast<double>(len) * (inverse ? -1 : 1);
    const std::complex<double> wl(std::cos(ang), std::sin(ang));
    for (size_t i = 0; i < n; i += len) {
      std::complex<double> w(1);
      for (size_t j = 0; j < len / 2; ++j) {
        const auto u = a[i + j], v = a[i + j + len / 2] * w;
        a[i + j] = u + v;
        a[i + j + len / 2] = u - v;
        w *= wl;
      }
    }
  }
}

// Autocovariances (biased, divided by n) of one chain at lags 0..n-1.
std::vector<double> autocov(const std::vector<double>& x) {
  const size_t n = x.size();
  const double m = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(n);
  size_t sz = 1;
  while (sz < 2 * n) sz <<= 1;
  std::vector<std::complex<double>> a(sz);
  for (size_t i = 0; i < n; ++i) a[i] = x[i] - m;
  fft(a, false);
  for (auto& v : a) v = std::norm(v);
  fft(a, true);
  std::vector<double> r(n);
  for (size_t i = 0; i < n; ++i) r[i] = a[i].real() / static_cast<double>(sz) / static_cast<double>(n);
  return r;
}

double mean(const std::vector<double>& x) { return std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size()); }
double var(const std::vector<double>& x) {
  const double m = mean(x);
  double s = 0;
  for (double v : x) s += (v - m) * (v - m);
  return s / static_cast<double>(x.size() - 1);
}

Chains split(const Chains& c) {
  Chains s;
  for (const auto& x : c) {
    const size_t h = x.size() / 2;
    s.emplace_back(x.begin(), x.begin() + static_cast<long>(h));
    s.emplace_back(x.end() - static_cast<long>(h), x.end());
  }
  return s;
}

Chains rank_normalise(const Chains& c) {
  std::vector<std::pair<double, size_t>> all;
  for (size_t i = 0; i < c.size(); ++i)
    for (size_t j = 0; j < c[i].size(); ++j) all.push_back({c[i][j], i * c[0].size() + j});
  std::sort(all.begin(), all.end());
  const double S = static_cast<double>(all.size());
  Chains z = c;
  for (size_t a = 0; a < all.size();) {
    size_t b = a;
    while (b < all.size() && all[b].first == all[a].first) ++b;
    const double r = 0.5 * static_cast<double>(a + 1 + b);  // average rank (1-based)
    for (size_t k = a; k < b; ++k) {
      const size_t id = all[k].second;
      z[id / c[0].size()][id % c[0].size()] = inv_normal_cdf((r - 0.375) / (S + 0.25));
    }
    a = b;
  }
  return z;
}

bool constant(const Chains& c) {
  for (const auto& x : c)
    for (double v : x)
      if (v != c[0][0]) return false;
  return true;
}

double quantile(Chains c, double p) {
  std::vector<double> all;
  for (auto& x : c) all.insert(all.end(), x.begin(), x.end());
  std::sort(all.begin(), all.end());
  const double h = (static_cast<double>(all.size()) - 1) * p;
  const auto lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, all.size() - 1);
  return all[lo] + (h - static_cast<double>(lo)) * (all[hi] - all[lo]);
}

Chains indicator(const Chains& c, double q) {
  Chains r = c;
  for (auto& x : r)
    for (double& v : x) v = v <= q ? 1.0 : 0.0;
  return r;
}

}  // namespace

double inv_normal_cdf(double p) {
  // Acklam's rational approximation, refined by one Halley step (|error| < 1e-12).
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  if (!(p > 0 && p < 1)) return p == 0 ? -INFINITY : p == 1 ? INFINITY : kNaN;
  double x;
  if (p < 0.02425) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p > 1 - 0.02425) {
    const double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double rhat_raw(const Chains& c) {
  if (c.empty() || c[0].size() < 2) return kNaN;
  if (constant(c)) return kNaN;
  const double n = static_cast<double>(c[0].size());
  std::vector<double> means;
  double W = 0;
  for (const auto& x : c) {
    means.push_back(mean(x));
    W += var(x);
  }
  W /= static_cast<double>(c.size());
  const double B = c.size() > 1 ? n * var(means) : 0.0;
  return std::sqrt(((n - 1) / n * W + B / n) / W);
}

double ess_raw(const Chains& c) {
  if (c.empty() || c[0].size() < 4) return kNaN;
  if (constant(c)) return kNaN;
  const size_t M = c.size(), n = c[0].size();
  std::vector<double> acov_mean(n, 0.0), means;
  double W = 0;
  for (const auto& x : c) {
    const auto ac = autocov(x);
    for (size_t t = 0; t < n; ++t) acov_mean[t] += ac[t] / static_cast<double>(M);
    means.push_back(mean(x));
    W += ac[0] * static_cast<double>(n) / static_cast<double>(n - 1) / static_cast<double>(M);
  }
  const double dn = static_cast<double>(n);
  double var_plus = W * (dn - 1) / dn;
  if (M > 1) var_plus += var(means);
  std::vector<double> rho(n, 0.0);
  rho[0] = 1;
  // Geyer: sums of adjacent pairs while positive, made monotone.
  size_t t = 0;
  double prev_pair = INFINITY, tau_sum = 0;
  while (t + 1 < n) {
    const double r0 = 1 - (W - acov_mean[t]) / var_plus;
    const double r1 = 1 - (W - acov_mean[t + 1]) / var_plus;
    double pair = r0 + r1;
    if (pair < 0) break;
    if (pair > prev_pair) pair = prev_pair;
    prev_pair = pair;
    tau_sum += pair;
    t += 2;
  }
  const double tau = std::max(-1 + 2 * tau_sum, 1.0 / std::log10(static_cast<double>(M * n)));
  return static_cast<double>(M * n) / tau;
}

McmcStats mcmc_stats(const Chains& chains) {
  McmcStats s{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  if (chains.empty() || chains[0].size() < 4) return s;
  std::vector<double> all;
  for (const auto& x : chains) all.insert(all.end(), x.begin(), x.end());
  s.sd = std::sqrt(var(all));
  const Chains sp = split(chains);
  if (constant(sp)) return s;
  const Chains z = rank_normalise(sp);
  const double med = quantile(sp, 0.5);
  Chains folded = sp;
  for (auto& x : folded)
    for (double& v : x) v = std::abs(v - med);
  const double rb = rhat_raw(z), rt = rhat_raw(rank_normalise(folded));
  s.rhat = std::isnan(rt) ? rb : std::max(rb, rt);
  s.ess_bulk = ess_raw(z);
  const double e05 = ess_raw(indicator(sp, quantile(sp, 0.05)));
  const double e95 = ess_raw(indicator(sp, quantile(sp, 0.95)));
  s.ess_tail = std::min(std::isnan(e05) ? INFINITY : e05, std::isnan(e95) ? INFINITY : e95);
  if (std::isinf(s.ess_tail)) s.ess_tail = kNaN;
  s.ess_mean = ess_raw(sp);
  s.mcse_mean = s.sd / std::sqrt(s.ess_mean);
  return s;
}

}  // namespace borel::inference
