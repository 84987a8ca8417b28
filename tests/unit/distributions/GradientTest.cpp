// GradientTest.cpp — DistOps::log_density_grad and support_kind of every
// family. At random valid points (fixed seeds) the gradient function must
//   (a) return exactly what log_density returns;
//   (b) write every partial (dp, dx, da), each equal to a central finite
//       difference of log_density within a tolerance derived below; Int
//       parameters get exactly 0;
//   (c) outside the support, return -inf and leave every partial untouched.
// A registry test makes a new family fail here until it has a gradient and
// a case in this file.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/distributions/Rig.h"

using namespace borel::test;
using borel::rt::Array;
using borel::rt::from_real;
using borel::rt::Rng;
using borel::rt::Support;

namespace {

// A distribution, a point in its support, and points outside it.
struct Case {
  Dist d;
  Word x;
  Words outside;
  double x_step = kStep;  // relative step for the value (smaller on the simplex)
  // Coordinates of the value (flattened) that the support pins, so that
  // there is no neighbourhood to difference in (lkj_corr_cholesky's zeros
  // above the diagonal): their partial must be exactly 0.
  std::vector<size_t> pinned = {};
  static constexpr double kStep = 1e-5;
};

// How a case is drawn for a family, and how many.
struct FamilyCases {
  std::string name;
  Support support;
  std::function<Case(Rng&)> draw;
};

constexpr int kPointsPerFamily = 8;
constexpr double kSentinel = 1234.5;  // "untouched": no partial is ever exactly this here

double uniform(Rng& rng, double lo, double hi) { return lo + (hi - lo) * rng.uniform(); }
int64_t integer(Rng& rng, int64_t lo, int64_t hi) {  // in [lo, hi]
  return lo + static_cast<int64_t>(rng.below(static_cast<uint64_t>(hi - lo + 1)));
}

// A random point of the simplex of dimension k, every entry >= floor.
std::vector<double> simplex(Rng& rng, int64_t k, double floor) {
  std::vector<double> w(static_cast<size_t>(k));
  double sum = 0;
  for (double& wi : w) sum += wi = uniform(rng, floor, 1.0);
  for (double& wi : w) wi /= sum;
  return w;
}

// The shapes of a family's parameters: which p[] slot or a[] slot each
// declared parameter occupies.
struct Layout {
  std::vector<Kind> scalar_kinds;  // by p[] slot
  std::vector<Kind> array_kinds;   // by a[] slot
  std::vector<std::string> scalar_names, array_names;
};
Layout layout(const DistOps& ops) {
  Layout l;
  for (int k = 0; k < ops.nparams; ++k) {
    const Kind kind = ops.param_kinds[k];
    const bool scalar = kind == Kind::Real || kind == Kind::Int || kind == Kind::Bool;
    (scalar ? l.scalar_kinds : l.array_kinds).push_back(kind);
    (scalar ? l.scalar_names : l.array_names).push_back(ops.param_names[k]);
  }
  return l;
}

// A distribution parameter (ordered's base) in collector-scanned memory.
Word boxed(const Dist& d) { return borel::rt::from_ptr(borel::rt::dist_box(d)); }

// The reals of an array parameter or value, flattened row-major for a
// matrix; a distribution parameter's reals are its scalar parameters.
std::vector<double> flatten(Word w, Kind kind) {
  if (kind == Kind::RealArray) return to_reals(w);
  if (kind == Kind::RealDist) {
    const auto* d = borel::rt::to_ptr<const Dist>(w);
    return std::vector<double>(d->p, d->p + d->ops->nparams);
  }
  std::vector<double> out;
  const auto* m = borel::rt::to_ptr<const Array>(w);
  for (int64_t i = 0; i < m->len; ++i)
    for (double v : to_reals(m->data[i])) out.push_back(v);
  return out;
}

// A new array (new address: mv_normal caches its factor by address) like
// `w` with flattened element q set to v.
Word with_element(Word w, Kind kind, size_t q, double v) {
  if (kind == Kind::RealArray) {
    std::vector<double> xs = to_reals(w);
    xs[q] = v;
    return reals(xs);
  }
  if (kind == Kind::RealDist) {
    Dist d = *borel::rt::to_ptr<const Dist>(w);
    d.p[q] = v;
    return boxed(d);
  }
  const auto* m = borel::rt::to_ptr<const Array>(w);
  std::vector<std::vector<double>> rows;
  for (int64_t i = 0; i < m->len; ++i) rows.push_back(to_reals(m->data[i]));
  const size_t cols = rows[0].size();
  rows[q / cols][q % cols] = v;
  return matrix(rows);
}

// Buffers for one call of log_density_grad, filled with kSentinel.
struct Partials {
  double dp[4] = {kSentinel, kSentinel, kSentinel, kSentinel};
  std::vector<double> dx;
  std::vector<double> da[2];
  double* da_ptrs[2] = {nullptr, nullptr};
  Partials(const DistOps& ops, const Case& c) {
    const Layout l = layout(ops);
    size_t nx = 1;  // discrete values: one sentinel that must stay
    if (ops.value_kind == Kind::RealArray || ops.value_kind == Kind::RealMatrix)
      nx = flatten(c.x, ops.value_kind).size();
    dx.assign(nx, kSentinel);
    for (size_t j = 0; j < l.array_kinds.size(); ++j) {
      if (l.array_kinds[j] == Kind::DistArray) continue;
      da[j].assign(flatten(c.d.a[j], l.array_kinds[j]).size(), kSentinel);
      da_ptrs[j] = da[j].data();
    }
  }
  double call(const DistOps& ops, const Dist& d, Word x) {
    return ops.log_density_grad(d, x, dp, dx.data(), da_ptrs);
  }
};

// The finite-difference check of one partial. f is the log-density as a
// function of one real input at v, g the analytic partial.
//
// The central difference D(h) = (f(v+h) - f(v-h)) / 2h has truncation error
// h^2 f'''/6 + O(h^4) and rounding error about eps |f| / h. With
// h = 1e-5 max(0.1, |v|) (relative for scales, absolute near 0, where a
// relative step would drown in rounding; 1e-7 on the simplex, see dirichlet),
// at the points drawn below (away from the support's edges and the kinks)
// both are of order 1e-8 (1 + |f'|) or less, so tol = 1e-6 (1 + |g|) leaves
// a margin of more than ten and still catches any formula error larger than
// a part per million (a dropped or doubled term of a gradient is of order 1).
//
// The margin is verified, not assumed: D(2h) - D(h) = h^2 f''' / 2 (3 times
// the truncation error of D(h)) plus both rounding errors, and it must be
// below tol / 4, so D(h) itself is within about tol / 12 of f' at every point
// compared; a point where the finite difference is unreliable fails rather
// than passing vacuously. (Seen with these seeds: |D(2h) - D(h)| and
// |g - D(h)| at most 2% of tol.)
void expect_partial(const std::string& what, const std::function<double(double)>& f, double v,
                    double g, double rel_step) {
  INFO(what, " at ", v);
  REQUIRE(std::isfinite(g));
  const double h = rel_step * std::max(0.1, std::fabs(v));
  auto central = [&](double step) {
    const double hi = v + step, lo = v - step;  // the difference actually taken, exactly
    return (f(hi) - f(lo)) / (hi - lo);
  };
  const double d1 = central(h), d2 = central(2 * h);
  const double tol = 1e-6 * (1 + std::fabs(g));
  INFO("analytic ", g, ", finite difference ", d1, " (", d2, " at 2h), tolerance ", tol);
  CHECK(std::fabs(d2 - d1) <= tol / 4);
  CHECK(std::fabs(g - d1) <= tol);
}

void check_in_support(const Case& c) {
  const DistOps& ops = *c.d.ops;
  const Layout l = layout(ops);
  Partials out(ops, c);
  const double v = out.call(ops, c.d, c.x);
  const double lp = ops.log_density(c.d, c.x);
  REQUIRE(std::isfinite(lp));
  CHECK(v == lp);  // (a): bit-identical, not merely close

  // Scalar parameters: Real ones against a finite difference, the rest 0.
  for (size_t k = 0; k < l.scalar_kinds.size(); ++k) {
    const std::string what = "d/d" + l.scalar_names[k];
    if (l.scalar_kinds[k] != Kind::Real) {
      INFO(what);
      CHECK(out.dp[k] == 0);
      continue;
    }
    expect_partial(
        what,
        [&](double t) {
          Dist d = c.d;
          d.p[k] = t;
          return ops.log_density(d, c.x);
        },
        c.d.p[k], out.dp[k], Case::kStep);
  }
  for (size_t k = l.scalar_kinds.size(); k < 4; ++k) CHECK(out.dp[k] == kSentinel);

  // The value.
  if (ops.value_kind == Kind::Real) {
    expect_partial(
        "d/dx", [&](double t) { return ops.log_density(c.d, from_real(t)); },
        borel::rt::to_real(c.x), out.dx[0], c.x_step);
  } else if (ops.value_kind == Kind::RealArray || ops.value_kind == Kind::RealMatrix) {
    const std::vector<double> x = flatten(c.x, ops.value_kind);
    for (size_t i = 0; i < x.size(); ++i) {
      const std::string what = "d/dx[" + std::to_string(i) + "]";
      if (std::find(c.pinned.begin(), c.pinned.end(), i) != c.pinned.end()) {
        INFO(what, " (pinned by the support)");
        CHECK(out.dx[i] == 0);
        continue;
      }
      expect_partial(
          what, [&](double t) { return ops.log_density(c.d, with_element(c.x, ops.value_kind, i, t)); },
          x[i], out.dx[i], c.x_step);
    }
  } else {
    CHECK(out.dx[0] == kSentinel);  // discrete: not written
  }

  // Array parameters, one element at a time.
  for (size_t j = 0; j < l.array_kinds.size(); ++j) {
    const Kind kind = l.array_kinds[j];
    const std::string& name = l.array_names[j];
    const std::vector<double> elems = flatten(c.d.a[j], kind);
    for (size_t q = 0; q < elems.size(); ++q)
      expect_partial(
          "d/d" + name + "[" + std::to_string(q) + "]",
          [&](double t) {
            Dist d = c.d;
            d.a[j] = with_element(c.d.a[j], kind, q, t);
            return ops.log_density(d, c.x);
          },
          elems[q], out.da[j][q], Case::kStep);
  }
}

// (c): -inf, and nothing written.
void check_outside(const Case& c) {
  const DistOps& ops = *c.d.ops;
  for (size_t i = 0; i < c.outside.size(); ++i) {
    INFO("point outside the support #", i);
    Partials out(ops, c);
    const double v = out.call(ops, c.d, c.outside[i]);
    CHECK(v == -kInf);
    CHECK(ops.log_density(c.d, c.outside[i]) == -kInf);
    for (double p : out.dp) CHECK(p == kSentinel);
    for (double p : out.dx) CHECK(p == kSentinel);
    for (const auto& a : out.da)
      for (double p : a) CHECK(p == kSentinel);
  }
}

Word real(double x) { return from_real(x); }

// Every family but mixture, with the ranges its points are drawn from: wide
// enough to cover the regimes of each formula, away from the support's
// edges so that finite differences are meaningful (see expect_partial).
std::vector<FamilyCases> families() {
  const double nan = kNaN;
  return {
      {"normal", Support::Real,
       [=](Rng& r) {
         const double mu = uniform(r, -3, 3), sigma = uniform(r, 0.3, 3);
         return Case{make("normal", {mu, sigma}),
                     real(mu + sigma * uniform(r, -3, 3)),
                     {real(nan), real(kInf), real(-kInf)}};
       }},
      {"lognormal", Support::Positive,
       [=](Rng& r) {
         const double mu = uniform(r, -1, 1), sigma = uniform(r, 0.3, 1.5);
         return Case{make("lognormal", {mu, sigma}),
                     real(std::exp(mu + sigma * uniform(r, -2, 2))),
                     {real(0), real(-1), real(nan), real(kInf)}};
       }},
      {"uniform", Support::Interval,
       [=](Rng& r) {
         const double lo = uniform(r, -5, 0), hi = lo + uniform(r, 0.5, 5);
         return Case{make("uniform", {lo, hi}),
                     real(lo + (hi - lo) * uniform(r, 0.1, 0.9)),
                     {real(lo - 0.1), real(hi + 0.1), real(nan)}};
       }},
      {"exponential", Support::Positive,
       [=](Rng& r) {
         return Case{make("exponential", {uniform(r, 0.2, 3)}),
                     real(uniform(r, 0.05, 5)),
                     {real(-0.1), real(nan), real(kInf)}};
       }},
      {"gamma", Support::Positive,
       [=](Rng& r) {
         const double shape = uniform(r, 0.5, 8), rate = uniform(r, 0.2, 3);
         return Case{make("gamma", {shape, rate}),
                     real(shape / rate * uniform(r, 0.3, 2)),
                     {real(0), real(-1), real(nan), real(kInf)}};
       }},
      {"inv_gamma", Support::Positive,
       [=](Rng& r) {
         const double shape = uniform(r, 0.5, 5), scale = uniform(r, 0.5, 3);
         return Case{make("inv_gamma", {shape, scale}),
                     real(scale / shape * uniform(r, 0.5, 2)),
                     {real(0), real(-1), real(nan), real(kInf)}};
       }},
      {"beta", Support::UnitInterval,
       [=](Rng& r) {
         return Case{make("beta", {uniform(r, 0.5, 8), uniform(r, 0.5, 8)}),
                     real(uniform(r, 0.05, 0.95)),
                     {real(0), real(1), real(-0.5), real(nan)}};
       }},
      {"student_t", Support::Real,
       [=](Rng& r) {
         const double nu = uniform(r, 0.5, 30), mu = uniform(r, -3, 3), sigma = uniform(r, 0.3, 3);
         return Case{make("student_t", {nu, mu, sigma}),
                     real(mu + sigma * uniform(r, -4, 4)),
                     {real(nan), real(kInf), real(-kInf)}};
       }},
      {"cauchy", Support::Real,
       [=](Rng& r) {
         const double loc = uniform(r, -3, 3), scale = uniform(r, 0.3, 3);
         return Case{make("cauchy", {loc, scale}),
                     real(loc + scale * uniform(r, -4, 4)),
                     {real(nan), real(kInf), real(-kInf)}};
       }},
      {"laplace", Support::Real,
       [=](Rng& r) {
         const double mu = uniform(r, -3, 3), b = uniform(r, 0.3, 3);
         const double side = r.uniform() < 0.5 ? -1 : 1;  // away from the kink at mu
         return Case{make("laplace", {mu, b}),
                     real(mu + side * b * uniform(r, 0.1, 4)),
                     {real(nan), real(kInf), real(-kInf)}};
       }},
      {"bernoulli", Support::Discrete,
       [=](Rng& r) {
         return Case{
             make("bernoulli", {uniform(r, 0.05, 0.95)}), r.uniform() < 0.5 ? 1 : 0, {2, -1}};
       }},
      {"binomial", Support::Discrete,
       [=](Rng& r) {
         const int64_t n = integer(r, 1, 30);
         return Case{make("binomial", {static_cast<double>(n), uniform(r, 0.05, 0.95)}),
                     integer(r, 0, n),
                     {-1, n + 1}};
       }},
      {"poisson", Support::Discrete,
       [=](Rng& r) {
         const double rate = uniform(r, 0.2, 20);
         return Case{
             make("poisson", {rate}), integer(r, 0, static_cast<int64_t>(2 * rate) + 3), {-1}};
       }},
      {"geometric", Support::Discrete,
       [=](Rng& r) {
         return Case{make("geometric", {uniform(r, 0.05, 0.95)}), integer(r, 0, 20), {-1}};
       }},
      {"neg_binomial", Support::Discrete,
       [=](Rng& r) {
         // k up to 150: both branches of digamma_diff (the sum below 65).
         return Case{make("neg_binomial", {uniform(r, 0.3, 20), uniform(r, 0.05, 0.95)}),
                     integer(r, 0, 150),
                     {-1}};
       }},
      {"categorical", Support::Discrete,
       [=](Rng& r) {
         const int64_t k = integer(r, 2, 6);
         std::vector<double> probs = simplex(r, k, 0.05);
         // One zero probability: its index is outside the support.
         const auto zero = static_cast<size_t>(integer(r, 0, k - 1));
         probs[(zero + 1) % probs.size()] += probs[zero];
         probs[zero] = 0;
         int64_t x = integer(r, 0, k - 1);
         if (x == static_cast<int64_t>(zero)) x = (x + 1) % k;
         return Case{
             make("categorical", {}, {reals(probs)}), x, {-1, k, static_cast<int64_t>(zero)}};
       }},
      {"discrete_uniform", Support::Discrete,
       [=](Rng& r) {
         const int64_t lo = integer(r, -10, 0), hi = lo + integer(r, 0, 10);
         return Case{make("discrete_uniform", {static_cast<double>(lo), static_cast<double>(hi)}),
                     integer(r, lo, hi),
                     {lo - 1, hi + 1}};
       }},
      {"dirichlet", Support::Simplex,
       [=](Rng& r) {
         const int64_t k = integer(r, 2, 5);
         std::vector<double> alpha(static_cast<size_t>(k));
         for (double& a : alpha) a = uniform(r, 0.5, 5);
         const std::vector<double> x = simplex(r, k, 0.1);
         std::vector<double> over = x, negative = x, boundary = x, shorter = x;
         over[0] += 0.1;
         negative[0] = -negative[0];
         boundary[1] += boundary[0];
         boundary[0] = 0;
         shorter.pop_back();
         Case c{make("dirichlet", {}, {reals(alpha)}),
                reals(x),
                {reals(over), reals(negative), reals(boundary), reals(shorter), 0}};
         // Moving one coordinate by 2h must keep the sum within the
         // support's tolerance (1e-6): h <= 1e-7.
         c.x_step = 1e-7;
         return c;
       }},
      {"mv_normal", Support::RealVector,
       [=](Rng& r) {
         const int64_t n = integer(r, 1, 4);
         const auto un = static_cast<size_t>(n);
         std::vector<std::vector<double>> a(un, std::vector<double>(un)),
             cov(un, std::vector<double>(un));
         for (auto& row : a)
           for (double& v : row) v = uniform(r, -1, 1);
         for (size_t i = 0; i < un; ++i)  // A A^T + I/2: symmetric to the bit, well conditioned
           for (size_t j = 0; j < un; ++j) {
             double s = i == j ? 0.5 : 0.0;
             for (size_t k = 0; k < un; ++k) s += a[i][k] * a[j][k];
             cov[i][j] = s;
           }
         std::vector<double> mean(un), x(un);
         for (size_t i = 0; i < un; ++i) {
           mean[i] = uniform(r, -2, 2);
           x[i] = mean[i] + uniform(r, -2, 2);
         }
         std::vector<double> with_nan = x, longer = x;
         with_nan[0] = nan;
         longer.push_back(0);
         return Case{make("mv_normal", {}, {reals(mean), matrix(cov)}),
                     reals(x),
                     {reals(with_nan), reals(longer), 0}};
       }},
      // Last, so that the families above keep the seeds they were checked with.
      {"ordered", Support::Ordered,
       [=](Rng& r) {
         // A base on the reals or on (0, inf), and k sorted points whose
         // gaps (at least 0.2 scales) no step of the difference can close.
         const int64_t k = integer(r, 1, 4);
         const int which = static_cast<int>(integer(r, 0, 2));
         Dist base;
         double x0, scale;
         if (which == 0) {
           const double mu = uniform(r, -3, 3), sigma = uniform(r, 0.3, 3);
           base = make("normal", {mu, sigma});
           x0 = mu - sigma * uniform(r, 1, 2);
           scale = sigma;
         } else if (which == 1) {
           const double shape = uniform(r, 0.5, 8), rate = uniform(r, 0.2, 3);
           base = make("gamma", {shape, rate});
           x0 = shape / rate * uniform(r, 0.2, 0.5);
           scale = shape / rate * 0.3;
         } else {
           const double nu = uniform(r, 0.5, 30), mu = uniform(r, -3, 3), sigma = uniform(r, 0.3, 3);
           base = make("student_t", {nu, mu, sigma});
           x0 = mu - sigma * uniform(r, 0.5, 2);
           scale = sigma;
         }
         std::vector<double> x{x0};
         while (static_cast<int64_t>(x.size()) < k) x.push_back(x.back() + scale * uniform(r, 0.2, 1));
         std::vector<double> with_nan = x, longer = x, negative = x, unsorted = x;
         with_nan[0] = nan;
         longer.push_back(x.back() + 1);
         negative[0] = -1;
         Words outside{reals(with_nan), reals(longer), 0};
         if (which == 1) outside.push_back(reals(negative));
         if (k > 1) {
           std::swap(unsorted[0], unsorted[1]);
           outside.push_back(reals(unsorted));
         }
         return Case{make("ordered", {static_cast<double>(k)}, {boxed(base)}), reals(x), outside};
       }},
      {"lkj_corr_cholesky", Support::CholeskyCorr,
       [=](Rng& r) {
         const int64_t k = integer(r, 2, 5);
         const auto n = static_cast<size_t>(k);
         std::vector<std::vector<double>> l(n, std::vector<double>(n, 0.0));
         Case c{make("lkj_corr_cholesky", {static_cast<double>(k), uniform(r, 0.3, 5)}), 0, {}};
         for (size_t i = 0; i < n; ++i) {
           double norm = 0;
           for (size_t j = 0; j <= i; ++j) {
             l[i][j] = j == i ? uniform(r, 0.5, 1.5) : uniform(r, -0.5, 0.5);
             norm += l[i][j] * l[i][j];
           }
           for (size_t j = 0; j <= i; ++j) l[i][j] /= std::sqrt(norm);
           for (size_t j = i + 1; j < n; ++j) c.pinned.push_back(i * n + j);
         }
         c.x = matrix(l);
         auto upper = l, negative = l, longer = l;
         upper[0][n - 1] = 1e-3;
         negative[1][1] = -negative[1][1];
         for (double& v : longer[n - 1]) v *= 1.001;
         c.outside = {matrix(upper), matrix(negative), matrix(longer), 0};
         // Moving one entry by 2h must keep its row's sum of squares within
         // the support's tolerance (1e-6): h <= 1e-7, as for dirichlet.
         c.x_step = 1e-7;
         return c;
       }},
      {"half_normal", Support::Positive,
       [=](Rng& r) {
         const double sigma = uniform(r, 0.3, 3);
         return Case{make("half_normal", {sigma}),
                     real(sigma * uniform(r, 0.05, 3)),
                     {real(-0.1), real(-1e-300), real(nan), real(kInf)}};
       }},
      {"half_cauchy", Support::Positive,
       [=](Rng& r) {
         const double scale = uniform(r, 0.3, 3);
         return Case{make("half_cauchy", {scale}),
                     real(scale * uniform(r, 0.05, 4)),
                     {real(-0.1), real(-1e-300), real(nan), real(kInf)}};
       }},
      {"normal_glm", Support::RealVector,
       [=](Rng& r) {
         // n observations of k predictors; the partials of x (n k), beta,
         // alpha, sigma and y are all checked.
         const auto n = static_cast<size_t>(integer(r, 1, 5)), k = static_cast<size_t>(integer(r, 1, 3));
         std::vector<std::vector<double>> x(n, std::vector<double>(k));
         for (auto& row : x)
           for (double& v : row) v = uniform(r, -2, 2);
         std::vector<double> beta(k), y(n);
         for (double& b : beta) b = uniform(r, -1.5, 1.5);
         const double alpha = uniform(r, -1, 1), sigma = uniform(r, 0.3, 3);
         for (size_t i = 0; i < n; ++i) {
           double m = alpha;
           for (size_t j = 0; j < k; ++j) m += x[i][j] * beta[j];
           y[i] = m + sigma * uniform(r, -2, 2);
         }
         std::vector<double> with_nan = y, longer = y;
         with_nan[0] = nan;
         longer.push_back(0);
         return Case{make("normal_glm", {alpha, sigma}, {matrix(x), reals(beta)}),
                     reals(y),
                     {reals(with_nan), reals(longer), 0}};
       }},
  };
}

}  // namespace

