// DiscreteTest.cpp — the int- and bool-valued families against Boost.Math
// (bernoulli, binomial, poisson, geometric, neg_binomial) or their pmf
// written out (categorical, discrete_uniform).
#include <boost/math/distributions/bernoulli.hpp>
#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/geometric.hpp>
#include <boost/math/distributions/negative_binomial.hpp>
#include <boost/math/distributions/poisson.hpp>

#include "tests/unit/distributions/Rig.h"

using namespace borel::test;

TEST_CASE("bernoulli") {
  check_discrete_family("bernoulli", {{0.3}, {0}, {1}, {0.999}},
                        [](const auto& p) { return discrete_ref(boost::math::bernoulli(p[0]), 0, 1); });
  // Values are bools: words 0 and 1 only.
  expect_log_density(make("bernoulli", {0.25}), {{1, -1.38629436111989061883446424292},
                                                 {0, -0.287682072451780927439219005994},
                                                 {2, -kInf},
                                                 {-1, -kInf}});
  expect_log_density(make("bernoulli", {0}), {{0, 0}, {1, -kInf}});
  expect_invalid("bernoulli", {{{1.5}, {}, "bernoulli: p is 1.5, but must be in [0, 1]"},
                               {{kNaN}, {}, "bernoulli: p is nan, but must be in [0, 1]"}});
}

TEST_CASE("binomial") {
  // Inversion (n p < 10), BTRS (n p >= 10, from the boundary up), both sides
  // of p = 1/2, and the point masses p = 0 and p = 1.
  check_discrete_family(
      "binomial", {{10, 0.5}, {1000, 0.003}, {20, 0.5}, {25, 0.45}, {1000, 0.3}, {50, 0.9}, {100000, 0.01}, {7, 0}, {7, 1}, {0, 0.5}},
      [](const auto& p) { return discrete_ref(boost::math::binomial(p[0], p[1]), 0, static_cast<int64_t>(p[0])); });
  // Huge n: log C(n, k) by Stirling differences stays accurate.
  const boost::math::binomial big(1e9, 0.3);
  const auto d = make("binomial", {1e9, 0.3});
  for (double k : {3e8, 3e8 + 1e4, 2.999e8})
    CHECK(close(d.ops->log_density(d, static_cast<int64_t>(k)), std::log(pdf(big, k)), 1e-11));
  expect_invalid("binomial", {{{-1, 0.5}, {}, "binomial: n is -1, but must be non-negative"},
                              {{2.5, 0.5}, {}, "binomial: n is 2.5, but must be an integer with |value| <= 2^53"},
                              {{10, -0.1}, {}, "binomial: p is -0.1, but must be in [0, 1]"}});
}

TEST_CASE("poisson") {
  check_discrete_family("poisson", {{0.5}, {3}, {9.99}, {10}, {250}, {1e5}},
                        [](const auto& p) { return discrete_ref(boost::math::poisson(p[0])); });
  expect_log_density(make("poisson", {0}), {{0, 0}, {1, -kInf}, {-1, -kInf}});
  expect_log_density(make("poisson", {2}), {{3, -1.712317927548219}});  // log(8 e^-2 / 6)
  expect_invalid("poisson", {{{-1}, {}, "poisson: rate is -1, but must be non-negative"},
                             {{kInf}, {}, "poisson: rate is inf, but must be finite"}});
}

TEST_CASE("geometric") {
  check_discrete_family("geometric", {{0.5}, {0.05}, {1}, {0.999}},
                        [](const auto& p) { return discrete_ref(boost::math::geometric(p[0])); });
  expect_log_density(make("geometric", {0.25}), {{0, -1.38629436111989061883446424292},
                                                 {2, -1.9616585060234524}});  // log(0.25 * 0.75^2)
  expect_invalid("geometric", {{{0}, {}, "geometric: p is 0, but must be in (0, 1]"},
                               {{1.5}, {}, "geometric: p is 1.5, but must be in (0, 1]"}});
}

TEST_CASE("neg_binomial") {
  check_discrete_family("neg_binomial", {{3, 0.4}, {0.5, 0.1}, {25.5, 0.9}, {1000, 0.5}, {2, 1}},
                        [](const auto& p) { return discrete_ref(boost::math::negative_binomial(p[0], p[1])); });
  expect_invalid("neg_binomial", {{{0, 0.5}, {}, "neg_binomial: r is 0, but must be positive"},
                                  {{1, 0}, {}, "neg_binomial: p is 0, but must be in (0, 1]"}});
}

TEST_CASE("categorical") {
  const std::vector<double> probs{0.2, 0, 0.5, 0.3};
  const auto d = make("categorical", {}, {reals(probs)});
  check_discrete(d, {[&](int64_t k) { return probs[static_cast<size_t>(k)]; }, 0, 3, 1.9, 0.2 * 1.9 * 1.9 + 0.5 * 0.01 + 0.3 * 1.21}, 1);
  expect_log_density(d, {{0, -1.60943791243410037460075933323}, {1, -kInf}, {4, -kInf}, {-1, -kInf}});
  check_discrete(make("categorical", {}, {reals({1})}), {[](int64_t) { return 1.0; }, 0, 0, 0, 0}, 2);
  // Sums within 1e-6 of 1 are accepted as they are.
  expect_valid(make("categorical", {}, {reals({0.5, 0.5000005})}));
  expect_invalid("categorical",
                 {{{}, {reals({0.5, 0.4})}, "categorical: sum(probs) is 0.9, but must be 1 (within 1e-06)"},
                  {{}, {reals({1.5, -0.5})}, "categorical: probs[1] is -0.5, but must be non-negative"},
                  {{}, {reals({kNaN, 1})}, "categorical: probs[0] is nan, but must be finite"},
                  {{}, {reals({})}, "categorical: the length of probs is 0, but must be at least 1"}});
}

TEST_CASE("discrete_uniform") {
  for (auto [lo, hi] : {std::pair{-3, 4}, std::pair{5, 5}, std::pair{0, 99}}) {
    const double n = hi - lo + 1;
    INFO(lo, " ", hi);
    check_discrete(make("discrete_uniform", {double(lo), double(hi)}),
                   {[n](int64_t) { return 1 / n; }, lo, hi, 0.5 * (lo + hi), (n * n - 1) / 12}, 7);
  }
  expect_invalid("discrete_uniform",
                 {{{2, 1}, {}, "discrete_uniform: hi is 1, but must be at least lo (2)"},
                  {{0.5, 1}, {}, "discrete_uniform: lo is 0.5, but must be an integer with |value| <= 2^53"}});
}
