// DigammaTest.cpp — digamma and digamma_diff (Special.h), which the
// log-density gradients use, against Boost.Math's digamma.
#include <doctest/doctest.h>

#include <boost/math/special_functions/digamma.hpp>
#include <cfloat>
#include <cmath>
#include <cstdint>

#include "stdlib/distributions/Special.h"

namespace {

// The error bound of Special.h's digamma: at most 14 roundings (10
// recurrence steps, the log, 1/(2x), the series sum), each by eps/2 relative
// to a running sum whose magnitude is below the sum of the terms'
// magnitudes: 1/x + (1/(x+1) + ... + 1/(x+9) < 2.9) + log(x') (x' the
// shifted argument: < 3 for x < 10, log x beyond) + 1/(2x') + the series
// (< 0.1), in all < 1/x + |log x| + 7. So |error| <= 7 eps (1/x + |log x| + 7);
// twice that covers Boost's own error too (a few eps of |psi|, below the same sum).
double bound(double x) { return 14 * DBL_EPSILON * (1 / x + std::fabs(std::log(x)) + 7); }

}  // namespace

TEST_CASE("digamma: against Boost.Math over (0, inf)") {
  for (double x : {1e-300, 1e-8, 1e-3, 0.1, 0.5, 1.0, 1.4616321449683623, 2.5, 9.5, 9.999999, 10.0,
                   10.5, 37.0, 1e3, 1e8, 1e15, 1e300}) {
    INFO("x = ", x);
    const double expected = boost::math::digamma(x);
    CHECK(std::fabs(borel::dist::digamma(x) - expected) <= bound(x));
  }
}

TEST_CASE("digamma: nan off its domain (and no endless recurrence)") {
  CHECK(std::isnan(borel::dist::digamma(0)));
  CHECK(std::isnan(borel::dist::digamma(-1)));
  CHECK(std::isnan(borel::dist::digamma(-1e300)));
  CHECK(std::isnan(borel::dist::digamma(std::nan(""))));
}

TEST_CASE("digamma_diff: psi(x + k) - psi(x), by the sum and by digammas") {
  for (double x : {0.3, 2.0, 1e3, 1e9})
    for (int64_t k : {0, 1, 5, 64, 65, 1000}) {
      INFO("x = ", x, ", k = ", k);
      const double kd = static_cast<double>(k);
      const double expected = boost::math::digamma(x + kd) - boost::math::digamma(x);
      // The reference itself cancels: its error is the two bounds (above)
      // of digammas of size |log| (Boost's are as accurate); the short sum
      // adds k roundings of its running total (at most `expected`).
      const double tol = 2 * (bound(x) + bound(x + kd)) + kd * DBL_EPSILON * std::fabs(expected);
      CHECK(std::fabs(borel::dist::digamma_diff(x, k) - expected) <= tol);
    }
}
