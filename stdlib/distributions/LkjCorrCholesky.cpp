// LkjCorrCholesky.cpp — lkj_corr_cholesky(k, eta): the LKJ distribution
// (Lewandowski, Kurowicka & Joe 2009, "Generating random correlation
// matrices based on vines and extended onion method", J. Multivariate
// Analysis 100) over the Cholesky factors L of k x k correlation matrices
// Omega = L L^T, as Stan's lkj_corr_cholesky: Omega has density proportional
// to det(Omega)^(eta - 1), and L, as a point of the free entries below its
// diagonal, the density (rows i = 0..k-1)
//   log p(L) = log c(k, eta) + sum_{i>=1} (k - i - 3 + 2 eta) log L_ii,
// the exponent 2(eta - 1) from det(Omega) = prod L_ii^2 and k - i - 1 from
// the Jacobian of L -> Omega. The normalising constant (included) is
//   log c = -sum_{j=1}^{k-1} (k - j) [(2 beta_j - 1) log 2 + log B(beta_j, beta_j)],
//   beta_j = eta + (k - 1 - j) / 2,
// LKJ's theorem: the canonical partial correlations z_ij of column j - 1
// (the correlation of i and j - 1 given 0..j-2) are independent,
// Beta(beta_j, beta_j) on (-1, 1), and the map z -> L (below) has Jacobian
// prod_{i, j>=1} s_ij, which the telescoping of prod (1 - z^2)^(beta_j - 1)
// turns into the density above. For k = 2 the correlation L_10 has density
// (1 - r^2)^(eta - 1) / (2^(2 eta - 1) B(eta, eta)).
//
// A value is k rows of k reals: L_ij = 0 above the diagonal (exactly), a
// positive diagonal, and rows of unit norm within kSumTolerance (Family.h)
// in their sum of squares, as a dirichlet's sum.
//
// Sampler: the C-vine method (LKJ 2009, section 2.4): the partial
// correlations drawn as above, then
//   L_i0 = z_i0, L_ij = z_ij s_ij, L_ii = s_ii,  s_ij^2 = prod_{m<j} (1 - z_im^2),
// the map of Stan's transform (inference/Transforms.h), with 1 - z^2 taken
// as 4u(1 - u) from the beta variate u, exact where z is near +-1.
#include "stdlib/distributions/Family.h"

#include <fmt/format.h>

#include "runtime/MemoryLimit.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "lkj_corr_cholesky";

int64_t size(const Dist& d) { return int_param(d, 0); }

// beta_j for column j - 1 (j = 1..k-1).
double partial_beta(int64_t k, double eta, int64_t j) { return eta + 0.5 * static_cast<double>(k - 1 - j); }

bool check(const Dist& d, std::string& why) {
  if (!check_integer(why, kName, "k", d.p[0])) return false;
  if (d.p[0] < 1) return fail(why, kName, "k", d.p[0], "at least 1");
  // k^2 entries: k <= 2^31 first, so that the product fits.
  const std::string memory = d.p[0] > 0x1.0p31 ? std::string("out of memory: more than 2^62 entries")
                                               : rt::check_allocation(size(d) * size(d), sizeof(Word));
  if (!memory.empty()) return fail(why, kName, "k", d.p[0], fmt::format("small enough to allocate ({})", memory));
  return check_positive(why, kName, "eta", d.p[1]);
}

Word sample(const Dist& d, Rng& rng) {
  const int64_t k = size(d);
  const double eta = d.p[1];
  Array* l = rt::array_new(k);
  for (int64_t i = 0; i < k; ++i) {
    Array* row = rt::array_new_atomic(k);
    double rest = 1;  // s_ij^2
    for (int64_t j = 0; j < i; ++j) {
      const double b = partial_beta(k, eta, j + 1);
      const double u = beta_sample(rng, b, b);
      row->data[j] = real_value((2 * u - 1) * std::sqrt(rest));
      rest *= 4 * u * (1 - u);
    }
    row->data[i] = real_value(clamp_positive(std::sqrt(rest)));
    for (int64_t j = i + 1; j < k; ++j) row->data[j] = real_value(0.0);
    l->data[i] = rt::from_ptr(row);
  }
  return rt::from_ptr(l);
}

bool in_support(const Dist& d, Word w) {
  const int64_t k = size(d);
  const auto* l = rt::to_ptr<const Array>(w);
  if (l == nullptr || l->len != k) return false;
  for (int64_t i = 0; i < k; ++i) {
    const Array* r = row(l, i);
    if (r == nullptr || r->len != k) return false;
    double norm = 0;
    for (int64_t j = 0; j <= i; ++j) {
      const double x = rt::array_real(r, j);
      if (!std::isfinite(x)) return false;
      norm += x * x;
    }
    if (!(rt::array_real(r, i) > 0) || !(std::fabs(norm - 1) <= kSumTolerance)) return false;
    for (int64_t j = i + 1; j < k; ++j)
      if (rt::array_real(r, j) != 0) return false;
  }
  return true;
}

double log_normaliser(int64_t k, double eta) {
  double c = 0;
  for (int64_t j = 1; j < k; ++j) {
    const double b = partial_beta(k, eta, j);
    c -= static_cast<double>(k - j) * ((2 * b - 1) * std::log(2.0) + log_beta(b, b));
  }
  return c;
}

double log_density(const Dist& d, Word w) {
  if (!in_support(d, w)) return -kInf;
  const int64_t k = size(d);
  const double eta = d.p[1];
  const auto* l = rt::to_ptr<const Array>(w);
  double lp = log_normaliser(k, eta);
  for (int64_t i = 1; i < k; ++i)
    lp += (static_cast<double>(k - i - 3) + 2 * eta) * std::log(rt::array_real(row(l, i), i));
  return lp;
}

// Only the diagonal is read: d/dL_ii = (k - i - 3 + 2 eta) / L_ii for i >= 1,
// 0 for every other entry (the support, not the density, ties them);
// d/deta = 2 sum_{i>=1} log L_ii + d log c / d eta with
// d log B(b, b) / db = 2 psi(b) - 2 psi(2b); k is an int.
double log_density_grad(const Dist& d, Word w, double* dp, double* dx, double* const*) {
  const double lp = log_density(d, w);
  if (!(lp > -kInf)) return lp;
  const int64_t k = size(d);
  const double eta = d.p[1];
  const auto* l = rt::to_ptr<const Array>(w);
  double deta = 0;
  for (int64_t j = 1; j < k; ++j) {
    const double b = partial_beta(k, eta, j);
    deta -= static_cast<double>(k - j) * (2 * std::log(2.0) + 2 * (digamma(b) - digamma(2 * b)));
  }
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j) {
      double g = 0;
      if (i == j && i >= 1) {
        const double lii = rt::array_real(row(l, i), i);
        g = (static_cast<double>(k - i - 3) + 2 * eta) / lii;
        deta += 2 * std::log(lii);
      }
      if (dx) dx[i * k + j] = g;
    }
  dp[0] = 0;
  dp[1] = deta;
  return lp;
}

double mean(const Dist&) { return kNaN; }

double variance(const Dist&) { return kNaN; }

}  // namespace

extern const DistOps lkj_corr_cholesky_ops = {
    kName, 2, {"k", "eta"}, {Kind::Int, Kind::Real}, Kind::RealMatrix,
    "lower-triangular k x k, positive diagonal, rows of unit norm (within 1e-6 in the sum of squares)",
    check, sample, log_density, in_support, mean, variance,
    Support::CholeskyCorr, log_density_grad,
};

}  // namespace borel::dist
