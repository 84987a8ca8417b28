// Reparam.cpp — see Reparam.h.
#include "inference/Reparam.h"

#include <cmath>
#include <cstring>
#include <numbers>

#include "runtime/Tape.h"
#include "runtime/Value.h"

namespace borel::inference {

namespace ad = rt::ad;
using rt::Word;

namespace {

enum class Family { None, Normal, Lognormal, Uniform, Exponential, Cauchy, Laplace, HalfNormal, HalfCauchy };

Family family_by_name(const rt::DistOps* ops) {
  static constexpr std::pair<const char*, Family> names[] = {
      {"normal", Family::Normal},   {"lognormal", Family::Lognormal},     {"uniform", Family::Uniform},
      {"exponential", Family::Exponential}, {"cauchy", Family::Cauchy}, {"laplace", Family::Laplace},
      {"half_normal", Family::HalfNormal}, {"half_cauchy", Family::HalfCauchy}};
  for (const auto& [n, f] : names)
    if (std::strcmp(ops->name, n) == 0) return f;
  return Family::None;
}

// A family's DistOps is a static object that lives as long as the program:
// the last few looked up are remembered per thread by address (a guide asks
// at every draw, three times).
Family family(const rt::Dist& d) {
  constexpr int kSlots = 4;
  struct Seen {
    const rt::DistOps* ops[kSlots] = {};
    Family family[kSlots] = {};
    int next = 0;
  };
  thread_local Seen seen;
  for (int i = 0; i < kSlots; ++i)
    if (seen.ops[i] == d.ops) return seen.family[i];
  const Family f = family_by_name(d.ops);
  seen.ops[seen.next] = d.ops;
  seen.family[seen.next] = f;
  seen.next = (seen.next + 1) % kSlots;
  return f;
}

Word param(const rt::Dist& d, int k) { return rt::from_real(d.p[k]); }
Word c(double v) { return rt::from_real(v); }

// a + b e as one tape node, a guide's location-scale draw: the nodes of
// add(a, mul(b, e)) pass on the same adjoints in the same order (1 to a,
// then e to b through the product's node, whose adjoint is the sum's), and
// the value is rounded as theirs. One node fewer per draw.
Word affine(Word a, Word b, double e) {
  const double v = ad::value(a) + ad::value(b) * e;
  if (!ad::is_var(a) && !ad::is_var(b)) return rt::from_real(v);
  return ad::current_tape()->record(v, {{a, 1.0}, {b, e}});
}

}  // namespace

bool has_reparam_sampler(const rt::Dist& d) { return family(d) != Family::None; }

bool reparam_sample(const rt::Dist& d, rt::Rng& rng, Word& x) {
  constexpr double pi = std::numbers::pi;
  switch (family(d)) {
    case Family::None: return false;
    case Family::Normal: x = affine(param(d, 0), param(d, 1), rng.normal()); return true;
    case Family::Lognormal: x = ad::exp(affine(param(d, 0), param(d, 1), rng.normal())); return true;
    case Family::Uniform:
      x = ad::add(param(d, 0), ad::mul(ad::sub(param(d, 1), param(d, 0)), c(rng.uniform())));
      return true;
    case Family::Exponential: x = ad::div(c(-std::log(rng.uniform())), param(d, 0)); return true;
    case Family::Cauchy:
      x = affine(param(d, 0), param(d, 1), std::tan(pi * (rng.uniform() - 0.5)));
      return true;
    case Family::Laplace: {
      const double v = rng.uniform() - 0.5;
      x = ad::sub(param(d, 0), ad::mul(param(d, 1), c(std::copysign(1.0, v) * std::log1p(-2 * std::abs(v)))));
      return true;
    }
    case Family::HalfNormal: x = ad::mul(param(d, 0), c(std::abs(rng.normal()))); return true;
    case Family::HalfCauchy: x = ad::mul(param(d, 0), c(std::tan(pi * rng.uniform() / 2))); return true;
  }
  return false;
}

bool finite_support(const rt::Dist& d, std::vector<Word>& values, size_t max_values) {
  values.clear();
  const char* name = d.ops->name;
  int64_t lo = 0, hi = -1;
  if (d.ops->value_kind == rt::Kind::Bool) {
    hi = 1;
  } else if (std::strcmp(name, "discrete_uniform") == 0) {
    lo = static_cast<int64_t>(ad::value(param(d, 0)));
    hi = static_cast<int64_t>(ad::value(param(d, 1)));
  } else if (std::strcmp(name, "categorical") == 0) {
    hi = rt::to_ptr<const rt::Array>(d.a[0])->len - 1;
  } else if (std::strcmp(name, "binomial") == 0) {
    hi = static_cast<int64_t>(ad::value(param(d, 0)));
  } else {
    return false;
  }
  if (hi < lo || static_cast<uint64_t>(hi - lo) >= max_values) return false;
  for (int64_t v = lo; v <= hi; ++v) values.push_back(static_cast<Word>(v));
  return true;
}

}  // namespace borel::inference
