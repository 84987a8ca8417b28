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
#include "stdlib/distributions/NormalGlmPass.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
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

// The predictors packed once into one contiguous row-major block of n k
// doubles (rows reached through pointers cost a dependent load per
// observation, more than the arithmetic): per thread, the last few x packed,
// keyed by address. As ValidPredictors, the table keeps x and its block
// alive (uncollectable GC memory, scanned), so neither address can be reused
// while the entry lasts, and x's rows, immutable, cannot change under it.
constexpr int kPackedSlots = 4;
struct PackedPredictors {
  Word x[kPackedSlots];
  Word block[kPackedSlots];  // an atomic array of n k reals
  int64_t k[kPackedSlots];
  int next;
};
const double* packed_predictors(const Array* x, int64_t k) {
  PackedPredictors& t = rt::thread_block<PackedPredictors>();
  const Word key = rt::from_ptr(x);
  for (int s = 0; s < kPackedSlots; ++s)
    if (t.x[s] == key && t.k[s] == k) return reinterpret_cast<const double*>(rt::to_ptr<Array>(t.block[s])->data);
  const int64_t n = length(x);
  Array* block = rt::array_new_atomic(n * k);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j) block->data[i * k + j] = row(x, i)->data[j];
  t.x[t.next] = key;
  t.block[t.next] = rt::from_ptr(block);
  t.k[t.next] = k;
  t.next = (t.next + 1) % kPackedSlots;
  return reinterpret_cast<const double*>(block->data);
}

// The pass over the observations: the sums of the standardised residuals
// z_i = (y_i - mu_i) / sigma, with mu_i = alpha + x_i . beta summed in the
// order sample() rounds it, and z_i multiplied by 1/sigma where that is
// finite (a division per observation costs more than the rest of the pass).
// The sums run in interleaved chains (observation i in chain i mod C) added
// at the end: the additions of one chain wait on each other, several
// overlap, and each z_i is the same double as before; only the order of the
// sums' additions differs from one chain's (the last bits of the sums).
struct GlmSums {
  double z = 0, zz = 0;
};

// One predictor (simple regression, the common case): the arithmetic is
// defined as eight chains (observation i < 8 floor(n/8) in chain i mod 8),
// combined as ((c0 + c4) + (c1 + c5)) + ((c2 + c6) + (c3 + c7)), then the
// last n mod 8 observations added one by one. Two implementations compute
// exactly that, so the same bits: the portable one (four pairs of lanes)
// and, on CPUs with AVX2, one of two quadruples (NormalGlmPass.h).
inline double combine8(const double c[8]) {
  return ((c[0] + c[4]) + (c[1] + c[5])) + ((c[2] + c[6]) + (c[3] + c[7]));
}
template <bool ByInv, bool StoreZ, bool WantZX>
inline GlmSums glm_tail(GlmSums s, double& s_zx, const double* x, const double* y, int64_t i, int64_t n, double alpha,
                        double b, double sigma, double inv, double* z) {
  for (; i < n; ++i) {
    const double r = y[i] - (alpha + x[i] * b);
    const double zi = ByInv ? r * inv : r / sigma;
    s.z += zi;
    s.zz += zi * zi;
    if constexpr (WantZX) s_zx += zi * x[i];
    if constexpr (StoreZ) z[i] = zi;
  }
  return s;
}

// The chained pass with V, a vector of doubles (GCC/Clang vector extension:
// SSE2's or AVX2's registers, scalar code where there are none), as the
// accumulators: lane l of accumulator q holds chain q L + l. Always inlined,
// so that each caller's instruction set compiles it.
template <class V, bool ByInv, bool StoreZ, bool WantZX>
__attribute__((always_inline)) inline GlmSums glm_chains(const double* x, const double* y, int64_t n, double alpha,
                                                         double b, double sigma, double inv, double* zx, double* z) {
  constexpr int L = sizeof(V) / sizeof(double), Q = 8 / L;
  const V zero = {}, va = zero + alpha, vb = zero + b, vinv = zero + inv, vsigma = zero + sigma;
  V sz[Q] = {}, szz[Q] = {}, szx[Q] = {};
  int64_t i = 0;
  for (; i + 7 < n; i += 8)
    for (int q = 0; q < Q; ++q) {
      V xi, yi;
      std::memcpy(&xi, x + i + L * q, sizeof xi);
      std::memcpy(&yi, y + i + L * q, sizeof yi);
      const V r = yi - (va + xi * vb);
      const V zi = ByInv ? r * vinv : r / vsigma;
      sz[q] += zi;
      szz[q] += zi * zi;
      if constexpr (WantZX) szx[q] += zi * xi;
      if constexpr (StoreZ) std::memcpy(z + i + L * q, &zi, sizeof zi);
    }
  double c[8], czz[8], czx[8];
  std::memcpy(c, sz, sizeof c);
  std::memcpy(czz, szz, sizeof czz);
  std::memcpy(czx, szx, sizeof czx);
  double s_zx = combine8(czx);
  const GlmSums s = glm_tail<ByInv, StoreZ, WantZX>(GlmSums{combine8(c), combine8(czz)}, s_zx, x, y, i, n, alpha, b,
                                                    sigma, inv, z);
  if constexpr (WantZX) zx[0] += s_zx;
  return s;
}

