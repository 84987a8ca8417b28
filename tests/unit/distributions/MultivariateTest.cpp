// MultivariateTest.cpp — dirichlet and mv_normal: log-densities against
// closed forms (Boost's beta and normal where they apply, Eigen's inverse
// and determinant otherwise), and samplers by their moments: each sample
// mean, variance and covariance within z standard errors, z from
// kMomentAlpha shared (Bonferroni) among the checks of a test.
#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/normal.hpp>

#include <Eigen/Dense>
#include <gc/gc.h>

#include <cmath>
#include <cstring>

#include "stdlib/distributions/NormalGlmPass.h"
#include "tests/unit/distributions/Rig.h"

using namespace borel::test;
using borel::rt::from_real;

namespace {

constexpr int kDraws = 20000;

// Draws from d, as rows.
std::vector<std::vector<double>> draw(const Dist& d, uint64_t seed) {
  borel::rt::Rng rng(seed, 0);
  std::vector<std::vector<double>> xs;
  for (int i = 0; i < kDraws; ++i) {
    const Word w = d.ops->sample(d, rng);
    REQUIRE(d.ops->in_support(d, w));
    REQUIRE(std::isfinite(d.ops->log_density(d, w)));
    xs.push_back(to_reals(w));
  }
  return xs;
}

std::vector<double> column(const std::vector<std::vector<double>>& xs, size_t j) {
  std::vector<double> c;
  for (const auto& x : xs) c.push_back(x[j]);
  return c;
}

// Sample mean and variance of coordinate j against the truth.
void expect_coordinate_moments(const std::vector<std::vector<double>>& xs, size_t j, double mean, double variance,
                               double z) {
  const Moments m = moments(column(xs, j));
  INFO("coordinate ", j, ": mean ", m.mean, " vs ", mean, ", variance ", m.variance, " vs ", variance);
  CHECK(std::fabs(m.mean - mean) <= z * std::sqrt(variance / m.n));
  CHECK(std::fabs(m.variance - variance) <= z * m.variance_se());
}

// The multivariate normal log-density by explicit inverse and determinant.
double mv_normal_reference(const std::vector<double>& x, const std::vector<double>& mu,
                           const std::vector<std::vector<double>>& cov) {
  const auto n = static_cast<Eigen::Index>(x.size());
  Eigen::MatrixXd s(n, n);
  Eigen::VectorXd r(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    r(i) = x[size_t(i)] - mu[size_t(i)];
    for (Eigen::Index j = 0; j < n; ++j) s(i, j) = cov[size_t(i)][size_t(j)];
  }
  return -0.5 * double(n) * std::log(2 * M_PI) - 0.5 * std::log(s.determinant()) - 0.5 * r.dot(s.inverse() * r);
}

}  // namespace

TEST_CASE("dirichlet: log-density") {
  // K = 3: Gamma(6) / (Gamma(1) Gamma(2) Gamma(3)) 0.3 0.5^2 = 4.5.
  const auto d = make("dirichlet", {}, {reals({1, 2, 3})});
  expect_valid(d);
  expect_log_density(d, {{reals({0.2, 0.3, 0.5}), 1.5040773967762742},
                         {reals({0.2, 0.3, 0.6}), -kInf},    // sums to 1.1
                         {reals({-0.2, 0.7, 0.5}), -kInf},   // negative
                         {reals({0.5, 0.5}), -kInf},         // wrong length
                         {reals({0, 0.5, 0.5}), -kInf},      // on the boundary
                         {0, -kInf}});                       // not an array
  // K = 2: the first coordinate is beta(a, b).
  for (auto [a, b] : {std::pair{0.5, 0.5}, std::pair{2.0, 7.0}, std::pair{300.0, 0.1}}) {
    const auto d2 = make("dirichlet", {}, {reals({a, b})});
    const boost::math::beta_distribution<> ref(a, b);
    for (double x : {0.01, 0.3, 0.5, 0.99}) {
      INFO("a ", a, " b ", b, " x ", x);
      if (pdf(ref, x) < 1e-300) continue;  // underflows in the reference
      CHECK(close(d2.ops->log_density(d2, reals({x, 1 - x})), std::log(pdf(ref, x)), 1e-9));
    }
  }
  // K = 1: the point mass at [1].
  expect_log_density(make("dirichlet", {}, {reals({2.5})}), {{reals({1}), 0}, {reals({0.5}), -kInf}});
  CHECK(std::isnan(d.ops->mean(d)));
  CHECK(std::isnan(d.ops->variance(d)));
  expect_invalid("dirichlet", {{{}, {reals({1, 0, 2})}, "dirichlet: alpha[1] is 0, but must be positive"},
                               {{}, {reals({1, kInf})}, "dirichlet: alpha[1] is inf, but must be finite"},
                               {{}, {reals({})}, "dirichlet: the length of alpha is 0, but must be at least 1"}});
}

