// NormalGlm.cpp — normal_glm(x, alpha, beta, sigma): a linear regression's
// likelihood as one distribution over the vector y of n observations,
//   y_i ~ normal(alpha + sum_j x[i][j] beta[j], sigma) independently,
// with x n rows of k reals (the predictors), beta k reals, sigma > 0.
//
// Why a family of its own (Stan's normal_id_glm): written as a loop of n
// observes, gradient-based inference records n density nodes and the
// arithmetic that builds each mean on the tape; as one observe it is one
// node whose partials come from one pass over the data (d/dalpha = sum r_i
// / sigma^2, d/dbeta_j = sum r_i x_ij / sigma^2, d/dsigma = -n/sigma + sum
// r_i^2 / sigma^3, with r_i = y_i - mu_i), about as cheap as the density.
// The mean is rounded as the sampler rounds it, and residuals are scaled
// by sigma before squaring, so a draw's density is finite whenever its mean is.
// Guarantees: the density equals the sum of the n normal log-densities (to
// rounding; tests/unit/distributions), and its partials their sums.
#include "stdlib/distributions/Family.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "stdlib/distributions/Checks.h"
#include "stdlib/distributions/Special.h"
#include "runtime/ThreadBlock.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "normal_glm";

// Parameters: p[0] alpha, p[1] sigma; a[0] x, a[1] beta.
const Array* x_of(const Dist& d) { return array_param(d, 0); }
const Array* beta_of(const Dist& d) { return array_param(d, 1); }

// The predictors are data, passed at every evaluation: the last few arrays
// found valid (with their number of columns) are remembered per thread and
// not checked again. Arrays are immutable, and the table keeps its arrays
// alive (uncollectable GC memory), so an address in it cannot be reused.
constexpr int kValidSlots = 4;
struct ValidPredictors {
  Word x[kValidSlots];
  int64_t k[kValidSlots];
  int next;
};
ValidPredictors& valid_predictors() { return rt::thread_block<ValidPredictors>(); }

bool check(const Dist& d, std::string& why) {
  if (!check_finite(why, kName, "alpha", d.p[0]) || !check_positive(why, kName, "sigma", d.p[1])) return false;
  const Array* beta = beta_of(d);
  const int64_t k = length(beta);
  if (!check_real_elements(why, kName, "beta", beta, false, false)) return false;
  const Array* x = x_of(d);
  ValidPredictors& valid = valid_predictors();
  for (int s = 0; s < kValidSlots; ++s)
    if (valid.x[s] == rt::from_ptr(x) && valid.k[s] == k) return true;
  for (int64_t i = 0; i < length(x); ++i) {
    const int64_t len = length(row(x, i));
    if (len != k)
      return fail(why, kName, fmt::format("the length of x[{}]", i), fmt::format("{}", len),
                  fmt::format("{} (the length of beta)", k));
    // Named only on failure: this runs at every evaluation, over all n k.
    for (int64_t j = 0; j < k; ++j)
      if (const double v = rt::array_real(row(x, i), j); !std::isfinite(v))
        return check_finite(why, kName, element_name("x", i, j), v);
  }
  if (x) {
    valid.x[valid.next] = rt::from_ptr(x);
    valid.k[valid.next] = k;
    valid.next = (valid.next + 1) % kValidSlots;
  }
  return true;
}

double mu(const Dist& d, int64_t i) {
  const Array* xi = row(x_of(d), i);
  const Array* beta = beta_of(d);
  double m = d.p[0];
  for (int64_t j = 0; j < beta->len; ++j) m += rt::array_real(xi, j) * rt::array_real(beta, j);
  return m;
}

Word sample(const Dist& d, Rng& rng) {
  const int64_t n = length(x_of(d));
  Array* y = rt::array_new_atomic(n);
  for (int64_t i = 0; i < n; ++i) y->data[i] = real_value(clamp_finite(normal_sample(rng, mu(d, i), d.p[1])));
  return rt::from_ptr(y);
}

bool in_support(const Dist& d, Word w) {
  const auto* y = rt::to_ptr<const Array>(w);
  if (y == nullptr || y->len != length(x_of(d))) return false;
  for (int64_t i = 0; i < y->len; ++i)
    if (!std::isfinite(rt::array_real(y, i))) return false;
  return true;
}

