// NutsKernel.cpp — see NutsKernel.h.
#include "inference/NutsKernel.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <limits>
#include <string>

#include "inference/Errors.h"
#include "inference/Format.h"
#include "runtime/AdDist.h"

namespace borel::inference {

namespace {

// z(a) = √2 erfc⁻¹(a) for a in [0, 1]: +inf at 0, 0 at 1 (bisection:
// erfc is decreasing, and erfc(27) underflows below the smallest double).
double acceptance_z(double a) {
  if (!(a > 0)) return std::numeric_limits<double>::infinity();
  if (a >= 1) return 0.0;
  double lo = 0.0, hi = 27.0;
  for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (std::erfc(mid) > a ? lo : hi) = mid;
  }
  return std::sqrt(2.0) * 0.5 * (lo + hi);
}

constexpr double kTargetAccept = 0.8;  // Stan's default target_accept

}  // namespace

double population_log_step_change(double mean_accept, int64_t m) {
  if (m <= 0) return 0.0;
  const double a = std::min(1.0, std::max(0.0, mean_accept));
  const double full = 0.5 * (std::log(acceptance_z(kTargetAccept)) - std::log(acceptance_z(a)));
  const double bound = std::log(10.0);
  const double step = std::min(bound, std::max(-bound, full));
  return static_cast<double>(m) / (static_cast<double>(m) + 10.0) * step;
}

NutsKernel::NutsKernel() {
  stats_.name = "nuts";
  stats_.mean_accept_stat = true;
}

NutsKernel::~NutsKernel() = default;

void NutsKernel::freeze() {
  for (auto& [n, pd] : dims_) {
    if (pd.frozen) continue;
    if (pd.learned) pd.nuts.set_step_size(pd.adapt.final_step_size());
    pd.frozen = true;
  }
}

long NutsKernel::gradient_evaluations() const {
  long g = start_gradients_;
  for (const auto& [n, pd] : dims_) g += pd.nuts.gradient_evaluations();
  for (const auto& [n, t] : population_) g += t.gradient_evaluations();
  return g;
}

void NutsKernel::configure(Metric metric, int64_t warmup) {
  metric_ = TraceMetric(metric);
  windows_.clear();
  if (metric != Metric::Unit && warmup > 0)
    windows_ = warmup_windows(static_cast<int>(std::min<int64_t>(warmup, std::numeric_limits<int>::max())));
  window_ = 0;
  warm_iterations_ = 0;
}

void NutsKernel::apply_metric(NutsTransition& t, Applied& a) {
  if (metric_.kind() == Metric::Unit) return;
  const Layout& layout = target_->layout();
  if (a.version == metric_.version() && a.layout == layout) return;
  t.set_inv_metric(metric_.inv_metric(layout));
  a.layout = layout;
  a.version = metric_.version();
}

void NutsKernel::survey(ChainState& c) {
  if (!target_) target_ = std::make_unique<TraceGradient>(*c.model, c.handler->method);
  if (!target_->bind(c.cur, q_, c.suspend_at) || target_->dimension() == 0) return;
  draws_.push_back(Draw{c.particle, target_->layout(), q_});
}

void NutsKernel::prepare(const std::vector<Kernel*>& instances) {
  std::vector<Draw> all;
  for (Kernel* k : instances) {
    auto& d = static_cast<NutsKernel*>(k)->draws_;
    all.insert(all.end(), std::make_move_iterator(d.begin()), std::make_move_iterator(d.end()));
    d.clear();
  }
  std::stable_sort(all.begin(), all.end(), [](const Draw& a, const Draw& b) { return a.particle < b.particle; });
  // Copies made by resampling are one draw: a population of fewer than
  // kMinDraws distinct points (weights that collapsed) teaches nothing —
  // its variances would be near 0 and freeze the coordinates — so the
  // metric stays as it was.
  std::vector<const std::vector<double>*> points;
  for (const Draw& d : all) points.push_back(&d.q);
  std::sort(points.begin(), points.end(), [](auto* a, auto* b) { return *a < *b; });
  const auto distinct =
      std::unique(points.begin(), points.end(), [](auto* a, auto* b) { return *a == *b; }) - points.begin();
  if (distinct < TraceMetric::kMinDraws) return;
  TraceMetric next = metric_;
  for (const Draw& d : all) next.add(d.layout, d.q);
  next.update();
  for (Kernel* k : instances) static_cast<NutsKernel*>(k)->metric_ = next;
}

