// test_resampling.cpp — every resampling scheme is unbiased and well formed.
//
// Unbiasedness: over R independent resamplings the mean number of copies of
// particle i must be m·w_i. The count of a multinomial scheme has variance
// m·w_i(1 - w_i), the largest of the four schemes (residual, stratified and
// systematic only remove variance), so |mean - m·w_i| <= z·sqrt(m w_i (1-w_i) / R)
// with z = 5 fails with probability < 1e-6 per check for a correct scheme.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "inference/Errors.h"
#include "inference/Resampling.h"
#include "runtime/Model.h"

using namespace borel;
using namespace borel::inference;

namespace {

void check_unbiased(Resampling scheme, const std::vector<double>& w, int64_t m) {
  const int64_t n = static_cast<int64_t>(w.size());
  const int R = 20000;
  std::vector<double> counts(static_cast<size_t>(n), 0.0);
  std::vector<int64_t> a(static_cast<size_t>(m));
  rt::Rng rng(42, 7);
  for (int r = 0; r < R; ++r) {
    resample(scheme, w, rng, a);
    REQUIRE(std::is_sorted(a.begin(), a.end()));
    for (int64_t k : a) {
      REQUIRE(k >= 0);
      REQUIRE(k < n);
      REQUIRE(w[k] > 0);  // never a zero-weight particle
      counts[k] += 1;
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    const double expect = static_cast<double>(m) * w[i];
    const double sd = std::sqrt(static_cast<double>(m) * w[i] * (1 - w[i]) / R);
    INFO(resampling_name(scheme) << " particle " << i << " mean copies " << counts[i] / R << " expected " << expect);
    CHECK(std::abs(counts[i] / R - expect) <= 5 * sd + 1e-12);
  }
}

}  // namespace

TEST_CASE("resampling schemes are unbiased, sorted and never pick zero weights") {
  std::vector<double> w = {0.0, 0.05, 0.3, 0.0, 0.12, 0.33, 0.2, 0.0};
  for (auto scheme : {Resampling::Multinomial, Resampling::Systematic, Resampling::Stratified, Resampling::Residual}) {
    check_unbiased(scheme, w, 8);
    check_unbiased(scheme, w, 13);  // m != n
  }
}

TEST_CASE("resampling with one dominant particle and rounding in the weights") {
  std::vector<double> w(1000, 1e-300);
  w[999] = 1.0 - 999e-300;
  std::vector<int64_t> a(1000);
  rt::Rng rng(1, 1);
  for (auto scheme : {Resampling::Multinomial, Resampling::Systematic, Resampling::Stratified, Resampling::Residual}) {
    resample(scheme, w, rng, a);
    CHECK(std::count(a.begin(), a.end(), 999) >= 990);
  }
  // Weights summing to slightly less than 1: the last positive weight catches the rest.
  std::vector<double> v = {0.25, 0.25, 0.25, 0.2499999, 0.0};
  std::vector<int64_t> b(4);
  for (auto scheme : {Resampling::Multinomial, Resampling::Systematic, Resampling::Stratified, Resampling::Residual})
    for (int r = 0; r < 100; ++r) {
      resample(scheme, v, rng, b);
      for (int64_t k : b) CHECK(k < 4);
    }
}

TEST_CASE("systematic resampling keeps floor or ceil of m·w_i copies") {
  std::vector<double> w = {0.1, 0.25, 0.4, 0.25};
  std::vector<int64_t> a(10);
  rt::Rng rng(3, 3);
  for (int r = 0; r < 1000; ++r) {
    resample_systematic(w, rng, a);
    for (int i = 0; i < 4; ++i) {
      const auto c = std::count(a.begin(), a.end(), i);
      CHECK(c >= static_cast<long>(std::floor(10 * w[i] - 1e-9)));
      CHECK(c <= static_cast<long>(std::ceil(10 * w[i] + 1e-9)));
    }
  }
}

TEST_CASE("unknown resampling names raise a RuntimeError naming the method") {
  CHECK(parse_resampling("residual", "smc") == Resampling::Residual);
  try {
    parse_resampling("sytematic", "smc");
    FAIL("no error");
  } catch (const rt::RuntimeError& e) {
    CHECK(e.what().find("smc: resampling is 'sytematic'") != std::string::npos);
  }
}
