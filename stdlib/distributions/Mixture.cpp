// Mixture.cpp — mixture(weights, components): draws component k with
// probability weights[k], then a value from it. The density is
// log sum_k weights[k] exp(log_density_k(x)), so the components must share
// one value type (the mixture's: real, int, bool or an array).
// weights follow categorical's rules (non-negative, sum 1 within
// kSumTolerance); components with weight 0 are ignored.
#include "stdlib/distributions/Family.h"

#include <fmt/format.h>

namespace borel::dist {

namespace {

constexpr const char* kName = "mixture";

const Dist& component(const Dist& d, int64_t k) { return *rt::to_ptr<const Dist>(array_param(d, 1)->data[k]); }

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Real: return "real";
    case Kind::Int: return "int";
    case Kind::Bool: return "bool";
    case Kind::RealArray: return "[real]";
    case Kind::RealMatrix: return "[[real]]";
    case Kind::DistArray: return "[dist]";
    case Kind::RealDist: return "Dist[real]";
    case Kind::Any: return "any";
  }
  return "?";
}

// A component's value kind; a nested mixture's is that of its components.
Kind value_kind(const Dist& d) {
  if (d.ops->value_kind == Kind::Any && length(array_param(d, 1)) > 0) return value_kind(component(d, 0));
  return d.ops->value_kind;
}

bool check(const Dist& d, std::string& why) {
  const Array* weights = array_param(d, 0);
  const Array* components = array_param(d, 1);
  if (!check_simplex_weights(why, kName, "weights", weights)) return false;
  if (length(components) != weights->len)
    return fail(why, kName, "the length of components", fmt::format("{}", length(components)),
                fmt::format("{} (the length of weights)", weights->len));
  for (int64_t k = 0; k < components->len; ++k) {
    const auto* c = rt::to_ptr<const Dist>(components->data[k]);
    const std::string name = element_name("components", k);
    if (c == nullptr || c->ops == nullptr) return fail(why, kName, name, "null", "a distribution");
    std::string inner;
    if (!c->ops->check(*c, inner)) return fail(why, kName, name, fmt::format("invalid ({})", inner), "valid");
    if (value_kind(*c) != value_kind(component(d, 0)))
      return fail(why, kName, fmt::format("the value type of {}", name), kind_name(value_kind(*c)),
                  fmt::format("{} (that of components[0])", kind_name(value_kind(component(d, 0)))));
  }
  return true;
}

Word sample(const Dist& d, Rng& rng) {
  const Dist& c = component(d, sample_index(rng, array_param(d, 0)));
  return c.ops->sample(c, rng);
}

double log_density(const Dist& d, Word x) {
  const Array* weights = array_param(d, 0);
  double result = -kInf;
  for (int64_t k = 0; k < weights->len; ++k) {
    const double w = rt::array_real(weights, k);
    if (w <= 0) continue;
    const Dist& c = component(d, k);
    result = log_add_exp(result, std::log(w) + c.ops->log_density(c, x));
  }
  return result;
}

bool in_support(const Dist& d, Word x) {
  const Array* weights = array_param(d, 0);
  for (int64_t k = 0; k < weights->len; ++k) {
    const Dist& c = component(d, k);
    if (rt::array_real(weights, k) > 0 && c.ops->in_support(c, x)) return true;
  }
  return false;
}

// sum_k w_k mean_k; nan if a weighted component has no (finite) mean.
double mean(const Dist& d) {
  const Array* weights = array_param(d, 0);
  double m = 0;
  for (int64_t k = 0; k < weights->len; ++k) {
    const double w = rt::array_real(weights, k);
    if (w <= 0) continue;
    const Dist& c = component(d, k);
    m += w * c.ops->mean(c);
  }
  return finite_or_nan(m);
}

// The law of total variance: sum_k w_k (var_k + (mean_k - mean)^2).
double variance(const Dist& d) {
  const Array* weights = array_param(d, 0);
  const double m = mean(d);
  double v = 0;
  for (int64_t k = 0; k < weights->len; ++k) {
    const double w = rt::array_real(weights, k);
    if (w <= 0) continue;
    const Dist& c = component(d, k);
    const double dev = c.ops->mean(c) - m;
    v += w * (c.ops->variance(c) + dev * dev);
  }
  return finite_or_nan(v);
}

}  // namespace

extern const DistOps mixture_ops = {
    kName, 2, {"weights", "components"}, {Kind::RealArray, Kind::DistArray}, Kind::Any,
    "the union of the components' supports",
    check, sample, log_density, in_support, mean, variance,
    Support::Dependent, nullptr,
};

}  // namespace borel::dist