NutsKernel::PerDimension& NutsKernel::dimension(ChainState& c, size_t n, double lp) {
  auto it = dims_.find(n);
  if (it != dims_.end()) {
    PerDimension& pd = it->second;
    apply_metric(pd.nuts, applied_[n]);
    if (pd.search && c.warmup && !pd.frozen) {
      // A new metric (end of a window): as Stan, a new search from the
      // current point and dual averaging restarted around 10 ε.
      pd.nuts.find_step_size(q_, lp, grad_, *c.rng);
      pd.adapt.set_mu(std::log(10 * pd.nuts.step_size()));
      pd.adapt.restart();
    }
    pd.search = false;
    return pd;
  }
  PerDimension& pd =
      dims_.emplace(n, PerDimension(NutsTransition(*target_, metric_.kind()))).first->second;
  apply_metric(pd.nuts, applied_[n]);
  if (c.warmup) {
    // As Stan: a search from the current point, then dual averaging around 10 ε.
    pd.nuts.find_step_size(q_, lp, grad_, *c.rng);
    pd.adapt.set_mu(std::log(10 * pd.nuts.step_size()));
    return pd;
  }
  // After warm-up: the nearest adapted dimension's step size (a function of
  // the cell only), or one search when warm-up adapted none.
  const PerDimension* near = nullptr;
  size_t best = 0;
  for (const auto& [m, other] : dims_) {
    if (!other.learned) continue;
    const size_t dist = m > n ? m - n : n - m;
    if (!near || dist < best) {
      near = &other;
      best = dist;
    }
  }
  if (near)
    pd.nuts.set_step_size(near->nuts.step_size());
  else
    pd.nuts.find_step_size(q_, lp, grad_, *c.rng);
  pd.frozen = true;
  return pd;
}

double NutsKernel::population_step_size(size_t n) const {
  const auto it = step_sizes_.find(n);
  if (it != step_sizes_.end()) return it->second;
  // The nearest dimension met (the smaller on a tie: the map is ordered).
  const double* near = nullptr;
  size_t best = 0;
  for (const auto& [m, eps] : step_sizes_) {
    const size_t dist = m > n ? m - n : n - m;
    if (!near || dist < best) {
      near = &eps;
      best = dist;
    }
  }
  return near ? *near : 1.0;
}

NutsTransition& NutsKernel::population_dimension(size_t n) {
  auto it = population_.find(n);
  if (it == population_.end()) it = population_.emplace(n, NutsTransition(*target_, metric_.kind())).first;
  apply_metric(it->second, applied_[n]);
  it->second.set_step_size(population_step_size(n));
  return it->second;
}

void NutsKernel::pool(const std::vector<Kernel*>& instances) {
  // Every record of the step, in particle order (a particle's own records
  // are contiguous and in move order in the one instance that moved it).
  std::vector<Record> all;
  for (Kernel* k : instances) {
    auto& r = static_cast<NutsKernel*>(k)->records_;
    all.insert(all.end(), r.begin(), r.end());
    r.clear();
  }
  std::stable_sort(all.begin(), all.end(), [](const Record& a, const Record& b) { return a.particle < b.particle; });
  std::map<size_t, std::pair<double, int64_t>> sums;
  for (const Record& r : all) {
    auto& [sum, m] = sums[r.dimension];
    sum += r.accept_stat;
    ++m;
  }
  std::map<size_t, double> next = step_sizes_;
  for (const auto& [n, sm] : sums)
    next[n] = population_step_size(n) *
              std::exp(population_log_step_change(sm.first / static_cast<double>(sm.second), sm.second));
  for (Kernel* k : instances) static_cast<NutsKernel*>(k)->step_sizes_ = next;
}

void NutsKernel::refuse_held(const ChainState& c) const {
  for (const Choice& ch : c.cur.choices) {
    const rt::Support s = rt::ad::support_of(ch.dist);
    if (s != rt::Support::Discrete && s != rt::Support::Dependent) continue;
    throw site_error(c.model, ch.site, c.handler->method,
                     std::string("a choice from ") + ch.dist.ops->name + " is " +
                         (s == rt::Support::Discrete ? "discrete" : "over components with different supports") +
                         ", and kernel = \"nuts\" moves only continuous choices: nothing would ever move this "
                         "one (add a kernel that does, e.g. kernel = \"nuts+single\" or \"nuts+rw\")");
  }
}

