// LkjCorrCholeskyTest.cpp — lkj_corr_cholesky(k, eta) against closed forms
// derived independently of its source's route (LKJ's partial correlations):
//   * k = 2: the correlation r = L_10 has the density of Beta(eta, eta) on
//     (−1, 1), Boost's beta density of (r + 1) / 2, halved;
//   * any k: the density over the free entries is c · prod_{i>=1} L_ii^e_i,
//     e_i = k − i − 3 + 2 eta, and row i's free entries w range over the
//     unit ball of R^i with L_ii = sqrt(1 − |w|^2), so the rows integrate
//     separately: ∫_{ball} (1 − |w|^2)^(e/2) dw = π^(i/2) Γ(e/2 + 1) /
//     Γ(e/2 + 1 + i/2) (polar coordinates), and log c is minus the sum of
//     their logs. (k = 3, eta = 1: c = 1 / (π²/2), the volume of the 3 x 3
//     correlation matrices.) log p(identity) = log c.
//   * the kernel: log p(L) − log p(L') = (eta − 1) log(det Ω / det Ω') +
//     sum_i (k − i − 1) log(L_ii / L'_ii), det by Eigen.
// The sampler: every draw in the support, and each off-diagonal Ω_ij of
// Ω = L Lᵀ has marginal Beta(eta − 1 + k/2, eta − 1 + k/2) on (−1, 1)
// (LKJ 2009, section 3.2), Kolmogorov–Smirnov at kFitAlpha per entry.
#include <boost/math/distributions/beta.hpp>

#include <Eigen/Dense>

#include "tests/unit/distributions/Rig.h"

using namespace borel::test;

namespace {

using Rows = std::vector<std::vector<double>>;

Dist lkj(double k, double eta) { return make("lkj_corr_cholesky", {k, eta}); }

// log ∫_{unit ball of R^i} (1 − |w|^2)^(e/2) dw.
double log_ball_integral(double i, double e) {
  return 0.5 * i * std::log(M_PI) + std::lgamma(e / 2 + 1) - std::lgamma(e / 2 + 1 + i / 2);
}

double log_normaliser(int k, double eta) {
  double c = 0;
  for (int i = 1; i < k; ++i) c -= log_ball_integral(i, k - i - 3 + 2 * eta);
  return c;
}

// A Cholesky factor of a correlation matrix from arbitrary lower-triangular
// rows: each row scaled to unit norm, its diagonal made positive.
Rows normalised(Rows l) {
  for (size_t i = 0; i < l.size(); ++i) {
    if (l[i][i] < 0) l[i][i] = -l[i][i];
    double n = 0;
    for (size_t j = 0; j <= i; ++j) n += l[i][j] * l[i][j];
    for (size_t j = 0; j <= i; ++j) l[i][j] /= std::sqrt(n);
    for (size_t j = i + 1; j < l.size(); ++j) l[i][j] = 0;
  }
  return l;
}

double log_det_corr(const Rows& l) {
  const auto k = static_cast<Eigen::Index>(l.size());
  Eigen::MatrixXd m(k, k);
  for (Eigen::Index i = 0; i < k; ++i)
    for (Eigen::Index j = 0; j < k; ++j) m(i, j) = l[size_t(i)][size_t(j)];
  return std::log((m * m.transpose()).determinant());
}

}  // namespace

TEST_CASE("lkj_corr_cholesky: k = 2 against Boost's beta") {
  for (double eta : {0.3, 1.0, 2.5, 30.0}) {
    const Dist d = lkj(2, eta);
    expect_valid(d);
    const boost::math::beta_distribution<> b(eta, eta);
    for (double r : {-0.99, -0.6, 0.0, 0.25, 0.9}) {
      INFO("eta ", eta, " r ", r);
      const double want = std::log(pdf(b, (r + 1) / 2) / 2);
      CHECK(close(d.ops->log_density(d, matrix({{1, 0}, {r, std::sqrt(1 - r * r)}})), want, 1e-12));
    }
  }
}

TEST_CASE("lkj_corr_cholesky: the normalising constant by integration over each row's ball") {
  CHECK(close(log_normaliser(3, 1.0), -std::log(M_PI * M_PI / 2), 1e-14));  // the formula itself
  for (int k = 1; k <= 7; ++k)
    for (double eta : {0.2, 0.5, 1.0, 1.7, 4.0, 100.0}) {
      INFO("k ", k, " eta ", eta);
      Rows identity(size_t(k), std::vector<double>(size_t(k), 0.0));
      for (int i = 0; i < k; ++i) identity[size_t(i)][size_t(i)] = 1;
      const Dist d = lkj(k, eta);
      expect_valid(d);
      CHECK(close(d.ops->log_density(d, matrix(identity)), log_normaliser(k, eta), 1e-11));
    }
}