TEST_CASE("dirichlet: sampler moments") {
  uint64_t seed = 1;
  for (const std::vector<double>& alpha :
       std::vector<std::vector<double>>{{1, 2, 3}, {0.1, 0.1, 0.1, 0.7}, {50, 30}, {0.01, 0.02}}) {
    const auto xs = draw(make("dirichlet", {}, {reals(alpha)}), seed++);
    double a0 = 0;
    for (double a : alpha) a0 += a;
    const double z = z_for(kMomentAlpha, 2 * int(alpha.size()));
    for (size_t j = 0; j < alpha.size(); ++j)
      expect_coordinate_moments(xs, j, alpha[j] / a0, alpha[j] * (a0 - alpha[j]) / (a0 * a0 * (a0 + 1)), z);
  }
}

TEST_CASE("mv_normal: log-density") {
  const std::vector<double> mu{1, -2, 0.5};
  const std::vector<std::vector<double>> cov{{2, 0.6, -0.3}, {0.6, 1, 0.2}, {-0.3, 0.2, 0.5}};
  const auto d = make("mv_normal", {}, {reals(mu), matrix(cov)});
  expect_valid(d);
  for (const std::vector<double>& x :
       std::vector<std::vector<double>>{{1, -2, 0.5}, {0, 0, 0}, {3.5, -4, 2}, {-10, 10, 7}}) {
    INFO(x[0], " ", x[1], " ", x[2]);
    CHECK(close(d.ops->log_density(d, reals(x)), mv_normal_reference(x, mu, cov), 1e-12));
  }
  expect_log_density(d, {{reals({1, 2}), -kInf}, {reals({1, kNaN, 2}), -kInf}, {0, -kInf}});
  // One dimension: the normal.
  const auto d1 = make("mv_normal", {}, {reals({3}), matrix({{4}})});
  for (double x : {-1.0, 3.0, 10.0})
    CHECK(close(d1.ops->log_density(d1, reals({x})), std::log(pdf(boost::math::normal(3, 2), x)), 1e-12));
  CHECK(std::isnan(d.ops->mean(d)));
  CHECK(std::isnan(d.ops->variance(d)));
}

