// NutsKernel.cpp — see NutsKernel.h.
#include "inference/NutsKernel.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "inference/Errors.h"
#include "inference/Format.h"

namespace borel::inference {

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

NutsKernel::PerDimension& NutsKernel::dimension(ChainState& c, size_t n, double lp) {
  auto it = dims_.find(n);
  if (it != dims_.end()) return it->second;
  PerDimension& pd =
      dims_.emplace(n, PerDimension(NutsTransition(*target_, Metric::Unit))).first->second;
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

void NutsKernel::iterate(ChainState& c) {
  const char* method = c.handler->method;
  if (c.from || c.suspend_at >= 0)
    throw method_error(
        method,
        "kernel \"nuts\" cannot rejuvenate particles inside SMC yet (the differentiating "
        "program runs only from the start to the end); use it with mh");
  if (!target_) target_ = std::make_unique<TraceGradient>(*c.model, method);
  if (!c.warmup) freeze();
  // A value on the boundary of its support (no finite coordinates), or a
  // point the program and its twin disagree about: no move (both happen on
  // sets of measure zero at most).
  ++stats_.proposed;
  if (!target_->bind(c.cur, q_)) return;
  const size_t n = target_->dimension();
  if (n == 0) {
    --stats_.proposed;  // nothing to move
    return;
  }
  grad_.resize(n);
  double lp = target_->log_density_gradient(q_.data(), grad_.data());
  if (!std::isfinite(lp)) return;
  for (double g : grad_)
    if (!std::isfinite(g)) return;
  PerDimension& pd = dimension(c, n, lp);
  q0_ = q_;
  const NutsDrawStats s = pd.nuts.transition(q_, lp, grad_, *c.rng);
  stats_.accept_stat_sum += std::min(1.0, s.accept_stat);
  if (c.warmup && !pd.frozen) {
    pd.nuts.set_step_size(pd.adapt.learn(s.accept_stat));
    pd.learned = true;
  }
  if (q_ == q0_) return;
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
}

std::unique_ptr<Kernel> make_nuts_kernel() { return std::make_unique<NutsKernel>(); }

}  // namespace borel::inference
