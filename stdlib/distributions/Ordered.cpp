// Ordered.cpp — ordered(base, k): the order statistics of k independent draws
// from `base`, a continuous distribution of reals: k reals sorted ascending,
// with density
//   k! prod_i base(x_i)   on {x : x_1 <= x_2 <= ... <= x_k}, 0 elsewhere.
// Stan's `ordered[K] mu; mu ~ normal(m, s);` is this density without the
// constant log k!: the same posterior.
//
// The base must be a family with scalar parameters whose values are reals
// in a continuous support (normal, gamma, beta, uniform, ...): a discrete
// base (an infer result) has ties of positive probability, where k! prod p
// is not the density, and the gradient below is its base's partials
// (DistOps::log_density_grad for a RealDist parameter).
// Ties are in the support: they have probability zero, and admitting them
// keeps a transform whose increment rounds to 0 inside the support.
#include "stdlib/distributions/Family.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "runtime/MemoryLimit.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "ordered";

const Dist& base(const Dist& d) { return *rt::to_ptr<const Dist>(d.a[0]); }
int64_t count(const Dist& d) { return int_param(d, 0); }

bool scalar_kind(Kind k) { return k == Kind::Real || k == Kind::Int || k == Kind::Bool; }

bool continuous_scalar_family(const DistOps& ops) {
  for (int i = 0; i < ops.nparams; ++i)
    if (!scalar_kind(ops.param_kinds[i])) return false;
  const Support s = ops.support_kind;
  return ops.value_kind == Kind::Real && ops.log_density_grad &&
         (s == Support::Real || s == Support::Positive || s == Support::UnitInterval || s == Support::Interval);
}

bool check(const Dist& d, std::string& why) {
  const auto* b = rt::to_ptr<const Dist>(d.a[0]);
  if (b == nullptr || b->ops == nullptr) return fail(why, kName, "base", "null", "a distribution");
  if (!continuous_scalar_family(*b->ops))
    return fail(why, kName, "base", b->ops->name,
                "a continuous distribution of reals with scalar parameters (normal, gamma, beta, uniform, ...)");
  std::string inner;
  if (!b->ops->check(*b, inner)) return fail(why, kName, "base", fmt::format("invalid ({})", inner), "valid");
  if (!check_integer(why, kName, "k", d.p[0])) return false;
  if (d.p[0] < 1) return fail(why, kName, "k", d.p[0], "at least 1");
  const std::string memory = rt::check_allocation(count(d), sizeof(Word));
  if (!memory.empty()) return fail(why, kName, "k", d.p[0], fmt::format("small enough to allocate ({})", memory));
  return true;
}

// k draws, sorted.
Word sample(const Dist& d, Rng& rng) {
  const Dist& b = base(d);
  const int64_t k = count(d);
  std::vector<double> xs(static_cast<size_t>(k));
  for (double& x : xs) x = rt::to_real(b.ops->sample(b, rng));
  std::sort(xs.begin(), xs.end());
  return rt::from_ptr(rt::array_from_reals(xs.data(), k));
}

bool in_support(const Dist& d, Word w) {
  const Dist& b = base(d);
  const auto* x = rt::to_ptr<const Array>(w);
  if (x == nullptr || x->len != count(d)) return false;
  for (int64_t i = 0; i < x->len; ++i) {
    const double xi = rt::array_real(x, i);
    if (!b.ops->in_support(b, rt::from_real(xi))) return false;
    if (i > 0 && !(rt::array_real(x, i - 1) <= xi)) return false;
  }
  return true;
}

// log k! + sum_i log base(x_i) for x in the support; with `dx` (k entries)
// and `dbase` (the base's nparams entries) also its partials: the base's
// own, d/dx_i = base'(x_i) / base(x_i) and d/dtheta = sum_i of the base's
// d/dtheta at x_i. The same sum in the same order either way, so that
// log_density_grad returns log_density's value to the bit.
double evaluate(const Dist& d, const Array* x, double* dx, double* dbase) {
  const Dist& b = base(d);
  const bool partials = dx != nullptr || dbase != nullptr;
  double sum = 0;
  for (int64_t i = 0; i < x->len; ++i) {
    const Word xi = rt::from_real(rt::array_real(x, i));
    if (!partials) {
      sum += b.ops->log_density(b, xi);
      continue;
    }
    double dp[4] = {0, 0, 0, 0}, dxi = 0;
    sum += b.ops->log_density_grad(b, xi, dp, &dxi, nullptr);
    if (dx) dx[i] = dxi;
    if (dbase)
      for (int k = 0; k < b.ops->nparams; ++k) dbase[k] += b.ops->param_kinds[k] == Kind::Real ? dp[k] : 0.0;
  }
  return log_factorial(static_cast<double>(x->len)) + sum;
}

double log_density(const Dist& d, Word w) {
  if (!in_support(d, w)) return -kInf;
  return evaluate(d, rt::to_ptr<const Array>(w), nullptr, nullptr);
}

// k is an int (d/dk = 0); da[0] is d/d(the base's parameters).
double log_density_grad(const Dist& d, Word w, double* dp, double* dx, double* const* da) {
  if (!in_support(d, w)) return -kInf;
  double* dbase = da ? da[0] : nullptr;
  if (dbase) std::fill(dbase, dbase + base(d).ops->nparams, 0.0);
  dp[0] = 0;
  return evaluate(d, rt::to_ptr<const Array>(w), dx, dbase);
}

double mean(const Dist&) { return kNaN; }

double variance(const Dist&) { return kNaN; }

}  // namespace

// support_kind Ordered: rt::ad::support_of refines it by the base's support.
extern const DistOps ordered_ops = {
    kName, 2, {"base", "k"}, {Kind::RealDist, Kind::Int}, Kind::RealArray,
    "x_1 <= ... <= x_k, each in the base's support",
    check, sample, log_density, in_support, mean, variance,
    Support::Ordered, log_density_grad,
};

}  // namespace borel::dist