TEST_CASE("mv_normal: invalid parameters") {
  expect_invalid(
      "mv_normal",
      {{{}, {reals({}), matrix({})}, "mv_normal: the length of mean is 0, but must be at least 1"},
       {{}, {reals({0, kNaN}), matrix({{1, 0}, {0, 1}})}, "mv_normal: mean[1] is nan, but must be finite"},
       {{}, {reals({0, 0}), matrix({{1, 0}})},
        "mv_normal: the number of rows of cov is 1, but must be 2 (the length of mean)"},
       {{}, {reals({0, 0}), matrix({{1, 0}, {0, 1, 2}})},
        "mv_normal: the length of cov[1] is 3, but must be 2 (the length of mean)"},
       {{}, {reals({0, 0}), matrix({{1, 0}, {kInf, 1}})}, "mv_normal: cov[1][0] is inf, but must be finite"},
       {{}, {reals({0, 0}), matrix({{1, 0.5}, {0.4, 1}})},
        "mv_normal: cov[1][0] is 0.4, but must be equal to cov[0][1] (0.5)"},
       {{}, {reals({0, 0}), matrix({{1, 2}, {2, 1}})},
        "mv_normal: cov is not positive definite (its Cholesky factorisation fails), but must be symmetric "
        "positive definite"},
       {{}, {reals({0, 0}), matrix({{0, 0}, {0, 0}})},
        "mv_normal: cov is not positive definite (its Cholesky factorisation fails), but must be symmetric "
        "positive definite"}});
  // Asymmetry at the level of rounding is accepted.
  expect_valid(make("mv_normal", {}, {reals({0, 0}), matrix({{1, 0.5}, {0.5 + 1e-12, 1}})}));
}

TEST_CASE("mv_normal: sampler moments") {
  const std::vector<double> mu{1, -2, 0.5};
  const std::vector<std::vector<double>> cov{{2, 0.6, -0.3}, {0.6, 1, 0.2}, {-0.3, 0.2, 0.5}};
  const auto xs = draw(make("mv_normal", {}, {reals(mu), matrix(cov)}), 11);
  const double z = z_for(kMomentAlpha, 9);
  for (size_t j = 0; j < 3; ++j) expect_coordinate_moments(xs, j, mu[j], cov[j][j], z);
  // Covariances: the standard error of a sample covariance of a normal pair
  // is sqrt((s_ii s_jj + s_ij^2) / n).
  for (auto [i, j] : {std::pair{0, 1}, std::pair{0, 2}, std::pair{1, 2}}) {
    double c = 0;
    for (const auto& x : xs) c += (x[size_t(i)] - mu[size_t(i)]) * (x[size_t(j)] - mu[size_t(j)]);
    c /= kDraws;
    const double s = cov[size_t(i)][size_t(j)];
    INFO("cov ", i, j, ": ", c, " vs ", s);
    CHECK(std::fabs(c - s) <= z * std::sqrt((cov[size_t(i)][size_t(i)] * cov[size_t(j)][size_t(j)] + s * s) / kDraws));
  }
}

TEST_CASE("mv_normal: the Cholesky cache stays right across many covariances and collections") {
  // More covariance arrays than cache entries, revisited, with collections
  // in between: each log-density must match the reference every time.
  std::vector<std::vector<std::vector<double>>> covs;
  Words arrays;
  for (int k = 0; k < 20; ++k) {
    const double s = 0.5 + 0.1 * k, r = 0.05 * (k % 7);
    covs.push_back({{s, r}, {r, 1}});
    arrays.push_back(matrix(covs.back()));
  }
  const Word mean = reals({0.5, -0.5});
  for (int round = 0; round < 3; ++round) {
    for (size_t k = 0; k < covs.size(); ++k) {
      const Dist d = make("mv_normal", {}, {mean, arrays[k]});
      expect_valid(d);
      CHECK(close(d.ops->log_density(d, reals({1, 1})), mv_normal_reference({1, 1}, {0.5, -0.5}, covs[k]), 1e-12));
    }
    GC_gcollect();
  }
}