// The log-density, with the sums its partials need, of the standardised
// residuals z_i = (y_i - mu_i) / sigma (standardised before squaring, as the
// normal's kernel does: sigma^2 underflows long before sigma): sum z, sum
// z^2, and (when wanted) sum z x_j into zx[j], z_i into z[i].
double log_density_sums(const Dist& d, const Array* y, double& sum_z, double& sum_zz, double* zx, double* z) {
  const int64_t n = y->len;
  const Array* x = x_of(d);
  const Array* beta = beta_of(d);
  const int64_t k = beta->len;
  const double alpha = d.p[0], sigma = d.p[1];
  // Multiplying by 1/sigma where it is finite (a division per observation
  // costs more than the rest of the pass).
  const double inv = 1 / sigma;
  const bool by_inv = std::isfinite(inv);
  auto standardise = [&](double r) { return by_inv ? r * inv : r / sigma; };
  double s_z = 0, s_zz = 0;
  if (k == 1) {
    // One predictor (simple regression): the whole pass in registers.
    const double b = rt::array_real(beta, 0);
    double s_zx = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double xi = rt::array_real(row(x, i), 0);
      const double zi = standardise(rt::array_real(y, i) - (alpha + b * xi));  // the mean as sample() rounds it
      s_z += zi;
      s_zz += zi * zi;
      s_zx += zi * xi;
      if (z) z[i] = zi;
    }
    if (zx) zx[0] += s_zx;
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const Array* xi = row(x, i);
      double m = alpha;
      for (int64_t j = 0; j < k; ++j) m += rt::array_real(xi, j) * rt::array_real(beta, j);
      const double zi = standardise(rt::array_real(y, i) - m);
      s_z += zi;
      s_zz += zi * zi;
      if (zx)
        for (int64_t j = 0; j < k; ++j) zx[j] += zi * rt::array_real(xi, j);
      if (z) z[i] = zi;
    }
  }
  sum_z = s_z;
  sum_zz = s_zz;
  const double lp = -0.5 * s_zz - static_cast<double>(n) * (std::log(sigma) + kHalfLog2Pi);
  // NaN only from a mean that overflowed (inf - inf): no finite y has
  // positive density there.
  return std::isnan(lp) ? -kInf : lp;
}

double log_density(const Dist& d, Word w) {
  if (!in_support(d, w)) return -kInf;
  double sr, srr;
  return log_density_sums(d, rt::to_ptr<const Array>(w), sr, srr, nullptr, nullptr);
}

// With z_i = r_i / sigma: d/dalpha = sum z / sigma, d/dbeta_j = sum z x_j /
// sigma, d/dsigma = (sum z^2 - n) / sigma, d/dy_i = -z_i / sigma, d/dx_ij =
// z_i beta_j / sigma.
double log_density_grad(const Dist& d, Word w, double* dp, double* dy, double* const* da) {
  if (!in_support(d, w)) return -kInf;
  const auto* y = rt::to_ptr<const Array>(w);
  const int64_t n = y->len, k = length(beta_of(d));
  const bool want_x = da && da[0];
  // z_i is needed per observation for d/dy and d/dx; beta's partials need
  // sum z_i x_ij, accumulated in da[1] (zeroed first) when wanted.
  double* zx = da && da[1] ? da[1] : nullptr;
  if (zx) std::fill(zx, zx + k, 0.0);
  std::vector<double> z_store;
  double* z = nullptr;
  if (dy || want_x) {
    z_store.resize(static_cast<size_t>(n));
    z = z_store.data();
  }
  double sum_z, sum_zz;
  const double lp = log_density_sums(d, y, sum_z, sum_zz, zx, z);
  if (!(lp > -kInf)) return lp;
  const double sigma = d.p[1];
  dp[0] = sum_z / sigma;
  dp[1] = (sum_zz - static_cast<double>(n)) / sigma;
  if (zx)
    for (int64_t j = 0; j < k; ++j) zx[j] /= sigma;
  if (dy)
    for (int64_t i = 0; i < n; ++i) dy[i] = -z[i] / sigma;
  if (want_x) {
    const Array* beta = beta_of(d);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < k; ++j) da[0][i * k + j] = z[i] / sigma * rt::array_real(beta, j);
  }
  return lp;
}

double mean(const Dist&) { return kNaN; }

double variance(const Dist&) { return kNaN; }

}  // namespace

extern const DistOps normal_glm_ops = {
    kName, 4, {"x", "alpha", "beta", "sigma"}, {Kind::RealMatrix, Kind::Real, Kind::RealArray, Kind::Real},
    Kind::RealArray, "R^n (n = the rows of x)",
    check, sample, log_density, in_support, mean, variance,
    Support::RealVector, log_density_grad,
};

}  // namespace borel::dist
