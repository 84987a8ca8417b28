// MvNormal.cpp — mv_normal(mean, cov): the multivariate normal on R^n with
// mean vector `mean` (length n >= 1) and symmetric positive definite
// covariance `cov` (n rows of n reals).
//
// The Cholesky factor L (cov = L L^T, Eigen's LLT) is computed once per
// covariance array and cached per thread: arrays are immutable, so the
// array's address identifies its contents. The cache lives in uncollectable
// GC memory that the collector scans, so each cached covariance stays alive
// (its address cannot be reused by another array) while its entry does.
#include "stdlib/distributions/Family.h"

#include "runtime/ThreadBlock.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <fmt/format.h>

#include <vector>

namespace borel::dist {

namespace {

constexpr const char* kName = "mv_normal";

// The factor of one covariance: L row-major (the lower triangle is used), and
// sum log L_ii = log det(cov) / 2. Atomic GC memory (no pointers).
struct Factor {
  int64_t n;
  double half_log_det;
  double l[1];  // n * n
  double at(int64_t i, int64_t j) const { return l[i * n + j]; }
};

// Symmetry is checked to a relative tolerance: a covariance computed as
// A A^T in floating point is symmetric only up to rounding.
constexpr double kSymmetryTolerance = 1e-8;

// Per-thread cache of the last kCacheSize factors, replaced round-robin.
constexpr int kCacheSize = 8;
struct Cache {
  Word cov[kCacheSize];     // the covariance arrays (kept alive by this table)
  Word factor[kCacheSize];  // their Factor
  int next;
};

Cache& thread_cache() { return rt::thread_block<Cache>(); }

// Factors `cov` (already checked to be n x n, finite and symmetric); nullptr
// when it is not positive definite.
const Factor* compute_factor(const Array* cov, int64_t n) {
  Eigen::MatrixXd m(n, n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) m(i, j) = rt::array_real(row(cov, i), j);
  const Eigen::LLT<Eigen::MatrixXd> llt(m);
  if (llt.info() != Eigen::Success) return nullptr;
  const Eigen::MatrixXd l = llt.matrixL();
  auto* f = static_cast<Factor*>(rt::gc_alloc_atomic(sizeof(Factor) + sizeof(double) * static_cast<size_t>(n * n)));
  f->n = n;
  f->half_log_det = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double lii = l(i, i);
    if (!(lii > 0 && std::isfinite(lii))) return nullptr;
    f->half_log_det += std::log(lii);
    for (int64_t j = 0; j < n; ++j) f->l[i * n + j] = j <= i ? l(i, j) : 0.0;
  }
  return f;
}

const Factor* factor_of(const Array* cov, int64_t n) {
  Cache& cache = thread_cache();
  const Word key = rt::from_ptr(cov);
  for (int i = 0; i < kCacheSize; ++i)
    if (cache.cov[i] == key) return rt::to_ptr<const Factor>(cache.factor[i]);
  const Factor* f = compute_factor(cov, n);
  if (f == nullptr) return nullptr;
  cache.cov[cache.next] = key;
  cache.factor[cache.next] = rt::from_ptr(f);
  cache.next = (cache.next + 1) % kCacheSize;
  return f;
}

bool check(const Dist& d, std::string& why) {
  const Array* mean = array_param(d, 0);
  const Array* cov = array_param(d, 1);
  const int64_t n = length(mean);
  if (n < 1) return fail(why, kName, "the length of mean", "0", "at least 1");
  if (!check_real_elements(why, kName, "mean", mean, false, false)) return false;
  const std::string size = fmt::format("{} (the length of mean)", n);
  if (length(cov) != n) return fail(why, kName, "the number of rows of cov", fmt::format("{}", length(cov)), size);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t len = length(row(cov, i));
    if (len != n) return fail(why, kName, fmt::format("the length of cov[{}]", i), fmt::format("{}", len), size);
    for (int64_t j = 0; j < n; ++j)
      if (!check_finite(why, kName, element_name("cov", i, j), rt::array_real(row(cov, i), j))) return false;
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < i; ++j) {
      const double cij = rt::array_real(row(cov, i), j), cji = rt::array_real(row(cov, j), i);
      const double scale = std::sqrt(std::fabs(rt::array_real(row(cov, i), i) * rt::array_real(row(cov, j), j)));
      if (std::fabs(cij - cji) > kSymmetryTolerance * scale)
        return fail(why, kName, element_name("cov", i, j), cij,
                    fmt::format("equal to cov[{}][{}] ({})", j, i, format_number(cji)));
    }
  if (factor_of(cov, n) == nullptr)
    return fail(why, kName, "cov", "not positive definite (its Cholesky factorisation fails)",
                "symmetric positive definite");
  return true;
}