typedef double V2 __attribute__((vector_size(16)));
template <bool ByInv, bool StoreZ, bool WantZX>
GlmSums glm_pass_1(const double* x, const double* y, int64_t n, double alpha, double b, double sigma, double inv,
                   double* zx, double* z) {
  return glm_chains<V2, ByInv, StoreZ, WantZX>(x, y, n, alpha, b, sigma, inv, zx, z);
}

// The same with four lanes per register, compiled for AVX2 and chosen at
// run time (the binary runs on any x86-64). FMA is not enabled, so nothing
// is fused: each z_i and each addition is the portable pass's.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define BOREL_GLM_AVX2 1
typedef double V4 __attribute__((vector_size(32)));
template <bool ByInv, bool StoreZ, bool WantZX>
__attribute__((target("avx2"))) GlmSums glm_pass_1_avx2(const double* x, const double* y, int64_t n, double alpha,
                                                         double b, double sigma, double inv, double* zx, double* z) {
  return glm_chains<V4, ByInv, StoreZ, WantZX>(x, y, n, alpha, b, sigma, inv, zx, z);
}
#endif

// The one-predictor pass by the instruction set given (supported).
template <bool ByInv, bool StoreZ, bool WantZX>
GlmSums glm_pass_1_on(GlmIsa isa, const double* x, const double* y, int64_t n, double alpha, double b, double sigma,
                      double inv, double* zx, double* z) {
#ifdef BOREL_GLM_AVX2
  if (isa == GlmIsa::Avx2) return glm_pass_1_avx2<ByInv, StoreZ, WantZX>(x, y, n, alpha, b, sigma, inv, zx, z);
#endif
  (void)isa;  // (one implementation only, off x86-64)
  return glm_pass_1<ByInv, StoreZ, WantZX>(x, y, n, alpha, b, sigma, inv, zx, z);
}

// k predictors (row-major): two chains (even and odd observations).
template <bool ByInv, bool StoreZ, bool WantZX>
GlmSums glm_pass_k(const double* x, const double* y, int64_t n, int64_t k, double alpha, const Array* beta,
                   double sigma, double inv, double* zx, double* z) {
  double s_z[2] = {0, 0}, s_zz[2] = {0, 0};
  auto add = [&](int64_t i, int c) {
    const double* xi = x + i * k;
    double m = alpha;
    for (int64_t j = 0; j < k; ++j) m += xi[j] * rt::array_real(beta, j);
    const double r = y[i] - m;
    const double zi = ByInv ? r * inv : r / sigma;
    s_z[c] += zi;
    s_zz[c] += zi * zi;
    if constexpr (StoreZ) z[i] = zi;
    if constexpr (WantZX)
      for (int64_t j = 0; j < k; ++j) zx[j] += zi * xi[j];
  };
  int64_t i = 0;
  for (; i + 1 < n; i += 2) {
    add(i, 0);
    add(i + 1, 1);
  }
  if (i < n) add(i, 0);
  return GlmSums{s_z[0] + s_z[1], s_zz[0] + s_zz[1]};
}