TEST_CASE("lkj_corr_cholesky: the kernel det(Ω)^(eta − 1) times the Jacobian of L -> Ω") {
  borel::rt::Rng rng(5, 0);
  for (int k : {3, 4, 5})
    for (double eta : {0.5, 1.0, 3.0}) {
      const Dist d = lkj(k, eta);
      auto random_factor = [&] {
        Rows l(size_t(k), std::vector<double>(size_t(k), 0.0));
        for (int i = 0; i < k; ++i)
          for (int j = 0; j <= i; ++j) l[size_t(i)][size_t(j)] = j == i ? 0.3 + rng.uniform() : rng.uniform() - 0.5;
        return normalised(l);
      };
      for (int t = 0; t < 5; ++t) {
        const Rows a = random_factor(), b = random_factor();
        double want = (eta - 1) * (log_det_corr(a) - log_det_corr(b));
        for (int i = 1; i < k; ++i) want += (k - i - 1) * std::log(a[size_t(i)][size_t(i)] / b[size_t(i)][size_t(i)]);
        const double got = d.ops->log_density(d, matrix(a)) - d.ops->log_density(d, matrix(b));
        INFO("k ", k, " eta ", eta, ": ", got, " vs ", want);
        CHECK(std::fabs(got - want) <= 1e-10 * (1 + std::fabs(want)));
      }
    }
}

TEST_CASE("lkj_corr_cholesky: the support") {
  const Dist d = lkj(3, 2);
  const Rows good = normalised({{1, 0, 0}, {0.3, 0.8, 0}, {-0.2, 0.4, 0.7}});
  CHECK(d.ops->in_support(d, matrix(good)));
  Rows upper = good, negative = good, long_row = good, short_row = good, nan = good, zero_diag = good;
  upper[0][2] = 1e-300;
  negative[1][1] = -negative[1][1];
  long_row[2][0] += 1e-3;
  short_row[2].pop_back();
  nan[2][1] = kNaN;
  zero_diag[1] = {1, 0, 0};
  expect_log_density(d, {{matrix(upper), -kInf},
                         {matrix(negative), -kInf},
                         {matrix(long_row), -kInf},
                         {matrix(short_row), -kInf},
                         {matrix(nan), -kInf},
                         {matrix(zero_diag), -kInf},
                         {matrix({{1, 0}, {0, 1}}), -kInf},  // 2 x 2
                         {0, -kInf}});
  // Rows of unit norm within 1e-6 in the sum of squares.
  Rows near = good;
  for (double& v : near[2]) v *= std::sqrt(1 + 0.9e-6);
  CHECK(d.ops->in_support(d, matrix(near)));
  // k = 1: the point [[1]].
  expect_log_density(lkj(1, 0.5), {{matrix({{1}}), 0}, {matrix({{0.5}}), -kInf}});
  CHECK(std::isnan(d.ops->mean(d)));
  CHECK(std::isnan(d.ops->variance(d)));
}

TEST_CASE("lkj_corr_cholesky: invalid parameters") {
  expect_invalid("lkj_corr_cholesky",
                 {{{0, 1}, {}, "lkj_corr_cholesky: k is 0, but must be at least 1"},
                  {{2.5, 1}, {}, "lkj_corr_cholesky: k is 2.5, but must be an integer with |value| <= 2^53"},
                  {{2, 0}, {}, "lkj_corr_cholesky: eta is 0, but must be positive"},
                  {{2, -1}, {}, "lkj_corr_cholesky: eta is -1, but must be positive"},
                  {{2, kInf}, {}, "lkj_corr_cholesky: eta is inf, but must be finite"},
                  {{2, kNaN}, {}, "lkj_corr_cholesky: eta is nan, but must be finite"}});
  const Dist huge = lkj(0x1.0p40, 1);
  std::string why;
  CHECK_FALSE(huge.ops->check(huge, why));
  INFO(why);
  CHECK(why.find("but must be small enough to allocate (out of memory") != std::string::npos);
}

TEST_CASE("lkj_corr_cholesky: sampler (C-vine) marginals of Ω = L Lᵀ") {
  uint64_t seed = 1;
  for (auto [k, eta] : {std::pair{2, 0.5}, std::pair{3, 1.0}, std::pair{4, 2.0}, std::pair{5, 0.3}}) {
    const Dist d = lkj(k, eta);
    borel::rt::Rng rng(seed++, 0);
    std::vector<std::vector<double>> corr(size_t(k * k));
    for (int t = 0; t < samples(); ++t) {
      const Word w = d.ops->sample(d, rng);
      REQUIRE(d.ops->in_support(d, w));
      REQUIRE(std::isfinite(d.ops->log_density(d, w)));
      const auto* l = borel::rt::to_ptr<const borel::rt::Array>(w);
      std::vector<std::vector<double>> rows;
      for (int i = 0; i < k; ++i) rows.push_back(to_reals(l->data[i]));
      for (int i = 1; i < k; ++i)
        for (int j = 0; j < i; ++j) {
          double s = 0;
          for (int m = 0; m <= j; ++m) s += rows[size_t(i)][size_t(m)] * rows[size_t(j)][size_t(m)];
          corr[size_t(i * k + j)].push_back(s);
        }
    }
    const double a = eta - 1 + k / 2.0;
    const boost::math::beta_distribution<> b(a, a);
    for (int i = 1; i < k; ++i)
      for (int j = 0; j < i; ++j) {
        const KsResult ks = ks_test(corr[size_t(i * k + j)], [&](double r) {
          const double u = (r + 1) / 2;
          return u <= 0 ? 0.0 : u >= 1 ? 1.0 : cdf(b, u);
        });
        INFO("k ", k, " eta ", eta, " Ω[", i, "][", j, "]: KS statistic ", ks.statistic, ", critical ",
             ks.critical);
        CHECK(ks.passed());
      }
  }
}
