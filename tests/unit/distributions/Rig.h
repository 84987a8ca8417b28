// Rig.h — the table-driven test rig shared by every distribution family.
//
// A family's test lists valid parameter sets and a reference built from
// Boost.Math (or, where Boost has no such distribution, from a few lines of
// formula), and invalid parameter sets with their messages; the rig checks:
//   - registration: the family is found by name, with the documented kinds;
//   - check(): accepts the valid sets, rejects each invalid one with exactly
//     its message;
//   - log_density: equals log(pdf) of the reference at points spread over
//     the support (reference quantiles, or every likely integer), is -inf
//     outside the support and never nan, even at nan/inf/huge arguments;
//   - mean and variance equal the reference's (nan where it has none);
//   - the sampler: every draw in the support, and a goodness-of-fit test with
//     a fixed seed: Kolmogorov–Smirnov (continuous) or chi-square (discrete)
//     on samples() draws, at the false-alarm rate kFitAlpha (Stats.h).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <gc/gc_allocator.h>

#include "runtime/Dist.h"
#include "runtime/Rng.h"
#include "runtime/Value.h"
#include "stdlib/distributions/Distributions.h"
#include "tests/unit/runtime/Stats.h"

namespace borel::test {

using rt::Dist;
using rt::DistOps;
using rt::Kind;
using rt::Word;

// Draws per goodness-of-fit test: 20000 in the smoke tier (every ctest
// run), 1000000 in the thorough tier (BOREL_TEST_TIER=thorough in the
// environment), which detects ~7x smaller deviations in the same time per
// draw.
int samples();
inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Words held by the tests live in collector-visible memory (DESIGN.md,
// decision 1): a std::vector's default heap is not scanned, and an array
// referenced only from there would be collected under the test's feet.
using Words = std::vector<Word, traceable_allocator<Word>>;

// The family registered under `name` (fails the test if absent).
const DistOps& family(const std::string& name);

// A distribution of the family `name` with scalar parameters p (Int
// parameters as doubles) and array parameters a.
Dist make(const std::string& name, std::vector<double> p, Words a = {});

// Array parameters and values in GC memory.
Word reals(const std::vector<double>& xs);
Word matrix(const std::vector<std::vector<double>>& rows);
Word dists(std::initializer_list<Dist> ds);  // each boxed
std::vector<double> to_reals(Word array);

// check() accepts d.
void expect_valid(const Dist& d);

// Parameter sets that check() must reject with exactly `message`.
struct Invalid {
  std::vector<double> p;
  Words a;
  std::string message;
};
void expect_invalid(const std::string& name, const std::vector<Invalid>& cases);

// log_density(x) equals `expected` (within 1e-10 relative) or both are -inf;
// in_support(x) agrees with whether `expected` is finite.
struct Point {
  Word x;
  double expected;
};
void expect_log_density(const Dist& d, const std::vector<Point, traceable_allocator<Point>>& points);

// log_density is -inf or finite (never nan) at awkward real arguments, and
// -inf wherever in_support is false.
void expect_robust_real(const Dist& d);
void expect_robust_int(const Dist& d);

// A continuous reference: its pdf, cdf, quantile and moments.
struct ContinuousRef {
  std::function<double(double)> pdf, cdf, quantile;
  double mean, variance;  // nan where undefined
};

// A discrete reference on the integers in [lo, hi]: its pmf and moments.
struct DiscreteRef {
  std::function<double(int64_t)> pmf;
  int64_t lo, hi;
  double mean, variance;
};

// Moments of a Boost distribution, nan where Boost raises (undefined).
template <class B>
double boost_mean(const B& b) {
  try {
    return mean(b);
  } catch (...) {
    return kNaN;
  }
}
template <class B>
double boost_variance(const B& b) {
  try {
    return variance(b);
  } catch (...) {
    return kNaN;
  }
}

template <class B>
ContinuousRef continuous_ref(const B& b, double mean, double variance) {
  return {[b](double x) { return pdf(b, x); }, [b](double x) { return cdf(b, x); },
          [b](double q) { return quantile(b, q); }, mean, variance};
}
template <class B>
ContinuousRef continuous_ref(const B& b) {
  return continuous_ref(b, boost_mean(b), boost_variance(b));
}

template <class B>
DiscreteRef discrete_ref(const B& b, int64_t lo = 0, int64_t hi = INT64_MAX) {
  return {[b](int64_t k) { return pdf(b, static_cast<double>(k)); }, lo, hi, boost_mean(b), boost_variance(b)};
}

// The whole rig for one valid parameter set of a real-valued family.
void check_continuous(const Dist& d, const ContinuousRef& ref, uint64_t seed);
// The whole rig for one valid parameter set of an int- or bool-valued family.
void check_discrete(const Dist& d, const DiscreteRef& ref, uint64_t seed);

// For every parameter set: make(name, p) and the Boost reference
// make_ref(p), then check_continuous / check_discrete.
// "normal(0, 1)", for messages.
std::string describe(const std::string& name, const std::vector<double>& p);

template <class MakeRef>
void check_continuous_family(const std::string& name, const std::vector<std::vector<double>>& sets, MakeRef make_ref) {
  uint64_t seed = 1;
  for (const auto& p : sets) {
    INFO(describe(name, p));
    check_continuous(make(name, p), continuous_ref(make_ref(p)), seed++);
  }
}
// make_ref(p) returns a DiscreteRef (discrete_ref(boost distribution, lo, hi)).
template <class MakeRef>
void check_discrete_family(const std::string& name, const std::vector<std::vector<double>>& sets, MakeRef make_ref) {
  uint64_t seed = 1;
  for (const auto& p : sets) {
    INFO(describe(name, p));
    check_discrete(make(name, p), make_ref(p), seed++);
  }
}

// Relative closeness for reference comparisons: |a - b| <= tol max(1, |b|),
// and equal infinities or both nan.
bool close(double a, double b, double tol = 1e-10);

}  // namespace borel::test
