// Empirical.cpp — the empirical distribution (see Empirical.h).
#include "inference/Empirical.h"

#include "inference/FittedGuide.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "inference/Components.h"
#include "inference/Errors.h"
#include "inference/McmcStats.h"
#include "runtime/Rng.h"

namespace borel::inference {

namespace {

using rt::TypeDesc;
using rt::Word;

const EmpiricalData& data_of(const rt::Dist& d) { return *rt::to_ptr<const EmpiricalData>(d.a[0]); }

bool check(const rt::Dist&, std::string&) { return true; }

Word sample(const rt::Dist& d, rt::Rng& rng) {
  const EmpiricalData& e = data_of(d);
  const rt::Array* c = e.cumulative;
  const double u = rng.uniform();
  // First i with cumulative[i] > u; cumulative is nondecreasing, last == 1.
  int64_t lo = 0, hi = c->len - 1;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (rt::to_real(c->data[mid]) > u) hi = mid;
    else lo = mid + 1;
  }
  // Skip zero-weight particles that share the cumulative value (possible only
  // through rounding at the very end).
  while (lo > 0 && rt::array_real(e.weights, lo) == 0) --lo;
  return e.values->data[lo];
}

enum class ScalarKind { None, Int, Real };

ScalarKind scalar_kind(const TypeDesc* t) {
  if (!t) return ScalarKind::Int;  // unknown type: compare words
  switch (t->tag) {
    case TypeDesc::Tag::Int:
    case TypeDesc::Tag::Bool:
    case TypeDesc::Tag::Unit: return ScalarKind::Int;
    case TypeDesc::Tag::Real: return ScalarKind::Real;
    default: return ScalarKind::None;
  }
}

// Index of the atom equal to x, or -1.
int64_t find_atom(const EmpiricalData& e, Word x) {
  const rt::Array* atoms = e.atoms;
  const ScalarKind k = scalar_kind(e.type);
  int64_t lo = 0, hi = atoms->len;
  if (k == ScalarKind::Real) {
    const double v = rt::to_real(x);
    if (std::isnan(v)) return -1;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (rt::to_real(atoms->data[mid]) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo < atoms->len && rt::to_real(atoms->data[lo]) == v ? lo : -1;
  }
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (atoms->data[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo < atoms->len && atoms->data[lo] == x ? lo : -1;
}

double log_density(const rt::Dist& d, Word x) {
  const EmpiricalData& e = data_of(d);
  if (e.atoms) {
    const int64_t i = find_atom(e, x);
    return i < 0 ? -std::numeric_limits<double>::infinity() : rt::array_real(e.atom_log_weights, i);
  }
  double total = 0.0;
  for (int64_t i = 0; i < e.values->len; ++i)
    if (values_equal(e.values->data[i], x, e.type)) total += rt::array_real(e.weights, i);
  return std::log(total);
}

bool in_support(const rt::Dist& d, Word x) { return log_density(d, x) > -std::numeric_limits<double>::infinity(); }

double mean(const rt::Dist& d) { return d.p[0]; }
double variance(const rt::Dist& d) { return d.p[1]; }

double scalar_value(Word w, ScalarKind k) {
  return k == ScalarKind::Real ? rt::to_real(w) : static_cast<double>(w);
}

}  // namespace

const rt::DistOps empirical_ops = {
    "empirical",
    0,
    {nullptr, nullptr, nullptr, nullptr},
    {rt::Kind::Any, rt::Kind::Any, rt::Kind::Any, rt::Kind::Any},
    rt::Kind::Any,
    "the particles' values",
    check,
    sample,
    log_density,
    in_support,
    mean,
    variance,
    // A finite set of atoms: nothing to transform, nothing to differentiate.
    rt::Support::Discrete,
    nullptr,
};

bool values_equal(Word a, Word b, const TypeDesc* t) {
  if (a == b) return true;
  if (!t) return false;
  switch (t->tag) {
    case TypeDesc::Tag::Real: return rt::to_real(a) == rt::to_real(b);
    case TypeDesc::Tag::Unit:
    case TypeDesc::Tag::Bool:
    case TypeDesc::Tag::Int:
    case TypeDesc::Tag::Function:
    case TypeDesc::Tag::Dist: return false;  // identity only
    case TypeDesc::Tag::String: {
      const auto* x = rt::to_ptr<const rt::String>(a);
      const auto* y = rt::to_ptr<const rt::String>(b);
      return x && y && rt::view(x) == rt::view(y);
    }
    case TypeDesc::Tag::Array: {
      const auto* x = rt::to_ptr<const rt::Array>(a);
      const auto* y = rt::to_ptr<const rt::Array>(b);
      if (!x || !y || x->len != y->len) return false;
      for (int64_t i = 0; i < x->len; ++i)
        if (!values_equal(x->data[i], y->data[i], t->elem)) return false;
      return true;
    }
    case TypeDesc::Tag::Tuple:
    case TypeDesc::Tag::Record: {
      const auto* x = rt::to_ptr<const rt::Tuple>(a);
      const auto* y = rt::to_ptr<const rt::Tuple>(b);
      if (!x || !y) return false;
      for (size_t i = 0; i < t->fields.size(); ++i)
        if (!values_equal(x->fields[i], y->fields[i], t->fields[i])) return false;
      return true;
    }
  }
  return false;
}

rt::Dist* make_empirical(const Population& pop, const TypeDesc* type, const Diagnostics& diag,
                         double log_evidence) {
  rt::gc_init();
  std::vector<double> all(static_cast<size_t>(pop.size()));
  const WeightStats ws = pop.normalise(all);
  if (!(ws.log_sum > -std::numeric_limits<double>::infinity()))
    throw method_error(diag.method.empty() ? "infer" : diag.method, "no particle has positive weight");
  // Only the particles of positive weight: one of zero weight stopped where
  // its weight became zero (Sequential.h), so its slot may hold a
  // continuation, not a value of the result type.
  std::vector<int64_t> kept;
  for (int64_t i = 0; i < pop.size(); ++i)
    if (all[static_cast<size_t>(i)] > 0) kept.push_back(i);
  const auto n = static_cast<int64_t>(kept.size());
  std::vector<double> w(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) w[static_cast<size_t>(i)] = all[static_cast<size_t>(kept[static_cast<size_t>(i)])];

  auto* e = static_cast<EmpiricalData*>(rt::gc_alloc(sizeof(EmpiricalData)));
  e->values = rt::array_new(n);
  for (int64_t i = 0; i < n; ++i) e->values->data[i] = pop.slots()[kept[static_cast<size_t>(i)]];
  e->weights = rt::array_from_reals(w.data(), n);
  e->cumulative = rt::array_new_atomic(n);
  double c = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    c += w[i];
    e->cumulative->data[i] = rt::from_real(c);
  }
  e->cumulative->data[n - 1] = rt::from_real(1.0);
  e->ess = rt::array_from_reals(diag.ess.data(), static_cast<int64_t>(diag.ess.size()));
  e->ess_scale = diag.ess_before_resampling >= 0 && diag.chains == 0
                     ? std::min(1.0, diag.ess_before_resampling / static_cast<double>(pop.size()))
                     : 1.0;
  e->method = rt::string_new(diag.method);
  e->type = type;
  e->log_evidence = log_evidence;
  e->particles = n;
  e->zero_weight = pop.size() - n;
  e->steps = diag.steps;
  e->resamplings = diag.resamplings;
  e->seconds = diag.seconds;
  e->chains = diag.chains;
  e->acceptance = nullptr;
  if (!diag.acceptance.empty()) {
    std::string a;
    char buf[64];
    for (const auto& [name, rate] : diag.acceptance) {
      std::snprintf(buf, sizeof buf, "%s%s %.3f", a.empty() ? "" : ", ", name.c_str(), rate);
      a += buf;
    }
    e->acceptance = rt::string_new(a);
  }
  e->notes = diag.notes.empty() ? nullptr : rt::string_new(diag.notes);
  e->warnings = diag.warnings.empty() ? nullptr : rt::string_new(diag.warnings);
  // Kept only when every draw is (no particle was dropped for its weight).
  const bool aligned = n == pop.size() && !diag.draw_stat_names.empty();
  e->draw_stat_names = aligned ? rt::string_new(diag.draw_stat_names) : nullptr;
  e->draw_stats = aligned ? rt::array_from_reals(diag.draw_stats.data(), static_cast<int64_t>(diag.draw_stats.size()))
                          : nullptr;
  e->stuck_chains = 0;
  for (int64_t acc : diag.chain_accepted) e->stuck_chains += acc == 0;
  e->atoms = nullptr;
  e->atom_log_weights = nullptr;

  double m = std::numeric_limits<double>::quiet_NaN(), v = m;
  const ScalarKind k = scalar_kind(type);
  if (k != ScalarKind::None) {
    // Atoms: distinct values with their total weights.
    std::vector<std::pair<Word, double>> xs;
    xs.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      if (!(w[i] > 0)) continue;
      // No silent NaNs: a model whose result is NaN is an error, not a value.
      if (k == ScalarKind::Real && std::isnan(rt::to_real(e->values->data[i])))
        throw rt::RuntimeError{"", diag.method + ": the model returned NaN (in particle " + std::to_string(i) + ")"};
      xs.emplace_back(e->values->data[i], w[i]);
    }
    auto less = [k](const auto& a, const auto& b) {
      return k == ScalarKind::Real ? rt::to_real(a.first) < rt::to_real(b.first) : a.first < b.first;
    };
    auto same = [k](Word a, Word b) { return k == ScalarKind::Real ? rt::to_real(a) == rt::to_real(b) : a == b; };
    std::sort(xs.begin(), xs.end(), less);
    std::vector<Word> atoms;
    std::vector<double> lws;
    for (size_t i = 0; i < xs.size();) {
      size_t j = i;
      double total = 0.0;
      do total += xs[j++].second;
      while (j < xs.size() && same(xs[j].first, xs[i].first));
      if (!(k == ScalarKind::Real && std::isnan(rt::to_real(xs[i].first)))) {
        atoms.push_back(xs[i].first);
        lws.push_back(std::log(total));
      }
      i = j;
    }
    e->atoms = rt::array_new_atomic(static_cast<int64_t>(atoms.size()));
    for (size_t i = 0; i < atoms.size(); ++i) e->atoms->data[i] = atoms[i];
    e->atom_log_weights = rt::array_from_reals(lws.data(), static_cast<int64_t>(lws.size()));
    if (type && type->is_scalar()) {  // moments only for real, int and bool values
      m = 0.0;
      for (int64_t i = 0; i < n; ++i) m += w[i] * scalar_value(e->values->data[i], k);
      v = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        const double dx = scalar_value(e->values->data[i], k) - m;
        v += w[i] * dx * dx;
      }
    }
  }

