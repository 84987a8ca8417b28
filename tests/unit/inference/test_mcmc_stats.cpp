// test_mcmc_stats.cpp — R-hat, bulk/tail ESS and MCSE (McmcStats.h) against
// an independent implementation and against analytic values.
//
// 1. Exact agreement, to 1e-10 relative, with the Python reference
//    implementation kept in reference/ (standard library only; direct
//    autocovariances, exact means and variances, AS241's Φ⁻¹), on the fixed
//    chains of reference/chains.txt. The values below were printed by
//        cd tests/unit/inference/reference
//        python3 mcmc_stats_reference.py chains.txt
//    The sets exercise: odd n (the middle draw dropped), antithetic chains
//    (ESS at its bound m n log10(m n)), a shifted chain (R-hat > 1.01),
//    Cauchy innovations, ties (a discrete chain), stuck chains (R-hat +inf),
//    chains too short for any pair after the first (τ̂ = 2), a tail indicator
//    that is constant (tail ESS NaN), constant draws (all NaN).
// 2. AR(1) chains x_t = φ x_{t−1} + ε_t have ρ_t = φ^t, so τ = (1 + φ)/(1 − φ)
//    and ESS/N → (1 − φ)/(1 + φ) (N = all draws); i.i.d. draws have ESS ≈ N.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "inference/McmcStats.h"

using namespace borel::inference;

namespace {

using Chains = std::vector<std::vector<double>>;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::map<std::string, Chains> read_chains(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::map<std::string, Chains> sets;
  std::string name;
  size_t m, n;
  while (in >> name >> m >> n) {
    Chains c(m, std::vector<double>(n));
    for (auto& x : c)
      for (double& v : x) in >> v;
    sets[name] = c;
  }
  return sets;
}

void check_same(double got, double want) {
  if (std::isnan(want)) {
    CHECK(std::isnan(got));
  } else if (std::isinf(want)) {
    CHECK(got == want);
  } else {
    CHECK(std::abs(got - want) <= 1e-10 * std::abs(want));
  }
}

// N(0, 1) by Box–Muller from a fixed-seed 64-bit Mersenne twister (whose
// output the C++ standard fixes, unlike std::normal_distribution's).
struct Normal {
  std::mt19937_64 g;
  explicit Normal(uint64_t seed) : g(seed) {}
  double operator()() {
    const double u = (static_cast<double>(g() >> 11) + 0.5) * 0x1p-53, v = static_cast<double>(g() >> 11) * 0x1p-53;
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * M_PI * v);
  }
};

Chains ar1(int chains, int n, double phi, uint64_t seed) {
  Normal z(seed);
  Chains c(static_cast<size_t>(chains));
  for (auto& x : c) {
    double v = z() / std::sqrt(1 - phi * phi);  // start in the stationary distribution
    for (int t = 0; t < n; ++t) {
      x.push_back(v);
      v = phi * v + z();
    }
  }
  return c;
}

}  // namespace

TEST_CASE("McmcStats agrees with the independent reference implementation to 1e-10") {
  // {rhat, ess_bulk, ess_tail, ess_mean, mcse_mean, sd}
  const std::map<std::string, std::vector<double>> want = {
      {"ar1_odd", {1.0932242786990405, 43.225392280345915, 107.55276784503252, 40.380828083946085, 0.23576118316876157, 1.4981659169528032}},
      {"antithetic", {1.0146655000997091, 571.2506980107854, 273.7655803316181, 571.2506980107854, 0.04953014509871246, 1.1838126382038987}},
      {"shifted", {1.1032728281302413, 35.464074275515934, 238.57567611890286, 32.46877561889594, 0.19488246827104858, 1.1104671800651587}},
      {"heavy", {1.0249892269361256, 119.0522374685944, 170.86490873197616, 169.31116599208013, 1.1687484971693751, 15.207711522368292}},
      {"discrete", {1.3249312865013954, 11.343827287683927, kNaN, 10.5760102446487, 0.4871824268654995, 1.5843551719921045}},
      {"stuck", {kInf, 5.0, kNaN, 5.0, 0.31702131247412063, 0.7088812050083358}},
      {"short", {1.2538876057875448, 6.0, kNaN, 6.0, 0.33998082505987676, 0.8327795437271301}},
      {"mostly_one", {1.004334236540435, 186.72801590315163, kNaN, 186.72801590315163, 0.011461171206620303, 0.15661513939205385}},
      {"constant", {kNaN, kNaN, kNaN, kNaN, kNaN, 0.0}},
  };
  const auto sets = read_chains(std::string(BOREL_TEST_REFERENCE_DIR) + "/chains.txt");
  REQUIRE(sets.size() == want.size());
  for (const auto& [name, w] : want) {
    INFO(name);
    REQUIRE(sets.count(name) == 1);
    const McmcStats s = mcmc_stats(sets.at(name));
    check_same(s.rhat, w[0]);
    check_same(s.ess_bulk, w[1]);
    check_same(s.ess_tail, w[2]);
    check_same(s.ess_mean, w[3]);
    check_same(s.mcse_mean, w[4]);
    check_same(s.sd, w[5]);
  }
}

