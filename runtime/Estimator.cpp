// Estimator.cpp — see Estimator.h.
#include "runtime/Estimator.h"

#include "runtime/Model.h"

namespace borel::rt {

namespace {

const Dist& inner(const Dist& d) { return *to_ptr<const Dist>(d.a[0]); }

bool check(const Dist& d, std::string& why) { return inner(d).ops->check(inner(d), why); }
Word sample(const Dist& d, Rng& rng) { return inner(d).ops->sample(inner(d), rng); }
double log_density(const Dist& d, Word x) { return inner(d).ops->log_density(inner(d), x); }
bool in_support(const Dist& d, Word x) { return inner(d).ops->in_support(inner(d), x); }
double mean(const Dist& d) { return inner(d).ops->mean(inner(d)); }
double variance(const Dist& d) { return inner(d).ops->variance(inner(d)); }

constexpr struct {
  GradientEstimator e;
  const char* name;
} kNames[] = {{GradientEstimator::Default, "default"},
              {GradientEstimator::Reparam, "reparam"},
              {GradientEstimator::Reinforce, "reinforce"},
              {GradientEstimator::Enumerate, "enumerate"},
              {GradientEstimator::MeasureValued, "mvd"}};

}  // namespace

const DistOps estimator_ops = {
    "estimator", 0, {}, {}, Kind::Any, "that of the distribution it marks",
    check, sample, log_density, in_support, mean, variance, Support::Dependent, nullptr,
};

const char* estimator_name(GradientEstimator e) {
  for (const auto& n : kNames)
    if (n.e == e) return n.name;
  return "default";
}

GradientEstimator parse_estimator(const std::string& name) {
  std::string all;
  for (const auto& n : kNames) {
    if (name == n.name) return n.e;
    all += std::string(all.empty() ? "" : ", ") + "\"" + n.name + "\"";
  }
  throw RuntimeError{"", "estimator: \"" + name + "\" is not a gradient estimator; use one of " + all};
}

Dist* with_estimator(const Dist& d, GradientEstimator e) {
  Dist w{};
  w.ops = &estimator_ops;
  w.p[0] = static_cast<double>(static_cast<int>(e));
  w.a[0] = from_ptr(dist_box(d));
  return dist_box(w);
}

const Dist& unwrap_estimator(const Dist& d) {
  const Dist* p = &d;
  while (p->ops == &estimator_ops) p = &inner(*p);
  return *p;
}

GradientEstimator estimator_of(const Dist& d) {
  if (d.ops != &estimator_ops) return GradientEstimator::Default;
  return static_cast<GradientEstimator>(static_cast<int>(d.p[0]));
}

}  // namespace borel::rt