TEST_CASE(
    "gradient: every family's log_density_grad against finite differences and outside its "
    "support") {
  uint64_t seed = 1;
  for (const FamilyCases& f : families()) {
    Rng rng(seed++, 0);
    for (int i = 0; i < kPointsPerFamily; ++i) {
      const Case c = f.draw(rng);
      INFO(f.name, " point ", i, " ", describe(f.name, std::vector<double>(c.d.p, c.d.p + 4)));
      expect_valid(c.d);
      REQUIRE(static_cast<bool>(c.d.ops->log_density_grad));
      check_in_support(c);
      check_outside(c);
    }
  }
}

TEST_CASE("gradient: support_kind of every family") {
  for (const FamilyCases& f : families()) {
    INFO(f.name);
    CHECK(family(f.name).support_kind == f.support);
  }
  CHECK(family("mixture").support_kind == Support::Dependent);
}

TEST_CASE("gradient: every registered family has one (mixture excepted) and a case above") {
  std::set<std::string> tested;
  for (const FamilyCases& f : families()) tested.insert(f.name);
  for (int i = 0; i < borel::rt::distribution_count(); ++i) {
    const DistOps* ops = borel::rt::distribution_at(i);
    INFO(ops->name);
    if (std::string(ops->name) == "mixture") {
      // Its AD handler differentiates through the components instead.
      CHECK_FALSE(static_cast<bool>(ops->log_density_grad));
      continue;
    }
    CHECK(static_cast<bool>(ops->log_density_grad));
    CHECK(tested.count(ops->name) == 1);
  }
}