// mean + L z with z ~ N(0, I).
Word sample(const Dist& d, Rng& rng) {
  const Array* mean = array_param(d, 0);
  const Factor& f = *factor_of(array_param(d, 1), mean->len);
  const int64_t n = f.n;
  std::vector<double> z(static_cast<size_t>(n));
  for (double& zi : z) zi = rng.normal();
  Array* x = rt::array_new_atomic(n);
  for (int64_t i = 0; i < n; ++i) {
    double xi = rt::array_real(mean, i);
    for (int64_t j = 0; j <= i; ++j) xi += f.at(i, j) * z[static_cast<size_t>(j)];
    x->data[i] = real_value(clamp_finite(xi));
  }
  return rt::from_ptr(x);
}

bool in_support(const Dist& d, Word w) {
  const auto* x = rt::to_ptr<const Array>(w);
  if (x == nullptr || x->len != array_param(d, 0)->len) return false;
  for (int64_t i = 0; i < x->len; ++i)
    if (!std::isfinite(rt::array_real(x, i))) return false;
  return true;
}

// -n/2 log(2 pi) - log det(L) - |z|^2 / 2 with z = L^-1 (x - mean), by
// forward substitution; z is left in `z` (n entries) for the gradient.
double whitened_log_density(const Array* x, const Array* mean, const Factor& f, double* z) {
  const int64_t n = f.n;
  double quad = 0;
  for (int64_t i = 0; i < n; ++i) {
    double r = rt::array_real(x, i) - rt::array_real(mean, i);
    for (int64_t j = 0; j < i; ++j) r -= f.at(i, j) * z[j];
    const double zi = r / f.at(i, i);
    z[i] = zi;
    quad += zi * zi;
  }
  return -0.5 * quad - f.half_log_det - static_cast<double>(n) * kHalfLog2Pi;
}

double log_density(const Dist& d, Word w) {
  if (!in_support(d, w)) return -kInf;
  const Array* mean = array_param(d, 0);
  const Factor& f = *factor_of(array_param(d, 1), mean->len);
  std::vector<double> z(static_cast<size_t>(f.n));
  return whitened_log_density(rt::to_ptr<const Array>(w), mean, f, z.data());
}

// With a = cov^-1 (x - mean) = L^-T z and S = cov^-1 = L^-T L^-1:
// d/dx = -a, d/dmean = a, and d/dcov = (a a^T - S) / 2 for the symmetric
// matrix. The density reads only the lower triangle of cov (the Cholesky
// factorisation does), so the partial with respect to each element the
// user passes is that of the lower triangle: (a a^T - S)_ij / 2 on the
// diagonal, (a a^T - S)_ij below it (the entry stands for both ij and ji),
// 0 above it. For a symmetric cov built from shared variables the chain rule
// then sums to the symmetric gradient.
double log_density_grad(const Dist& d, Word w, double*, double* dx, double* const* da) {
  if (!in_support(d, w)) return -kInf;
  const Array* mean = array_param(d, 0);
  const Factor& f = *factor_of(array_param(d, 1), mean->len);
  const int64_t n = f.n;
  std::vector<double> a_store(static_cast<size_t>(n));
  double* a = a_store.data();
  const double lp = whitened_log_density(rt::to_ptr<const Array>(w), mean, f, a);
  for (int64_t i = n - 1; i >= 0; --i) {  // a = L^-T z, by back substitution in place
    double r = a[i];
    for (int64_t j = i + 1; j < n; ++j) r -= f.at(j, i) * a[j];
    a[i] = r / f.at(i, i);
  }
  for (int64_t i = 0; i < n; ++i) {
    if (dx) dx[i] = -a[i];
    if (da && da[0]) da[0][i] = a[i];
  }
  if (!da || !da[1]) return lp;
  // inv = L^-1 (lower triangular), column by column by forward substitution.
  std::vector<double> inv_store(static_cast<size_t>(n * n), 0.0);
  double* inv = inv_store.data();
  for (int64_t c = 0; c < n; ++c)
    for (int64_t i = c; i < n; ++i) {
      double r = i == c ? 1.0 : 0.0;
      for (int64_t j = c; j < i; ++j) r -= f.at(i, j) * inv[j * n + c];
      inv[i * n + c] = r / f.at(i, i);
    }
  double* g = da[1];
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      if (j > i) {
        g[i * n + j] = 0;
        continue;
      }
      double s = 0;  // S_ij = sum_k inv_ki inv_kj over k >= i (>= j)
      for (int64_t k = i; k < n; ++k) s += inv[k * n + i] * inv[k * n + j];
      const double sym = a[i] * a[j] - s;
      g[i * n + j] = i == j ? 0.5 * sym : sym;
    }
  return lp;
}

double mean(const Dist&) { return kNaN; }

double variance(const Dist&) { return kNaN; }

}  // namespace

extern const DistOps mv_normal_ops = {
    kName, 2, {"mean", "cov"}, {Kind::RealArray, Kind::RealMatrix}, Kind::RealArray, "R^n",
    check, sample, log_density, in_support, mean, variance,
    Support::RealVector, log_density_grad,
};

}  // namespace borel::dist