void NutsKernel::iterate(ChainState& c) {
  // An MH chain's warm-up iteration: the draw after it may feed the
  // metric's current window, whose end replaces the metric.
  const bool counting = c.particle < 0 && c.warmup;
  const int64_t iteration = counting ? warm_iterations_++ : -1;
  transition(c, counting && window_ < windows_.size() && iteration >= windows_[window_].first);
  if (counting && window_ < windows_.size() && iteration == windows_[window_].last) {
    const uint64_t before = metric_.version();
    metric_.update();
    if (metric_.version() != before)
      for (auto& [n, pd] : dims_) pd.search = true;
    ++window_;
  }
}

bool NutsKernel::transition(ChainState& c, bool record) {
  const char* method = c.handler->method;
  if (c.from)
    throw method_error(method,
                       "kernel \"nuts\" cannot move particles that restart from a saved continuation "
                       "(lag > 0): the differentiating program runs only from the program's start");
  if (only_) refuse_held(c);
  if (!target_) target_ = std::make_unique<TraceGradient>(*c.model, method);
  const bool population = c.particle >= 0;
  if (!population && !c.warmup) freeze();
  // A value on the boundary of its support (no finite coordinates), or a
  // point the program and its twin disagree about: no move (both happen on
  // sets of measure zero at most).
  ++stats_.proposed;
  if (!target_->bind(c.cur, q_, c.suspend_at)) return false;
  const size_t n = target_->dimension();
  if (n == 0) {
    --stats_.proposed;  // nothing to move
    return false;
  }
  grad_.resize(n);
  ++start_gradients_;
  double lp = target_->log_density_gradient(q_.data(), grad_.data());
  if (!std::isfinite(lp)) return false;
  for (double g : grad_)
    if (!std::isfinite(g)) return false;
  q0_ = q_;
  if (population) {
    const NutsDrawStats s = population_dimension(n).transition(q_, lp, grad_, *c.rng);
    stats_.accept_stat_sum += std::min(1.0, s.accept_stat);
    records_.push_back(Record{c.particle, n, std::min(1.0, s.accept_stat)});
  } else {
    PerDimension& pd = dimension(c, n, lp);
    const NutsDrawStats s = pd.nuts.transition(q_, lp, grad_, *c.rng);
    stats_.accept_stat_sum += std::min(1.0, s.accept_stat);
    if (c.warmup && !pd.frozen) {
      pd.nuts.set_step_size(pd.adapt.learn(s.accept_stat));
      pd.learned = true;
    }
  }
  // The metric learns from the chain's state after the transition (the
  // cell is unchanged: the layout is the bound one).
  if (record) metric_.add(target_->layout(), q_);
  if (q_ == q0_) return true;
  // The new trace: the program replayed with the new continuous values
  // proposed, every other choice reused. It must be the point NUTS chose.
  double log_jacobian = 0.0;
  const double lp_new = target_->values_at(q_.data(), values_, &log_jacobian);
  const double la = c.replay(Address{}, &values_);
  const double joint = c.prop.log_joint();
  const double err = std::abs(joint - (lp_new - log_jacobian));
  if (!(la > -std::numeric_limits<double>::infinity()) || c.handler->log_fresh != 0.0 ||
      c.prop.choices.size() != c.cur.choices.size() || !(err <= 1e-6 * (1 + std::abs(lp_new))))
    throw method_error(
        method,
        "internal error: kernel \"nuts\": the program replayed at the new point has log "
        "joint " +
            fmt("%.17g", joint) + " and " + std::to_string(c.prop.choices.size()) +
            " choices, but its differentiating version gave " + fmt("%.17g", lp_new - log_jacobian) +
            " and " + std::to_string(c.cur.choices.size()));
  max_replay_error_ = std::max(max_replay_error_, err);
  std::swap(c.cur, c.prop);
  ++stats_.accepted;
  return true;
}

std::unique_ptr<Kernel> make_nuts_kernel() { return std::make_unique<NutsKernel>(); }

Metric kernel_metric(const std::string& name, const char* method) {
  if (name == "unit") return Metric::Unit;
  if (name == "diag") return Metric::Diag;
  if (name == "dense") return Metric::Dense;
  throw method_error(method, "metric is \"" + name + "\", but must be one of \"unit\", \"diag\", \"dense\"");
}

void configure_nuts(const std::vector<std::unique_ptr<Kernel>>& kernels, Metric metric, int64_t warmup) {
  for (const auto& k : kernels)
    if (auto* nuts = dynamic_cast<NutsKernel*>(k.get())) nuts->configure(metric, warmup);
}

}  // namespace borel::inference
