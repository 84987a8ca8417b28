// Enumerate.cpp — depth-first enumeration of executions (see Enumerate.h).
#include "inference/Enumerate.h"

#include <gc/gc_allocator.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "inference/Contexts.h"
#include "inference/Empirical.h"
#include "inference/Errors.h"
#include "inference/PriorHandler.h"

namespace borel::inference {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
using Words = std::vector<rt::Word, traceable_allocator<rt::Word>>;

// The support of d with log-probabilities (values with probability 0 left out).
void support(const rt::Dist& d, double tail, Words& vs, std::vector<double>& lps, const rt::Model* model,
             rt::SiteId site, const char* method) {
  vs.clear();
  lps.clear();
  auto add = [&](rt::Word v) {
    const double lp = d.ops->log_density(d, v);
    if (lp > kNegInf) {
      vs.push_back(v);
      lps.push_back(lp);
    }
  };
  if (const EmpiricalData* e = empirical_data(d)) {
    if (e->atoms) {
      for (int64_t i = 0; i < e->atoms->len; ++i) {
        vs.push_back(e->atoms->data[i]);
        lps.push_back(rt::array_real(e->atom_log_weights, i));
      }
    } else {
      for (int64_t i = 0; i < e->values->len; ++i) {
        const double w = rt::array_real(e->weights, i);
        if (w > 0) {
          vs.push_back(e->values->data[i]);
          lps.push_back(std::log(w));
        }
      }
    }
    return;
  }
  const char* name = d.ops->name;
  switch (d.ops->value_kind) {
    case rt::Kind::Bool: add(0); add(1); return;
    case rt::Kind::Int: {
      if (std::strcmp(name, "discrete_uniform") == 0) {
        for (auto v = static_cast<int64_t>(d.p[0]); v <= static_cast<int64_t>(d.p[1]); ++v) add(v);
        return;
      }
      if (std::strcmp(name, "categorical") == 0) {
        const auto* probs = rt::to_ptr<const rt::Array>(d.a[0]);
        for (int64_t v = 0; v < probs->len; ++v) add(v);
        return;
      }
      if (std::strcmp(name, "binomial") == 0) {
        for (int64_t v = 0; v <= static_cast<int64_t>(d.p[0]); ++v) add(v);
        return;
      }
      double mass = 0.0;
      for (int64_t v = 0; v < 100000000 && mass < 1.0 - tail; ++v) {
        const double lp = d.ops->log_density(d, v);
        if (lp > kNegInf) {
          vs.push_back(v);
          lps.push_back(lp);
          mass += std::exp(lp);
        }
      }
      return;
    }
    default:
      throw site_error(model, site, method,
                       std::string("cannot enumerate the values of ") + name +
                           " (only discrete distributions: bool, int, or the result of infer)");
  }
}

class EnumHandler final : public InferenceHandler {
 public:
  double tail = 1e-12;
  double log_prior = 0.0;  // of the choices that did not branch, since the last start/resume
  Words values;
  std::vector<double> lps;
  rt::Word sample(rt::Ctx& ctx, const rt::Dist& d, rt::SiteId site) override {
    support(d, tail, values, lps, model, site, method);
    if (values.empty()) {
      ctx.log_weight = kNegInf;  // no value has positive probability: the execution stops here
      if (zero_site < 0) zero_site = site;
      ctx.suspend_requested = true;
      return 0;
    }
    if (values.size() == 1) {  // deterministic: no branching
      ctx.log_weight += lps[0];
      log_prior += lps[0];
      return values[0];
    }
    ctx.suspend_requested = true;
    return values[0];
  }
  void observe(rt::Ctx& ctx, const rt::Dist& d, rt::Word v, rt::SiteId site) override {
    add(ctx, d.ops->log_density(d, v), site);
  }
  void factor(rt::Ctx& ctx, double lw, rt::SiteId site) override { add(ctx, lw, site); }