// The log-density, with the sums its partials need, of the standardised
// residuals z_i = (y_i - mu_i) / sigma (standardised before squaring, as the
// normal's kernel does: sigma^2 underflows long before sigma): sum z, sum
// z^2, and (when wanted) sum z x_j into zx[j], z_i into z[i]. y of the
// length of x, not checked further: a non-finite y_i makes the sum of
// squares infinite or NaN, so the density -inf, as in_support would have it.
double log_density_sums(const Dist& d, const Array* y, double& sum_z, double& sum_zz, double* zx, double* z) {
  const int64_t n = y->len;
  const Array* beta = beta_of(d);
  const int64_t k = beta->len;
  const double alpha = d.p[0], sigma = d.p[1];
  const double inv = 1 / sigma;
  GlmSums sums;
  if (n > 0 && k > 0) {
    const double* x = packed_predictors(x_of(d), k);
    static_assert(sizeof(Word) == sizeof(double));
    const double* yd = reinterpret_cast<const double*>(y->data);
    // The flags as template arguments: each combination its own tight loop.
    auto pass = [&]<int64_t K, bool ByInv, bool StoreZ, bool WantZX>() {
      if constexpr (K == 1)
        sums = glm_pass_1_on<ByInv, StoreZ, WantZX>(best_glm_isa(), x, yd, n, alpha, rt::array_real(beta, 0), sigma,
                                                    inv, zx, z);
      else
        sums = glm_pass_k<ByInv, StoreZ, WantZX>(x, yd, n, k, alpha, beta, sigma, inv, zx, z);
    };
    auto with_zx = [&]<int64_t K, bool ByInv, bool StoreZ>() {
      if (zx) pass.template operator()<K, ByInv, StoreZ, true>();
      else pass.template operator()<K, ByInv, StoreZ, false>();
    };
    auto with_z = [&]<int64_t K, bool ByInv>() {
      if (z) with_zx.template operator()<K, ByInv, true>();
      else with_zx.template operator()<K, ByInv, false>();
    };
    auto with_inv = [&]<int64_t K>() {
      if (std::isfinite(inv)) with_z.template operator()<K, true>();
      else with_z.template operator()<K, false>();
    };
    if (k == 1) with_inv.template operator()<1>();
    else with_inv.template operator()<0>();
  } else if (n > 0) {
    // No predictors: every mean is alpha.
    for (int64_t i = 0; i < n; ++i) {
      const double r = rt::array_real(y, i) - alpha;
      const double zi = std::isfinite(inv) ? r * inv : r / sigma;
      sums.z += zi;
      sums.zz += zi * zi;
      if (z) z[i] = zi;
    }
  }
  sum_z = sums.z;
  sum_zz = sums.zz;
  const double lp = -0.5 * sum_zz - static_cast<double>(n) * (std::log(sigma) + kHalfLog2Pi);
  // NaN from a mean that overflowed (inf - inf) or from a NaN y: no such y
  // has positive density there.
  return std::isnan(lp) ? -kInf : lp;
}

// y of the right length (the rest of in_support, finiteness, the pass itself decides).
bool right_length(const Dist& d, Word w) {
  const auto* y = rt::to_ptr<const Array>(w);
  return y != nullptr && y->len == length(x_of(d));
}

double log_density(const Dist& d, Word w) {
  if (!right_length(d, w)) return -kInf;
  double sr, srr;
  return log_density_sums(d, rt::to_ptr<const Array>(w), sr, srr, nullptr, nullptr);
}

// With z_i = r_i / sigma: d/dalpha = sum z / sigma, d/dbeta_j = sum z x_j /
// sigma, d/dsigma = (sum z^2 - n) / sigma, d/dy_i = -z_i / sigma, d/dx_ij =
// z_i beta_j / sigma.
double log_density_grad(const Dist& d, Word w, double* dp, double* dy, double* const* da) {
  if (!right_length(d, w)) return -kInf;
  const auto* y = rt::to_ptr<const Array>(w);
  const int64_t n = y->len, k = length(beta_of(d));
  const bool want_x = da && da[0];
  // z_i is needed per observation for d/dy and d/dx; beta's partials need
  // sum z_i x_ij, accumulated here and copied to da[1] only once the density
  // is known finite (nothing is written outside the support).
  thread_local std::vector<double> zx_store;
  double* zx = nullptr;
  if (da && da[1]) {
    zx_store.assign(static_cast<size_t>(k), 0.0);
    zx = zx_store.data();
  }
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
    for (int64_t j = 0; j < k; ++j) da[1][j] = zx[j] / sigma;
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

bool glm_isa_supported(GlmIsa isa) {
  switch (isa) {
    case GlmIsa::Portable: return true;
    case GlmIsa::Avx2:
#ifdef BOREL_GLM_AVX2
      __builtin_cpu_init();  // (needed if called before the constructors have run)
      return __builtin_cpu_supports("avx2") != 0;
#else
      return false;
#endif
  }
  return false;
}

GlmIsa best_glm_isa() {
  static const GlmIsa best = glm_isa_supported(GlmIsa::Avx2) ? GlmIsa::Avx2 : GlmIsa::Portable;
  return best;
}

GlmPassSums normal_glm_pass_1(GlmIsa isa, const double* x, const double* y, int64_t n, double alpha, double b,
                              double sigma, double* z) {
  const double inv = 1 / sigma;
  GlmPassSums out;
  auto run = [&]<bool ByInv, bool StoreZ>() {
    const GlmSums s = glm_pass_1_on<ByInv, StoreZ, true>(isa, x, y, n, alpha, b, sigma, inv, &out.zx, z);
    out.z = s.z;
    out.zz = s.zz;
  };
  const bool by_inv = std::isfinite(inv);
  if (by_inv && z) run.template operator()<true, true>();
  else if (by_inv) run.template operator()<true, false>();
  else if (z) run.template operator()<false, true>();
  else run.template operator()<false, false>();
  return out;
}

extern const DistOps normal_glm_ops = {
    kName, 4, {"x", "alpha", "beta", "sigma"}, {Kind::RealMatrix, Kind::Real, Kind::RealArray, Kind::Real},
    Kind::RealArray, "R^n (n = the rows of x)",
    check, sample, log_density, in_support, mean, variance,
    Support::RealVector, log_density_grad,
};

}  // namespace borel::dist
