// DiscreteUniform.cpp — discrete_uniform(lo, hi): each integer in the
// inclusive range {lo, ..., hi} with probability 1 / (hi - lo + 1). lo and
// hi are ints.
#include "stdlib/distributions/Family.h"

#include <fmt/format.h>

namespace borel::dist {

namespace {

constexpr const char* kName = "discrete_uniform";

bool check(const Dist& d, std::string& why) {
  return check_integer(why, kName, "lo", d.p[0]) && check_integer(why, kName, "hi", d.p[1]) &&
         (d.p[1] >= d.p[0] ||
          fail(why, kName, "hi", d.p[1], fmt::format("at least lo ({})", format_number(d.p[0]))));
}

// |lo|, |hi| <= 2^53 (check_integer), so hi - lo + 1 fits easily.
Word sample(const Dist& d, Rng& rng) {
  const int64_t lo = int_param(d, 0), hi = int_param(d, 1);
  return int_value(lo + static_cast<int64_t>(rng.below(static_cast<uint64_t>(hi - lo) + 1)));
}

double log_density(const Dist& d, Word k) {
  const int64_t lo = int_param(d, 0), hi = int_param(d, 1);
  if (k < lo || k > hi) return -kInf;
  return -std::log(static_cast<double>(hi - lo) + 1);
}

bool in_support(const Dist& d, Word k) { return k >= int_param(d, 0) && k <= int_param(d, 1); }

// Both parameters are ints: their partials are 0, and the value is discrete.
double log_density_grad(const Dist& d, Word k, double* dp, double*, double* const*) {
  const double lp = log_density(d, k);
  if (!(lp > -kInf)) return lp;
  dp[0] = 0;
  dp[1] = 0;
  return lp;
}

double mean(const Dist& d) { return 0.5 * (d.p[0] + d.p[1]); }

double variance(const Dist& d) {
  const double n = d.p[1] - d.p[0] + 1;
  return (n * n - 1) / 12;
}

}  // namespace

extern const DistOps discrete_uniform_ops = {
    kName, 2, {"lo", "hi"}, {Kind::Int, Kind::Int}, Kind::Int, "{lo, ..., hi}",
    check, sample, log_density, in_support, mean, variance,
    Support::Discrete, log_density_grad,
};

}  // namespace borel::dist
