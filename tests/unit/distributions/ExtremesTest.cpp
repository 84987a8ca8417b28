// ExtremesTest.cpp — every family at the edges of its parameter space: the
// sampler stays in the support where floating point would push it out
// (gamma variates below the smallest double, beta draws rounding to 1,
// heavy tails overflowing), and the log-density of every draw is finite.
// The table must name every registered family, so a new family cannot skip
// it.
#include <set>

#include "tests/unit/distributions/Rig.h"

using namespace borel::test;

namespace {

struct Extreme {
  std::string name;
  std::vector<double> p;
  Words a;
};

std::vector<Extreme, traceable_allocator<Extreme>> extremes() {
  return {
      {"normal", {1e300, 1e-300}, {}},
      {"normal", {0, 1e300}, {}},
      {"lognormal", {700, 5}, {}},
      {"lognormal", {-700, 5}, {}},
      {"uniform", {-1e307, 1e307}, {}},
      {"uniform", {1, 1 + 1e-15}, {}},
      {"exponential", {1e-300}, {}},
      {"exponential", {1e300}, {}},
      {"gamma", {1e-3, 1}, {}},
      {"gamma", {1e-2, 1e300}, {}},
      {"gamma", {1e8, 1e-8}, {}},
      {"inv_gamma", {1e-3, 1}, {}},
      {"inv_gamma", {1e-2, 1e-300}, {}},
      {"beta", {0.01, 0.01}, {}},
      {"beta", {1e-3, 1e3}, {}},
      {"beta", {1e6, 1e6}, {}},
      {"student_t", {0.05, 0, 1}, {}},
      {"student_t", {1e10, 0, 1}, {}},
      {"cauchy", {0, 1e300}, {}},
      {"laplace", {0, 1e307}, {}},
      {"half_normal", {1e-300}, {}},
      {"half_normal", {1e300}, {}},
      {"half_cauchy", {1e-300}, {}},
      {"half_cauchy", {1e300}, {}},
      {"bernoulli", {1e-300}, {}},
      {"binomial", {9007199254740992, 0.5}, {}},
      {"binomial", {1e15, 1e-14}, {}},
      {"binomial", {1000, 1 - 1e-12}, {}},
      {"poisson", {1e15}, {}},
      {"poisson", {1e-300}, {}},
      {"geometric", {1e-300}, {}},
      {"geometric", {1 - 1e-16}, {}},
      {"neg_binomial", {1e-3, 1e-3}, {}},
      {"neg_binomial", {1e6, 1e-6}, {}},
      {"categorical", {}, {reals({1e-300, 1})}},
      {"discrete_uniform", {-9007199254740992, 9007199254740992}, {}},
      {"dirichlet", {}, {reals({1e-3, 1e-3, 1e-3})}},
      {"dirichlet", {}, {reals({1e8, 1})}},
      {"mv_normal", {}, {reals({0, 0}), matrix({{1e-300, 0}, {0, 1e300}})}},
      {"normal_glm", {1e300, 1e-300}, {matrix({{1e300}, {-1e300}}), reals({1e-300})}},
      {"normal_glm", {0, 1e300}, {matrix({{1e-300, 1}}), reals({1e-300, -1e300})}},
      {"ordered", {3}, {borel::rt::from_ptr(borel::rt::dist_box(make("gamma", {1e-3, 1})))}},
      {"ordered", {5}, {borel::rt::from_ptr(borel::rt::dist_box(make("cauchy", {0, 1e300})))}},
      {"lkj_corr_cholesky", {6, 1e-3}, {}},
      {"lkj_corr_cholesky", {4, 1e6}, {}},
      {"mixture", {}, {reals({0.5, 0.5}), dists({make("gamma", {1e-3, 1}), make("cauchy", {0, 1e300})})}},
  };
}

}  // namespace

TEST_CASE("extremes: draws stay in the support with finite log-density") {
  uint64_t stream = 0;
  for (const Extreme& e : extremes()) {
    const Dist d = make(e.name, e.p, e.a);
    INFO(describe(e.name, e.p));
    expect_valid(d);
    borel::rt::Rng rng(99, stream++);
    for (int i = 0; i < 2000; ++i) {
      const Word w = d.ops->sample(d, rng);
      REQUIRE(d.ops->in_support(d, w));
      const double ld = d.ops->log_density(d, w);
      INFO("draw ", i, " log_density ", ld);
      REQUIRE(std::isfinite(ld));
    }
    const double m = d.ops->mean(d), v = d.ops->variance(d);
    CHECK((std::isnan(m) || std::isfinite(m)));
    CHECK((std::isnan(v) || (std::isfinite(v) && v >= 0)));
  }
}

TEST_CASE("extremes: the table covers every registered family") {
  std::set<std::string> covered;
  for (const Extreme& e : extremes()) covered.insert(e.name);
  for (int i = 0; i < borel::rt::distribution_count(); ++i) {
    const std::string name = borel::rt::distribution_at(i)->name;
    INFO(name);
    CHECK(covered.count(name) == 1);
  }
}