 private:
  void add(rt::Ctx& ctx, double lw, rt::SiteId site) {
    if (std::isnan(lw)) throw site_error(model, site, method, "a log-weight is NaN");
    if (lw == std::numeric_limits<double>::infinity())
      throw site_error(model, site, method, "a log-weight is +infinity");
    ctx.log_weight += lw;
    // Zero weight: the execution stops here, so code after a failed
    // condition (an index it guarded, an error(...)) never runs.
    if (lw == kNegInf) ctx.suspend_requested = true;
  }
};

struct Frame {
  size_t first;   // its values are branch_values[first, first + count)
  size_t count;
  size_t next;
  double lw;
  double log_prior;  // Σ log p of the choices of the path to it
};

}  // namespace

Population enumerate(rt::Model& model, const EnumerateSettings& s, uint64_t seed, Diagnostics* diagnostics) {
  rt::gc_init();
  const auto t0 = std::chrono::steady_clock::now();
  Contexts ctxs(1);
  rt::Ctx& ctx = ctxs[0];
  rt::Rng rng(seed, 1);
  EnumHandler h;
  h.method = s.method;
  h.model = &model;
  h.tail = s.tail;
  ctx.handler = &h;
  ctx.rng = &rng;

  require_at_least(s.method, "max_executions", s.max_executions, 1);
  require_at_least(s.method, "max_depth", s.max_depth, 1);
  Words conts, branch_values, results;  // scanned by the collector
  std::vector<double> branch_lps, result_lw;
  std::vector<Frame> stack;
  int64_t executions = 0;
  double cut_mass = 0.0;  // prior probability of the executions cut at max_depth

  auto walked = [&] {
    if (++executions > s.max_executions)
      throw method_error(s.method, "more than " + std::to_string(s.max_executions) +
                                       " executions (max_executions); the model is too large to enumerate");
  };
  // `lp`: the path's prior log-probability (its choices only).
  auto handle = [&](const rt::Step& st, double lw, double lp) {
    if (!(lw > kNegInf)) {
      walked();
      return;
    }
    if (st.done()) {
      walked();
      results.push_back(st.value);
      result_lw.push_back(lw);
      return;
    }
    if (static_cast<int64_t>(stack.size()) >= s.max_depth) {
      walked();
      cut_mass += std::exp(lp);
      if (cut_mass > s.tail) {
        char mass[32];
        std::snprintf(mass, sizeof mass, "%.3g", cut_mass);
        throw method_error(s.method, "executions with more than " + std::to_string(s.max_depth) +
                                         " branching choices (max_depth) have probability " + mass +
                                         " or more; the model's recursion may be unbounded: raise max_depth, or use "
                                         "a sampling method");
      }
      return;
    }
    Frame f{branch_values.size(), h.values.size(), 0, lw, lp};
    branch_values.insert(branch_values.end(), h.values.begin(), h.values.end());
    branch_lps.insert(branch_lps.end(), h.lps.begin(), h.lps.end());
    conts.push_back(rt::from_ptr(st.cont));
    stack.push_back(f);
  };

  ctx.log_weight = 0.0;
  ctx.suspend_requested = false;
  h.log_prior = 0.0;
  rt::Step st = model.start(ctx);
  handle(st, ctx.log_weight, h.log_prior);
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.next == f.count) {
      branch_values.resize(f.first);
      branch_lps.resize(f.first);
      conts.pop_back();
      stack.pop_back();
      continue;
    }
    const size_t i = f.first + f.next++;
    const double lw = f.lw + branch_lps[i];
    const double lp = f.log_prior + branch_lps[i];
    const rt::Word v = branch_values[i];
    ctx.log_weight = 0.0;
    ctx.suspend_requested = false;
    h.log_prior = 0.0;
    st = model.resume(ctx, rt::to_ptr<rt::Cont>(conts.back()), v);
    handle(st, lw + ctx.log_weight, lp + h.log_prior);
  }
  if (results.empty())
    throw method_error(s.method, "every execution has zero probability (no execution is consistent with the observations)");

  const auto n = static_cast<int64_t>(results.size());
  Population pop(n);
  for (int64_t i = 0; i < n; ++i) {
    pop.slots()[i] = results[static_cast<size_t>(i)];
    pop.status()[i] = Status::Done;
    pop.log_weights()[i] = result_lw[static_cast<size_t>(i)];
  }
  Diagnostics local;
  Diagnostics& d = start_diagnostics(diagnostics, local, s.method, n);
  d.steps = 1;
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return pop;
}

}  // namespace borel::inference
