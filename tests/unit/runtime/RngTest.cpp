// RngTest.cpp — xoshiro256++ seeding and streams, and the distributions of
// uniform, normal, exponential and below (moments within z standard errors,
// Kolmogorov–Smirnov, chi-square; see Stats.h for the false-alarm rates).
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <vector>

#include <boost/math/distributions/exponential.hpp>
#include <boost/math/distributions/normal.hpp>

#include "runtime/Rng.h"
#include "tests/unit/runtime/Stats.h"

using borel::rt::Rng;
using namespace borel::test;

namespace {

// Moment checks in this file: 12. They share kMomentAlpha.
const double kZ = z_for(kMomentAlpha, 12);

template <class F>
std::vector<double> draws(uint64_t seed, size_t n, F f) {
  Rng rng(seed, 0);
  std::vector<double> xs(n);
  for (auto& x : xs) x = f(rng);
  return xs;
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

}  // namespace

TEST_CASE("rng: generators with the same (seed, stream) agree") {
  Rng a(42, 7), b(42, 7);
  for (int i = 0; i < 10000; ++i) REQUIRE(a.next_u64() == b.next_u64());
  Rng c, d(0, 0);
  CHECK(c.next_u64() == d.next_u64());
}

TEST_CASE("rng: a run is a pure function of (seed, stream)") {
  Rng a(123, 5);
  std::vector<double> first;
  for (int i = 0; i < 1000; ++i) first.push_back(a.normal() + a.uniform() + a.exponential() + double(a.below(17)));
  Rng b = Rng::split(123, 5);
  for (int i = 0; i < 1000; ++i)
    REQUIRE(first[i] == b.normal() + b.uniform() + b.exponential() + double(b.below(17)));
}

TEST_CASE("rng: streams and seeds are distinct") {
  // 64 seeds x 64 streams x 64 outputs: all 262144 words distinct (a repeat
  // would mean overlapping or correlated streams; by chance, probability
  // ~2e-9). Stream i of seed s and stream s of seed i are different
  // generators.
  std::set<uint64_t> seen;
  for (uint64_t seed = 0; seed < 64; ++seed)
    for (uint64_t stream = 0; stream < 64; ++stream) {
      Rng r(seed, stream);
      for (int k = 0; k < 64; ++k) seen.insert(r.next_u64());
    }
  CHECK(seen.size() == 64u * 64u * 64u);
  CHECK(Rng(1, 2).next_u64() != Rng(2, 1).next_u64());
  CHECK(Rng(0, 0).next_u64() != Rng(0, 1).next_u64());
}

TEST_CASE("rng: neighbouring streams are uncorrelated") {
  // The correlation of uniforms from streams i and i+1 is ~N(0, 1/n).
  const int n = 200000;
  Rng a(9, 100), b(9, 101);
  double sab = 0, sa = 0, sb = 0;
  for (int i = 0; i < n; ++i) {
    const double x = a.uniform() - 0.5, y = b.uniform() - 0.5;
    sab += x * y;
    sa += x * x;
    sb += y * y;
  }
  CHECK(std::fabs(sab / std::sqrt(sa * sb)) < kZ / std::sqrt(double(n)));
}

TEST_CASE("rng: uniform is in (0, 1) with the right moments and distribution") {
  const auto xs = draws(1, 1000000, [](Rng& r) { return r.uniform(); });
  for (double x : xs) REQUIRE((x > 0 && x < 1));
  const Moments m = moments(xs);
  CHECK(std::fabs(m.mean - 0.5) < kZ * m.mean_se());
  CHECK(std::fabs(m.variance - 1.0 / 12) < kZ * m.variance_se());
  const KsResult ks = ks_test(xs, [](double x) { return x; });
  INFO("KS ", ks.statistic, " critical ", ks.critical);
  CHECK(ks.passed());
}

TEST_CASE("rng: normal has the right moments and distribution") {
  const auto xs = draws(2, 1000000, [](Rng& r) { return r.normal(); });
  const Moments m = moments(xs);
  CHECK(std::fabs(m.mean) < kZ * m.mean_se());
  CHECK(std::fabs(m.variance - 1) < kZ * m.variance_se());
  // Kurtosis 3: the fourth moment's standard error is sqrt((105 - 9) / n).
  CHECK(std::fabs(m.m4 - 3) < kZ * std::sqrt(96.0 / m.n));
  const KsResult ks = ks_test(xs, normal_cdf);
  INFO("KS ", ks.statistic, " critical ", ks.critical);
  CHECK(ks.passed());
}

TEST_CASE("rng: normal tails beyond the ziggurat's base (|z| > 3) and beyond r = 3.654") {
  // Of 5e7 draws, ~135000 land beyond 3 and ~12900 beyond r, where only the
  // tail algorithm produces values. Given |z| > c, |z| has the normal tail
  // distribution. The bulk KS test barely sees either region.
  Rng rng(3, 0);
  const double n = 5e7, r = 3.6541528853610088;
  std::vector<double> beyond3, beyond_r;
  for (int i = 0; i < int(n); ++i) {
    const double z = std::fabs(rng.normal());
    if (z > 3) beyond3.push_back(z);
    if (z > r) beyond_r.push_back(z);
  }
  for (auto [c, tail] : {std::pair{3.0, &beyond3}, std::pair{r, &beyond_r}}) {
    const double pc = 2 * normal_cdf(-c);
    CHECK(std::fabs(double(tail->size()) - n * pc) < kZ * std::sqrt(n * pc));
    const KsResult ks = ks_test(*tail, [&](double z) { return 1 - 2 * normal_cdf(-z) / pc; });
    INFO("beyond ", c, ": KS ", ks.statistic, " critical ", ks.critical, " n ", tail->size());
    CHECK(ks.passed());
  }
}

TEST_CASE("rng: exponential has the right moments, distribution and tail") {
  const auto xs = draws(4, 1000000, [](Rng& r) { return r.exponential(); });
  for (double x : xs) REQUIRE(x >= 0);
  const Moments m = moments(xs);
  CHECK(std::fabs(m.mean - 1) < kZ * m.mean_se());
  CHECK(std::fabs(m.variance - 1) < kZ * m.variance_se());
  const KsResult ks = ks_test(xs, [](double x) { return -std::expm1(-x); });
  INFO("KS ", ks.statistic, " critical ", ks.critical);
  CHECK(ks.passed());

  // Beyond 6 (near the tail start r = 7.697), x - 6 is again Exp(1).
  Rng rng(5, 0);
  std::vector<double> tail;
  for (int i = 0; i < 10000000; ++i) {
    const double x = rng.exponential();
    if (x > 6) tail.push_back(x - 6);
  }
  const KsResult ks_tail = ks_test(tail, [](double x) { return -std::expm1(-x); });
  INFO("tail KS ", ks_tail.statistic, " critical ", ks_tail.critical, " n ", tail.size());
  CHECK(ks_tail.passed());
}

TEST_CASE("rng: below is uniform and unbiased") {
  CHECK(Rng(6, 0).below(1) == 0);
  CHECK(Rng(6, 0).below(0) == 0);
  // Chi-square over 7 cells.
  Rng rng(7, 0);
  std::vector<double> counts(7, 0.0), expected(7, 10000.0);
  for (int i = 0; i < 70000; ++i) {
    const uint64_t k = rng.below(7);
    REQUIRE(k < 7);
    counts[k] += 1;
  }
  const ChiSquareResult chi = chi_square_test(counts, expected);
  INFO("chi2 ", chi.statistic, " critical ", chi.critical);
  CHECK(chi.passed());
  // n = 3 * 2^62: a modulo reduction would put half of the draws below n / 3
  // instead of a third.
  const uint64_t n = 3ull << 62;
  int low = 0;
  const int draws_n = 300000;
  for (int i = 0; i < draws_n; ++i) {
    const uint64_t k = rng.below(n);
    REQUIRE(k < n);
    low += k < (1ull << 62);
  }
  const double p = 1.0 / 3;
  CHECK(std::fabs(low - draws_n * p) < kZ * std::sqrt(draws_n * p * (1 - p)));
}

TEST_CASE("rng: ziggurat tables") {
  using borel::rt::detail::zig_exponential;
  using borel::rt::detail::zig_normal;
  // Every layer i >= 1 has the area v of the base layer: x[i] (f[i+1] - f[i]).
  const double v_normal = 0.00492867323399, v_exp = 0.0039496598225815571993;
  for (int i = 1; i < 256; ++i) {
    CHECK(zig_normal.x[i] > zig_normal.x[i + 1]);
    CHECK(zig_normal.x[i] * (zig_normal.f[i + 1] - zig_normal.f[i]) == doctest::Approx(v_normal).epsilon(1e-8));
    CHECK(zig_exponential.x[i] * (zig_exponential.f[i + 1] - zig_exponential.f[i]) ==
          doctest::Approx(v_exp).epsilon(1e-8));
  }
  CHECK(zig_normal.x[256] == 0.0);
  CHECK(zig_normal.f[256] == 1.0);
}
