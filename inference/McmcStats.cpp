// McmcStats.cpp — R-hat, ESS and MCSE (see McmcStats.h for the definitions;
// the names below follow Vehtari et al. 2021 and `posterior`'s code).
#include "inference/McmcStats.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <complex>
#include <limits>
#include <numeric>

namespace borel::inference {

namespace {

using Chains = std::vector<std::vector<double>>;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// In-place radix-2 FFT (size a power of two), in real arithmetic: std::complex
// products check for NaN/inf operands through a library call, and this runs
// on chains of 10^5 draws and more.
void fft(std::vector<std::complex<double>>& a, bool inverse) {
  const size_t n = a.size();
  for (size_t i = 1, j = 0; i < n; ++i) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  std::vector<double> wr(n / 2), wi(n / 2);  // twiddles e^{±2πik/n}
  for (size_t k = 0; k < n / 2; ++k) {
    const double ang = 2 * M_PI * static_cast<double>(k) / static_cast<double>(n) * (inverse ? -1 : 1);
    wr[k] = std::cos(ang);
    wi[k] = std::sin(ang);
  }
  auto* d = reinterpret_cast<double*>(a.data());  // [re, im] pairs, as std::complex guarantees
  for (size_t len = 2; len <= n; len <<= 1) {
    const size_t half = len / 2, stride = n / len;
    for (size_t i = 0; i < n; i += len)
      for (size_t j = 0; j < half; ++j) {
        const double cr = wr[j * stride], ci = wi[j * stride];
        double* u = d + 2 * (i + j);
        double* v = d + 2 * (i + j + half);
        const double vr = v[0] * cr - v[1] * ci, vi = v[0] * ci + v[1] * cr;
        v[0] = u[0] - vr;
        v[1] = u[1] - vi;
        u[0] += vr;
        u[1] += vi;
      }
  }
}

bool all_equal(const std::vector<double>& x) {
  return std::all_of(x.begin(), x.end(), [&](double v) { return v == x[0]; });
}

// The mean, refined by a second pass so that it is exact for a constant
// chain (whose variance must then be exactly 0, or R-hat becomes 1/ε², the
// 4e14 that an earlier version printed for chains that never moved).
double mean(const std::vector<double>& x) {
  if (all_equal(x)) return x[0];
  const double n = static_cast<double>(x.size());
  const double m = std::accumulate(x.begin(), x.end(), 0.0) / n;
  double r = 0;
  for (double v : x) r += v - m;
  return m + r / n;
}

double var(const std::vector<double>& x) {  // n − 1 denominator
  if (all_equal(x)) return 0.0;
  const double m = mean(x);
  double s = 0;
  for (double v : x) s += (v - m) * (v - m);
  return s / static_cast<double>(x.size() - 1);
}

// Biased (divided by n) autocovariances of one chain at lags 0..n-1, by FFT
// with zero padding to a power of two ≥ 2n (no circular wrap-around); lag 0
// is the directly computed Σ(x − x̄)²/n and the others are scaled to it, as
// `posterior` scales its FFT result by var(x)(n − 1)/n. A constant chain has
// autocovariance 0 at every lag.
std::vector<double> autocov(const std::vector<double>& x) {
  const size_t n = x.size();
  std::vector<double> r(n, 0.0);
  if (all_equal(x)) return r;
  const double m = mean(x);
  size_t sz = 1;
  while (sz < 2 * n) sz <<= 1;
  std::vector<std::complex<double>> a(sz);
  double ss = 0;
  for (size_t i = 0; i < n; ++i) {
    a[i] = x[i] - m;
    ss += (x[i] - m) * (x[i] - m);
  }
  fft(a, false);
  for (auto& v : a) v = std::norm(v);
  fft(a, true);
  const double scale = ss / static_cast<double>(n) / a[0].real();
  for (size_t i = 0; i < n; ++i) r[i] = a[i].real() * scale;
  return r;
}

// `posterior`'s should_return_NA: a non-finite value, or all values within
// DBL_EPSILON of each other.
bool undefined(const Chains& c) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& x : c)
    for (double v : x) {
      if (!std::isfinite(v)) return true;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  return !(hi - lo >= DBL_EPSILON);
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

std::vector<double> all_draws(const Chains& c) {
  std::vector<double> all;
  for (const auto& x : c) all.insert(all.end(), x.begin(), x.end());
  return all;
}

// R's quantile(x, p) of type 7: (1 − h) x_(lo) + h x_(lo+1) at position
// 1 + (S − 1) p (1-based).
double quantile(std::vector<double> all, double p) {
  std::sort(all.begin(), all.end());
  const double idx = static_cast<double>(all.size() - 1) * p;
  const auto lo = static_cast<size_t>(std::floor(idx));
  const size_t hi = std::min(lo + 1, all.size() - 1);
  const double h = idx - static_cast<double>(lo);
  return h > 0 && all[hi] != all[lo] ? (1 - h) * all[lo] + h * all[hi] : all[lo];
}

Chains map(Chains c, auto f) {
  for (auto& x : c)
    for (double& v : x) v = f(v);
  return c;
}

}  // namespace

double inv_normal_cdf(double p) {
  // Acklam's rational approximation (relative error < 1.2e-9) on the lower
  // half, refined by one Halley step against erfc (cubic convergence: to
  // about the accuracy of erfc, 1e-15 relative); the upper half by symmetry,
  // since 1 − p is exact for p ≥ 1/2.
  if (!(p > 0 && p < 1)) return p == 0 ? -INFINITY : p == 1 ? INFINITY : kNaN;
  if (p > 0.5) return -inv_normal_cdf(1 - p);
  if (p == 0.5) return 0.0;
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  double x;
  if (p < 0.02425) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
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

Chains rank_normalise(const Chains& c) {
  const size_t len = c.empty() ? 0 : c[0].size();
  std::vector<std::pair<double, size_t>> all;
  for (size_t i = 0; i < c.size(); ++i)
    for (size_t j = 0; j < len; ++j) all.push_back({c[i][j], i * len + j});
  std::sort(all.begin(), all.end());
  const double S = static_cast<double>(all.size());
  Chains z = c;
  for (size_t a = 0; a < all.size();) {
    size_t b = a;
    while (b < all.size() && all[b].first == all[a].first) ++b;
    const double r = 0.5 * static_cast<double>(a + 1 + b);  // average of the ranks a+1..b (1-based)
    const double zr = inv_normal_cdf((r - 0.375) / (S + 0.25));
    for (size_t k = a; k < b; ++k) z[all[k].second / len][all[k].second % len] = zr;
    a = b;
  }
  return z;
}

double rhat_raw(const Chains& c) {
  if (c.empty() || c[0].size() < 2 || undefined(c)) return kNaN;
  const double n = static_cast<double>(c[0].size());
  std::vector<double> means;
  double W = 0;
  for (const auto& x : c) {
    means.push_back(mean(x));
    W += var(x);
  }
  W /= static_cast<double>(c.size());
  const double B = c.size() > 1 ? n * var(means) : 0.0;
  // W = 0 < B (every chain constant, not all equal): +inf, as R's B/0.
  return std::sqrt((B / W + n - 1) / n);
}

double ess_raw(const Chains& c) {
  if (c.empty() || c[0].size() < 3 || undefined(c)) return kNaN;
  const size_t M = c.size(), n = c[0].size();
  const double dn = static_cast<double>(n);
  std::vector<double> acov(n, 0.0), means;  // acov: mean over chains
  for (const auto& x : c) {
    const auto ac = autocov(x);
    for (size_t t = 0; t < n; ++t) acov[t] += ac[t];
    means.push_back(mean(x));
  }
  for (double& v : acov) v /= static_cast<double>(M);
  const double W = acov[0] * dn / (dn - 1);  // mean within-chain variance
  double var_plus = W * (dn - 1) / dn;
  if (M > 1) var_plus += var(means);
  auto rho_at = [&](size_t t) { return 1 - (W - acov[t]) / var_plus; };

  // Geyer's initial positive sequence: pairs (ρ̂_t, ρ̂_{t+1}), t even, kept
  // while their sum is positive; the loop stops before lag n − 2.
  std::vector<double> rho(n, 0.0);
  double even = 1, odd = rho_at(1);
  rho[0] = even;
  rho[1] = odd;
  size_t t = 0;
  while (t + 5 < n && !std::isnan(even + odd) && even + odd > 0) {
    t += 2;
    even = rho_at(t);
    odd = rho_at(t + 1);
    if (even + odd >= 0) {
      rho[t] = even;
      rho[t + 1] = odd;
    }
  }
  const size_t T = t;
  if (even > 0) rho[T] = even;  // the last term of τ̂ (reduces variance for antithetic chains)
  // Geyer's initial monotone sequence: no pair above the one before it.
  for (size_t k = 2; k + 2 <= T; k += 2)
    if (rho[k] + rho[k + 1] > rho[k - 2] + rho[k - 1]) rho[k] = rho[k + 1] = (rho[k - 2] + rho[k - 1]) / 2;
  double sum = 0;
  for (size_t k = 0; k < std::max<size_t>(T, 1); ++k) sum += rho[k];
  const double total = static_cast<double>(M) * dn;
  const double tau = std::max(-1 + 2 * sum + rho[T], 1 / std::log10(total));
  return total / tau;
}

McmcStats mcmc_stats(const Chains& chains) {
  McmcStats s{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  if (chains.empty() || chains[0].empty()) return s;
  const std::vector<double> all = all_draws(chains);
  if (all.size() > 1) s.sd = std::sqrt(var(all));
  // NaN draws have no rank (and would break the sorts); constant draws give
  // NaN everywhere in `posterior` too. Infinite draws do have ranks: bulk ESS
  // and R-hat are defined for them, the ESS of the mean is not.
  if (std::any_of(all.begin(), all.end(), [](double v) { return std::isnan(v); })) return s;
  if (undefined(map(chains, [](double v) { return std::isinf(v) ? (v > 0 ? DBL_MAX : -DBL_MAX) : v; }))) return s;
  const Chains sp = split(chains);
  const double med = quantile(all, 0.5);
  const Chains z = rank_normalise(sp);
  const double rb = rhat_raw(z);
  const double rt = rhat_raw(rank_normalise(split(map(chains, [med](double v) { return std::abs(v - med); }))));
  s.rhat = std::isnan(rb) || std::isnan(rt) ? kNaN : std::max(rb, rt);
  s.ess_bulk = ess_raw(z);
  const double q05 = quantile(all, 0.05), q95 = quantile(all, 0.95);
  const double e05 = ess_raw(split(map(chains, [q05](double v) { return v <= q05 ? 1.0 : 0.0; })));
  const double e95 = ess_raw(split(map(chains, [q95](double v) { return v <= q95 ? 1.0 : 0.0; })));
  s.ess_tail = std::isnan(e05) || std::isnan(e95) ? kNaN : std::min(e05, e95);
  s.ess_mean = ess_raw(sp);
  s.mcse_mean = s.sd / std::sqrt(s.ess_mean);
  return s;
}

}  // namespace borel::inference
