// Trace.cpp — recording and replaying random choices (see Trace.h).
#include "inference/Trace.h"

#include <cmath>
#include <limits>

#include "inference/Errors.h"

namespace borel::inference {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

}  // namespace

double Trace::log_prior() const {
  double s = 0.0;
  for (const Choice& c : choices) s += c.log_density;
  return s;
}

void Trace::index() {
  index_.clear();
  for (size_t i = 0; i < choices.size(); ++i) index_.set(choices[i].addr, static_cast<int64_t>(i));
}

double proposal_scale(const rt::Dist& d) {
  if (d.ops->value_kind != rt::Kind::Real || !d.ops->variance) return 1.0;
  const double v = d.ops->variance(d);
  return std::isfinite(v) && v > 0 ? std::sqrt(v) : 1.0;
}

void TraceHandler::begin_run(Trace* t) {
  out = t;
  t->clear();
  log_fresh = 0.0;
  impossible_ = false;
  counts_.reset(start_counts);
  used_.assign(old ? old->choices.size() : 0, 0);
}

double TraceHandler::log_stale() const {
  double s = 0.0;
  if (!old) return s;
  for (size_t i = 0; i < used_.size(); ++i)
    if (!used_[i]) s += old->choices[i].log_density;
  return s;
}

rt::Word TraceHandler::sample(rt::Ctx& ctx, const rt::Dist& d, rt::SiteId site) {
  // A named choice's address is its name (counted like a site), else its site.
  const Address a = counts_.next(ctx, site);
  rt::Word v = 0;
  bool have = false;
  if (proposed) {
    if (const rt::Word* w = proposed->find(a)) {
      v = *w;
      have = true;
      // The old value at this address is replaced, not destroyed: its density
      // is in log p(T) and the kernel accounts for how it proposed the new one.
      if (old) {
        const int64_t i = old->find(a);
        if (i >= 0) used_[static_cast<size_t>(i)] = 1;
      }
    }
  }
  if (old && !have) {
    const int64_t i = old->find(a);
    if (i >= 0 && !(a == redraw)) {
      const Choice& c = old->choices[static_cast<size_t>(i)];
      if (reusable(c, d, site)) {
        v = c.value;
        have = true;
        used_[static_cast<size_t>(i)] = 1;
      }
    }
  }
  double lp;
  if (have) {
    // A kept value outside the new support makes this trace impossible; the
    // support is checked first so that no family sees a value it cannot hold
    // (a simplex of the wrong length, a negative count).
    lp = d.ops->in_support(d, v) ? d.ops->log_density(d, v) : kNegInf;
  } else {
    v = d.ops->sample(d, *ctx.rng);
    lp = d.ops->log_density(d, v);
    log_fresh += lp;
  }
  if (std::isnan(lp)) {
    if (!impossible_) throw site_error(model, site, method, "the log-density of a sampled value is NaN");
    lp = kNegInf;
  }
  out->choices.push_back(Choice{a, v, lp, d, proposal_scale(d), site});
  if (lp == kNegInf) stop(ctx);
  return v;
}

void TraceHandler::stop(rt::Ctx& ctx) {
  impossible_ = true;
  ctx.suspend_requested = true;
}

void TraceHandler::add(rt::Ctx& ctx, double lw, rt::SiteId site, const char* what) {
  // After a choice of density zero (a proposal outside the support), what
  // follows is meaningless: NaN counts as zero weight instead of an error.
  if (std::isnan(lw)) {
    if (!impossible_) throw site_error(model, site, method, std::string(what) + " is NaN");
    lw = -std::numeric_limits<double>::infinity();
  }
  if (lw == std::numeric_limits<double>::infinity())
    throw site_error(model, site, method, std::string(what) + " is +infinity");
  ctx.log_weight += lw;
  out->log_likelihood += lw;
  if (++out->events == suspend_at) ctx.suspend_requested = true;
  if (lw == kNegInf) {
    if (zero_site < 0) zero_site = site;
    stop(ctx);
  }
}

void TraceHandler::observe(rt::Ctx& ctx, const rt::Dist& d, rt::Word v, rt::SiteId site) {
  add(ctx, d.ops->log_density(d, v), site, "the log-density of the observed value");
}

void TraceHandler::factor(rt::Ctx& ctx, double log_w, rt::SiteId site) {
  add(ctx, log_w, site, "the factor's log-weight");
}

void run_traced(rt::Model& model, rt::Ctx& ctx, TraceHandler& h, Trace& t, rt::Cont* from) {
  h.begin_run(&t);
  h.begin();
  ctx.handler = &h;
  ctx.log_weight = 0.0;
  ctx.suspend_requested = false;
  const rt::Step s = from ? model.resume(ctx, from, 0) : model.start(ctx);
  if (s.done()) {
    t.done = true;
    t.result[0] = s.value;
  } else {
    t.done = false;
    t.result[0] = rt::from_ptr(s.cont);
  }
  t.index();
}

}  // namespace borel::inference
