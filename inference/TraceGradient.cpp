// TraceGradient.cpp — see TraceGradient.h.
#include "inference/TraceGradient.h"

#include <cmath>

#include "inference/Transforms.h"
#include "runtime/AdDist.h"

namespace borel::inference {

namespace ad = rt::ad;

namespace {

bool continuous(rt::Support s) { return s != rt::Support::Discrete && s != rt::Support::Dependent; }

}  // namespace

TraceGradient::TraceGradient(rt::Model& model, std::string method)
    : TwinGradient(model, std::move(method), true) {}

bool TraceGradient::bind(const Trace& t, std::vector<double>& q, int64_t stop_after) {
  trace_ = &t;
  stop_after_ = stop_after;
  slots_.clear();
  layout_.clear();
  q.clear();
  for (const Choice& c : t.choices) {
    const rt::Support s = ad::support_of(c.dist);
    if (!continuous(s)) continue;
    const size_t offset = q.size(), k = unconstrained_size(c.dist, s);
    slots_.set(c.addr, Slot{s, offset, k});
    layout_.push_back(LayoutEntry{c.addr, k});
    q.resize(offset + k);
    unconstrain(c.dist, s, c.value, q.data() + offset);
  }
  dimension_ = q.size();
  coordinates_.assign(dimension_, rt::from_real(0.0));
  for (double x : q)
    if (!std::isfinite(x)) return false;
  return true;
}

bool TraceGradient::choose(const rt::Dist& d, rt::SiteId site, const Address& a, size_t,
                           rt::Word& x, rt::Word& log_jacobian) {
  const rt::Support s = ad::support_of(d);
  const Slot* slot = slots_.find(a);
  if (!continuous(s)) {
    // Held at the trace's value: the address must hold a held choice of the
    // same kind there, and the value must be possible under this run's d.
    if (slot) return false;
    const int64_t i = trace_->find(a);
    if (i < 0) return false;
    const Choice& c = trace_->choices[static_cast<size_t>(i)];
    if (!reusable(c, d, site) || !d.ops->in_support(ad::plain(d), c.value)) return false;
    x = c.value;
    return true;
  }
  if (!slot || slot->support != s || slot->size != unconstrained_size(d, s)) return false;
  x = constrain(d, s, coordinates_.data() + slot->offset, log_jacobian);
  if (record_) {
    const rt::Word v = ad::plain_sample_value(d, x);
    kept_.push_back(v);
    record_->set(a, v);
    log_jacobian_ += ad::value(log_jacobian);
  }
  return true;
}

// Every address of the trace was made (each run's addresses are distinct,
// and each choice above matched one of the trace's).
bool TraceGradient::finish(size_t choices) { return choices == trace_->choices.size(); }

double TraceGradient::values_at(const double* q, ValueMap& values, double* log_jacobian) {
  values.clear();
  kept_.clear();
  log_jacobian_ = 0.0;
  record_ = &values;
  double lp;
  try {
    lp = run(q, false, nullptr);
  } catch (...) {
    record_ = nullptr;
    throw;
  }
  record_ = nullptr;
  *log_jacobian = log_jacobian_;
  return lp;
}

}  // namespace borel::inference
