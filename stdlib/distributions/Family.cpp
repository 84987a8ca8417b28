// Family.cpp — checks and helpers shared by the families with array parameters.
#include "stdlib/distributions/Family.h"

#include <fmt/format.h>

namespace borel::dist {

bool check_real_elements(std::string& why, std::string_view family, std::string_view name, const Array* a,
                         bool positive, bool nonnegative) {
  for (int64_t i = 0; i < length(a); ++i) {
    const double x = rt::array_real(a, i);
    // Named only on failure (this runs at every evaluation of a density with
    // an array parameter; formatting the name cost more than the check).
    if (std::isfinite(x) && (!positive || x > 0) && (!nonnegative || x >= 0)) continue;
    const std::string what = element_name(name, i);
    if (positive && !check_positive(why, family, what, x)) return false;
    if (nonnegative && !check_nonnegative(why, family, what, x)) return false;
    if (!check_finite(why, family, what, x)) return false;
  }
  return true;
}

bool check_simplex_weights(std::string& why, std::string_view family, std::string_view name, const Array* a) {
  if (length(a) < 1) return fail(why, family, fmt::format("the length of {}", name), "0", "at least 1");
  if (!check_real_elements(why, family, name, a, false, true)) return false;
  double sum = 0;
  for (int64_t i = 0; i < a->len; ++i) sum += rt::array_real(a, i);
  if (std::fabs(sum - 1.0) > kSumTolerance)
    return fail(why, family, fmt::format("sum({})", name), sum, fmt::format("1 (within {})", kSumTolerance));
  return true;
}

int64_t sample_index(rt::Rng& rng, const Array* weights) {
  double total = 0;
  for (int64_t i = 0; i < weights->len; ++i) total += rt::array_real(weights, i);
  double u = rng.uniform() * total;
  int64_t last_positive = 0;
  for (int64_t i = 0; i < weights->len; ++i) {
    const double w = rt::array_real(weights, i);
    if (w <= 0) continue;
    if (u < w) return i;
    u -= w;
    last_positive = i;
  }
  return last_positive;
}

}  // namespace borel::dist
