// FiniteDiff.h — central finite differences with a derived error bound, the
// reference that the tests of reverse-mode gradients (runtime/Tape.h,
// inference/Transforms.h) compare the tape's adjoints against.
//
// With step h = 1e-6·max(1, |x|), the central difference of a smooth g is
//   (g(x+h) − g(x−h)) / 2h = g'(x) + g'''(ξ)·h²/6           (truncation, O(h²))
// and each evaluation of g is off by at most c·ε·M (c: the rounded
// operations on its path, each within one ulp; glibc's libm functions are;
// M: the largest magnitude on that path, |g| itself unless g sums terms that
// cancel), which the quotient divides by 2h (rounding, O(ε/h)). Hence
//   |fd − g'(x)| ≤ M3·h²/6 + c·ε·M / h.
// M3 = max |g'''| near x is estimated by the five-point stencil at the coarser
// step k = 1e-2·max(1, |x|); that estimate is an average of g''' over
// [x−2k, x+2k], so the bound doubles it — enough wherever g''' changes by less
// than a factor two across 4k, which the tests ensure by picking points at
// least that far from singularities and kinks. The steps are made exact
// (x ± h rounded, then h taken back from the rounded points) so that no
// rounding of the abscissae enters the quotient.
// With |g| ~ 1 the bound is ~1e-9: a wrong partial derivative (a dropped
// factor, a wrong sign) fails it by orders of magnitude.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

namespace borel::test {

struct FiniteDiff {
  double derivative;   // the central difference
  double error_bound;  // the bound on |derivative − g'(x)| derived above
};

// g'(x) by central differences; `rounding_ops` is c above, and `magnitude`
// M where it exceeds |g(x ± h)|.
template <class G>
FiniteDiff central_difference(G&& g, double x, double rounding_ops = 4, double magnitude = 0) {
  constexpr double kEps = std::numeric_limits<double>::epsilon();
  const double scale = std::max(1.0, std::fabs(x));
  const double xp = x + 1e-6 * scale, xm = x - 1e-6 * scale;
  const double two_h = xp - xm;  // exact (Sterbenz)
  const double gp = g(xp), gm = g(xm);
  const double k = 1e-2 * scale;
  const double m3 =
      2 * std::fabs(g(x + 2 * k) - 2 * g(x + k) + 2 * g(x - k) - g(x - 2 * k)) / (2 * k * k * k);
  const double h = two_h / 2;
  const double truncation = m3 * h * h / 6;
  const double m = std::max({magnitude, std::fabs(gp), std::fabs(gm)});
  const double rounding = rounding_ops * kEps * m / h;
  return {(gp - gm) / two_h, truncation + rounding};
}

}  // namespace borel::test