// normal_glm(x, alpha, beta, sigma): the sum of n normal log-densities with
// means alpha + x_i . beta, against Boost.Math.
TEST_CASE("normal_glm: log-density") {
  const std::vector<std::vector<double>> x{{1, 0.5}, {-2, 3}, {0.25, -1}, {4, 0}};
  const std::vector<double> beta{0.7, -1.2};
  const double alpha = 0.3, sigma = 1.7;
  const auto d = make("normal_glm", {alpha, sigma}, {matrix(x), reals(beta)});
  expect_valid(d);
  for (const std::vector<double>& y :
       std::vector<std::vector<double>>{{0, 0, 0, 0}, {1, -5, 2.5, 3}, {-10, 10, 7, 0.1}}) {
    double ref = 0;
    for (size_t i = 0; i < x.size(); ++i)
      ref += std::log(pdf(boost::math::normal(alpha + x[i][0] * beta[0] + x[i][1] * beta[1], sigma), y[i]));
    CHECK(close(d.ops->log_density(d, reals(y)), ref, 1e-12));
  }
  // One predictor, as a simple regression.
  const auto d1 = make("normal_glm", {-1, 0.5}, {matrix({{2}, {3}}), reals({0.4})});
  CHECK(close(d1.ops->log_density(d1, reals({0.1, 0.3})),
              std::log(pdf(boost::math::normal(-0.2, 0.5), 0.1)) + std::log(pdf(boost::math::normal(0.2, 0.5), 0.3)),
              1e-12));
  expect_log_density(d, {{reals({1, 2, 3}), -kInf}, {reals({1, kNaN, 2, 0}), -kInf}, {0, -kInf}});
  CHECK(std::isnan(d.ops->mean(d)));
}

// The packed pass (NormalGlm.cpp) against the sum of the n normal
// log-densities and its partials, summed one by one: n = 8 m + r for every
// tail r, one predictor (the chained path) and three. The same sums added
// in another order: agreement to rounding (1e-12 relative: the sums have
// at most 27 terms of similar size, so they differ by a few times 27
// epsilon, about 1e-14). Each x is also evaluated twice
// and after other x's, through the cache of packed predictors.
TEST_CASE("normal_glm: the packed pass equals the sum of normal log-densities, with its partials") {
  for (size_t k : {size_t{1}, size_t{3}})
    for (size_t n : {1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 19, 27}) {
      std::vector<std::vector<double>> x(n, std::vector<double>(k));
      std::vector<double> y(n), beta(k);
      for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < k; ++j) x[i][j] = std::sin(1.3 * static_cast<double>(i + 2 * j) + 0.2);
        y[i] = std::cos(0.7 * static_cast<double>(i)) * 2;
      }
      for (size_t j = 0; j < k; ++j) beta[j] = 0.5 - 0.4 * static_cast<double>(j);
      const double alpha = 0.3, sigma = 0.8;
      double ref = 0, d_alpha = 0, d_sigma = 0;
      std::vector<double> d_beta(k, 0.0), d_y(n);
      for (size_t i = 0; i < n; ++i) {
        double m = alpha;
        for (size_t j = 0; j < k; ++j) m += x[i][j] * beta[j];
        ref += std::log(pdf(boost::math::normal(m, sigma), y[i]));
        const double z = (y[i] - m) / sigma;
        d_alpha += z / sigma;
        d_sigma += (z * z - 1) / sigma;
        for (size_t j = 0; j < k; ++j) d_beta[j] += z * x[i][j] / sigma;
        d_y[i] = -z / sigma;
      }
      INFO("n = " << n << ", k = " << k);
      const auto d = make("normal_glm", {alpha, sigma}, {matrix(x), reals(beta)});
      expect_valid(d);
      const auto other = make("normal_glm", {alpha, sigma}, {matrix({{1.0}}), reals({1.0})});
      for (int round = 0; round < 2; ++round) {
        CHECK(close(d.ops->log_density(d, reals(y)), ref, 1e-12));
        double dp[2] = {0, 0};
        std::vector<double> dy(n), dbeta(k);
        double* da[2] = {nullptr, dbeta.data()};
        CHECK(close(d.ops->log_density_grad(d, reals(y), dp, dy.data(), da), ref, 1e-12));
        CHECK(close(dp[0], d_alpha, 1e-12));
        CHECK(close(dp[1], d_sigma, 1e-12));
        for (size_t j = 0; j < k; ++j) CHECK(close(dbeta[j], d_beta[j], 1e-12));
        for (size_t i = 0; i < n; ++i) CHECK(close(dy[i], d_y[i], 1e-12));
        (void)other.ops->log_density(other, reals({0.5}));
      }
    }
}