TEST_CASE("Φ⁻¹ is accurate in the bulk and both tails") {
  // Values of qnorm to 17 digits (Φ⁻¹(0.975) = 1.959963984540054...).
  CHECK(std::abs(inv_normal_cdf(0.975) - 1.959963984540054) < 1e-14);
  CHECK(std::abs(inv_normal_cdf(0.025) + 1.959963984540054) < 1e-14);
  CHECK(std::abs(inv_normal_cdf(1e-10) + 6.361340902404056) < 1e-12);
  CHECK(std::abs(inv_normal_cdf(1 - 1e-10) - 6.361340889697422) < 1e-6);  // 1 − 1e-10 is itself rounded
  CHECK(inv_normal_cdf(0.5) == 0.0);
  CHECK(std::isinf(inv_normal_cdf(0.0)));
  CHECK(std::isnan(inv_normal_cdf(1.5)));
}

// Tolerances of the AR(1) checks. τ̂ = −1 + 2 Σ_{t≤K} ρ̂_t over a window of K
// lags has, for N draws, Var(τ̂) ≈ 2(2K + 1) τ² / N (Madras & Sokal 1988,
// eq. A.16; Sokal 1997, eq. 3.19), so ESS = N/τ̂ has relative sd
// √(2(2K + 1)/N). Geyer's sequence stops where the pair sums
// ρ_{2k} + ρ_{2k+1} = φ^{2k}(1 + φ) fall into the noise of ρ̂ (sd about
// √(τ_2/N), τ_2 = (1 + φ²)/(1 − φ²)): for N = 4·10^5 at K ≈ 12 for
// φ = ±0.5, K ≈ 55 for φ = 0.9 and K ≈ 2 for i.i.d. draws. With K bounded
// by 20, 100 and 10 the relative sds are at most 0.014, 0.032 and 0.010, and
// each check allows 4 of them. The bias (the truncated tail Σ_{t>K} φ^t, and the
// 1 − t/n of the biased autocovariance) is below 0.1% in every case.
TEST_CASE("AR(1) chains: ESS/N tends to (1 − φ)/(1 + φ); i.i.d. draws: ESS ≈ N") {
  const int chains = 4, n = 100000;
  const double N = chains * n;
  struct Case {
    double phi;
    int K;
  };
  for (const Case c : {Case{0.0, 10}, Case{0.5, 20}, Case{-0.5, 20}, Case{0.9, 100}}) {
    INFO("phi = " << c.phi);
    const McmcStats s = mcmc_stats(ar1(chains, n, c.phi, 7 + static_cast<uint64_t>(100 * (c.phi + 1))));
    const double want = (1 - c.phi) / (1 + c.phi), tol = 4 * std::sqrt(2 * (2 * c.K + 1) / N);
    CHECK(std::abs(s.ess_mean / N / want - 1) < tol);
    // The rank normalisation of a Gaussian chain is nearly the identity map.
    CHECK(std::abs(s.ess_bulk / N / want - 1) < tol);
    // The chains are stationary and alike: R-hat − 1 is O(1/n).
    CHECK(s.rhat < 1.001);
    // MCSE of the mean: the stationary sd 1/√(1 − φ²) over √ESS.
    CHECK(std::abs(s.mcse_mean / (1 / std::sqrt((1 - c.phi * c.phi) * want * N)) - 1) < tol + 0.01);
  }
}

TEST_CASE("the ESS of strongly antithetic chains is bounded by N log10 N") {
  // φ = −0.9: τ = 0.1/1.9, an ESS of 19 N, above the bound N log10 N = 3 N.
  const McmcStats s = mcmc_stats(ar1(4, 250, -0.9, 11));
  CHECK(s.ess_mean == doctest::Approx(1000 * std::log10(1000.0)).epsilon(1e-12));
}

TEST_CASE("R-hat: chains that disagree, chains that never moved, constant draws") {
  Chains c = ar1(4, 1000, 0.5, 5);
  for (double& v : c[3]) v += 1.0;  // one chain 0.87 stationary sd away
  CHECK(mcmc_stats(c).rhat > 1.05);
  // Every chain constant, the chains different: no within-chain variance.
  // An earlier version printed 398955720957040.312 here (rounding in the
  // chain means gave a within-chain variance of 1e-32).
  const Chains stuck = {std::vector<double>(1000, 0.1), std::vector<double>(1000, 0.7),
                        std::vector<double>(1000, 0.7), std::vector<double>(1000, 0.3)};
  const McmcStats st = mcmc_stats(stuck);
  CHECK(std::isinf(st.rhat));
  CHECK(st.rhat > 0);
  CHECK(rhat_raw({std::vector<double>(5, 0.1), std::vector<double>(5, 0.3)}) == kInf);
  // Every draw the same: R-hat and every ESS are NaN.
  const McmcStats k = mcmc_stats({std::vector<double>(100, 2.5), std::vector<double>(100, 2.5)});
  CHECK(std::isnan(k.rhat));
  CHECK(std::isnan(k.ess_bulk));
  CHECK(std::isnan(k.ess_tail));
  CHECK(std::isnan(k.mcse_mean));
  CHECK(k.sd == 0.0);
}
