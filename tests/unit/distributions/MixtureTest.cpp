// MixtureTest.cpp — mixture(weights, components): scalar mixtures through the
// rig (references: the weighted sums of the components' Boost pdf/cdf/pmf),
// a mixture of multivariate normals by its log-density and moments, and the
// checks.
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/poisson.hpp>

#include "tests/unit/distributions/Rig.h"

using namespace borel::test;
using borel::rt::from_real;

namespace {

// The cdf's inverse by bisection (the rig's quantile points).
template <class Cdf>
double invert(Cdf cdf, double q, double lo, double hi) {
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (cdf(mid) < q ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

TEST_CASE("mixture: of normals") {
  const boost::math::normal a(-2, 0.5), b(1, 1);
  const double wa = 0.3, wb = 0.7;
  const Dist d = make("mixture", {}, {reals({wa, wb}), dists({make("normal", {-2, 0.5}), make("normal", {1, 1})})});
  const double mean = wa * -2 + wb * 1;
  const double variance = wa * (0.25 + 4) + wb * (1 + 1) - mean * mean;
  auto cdf = [=](double x) { return wa * boost::math::cdf(a, x) + wb * boost::math::cdf(b, x); };
  check_continuous(d,
                   {[=](double x) { return wa * boost::math::pdf(a, x) + wb * boost::math::pdf(b, x); }, cdf,
                    [=](double q) { return invert(cdf, q, -50, 50); }, mean, variance},
                   1);
  // Far in the tail of both components, where their densities underflow,
  // the log-sum-exp keeps it finite: here the second term dominates.
  const double x = -60;
  const double la = std::log(wa) - std::log(0.5) - 0.918938533204672742 - 0.5 * 116 * 116;
  const double lb = std::log(wb) - 0.918938533204672742 - 0.5 * 61 * 61;
  CHECK(close(d.ops->log_density(d, from_real(x)), lb + std::log1p(std::exp(la - lb)), 1e-12));
}

TEST_CASE("mixture: of poissons, and of bernoullis") {
  const Dist d = make("mixture", {}, {reals({0.5, 0.5}), dists({make("poisson", {2}), make("poisson", {10})})});
  const boost::math::poisson a(2), b(10);
  check_discrete(d,
                 {[=](int64_t k) { return 0.5 * pdf(a, double(k)) + 0.5 * pdf(b, double(k)); }, 0, INT64_MAX, 6,
                  0.5 * (2 + 4) + 0.5 * (10 + 100) - 36},
                 2);
  const Dist bools =
      make("mixture", {}, {reals({0.25, 0.75}), dists({make("bernoulli", {0.2}), make("bernoulli", {0.6})})});
  check_discrete(bools, {[](int64_t k) { return k == 1 ? 0.5 : 0.5; }, 0, 1, 0.5, 0.25}, 3);
}

TEST_CASE("mixture: of multivariate normals") {
  const Word mu0 = reals({0, 0}), mu1 = reals({4, -1});
  const Word cov0 = matrix({{1, 0}, {0, 1}}), cov1 = matrix({{2, 0.5}, {0.5, 1}});
  const Dist c0 = make("mv_normal", {}, {mu0, cov0}), c1 = make("mv_normal", {}, {mu1, cov1});
  const Dist d = make("mixture", {}, {reals({0.4, 0.6}), dists({c0, c1})});
  expect_valid(d);
  const Word x = reals({1, 0.5});
  CHECK(close(d.ops->log_density(d, x), std::log(0.4 * std::exp(c0.ops->log_density(c0, x)) +
                                                 0.6 * std::exp(c1.ops->log_density(c1, x))),
              1e-12));
  CHECK(std::isnan(d.ops->mean(d)));
  // Sample means of both coordinates: 0.6 * mu1.
  borel::rt::Rng rng(4, 0);
  std::vector<double> first, second;
  for (int i = 0; i < 20000; ++i) {
    const auto v = to_reals(d.ops->sample(d, rng));
    REQUIRE(v.size() == 2);
    first.push_back(v[0]);
    second.push_back(v[1]);
  }
  const double z = z_for(kMomentAlpha, 2);
  const Moments m0 = moments(first), m1 = moments(second);
  CHECK(std::fabs(m0.mean - 2.4) <= z * m0.mean_se());
  CHECK(std::fabs(m1.mean - -0.6) <= z * m1.mean_se());
}

TEST_CASE("mixture: zero weights, nesting and moments") {
  // A component of weight 0 contributes neither density nor support.
  const Dist d = make("mixture", {}, {reals({1, 0}), dists({make("exponential", {1}), make("normal", {0, 1})})});
  expect_log_density(d, {{from_real(2), -2}, {from_real(-1), -kInf}});
  borel::rt::Rng rng(5, 0);
  for (int i = 0; i < 1000; ++i) REQUIRE(borel::rt::to_real(d.ops->sample(d, rng)) >= 0);
  // A mixture of mixtures is a mixture.
  const Dist inner = make("mixture", {}, {reals({0.5, 0.5}), dists({make("normal", {0, 1}), make("normal", {3, 1})})});
  const Dist outer = make("mixture", {}, {reals({0.5, 0.5}), dists({inner, make("normal", {6, 1})})});
  const Dist flat = make("mixture", {}, {reals({0.25, 0.25, 0.5}),
                                         dists({make("normal", {0, 1}), make("normal", {3, 1}), make("normal", {6, 1})})});
  expect_valid(outer);
  for (double x : {-1.0, 2.0, 7.5})
    CHECK(close(outer.ops->log_density(outer, from_real(x)), flat.ops->log_density(flat, from_real(x)), 1e-12));
  CHECK(close(outer.ops->mean(outer), 3.75, 1e-12));
  CHECK(close(outer.ops->variance(outer), flat.ops->variance(flat), 1e-12));
  // A component without a mean: the mixture has none.
  const Dist heavy = make("mixture", {}, {reals({0.5, 0.5}), dists({make("normal", {0, 1}), make("cauchy", {0, 1})})});
  CHECK(std::isnan(heavy.ops->mean(heavy)));
  CHECK(std::isnan(heavy.ops->variance(heavy)));
}

TEST_CASE("mixture: invalid parameters") {
  const Word two = dists({make("normal", {0, 1}), make("normal", {1, 1})});
  expect_invalid(
      "mixture",
      {{{}, {reals({0.5, 0.6}), two}, "mixture: sum(weights) is 1.1, but must be 1 (within 1e-06)"},
       {{}, {reals({1}), two}, "mixture: the length of components is 2, but must be 1 (the length of weights)"},
       {{}, {reals({0.5, 0.5}), dists({make("normal", {0, 1}), make("normal", {0, -1})})},
        "mixture: components[1] is invalid (normal: sigma is -1, but must be positive), but must be valid"},
       {{}, {reals({0.5, 0.5}), dists({make("normal", {0, 1}), make("poisson", {1})})},
        "mixture: the value type of components[1] is int, but must be real (that of components[0])"},
       {{}, {reals({0.5, -0.5, 1}), two}, "mixture: weights[1] is -0.5, but must be non-negative"}});
}