// Every pass the CPU supports computes the portable one's arithmetic: the
// same bits for the sums and each z_i, for every length (every tail of the
// eight chains), with 1/sigma finite and not (sigma subnormal), so that a
// seeded run gives the same numbers on any x86-64.
TEST_CASE("normal_glm: every instruction set's pass gives the portable pass's bits") {
  using borel::dist::GlmIsa;
  CHECK(borel::dist::glm_isa_supported(borel::dist::best_glm_isa()));
  for (GlmIsa isa : {GlmIsa::Portable, GlmIsa::Avx2}) {
    if (!borel::dist::glm_isa_supported(isa)) {
      MESSAGE("this CPU has no AVX2: only the portable pass is checked");
      continue;
    }
    for (double sigma : {0.8, 1e-310})
      for (int64_t n = 0; n <= 41; ++n) {
        std::vector<double> x(static_cast<size_t>(n)), y(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
          x[static_cast<size_t>(i)] = std::sin(1.7 * static_cast<double>(i) + 0.3);
          y[static_cast<size_t>(i)] = std::cos(0.9 * static_cast<double>(i)) * 2 * sigma;
        }
        std::vector<double> z0(static_cast<size_t>(n)), z1(static_cast<size_t>(n));
        const auto a = borel::dist::normal_glm_pass_1(GlmIsa::Portable, x.data(), y.data(), n, 0.3 * sigma,
                                                      0.7 * sigma, sigma, z0.data());
        const auto b = borel::dist::normal_glm_pass_1(isa, x.data(), y.data(), n, 0.3 * sigma, 0.7 * sigma, sigma,
                                                      z1.data());
        const auto c = borel::dist::normal_glm_pass_1(isa, x.data(), y.data(), n, 0.3 * sigma, 0.7 * sigma, sigma,
                                                      nullptr);
        INFO("isa " << static_cast<int>(isa) << ", sigma " << sigma << ", n " << n);
        CHECK(std::memcmp(&a, &b, sizeof a) == 0);
        CHECK(std::memcmp(&a, &c, sizeof a) == 0);
        CHECK((n == 0 || std::memcmp(z0.data(), z1.data(), z0.size() * sizeof(double)) == 0));
        CHECK(std::isfinite(a.zz));
      }
  }
}

TEST_CASE("normal_glm: invalid parameters") {
  expect_invalid("normal_glm",
                 {{{0, 0}, {matrix({{1}}), reals({1})}, "normal_glm: sigma is 0, but must be positive"},
                  {{kNaN, 1}, {matrix({{1}}), reals({1})}, "normal_glm: alpha is nan, but must be finite"},
                  {{0, 1}, {matrix({{1}}), reals({kInf})}, "normal_glm: beta[0] is inf, but must be finite"},
                  {{0, 1}, {matrix({{1}, {1, 2}}), reals({1})},
                   "normal_glm: the length of x[1] is 2, but must be 1 (the length of beta)"},
                  {{0, 1}, {matrix({{1}, {kNaN}}), reals({1})}, "normal_glm: x[1][0] is nan, but must be finite"}});
}

TEST_CASE("normal_glm: sampler moments") {
  const std::vector<std::vector<double>> x{{1, 0.5}, {-2, 3}, {0.25, -1}};
  const std::vector<double> beta{0.7, -1.2};
  const auto xs = draw(make("normal_glm", {0.3, 1.7}, {matrix(x), reals(beta)}), 12);
  const double z = z_for(kMomentAlpha, 6);
  for (size_t i = 0; i < 3; ++i) expect_coordinate_moments(xs, i, 0.3 + x[i][0] * beta[0] + x[i][1] * beta[1], 1.7 * 1.7, z);
}
