// GradientMoments.h — what the vi tests share: to check that a gradient
// estimator is unbiased, the mean and standard error of many estimates from
// one ViProblem and the check of each coordinate against its exact value;
// and the hierarchical guide both test files fit.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "inference/Vi.h"

namespace borel::test {

struct Moments {
  std::vector<double> mean, se;
};

// Mean and standard error of n estimates (seeds first_seed, first_seed + 1,
// ...), the reinforce baselines updated after each as the optimiser would.
inline Moments gradient_moments(inference::ViProblem& problem, uint64_t first_seed, int n) {
  std::vector<double> g, sum, sq;
  for (int i = 0; i < n; ++i) {
    problem.estimate(first_seed + static_cast<uint64_t>(i), g);
    sum.resize(g.size(), 0.0);
    sq.resize(g.size(), 0.0);
    for (size_t k = 0; k < g.size(); ++k) {
      sum[k] += g[k];
      sq[k] += g[k] * g[k];
    }
    problem.update_baselines();
  }
  Moments m;
  for (size_t k = 0; k < sum.size(); ++k) {
    const double mean = sum[k] / n;
    m.mean.push_back(mean);
    m.se.push_back(std::sqrt((sq[k] / n - mean * mean) / (n - 1)));
  }
  return m;
}

// Each coordinate's mean within 4 standard errors of the exact value, and
// each standard error below 0.05 (so that a missing term would fail).
inline void check_unbiased(const Moments& m, const std::vector<double>& exact) {
  REQUIRE(m.mean.size() == exact.size());
  for (size_t k = 0; k < exact.size(); ++k) {
    INFO("coordinate " << k << ": mean " << m.mean[k] << " +- " << m.se[k] << ", exact " << exact[k]);
    CHECK(m.se[k] < 0.05);
    CHECK(std::abs(m.mean[k] - exact[k]) < 4 * m.se[k]);
  }
}

// A hierarchical guide for a conjugate normal model (mu ~ normal(0, 2), five
// observations of sd 1): u ~ normal(0, 1), mu ~ normal(m + a u, s), so
// q(mu) = normal(m, sqrt(a^2 + s^2)); the reverse program's family
// normal(c (mu - k), t) contains q(u | mu) (c = a / (a^2 + s^2), k = m,
// t = s / sqrt(a^2 + s^2)) but starts elsewhere.
inline const char* const kHierarchicalGuide = R"(
fn guide() {
  let u = sample(normal(0.0, 1.0), "u");
  sample(normal(param("m", 1.2) + param("a", 0.3) * u, param_positive("s", 0.33)), "mu")
}
fn back() { sample(normal(param("c", 0.3) * (trace_real("mu") - param("k", 0.2)), param_positive("t", 1.0)), "u"); }
fn model() {
  let mu = sample(normal(0.0, 2.0), "mu");
  for y in [1.2, 0.4, 2.2, 1.9, 0.7] { observe(normal(mu, 1.0), y); }
  mu
}
)";

}  // namespace borel::test
