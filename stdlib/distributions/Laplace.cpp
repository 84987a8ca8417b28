// Laplace.cpp — laplace(mu, b): the double exponential, density
// exp(-|x - mu| / b) / (2 b) on the real line.
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "laplace";

bool check(const Dist& d, std::string& why) {
  return check_finite(why, kName, "mu", d.p[0]) && check_positive(why, kName, "b", d.p[1]);
}

Word sample(const Dist& d, Rng& rng) { return real_value(laplace_sample(rng, d.p[0], d.p[1])); }

double log_density(const Dist& d, Word x) { return laplace_log_density(rt::to_real(x), d.p[0], d.p[1]); }

bool in_support(const Dist&, Word x) { return std::isfinite(rt::to_real(x)); }

double mean(const Dist& d) { return d.p[0]; }

double variance(const Dist& d) { return finite_or_nan(2 * d.p[1] * d.p[1]); }

}  // namespace

extern const DistOps laplace_ops = {
    kName, 2, {"mu", "b"}, {Kind::Real, Kind::Real}, Kind::Real, "(-inf, inf)",
    check, sample, log_density, in_support, mean, variance,
};

}  // namespace borel::dist