  rt::Dist d{};
  d.ops = &empirical_ops;
  d.p[0] = m;
  d.p[1] = v;
  d.p[2] = log_evidence;
  d.a[0] = rt::from_ptr(e);
  auto* box = static_cast<rt::Dist*>(rt::gc_alloc(sizeof(rt::Dist)));
  *box = d;
  return box;
}

const EmpiricalData* empirical_data(const rt::Dist& d) {
  // A fitted guide answers with its final draws (FittedGuide.h).
  if (const FittedGuideData* g = fitted_guide_data(d)) return empirical_data(*g->draws);
  return d.ops == &empirical_ops ? rt::to_ptr<const EmpiricalData>(d.a[0]) : nullptr;
}

double final_ess(const EmpiricalData& e) {
  double s2 = 0;
  for (int64_t i = 0; i < e.weights->len; ++i) s2 += rt::array_real(e.weights, i) * rt::array_real(e.weights, i);
  return s2 > 0 ? e.ess_scale / s2 : 0.0;
}

double result_ess(const EmpiricalData& e) {
  if (e.chains <= 0 || !e.type || e.particles % e.chains != 0) return final_ess(e);
  const int64_t per = e.particles / e.chains;
  double lowest = NAN;
  for (const Component& c : components(*e.type, e.values->data, e.particles)) {
    std::vector<std::vector<double>> chains(static_cast<size_t>(e.chains));
    bool complete = true;
    for (int64_t k = 0; k < e.chains && complete; ++k)
      for (int64_t i = 0; i < per && complete; ++i) {
        const auto v = c.get(e.values->data[k * per + i], *e.type);
        if (v) chains[static_cast<size_t>(k)].push_back(scalar_as_real(*v, *c.type));
        else complete = false;
      }
    if (!complete) continue;
    const double b = mcmc_stats(chains).ess_bulk;
    if (std::isfinite(b) && !(b >= lowest)) lowest = b;
  }
  return std::isnan(lowest) ? final_ess(e) : lowest;
}

double log_evidence(const rt::Dist& d) {
  const EmpiricalData* e = empirical_data(d);
  if (!e) throw method_error("log_evidence", std::string("the distribution is ") + d.ops->name +
                                                  ", not the result of infer");
  return e->log_evidence;
}

}  // namespace borel::inference
