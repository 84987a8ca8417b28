// OrderedTest.cpp — ordered(base, k): log-densities against k! prod p(x_i)
// with Boost's densities, the support (sorted, ties included, each entry in
// the base's), invalid parameters, and the sampler: each coordinate is the
// j-th order statistic of k draws, whose cdf is I_{F(x)}(j, k − j + 1) (the
// regularised incomplete beta of the base's cdf), checked by
// Kolmogorov–Smirnov at kFitAlpha per coordinate (Stats.h).
#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/gamma.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/beta.hpp>

#include <functional>

#include "runtime/MemoryLimit.h"
#include "tests/unit/distributions/Rig.h"

using namespace borel::test;

namespace {

Word boxed(const Dist& d) { return borel::rt::from_ptr(borel::rt::dist_box(d)); }

Dist ordered(const Dist& base, double k) { return make("ordered", {k}, {boxed(base)}); }

// log k! + sum log pdf(x_i), the reference.
template <class B>
double reference(const B& b, const std::vector<double>& x) {
  double lp = std::lgamma(static_cast<double>(x.size()) + 1);
  for (double v : x) lp += std::log(pdf(b, v));
  return lp;
}

// Draws of ordered(base, k): every one in the support, sorted; then KS of
// each coordinate against the order statistic's cdf.
void check_sampler(const Dist& d, int64_t k, const std::function<double(double)>& base_cdf, uint64_t seed) {
  borel::rt::Rng rng(seed, 0);
  std::vector<std::vector<double>> columns(static_cast<size_t>(k));
  for (int i = 0; i < samples(); ++i) {
    const Word w = d.ops->sample(d, rng);
    REQUIRE(d.ops->in_support(d, w));
    REQUIRE(std::isfinite(d.ops->log_density(d, w)));
    const std::vector<double> x = to_reals(w);
    REQUIRE(x.size() == static_cast<size_t>(k));
    for (size_t j = 0; j < x.size(); ++j) columns[j].push_back(x[j]);
  }
  for (int64_t j = 0; j < k; ++j) {
    // P(X_(j+1) <= x) = P(at least j + 1 of k draws <= x) = I_F(j + 1, k − j).
    const double a = static_cast<double>(j + 1), b = static_cast<double>(k - j);
    const KsResult ks = ks_test(columns[static_cast<size_t>(j)], [&](double x) {
      const double f = base_cdf(x);
      return f <= 0 ? 0.0 : f >= 1 ? 1.0 : boost::math::ibeta(a, b, f);
    });
    INFO("coordinate ", j, ": KS statistic ", ks.statistic, ", critical ", ks.critical);
    CHECK(ks.passed());
  }
}

}  // namespace

TEST_CASE("ordered: log-density against k! prod p(x_i)") {
  const boost::math::normal_distribution<> n(0.5, 2);
  const Dist d = ordered(make("normal", {0.5, 2}), 3);
  expect_valid(d);
  for (const std::vector<double>& x :
       std::vector<std::vector<double>>{{-1, 0.2, 3}, {-5, -4.9, 7}, {0, 0, 1}, {2, 2, 2}}) {
    INFO(x[0], " ", x[1], " ", x[2]);
    CHECK(close(d.ops->log_density(d, reals(x)), reference(n, x), 1e-12));
    CHECK(d.ops->in_support(d, reals(x)));
  }
  expect_log_density(d, {{reals({0.2, -1, 3}), -kInf},     // not sorted
                         {reals({-1, 3, 0.2}), -kInf},
                         {reals({-1, 0.2}), -kInf},        // wrong length
                         {reals({-1, kNaN, 3}), -kInf},
                         {reals({-1, 0.2, kInf}), -kInf},
                         {0, -kInf}});                     // not an array
  // A base on (0, inf): entries outside it are outside.
  const boost::math::gamma_distribution<> g(2, 1);  // shape 2, scale 1 = rate 1
  const Dist dg = ordered(make("gamma", {2, 1}), 2);
  CHECK(close(dg.ops->log_density(dg, reals({0.5, 1.5})), reference(g, {0.5, 1.5}), 1e-12));
  expect_log_density(dg, {{reals({-0.1, 1}), -kInf}, {reals({0, 1}), -kInf}});
  // uniform(0, 1) base: the density is k! on the ordered region.
  const Dist du = ordered(make("uniform", {0, 1}), 4);
  expect_log_density(du, {{reals({0.1, 0.2, 0.5, 0.9}), std::log(24.0)}, {reals({0.1, 0.2, 0.5, 1.1}), -kInf}});
  // k = 1: the base itself.
  const Dist d1 = ordered(make("normal", {0.5, 2}), 1);
  CHECK(close(d1.ops->log_density(d1, reals({1.7})), std::log(pdf(n, 1.7)), 1e-12));
  CHECK(std::isnan(d.ops->mean(d)));
  CHECK(std::isnan(d.ops->variance(d)));
}

TEST_CASE("ordered: invalid parameters") {
  const Word normal = boxed(make("normal", {0, 1}));
  expect_invalid("ordered", {{{0}, {normal}, "ordered: k is 0, but must be at least 1"},
                             {{-2}, {normal}, "ordered: k is -2, but must be at least 1"},
                             {{1.5}, {normal}, "ordered: k is 1.5, but must be an integer with |value| <= 2^53"},
                             {{3}, {0}, "ordered: base is null, but must be a distribution"},
                             {{3}, {boxed(make("normal", {0, -1}))},
                              "ordered: base is invalid (normal: sigma is -1, but must be positive), but must be "
                              "valid"},
                             {{3}, {boxed(make("poisson", {2}))},
                              "ordered: base is poisson, but must be a continuous distribution of reals with "
                              "scalar parameters (normal, gamma, beta, uniform, ...)"},
                             {{3},
                              {boxed(make("mixture", {}, {reals({0.5, 0.5}),
                                                          dists({make("normal", {0, 1}), make("normal", {1, 1})})}))},
                              "ordered: base is mixture, but must be a continuous distribution of reals with "
                              "scalar parameters (normal, gamma, beta, uniform, ...)"}});
  // A k no memory holds: refused where the distribution is built.
  const Dist huge = ordered(make("normal", {0, 1}), 0x1.0p52);
  std::string why;
  CHECK_FALSE(huge.ops->check(huge, why));
  INFO(why);
  CHECK(why.rfind("ordered: k is 4503599627370496, but must be small enough to allocate (out of memory", 0) == 0);
}

TEST_CASE("ordered: the sampler draws the order statistics") {
  {
    const boost::math::normal_distribution<> n(0.5, 2);
    check_sampler(ordered(make("normal", {0.5, 2}), 3), 3, [&](double x) { return cdf(n, x); }, 1);
  }
  {
    const boost::math::gamma_distribution<> g(2, 1);
    check_sampler(ordered(make("gamma", {2, 1}), 4), 4, [&](double x) { return x <= 0 ? 0.0 : cdf(g, x); }, 2);
  }
  {
    const boost::math::beta_distribution<> b(2, 3);
    check_sampler(ordered(make("beta", {2, 3}), 2), 2,
                  [&](double x) { return x <= 0 ? 0.0 : x >= 1 ? 1.0 : cdf(b, x); }, 3);
  }
}