TEST_CASE("gradient: null da and null da[j] are not written") {
  Rng rng(99, 0);
  for (const FamilyCases& f : families()) {
    const Case c = f.draw(rng);
    const DistOps& ops = *c.d.ops;
    const Layout l = layout(ops);
    if (l.array_kinds.empty()) continue;
    INFO(f.name);
    Partials full(ops, c);
    const double v = full.call(ops, c.d, c.x);
    // No da at all: the value and the other partials are unchanged.
    Partials none(ops, c);
    CHECK(ops.log_density_grad(c.d, c.x, none.dp, none.dx.data(), nullptr) == v);
    for (size_t k = 0; k < 4; ++k) CHECK((none.dp[k] == full.dp[k]));
    CHECK(none.dx == full.dx);
    // Each da[j] alone: written exactly as in the full call, the others not.
    for (size_t j = 0; j < l.array_kinds.size(); ++j) {
      Partials one(ops, c);
      double* only[2] = {nullptr, nullptr};
      only[j] = one.da[j].data();
      CHECK(ops.log_density_grad(c.d, c.x, one.dp, one.dx.data(), only) == v);
      for (size_t i = 0; i < l.array_kinds.size(); ++i)
        CHECK(one.da[i] ==
              (i == j ? full.da[i] : std::vector<double>(full.da[i].size(), kSentinel)));
    }
  }
}
