// Rig.cpp — the shared distribution test rig (Rig.h).
#include "tests/unit/distributions/Rig.h"

#include <algorithm>
#include <cstdlib>
#include <cfloat>
#include <map>
#include <sstream>

namespace borel::test {

int samples() {
  static const int n = [] {
    const char* tier = std::getenv("BOREL_TEST_TIER");
    return tier != nullptr && std::string(tier) == "thorough" ? 1000000 : 20000;
  }();
  return n;
}

const DistOps& family(const std::string& name) {
  const DistOps* ops = rt::find_distribution(name);
  REQUIRE_MESSAGE(ops != nullptr, "family not registered: ", name);
  REQUIRE(std::string(ops->name) == name);
  return *ops;
}

Dist make(const std::string& name, std::vector<double> p, Words a) {
  Dist d{&family(name), {}, {}};
  REQUIRE(p.size() <= 4);
  REQUIRE(a.size() <= 2);
  std::copy(p.begin(), p.end(), d.p);
  std::copy(a.begin(), a.end(), d.a);
  return d;
}

Word reals(const std::vector<double>& xs) {
  return rt::from_ptr(rt::array_from_reals(xs.data(), static_cast<int64_t>(xs.size())));
}

Word matrix(const std::vector<std::vector<double>>& rows) {
  rt::Array* m = rt::array_new(static_cast<int64_t>(rows.size()));
  for (size_t i = 0; i < rows.size(); ++i) m->data[i] = reals(rows[i]);
  return rt::from_ptr(m);
}

Word dists(std::initializer_list<Dist> ds) {
  rt::Array* m = rt::array_new(static_cast<int64_t>(ds.size()));
  int64_t i = 0;
  for (const Dist& d : ds) m->data[i++] = rt::from_ptr(rt::dist_box(d));
  return rt::from_ptr(m);
}

std::vector<double> to_reals(Word array) {
  const auto* a = rt::to_ptr<const rt::Array>(array);
  std::vector<double> xs(static_cast<size_t>(a->len));
  for (int64_t i = 0; i < a->len; ++i) xs[static_cast<size_t>(i)] = rt::array_real(a, i);
  return xs;
}

std::string describe(const std::string& name, const std::vector<double>& p) {
  std::ostringstream s;
  s.precision(17);
  s << name << "(";
  for (size_t i = 0; i < p.size(); ++i) s << (i ? ", " : "") << p[i];
  s << ")";
  return s.str();
}

bool close(double a, double b, double tol) {
  if (std::isnan(b)) return std::isnan(a);
  if (std::isinf(b)) return a == b;
  return std::fabs(a - b) <= tol * std::max(1.0, std::fabs(b));
}

void expect_valid(const Dist& d) {
  std::string why;
  const bool ok = d.ops->check(d, why);
  INFO(why);
  CHECK(ok);
  CHECK(why.empty());
}

void expect_invalid(const std::string& name, const std::vector<Invalid>& cases) {
  for (const Invalid& c : cases) {
    const Dist d = make(name, c.p, c.a);
    std::string why;
    INFO(describe(name, c.p));
    CHECK_FALSE(d.ops->check(d, why));
    CHECK(why == c.message);
  }
}

void expect_log_density(const Dist& d, const std::vector<Point, traceable_allocator<Point>>& points) {
  for (const Point& pt : points) {
    const double got = d.ops->log_density(d, pt.x);
    INFO("x word ", pt.x, " (as real ", rt::to_real(pt.x), "): got ", got, ", expected ", pt.expected);
    CHECK(close(got, pt.expected));
    CHECK(d.ops->in_support(d, pt.x) == (pt.expected > -kInf));
  }
}

namespace {

void expect_robust(const Dist& d, const Words& xs) {
  for (Word x : xs) {
    const double ld = d.ops->log_density(d, x);
    INFO("x word ", x, " (as real ", rt::to_real(x), "): log_density ", ld);
    CHECK_FALSE(std::isnan(ld));
    CHECK(ld < kInf);
    if (!d.ops->in_support(d, x)) CHECK(ld == -kInf);
  }
}

void check_moments(const Dist& d, double mean, double variance) {
  INFO("mean ", d.ops->mean(d), " vs ", mean, "; variance ", d.ops->variance(d), " vs ", variance);
  CHECK(close(d.ops->mean(d), mean, 1e-12));
  CHECK(close(d.ops->variance(d), variance, 1e-12));
}

}  // namespace

void expect_robust_real(const Dist& d) {
  Words xs;
  for (double x : {kNaN, kInf, -kInf, DBL_MAX, -DBL_MAX, 0.0, -0.0, DBL_TRUE_MIN, -DBL_TRUE_MIN, 1.0, -1.0,
                   0.5, 1 - 0x1.0p-53, 1e300, -1e300})
    xs.push_back(rt::from_real(x));
  expect_robust(d, xs);
}

void expect_robust_int(const Dist& d) {
  expect_robust(d, {INT64_MIN, -1000000, -1, 0, 1, 2, 1000000, INT64_MAX});
}

void check_continuous(const Dist& d, const ContinuousRef& ref, uint64_t seed) {
  expect_valid(d);
  expect_robust_real(d);
  check_moments(d, ref.mean, ref.variance);

  // log_density against log(pdf) across the support.
  for (double q : {1e-8, 1e-4, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1 - 1e-4, 1 - 1e-8}) {
    double x;
    try {
      x = ref.quantile(q);
    } catch (...) {
      continue;
    }
    if (!std::isfinite(x) || !d.ops->in_support(d, rt::from_real(x))) continue;
    const double want = std::log(ref.pdf(x));
    const double got = d.ops->log_density(d, rt::from_real(x));
    INFO("q ", q, " x ", x, ": log_density ", got, ", log(pdf) ", want);
    CHECK(close(got, want, 1e-9));
  }

  // The sampler: in the support, and KS against the reference cdf.
  rt::Rng rng(seed, 0);
  std::vector<double> xs(samples());
  for (double& x : xs) {
    const Word w = d.ops->sample(d, rng);
    REQUIRE(d.ops->in_support(d, w));
    REQUIRE(std::isfinite(d.ops->log_density(d, w)));
    x = rt::to_real(w);
  }
  const KsResult ks = ks_test(xs, ref.cdf);
  INFO("KS statistic ", ks.statistic, ", critical ", ks.critical);
  CHECK(ks.passed());
}

void check_discrete(const Dist& d, const DiscreteRef& ref, uint64_t seed) {
  expect_valid(d);
  expect_robust_int(d);
  check_moments(d, ref.mean, ref.variance);
  if (ref.lo > INT64_MIN) CHECK(d.ops->log_density(d, ref.lo - 1) == -kInf);
  if (ref.hi < INT64_MAX) CHECK(d.ops->log_density(d, ref.hi + 1) == -kInf);

  // The pmf over the likely values, and log_density against it.
  std::vector<double> pmf;
  double cumulative = 0;
  for (int64_t k = ref.lo; k <= ref.hi && cumulative < 1 - 1e-12 && k - ref.lo < 1000000; ++k) {
    const double p = ref.pmf(k);
    pmf.push_back(p);
    cumulative += p;
    const double got = d.ops->log_density(d, k);
    INFO("k ", k, ": log_density ", got, ", log(pmf) ", std::log(p));
    if (p > 0) CHECK(d.ops->in_support(d, k));
    if (p > 1e-300) {
      CHECK(close(got, std::log(p), 1e-9));
    } else if (p > 0 || d.ops->in_support(d, k)) {
      CHECK(got < -690);  // the reference underflowed (or is subnormal)
    } else {
      CHECK(got == -kInf);
    }
  }

  // The sampler: in the support, and chi-square with cells expecting >= 5.
  rt::Rng rng(seed, 0);
  std::map<int64_t, double> counts;
  for (int i = 0; i < samples(); ++i) {
    const Word w = d.ops->sample(d, rng);
    REQUIRE(d.ops->in_support(d, w));
    REQUIRE(std::isfinite(d.ops->log_density(d, w)));
    counts[w] += 1;
  }
  const double n = samples();
  std::vector<double> observed, expected;
  double cell_obs = 0, cell_exp = 0, cumulative_exp = 0;
  for (size_t i = 0; i < pmf.size(); ++i) {
    const int64_t k = ref.lo + static_cast<int64_t>(i);
    cell_exp += n * pmf[i];
    cumulative_exp += n * pmf[i];
    if (auto it = counts.find(k); it != counts.end()) cell_obs += it->second;
    if (cell_exp >= 5 && n - cumulative_exp >= 5) {
      observed.push_back(cell_obs);
      expected.push_back(cell_exp);
      cell_obs = cell_exp = 0;
    }
  }
  // What is left (the last cell, the unwalked tail) joins the last cell.
  const int64_t walked_hi = ref.lo + static_cast<int64_t>(pmf.size()) - 1;
  for (auto it = counts.upper_bound(walked_hi); it != counts.end(); ++it) cell_obs += it->second;
  cell_exp += std::max(n - cumulative_exp, 0.0);
  if (observed.empty()) {
    observed.push_back(cell_obs);
    expected.push_back(cell_exp);
  } else {
    observed.back() += cell_obs;
    expected.back() += cell_exp;
  }
  if (observed.size() < 2) return;  // a point mass: nothing to test
  const ChiSquareResult chi = chi_square_test(observed, expected);
  INFO("chi-square ", chi.statistic, ", critical ", chi.critical, ", cells ", chi.cells);
  CHECK(chi.passed());
}

}  // namespace borel::test
