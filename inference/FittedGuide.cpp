// FittedGuide.cpp — see FittedGuide.h.
#include "inference/FittedGuide.h"

#include <gc/gc.h>

#include "inference/Contexts.h"
#include "runtime/Rng.h"

namespace borel::inference {

namespace {

const FittedGuideData& data(const rt::Dist& d) { return *rt::to_ptr<const FittedGuideData>(d.a[0]); }

rt::RuntimeError guide_error(const std::string& message) { return rt::RuntimeError{"", "fitted guide: " + message}; }

// Runs the guide with the fitted parameters; every sample goes to `h`.
rt::Word run_guide(const FittedGuideData& g, rt::Handler& h, rt::Rng& rng) {
  Contexts ctx(1);
  rt::Ctx& c = ctx[0];
  c.handler = &h;
  c.rng = &rng;
  rt::ParamScope scope(g.params);
  g.params->begin_evaluation(nullptr);
  const rt::Step step = g.model->start(c);
  if (!step.done()) throw guide_error("the guide suspended");
  return step.value;
}

class DrawHandler final : public rt::Handler {
 public:
  rt::Word sample(rt::Ctx& ctx, const rt::Dist& d, rt::SiteId) override { return d.ops->sample(d, *ctx.rng); }
  void observe(rt::Ctx&, const rt::Dist&, rt::Word, rt::SiteId) override { throw guide_error("a guide cannot observe"); }
  void factor(rt::Ctx&, double, rt::SiteId) override { throw guide_error("a guide cannot factor"); }
};

// Scores x as the value of the guide's one choice.
class ScoreHandler final : public rt::Handler {
 public:
  explicit ScoreHandler(rt::Word x) : x_(x) {}
  rt::Word sample(rt::Ctx&, const rt::Dist& d, rt::SiteId) override {
    if (choices_++ > 0)
      throw guide_error("log_density needs a guide that makes one choice and returns it; this one makes more");
    log_q_ = d.ops->log_density(d, x_);
    return x_;
  }
  void observe(rt::Ctx&, const rt::Dist&, rt::Word, rt::SiteId) override { throw guide_error("a guide cannot observe"); }
  void factor(rt::Ctx&, double, rt::SiteId) override { throw guide_error("a guide cannot factor"); }
  int choices_ = 0;
  double log_q_ = 0;

 private:
  rt::Word x_;
};

bool check(const rt::Dist&, std::string&) { return true; }

rt::Word sample(const rt::Dist& d, rt::Rng& rng) {
  DrawHandler h;
  return run_guide(data(d), h, rng);
}

double log_density(const rt::Dist& d, rt::Word x) {
  ScoreHandler h(x);
  rt::Rng rng;  // draws nothing
  const rt::Word v = run_guide(data(d), h, rng);
  if (h.choices_ != 1)
    throw guide_error("log_density needs a guide that makes one choice and returns it; this one makes none");
  if (v != x) throw guide_error("log_density needs a guide that returns the value of its one choice");
  return h.log_q_;
}

bool in_support(const rt::Dist& d, rt::Word x) { return log_density(d, x) > -std::numeric_limits<double>::infinity(); }
double mean(const rt::Dist& d) { return empirical_ops.mean(*data(d).draws); }
double variance(const rt::Dist& d) { return empirical_ops.variance(*data(d).draws); }

}  // namespace

const rt::DistOps fitted_guide_ops = {
    "fitted_guide", 0, {}, {}, rt::Kind::Any, "that of the guide's values",
    check, sample, log_density, in_support, mean, variance, rt::Support::Dependent, nullptr,
};

rt::Dist* make_fitted_guide(rt::Dist* draws, rt::Word closure, rt::Model* model, ParamStore* params) {
  auto* g = static_cast<FittedGuideData*>(rt::gc_alloc(sizeof(FittedGuideData)));
  *g = FittedGuideData{draws, closure, model, params};
  GC_register_finalizer_ignore_self(
      g,
      [](void* p, void*) {
        auto* fg = static_cast<FittedGuideData*>(p);
        delete fg->model;
        delete fg->params;
      },
      nullptr, nullptr, nullptr);
  rt::Dist d{};
  d.ops = &fitted_guide_ops;
  d.a[0] = rt::from_ptr(g);
  return rt::dist_box(d);
}

const FittedGuideData* fitted_guide_data(const rt::Dist& d) {
  return d.ops == &fitted_guide_ops ? rt::to_ptr<const FittedGuideData>(d.a[0]) : nullptr;
}

double fitted_param(const rt::Dist& d, const std::string& name) {
  const FittedGuideData* g = fitted_guide_data(d);
  if (!g) throw rt::RuntimeError{"", "param_value: the distribution is not a fitted guide (the result of vi)"};
  if (const ParamStore::Param* p = g->params->find(name)) return p->value();
  std::string names;
  for (const ParamStore::Param& p : g->params->params()) names += (names.empty() ? "\"" : ", \"") + p.name + "\"";
  throw rt::RuntimeError{"", "param_value: the guide has no parameter \"" + name + "\" (it has " + names + ")"};
}

}  // namespace borel::inference
