// SbcStatsTest.cpp — the SBC acceptance rule can pass and can fail: ranks of
// an exact "algorithm" (θ and its draws from the same distribution) pass,
// ranks from a posterior that is too narrow or shifted fail, with the
// thresholds the harness uses (alpha = 1e-3 over 100 tests).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <random>

#include "SbcStats.h"

using namespace borel::sbc;

namespace {

// R replications: θ ~ N(0, 1), L draws ~ N(shift, scale); the rank of θ.
std::vector<int> simulated_ranks(int reps, int draws, double shift, double scale, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0.0, 1.0);
  std::vector<int> ranks;
  for (int r = 0; r < reps; ++r) {
    const double theta = n01(rng);
    int below = 0;
    for (int l = 0; l < draws; ++l) below += shift + scale * n01(rng) < theta;
    ranks.push_back(below);
  }
  return ranks;
}

}  // namespace

TEST_CASE("chi-square and normal thresholds are the textbook quantiles") {
  CHECK(chi_square_threshold(9, 0.05) == doctest::Approx(16.919).epsilon(1e-4));
  CHECK(chi_square_threshold(9, 1e-3) == doctest::Approx(27.877).epsilon(1e-4));
  CHECK(two_sided_normal_threshold(0.05) == doctest::Approx(1.95996).epsilon(1e-5));
}

TEST_CASE("rank histogram: equal bins, chi-square against uniform") {
  // 0..19 in 4 bins of 5 ranks: ranks 0, 4 | 5 | 19.
  const RankHistogram h = rank_histogram({0, 4, 5, 19}, 19, 4);
  CHECK(h.counts == std::vector<int>{2, 1, 0, 1});
  // Expected 1 per bin: (1 + 0 + 1 + 0) / 1.
  CHECK(h.chi_square == doctest::Approx(2.0));
  CHECK_THROWS(rank_histogram({20}, 19, 4));
}

TEST_CASE("exact draws pass, too narrow or shifted draws fail") {
  const double threshold = chi_square_threshold(9, 1e-3 / 100);
  // Several seeds, each a different data set: every one of them passes
  // (each would fail with probability 1e-5).
  for (uint64_t seed = 1; seed <= 5; ++seed)
    CHECK(rank_histogram(simulated_ranks(200, 99, 0.0, 1.0, seed), 99, 10).chi_square <= threshold);
  // A posterior with sd 0.5 instead of 1 puts θ in the tails: a U-shaped
  // histogram; shifted by 0.8, a slope. With R = 200 both are far beyond the
  // threshold (χ² = 115 and 131 here against 39.3).
  CHECK(rank_histogram(simulated_ranks(200, 99, 0.0, 0.5, 1), 99, 10).chi_square > threshold);
  CHECK(rank_histogram(simulated_ranks(200, 99, 0.8, 1.0, 1), 99, 10).chi_square > threshold);
}

TEST_CASE("evidence ratio: mean and standard error, exact ratios") {
  const EvidenceRatio e = evidence_ratio({0.9, 1.1, 1.0, 1.0});
  CHECK(e.mean == doctest::Approx(1.0));
  CHECK(e.se == doctest::Approx(std::sqrt(0.02 / 3 / 4)));
  CHECK(e.z == doctest::Approx(0.0));
  CHECK(evidence_ratio({1.0, 1.0}).z == 0.0);
  CHECK(std::isinf(evidence_ratio({0.5, 0.5}).z));
  CHECK(evidence_ratio({1.5, 1.7, 1.6}).z > 10);
}

TEST_CASE("designs: equal bins and five replications per bin") {
  CHECK(check_design(100, 99, 10).empty());
  CHECK(!check_design(100, 100, 10).empty());
  CHECK(!check_design(40, 99, 10).empty());
}
