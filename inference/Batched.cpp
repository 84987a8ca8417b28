// Batched.cpp — see Batched.h.
#include "inference/Batched.h"

#include <algorithm>
#include <cmath>

#include "inference/Errors.h"
#include "inference/Sequential.h"
#include "runtime/BatchWork.h"

namespace borel::inference {

namespace {

// Where compiled code would have reported an error of this effect: its site,
// or the user's call into the prelude when the site is in the prelude.
rt::RuntimeError located(const rt::Model& model, rt::SiteId site, rt::SiteId user_site, rt::RuntimeError e) {
  if (!e.where.empty()) return e;
  e.where = model.site_location(site);
  if (e.where.rfind("<prelude>", 0) == 0 && user_site >= 0) {
    e.message += " (raised in the prelude, " + e.where + ")";
    e.where = model.site_location(user_site);
  }
  return e;
}

}  // namespace

Parking::Parking(int64_t n)
    : n_(n), effect_(static_cast<size_t>(n), Effect::None), site_(static_cast<size_t>(n), -1),
      user_site_(static_cast<size_t>(n), -1), segment_(static_cast<size_t>(n)) {}

bool Parking::should_park(const rt::Dist& d) { return rt::pending_work(d) != nullptr; }
bool Parking::should_park(const rt::Dist& d, rt::Word observed) { return rt::pending_work(d, observed) != nullptr; }

void Parking::park(rt::Ctx& ctx, const InferenceHandler& h, Effect e, const rt::Dist& d, rt::Word observed,
                   rt::SiteId site) {
  const int64_t i = h.particle;
  const auto k = static_cast<size_t>(i);
  segment_[k] = h.save_segment();
  std::call_once(roots_made_, [this] {
    dists_ = RootArray(n_);
    values_ = RootArray(n_);
  });
  dists_[i] = rt::from_ptr(rt::dist_box(d));  // d may live on the program's stack
  values_[i] = observed;
  effect_[k] = e;
  site_[k] = site;
  user_site_[k] = ctx.user_call_site;
  count_.fetch_add(1, std::memory_order_relaxed);
  ctx.suspend_requested = true;
}

void Parking::prepare(const rt::Model& model, const char* method) {
  Parking* self = this;
  prepare(std::span<Parking* const>(&self, 1), model, method);
}

void Parking::prepare(std::span<Parking* const> all, const rt::Model& model, const char* method) {
  std::vector<std::pair<rt::BatchWork*, std::vector<rt::Pending>>> by_work;
  rt::SiteId first_site = -1, first_user_site = -1;
  for (Parking* p : all) {
    if (!p->any()) continue;
    for (size_t i = 0; i < p->effect_.size(); ++i) {
      if (p->effect_[i] == Effect::None) continue;
      const auto* d = rt::to_ptr<const rt::Dist>(p->dists_[static_cast<int64_t>(i)]);
      const bool observe = p->effect_[i] == Effect::Observe;
      const rt::Word at = p->values_[static_cast<int64_t>(i)];
      rt::BatchWork* w = observe ? rt::pending_work(*d, at) : rt::pending_work(*d);
      if (!w) continue;  // made ready meanwhile (another particle's identical context)
      if (first_site < 0) first_site = p->site_[i], first_user_site = p->user_site_[i];
      auto it = std::find_if(by_work.begin(), by_work.end(), [&](const auto& e) { return e.first == w; });
      if (it == by_work.end()) it = by_work.insert(by_work.end(), {w, {}});
      it->second.push_back(rt::Pending{d, observe, at});
    }
  }
  try {
    for (auto& [work, ds] : by_work) work->prepare(ds);
  } catch (const rt::RuntimeError& e) {
    rt::RuntimeError r = located(model, first_site, first_user_site, e);
    r.message = std::string(method) + ": " + r.message;
    throw r;
  }
}

int64_t Parking::complete_range(rt::Model& model, rt::Ctx& ctx, InferenceHandler& h, Population& pop, rt::Rng* rngs,
                                int64_t begin, int64_t end) {
  Status* status = pop.status();
  rt::Word* slots = pop.slots();
  double* lw = pop.log_weights();
  ctx.handler = &h;
  int64_t running = 0;
  for (int64_t i = begin; i < end; ++i) {
    const auto k = static_cast<size_t>(i);
    const Effect e = effect_[k];
    if (e == Effect::None) {
      running += status[i] != Status::Done && lw[i] != -INFINITY;
      continue;
    }
    effect_[k] = Effect::None;
    count_.fetch_sub(1, std::memory_order_relaxed);
    const auto& d = *rt::to_ptr<const rt::Dist>(dists_[i]);
    const rt::Word observed = values_[i];
    dists_[i] = values_[i] = 0;
    enter_particle(ctx, h, pop, rngs, i);
    h.restore_segment(segment_[k]);
    ctx.log_weight = 0.0;
    ctx.suspend_requested = false;
    h.begin();
    try {
      if (e == Effect::Observe) {
        h.observe(ctx, d, observed, site_[k]);
        lw[i] += ctx.log_weight;
      } else {
        const rt::Word v = h.sample(ctx, d, site_[k]);
        // Parked again: a cache forgot d since prepare (the driver's next
        // round prepares it again).
        if (effect_[k] == Effect::None) lw[i] += ctx.log_weight + advance(model, ctx, h, status[i], slots[i], v, true);
      }
    } catch (const rt::RuntimeError& err) {
      throw located(model, site_[k], user_site_[k], err);
    }
    running += leave_particle(h, pop, i);
  }
  return running;
}

}  // namespace borel::inference
