// Traced.cpp — persistent choice lists for SMC particles (see Traced.h).
#include "inference/Traced.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "inference/Batched.h"
#include "inference/Errors.h"

namespace borel::inference {

void list_choices(const TraceNode* head, std::vector<std::pair<Address, rt::Word>>& out) {
  out.clear();
  for (const TraceNode* n = head; n; n = n->prev)
    if (n->site != kCheckpoint) out.push_back({Address{n->site, 0}, n->value});
  std::reverse(out.begin(), out.end());
  std::unordered_map<rt::SiteId, int64_t> counts;
  for (auto& [a, v] : out) a.k = counts[a.site]++;
}

const Checkpoint* checkpoint_of(const TraceNode* n) {
  return n && n->site == kCheckpoint ? rt::to_ptr<const Checkpoint>(n->value) : nullptr;
}

const TraceNode* push_checkpoint(const TraceNode* prev, int64_t step, rt::Word cont, const SiteCounts& counts) {
  const size_t bytes = sizeof(Checkpoint) + sizeof(Checkpoint::counts[0]) * (counts.empty() ? 0 : counts.size() - 1);
  auto* c = static_cast<Checkpoint*>(rt::gc_alloc(bytes));
  c->step = step;
  c->cont = cont;
  c->ncounts = static_cast<int64_t>(counts.size());
  std::copy(counts.begin(), counts.end(), c->counts);
  auto* n = static_cast<TraceNode*>(rt::gc_alloc(sizeof(TraceNode)));
  *n = TraceNode{prev, kCheckpoint, rt::from_ptr(c)};
  return n;
}

const TraceNode* list_of(const Trace& t, const TraceNode* prev) {
  const TraceNode* head = prev;
  for (const Choice& c : t.choices) {
    auto* n = static_cast<TraceNode*>(rt::gc_alloc(sizeof(TraceNode)));
    *n = TraceNode{head, c.addr.site, c.value};
    head = n;
  }
  return head;
}

rt::Word RecordingHandler::sample(rt::Ctx& ctx, const rt::Dist& d, rt::SiteId site) {
  // Parked before anything changes: carried out later by calling this again
  // (Batched.h). Particle 0's reference counters are safe meanwhile: only
  // particle 0 uses them, and it always runs on this handler.
  if (parking && Parking::should_park(d)) [[unlikely]] {
    parking->park(ctx, *this, Parking::Effect::Sample, d, 0, site);
    return 0;
  }
  rt::Word v;
  bool have = false;
  if (reference && particle == 0) {
    if (starting) {
      ref_counts_.clear();
      starting = false;
    }
    const rt::SiteId key = choice_key(ctx, site);
    if (const rt::Word* w = reference->find(Address{key, ref_counts_[key]++})) {
      v = *w;
      have = true;
    }
  }
  if (!have) v = d.ops->sample(d, *ctx.rng);
  if (aux) {
    auto* n = static_cast<TraceNode*>(rt::gc_alloc(sizeof(TraceNode)));
    *n = TraceNode{rt::to_ptr<const TraceNode>(*aux), choice_key(ctx, site), v};
    *aux = rt::from_ptr(n);
  }
  return v;
}

void RecordingHandler::add(rt::Ctx& ctx, double lw, rt::SiteId site, const char* what) {
  if (reference && particle == 0 && starting) {  // a run of particle 0 that starts with no sample
    ref_counts_.clear();
    starting = false;
  }
  if (!std::isfinite(lw)) {
    if (std::isnan(lw)) throw site_error(model, site, method, std::string(what) + " is NaN");
    if (lw > 0) throw site_error(model, site, method, std::string(what) + " is +infinity");
    if (zero_site < 0) zero_site = site;
    ctx.suspend_requested = true;  // zero weight: the particle stops here (Sequential.h)
  }
  ctx.log_weight += lw;
  if (suspend) ctx.suspend_requested = true;
}

void RecordingHandler::observe(rt::Ctx& ctx, const rt::Dist& d, rt::Word v, rt::SiteId site) {
  if (parking && Parking::should_park(d, v)) [[unlikely]] {
    parking->park(ctx, *this, Parking::Effect::Observe, d, v, site);
    return;
  }
  add(ctx, d.ops->log_density(d, v), site, "the log-density of the observed value");
}

void RecordingHandler::factor(rt::Ctx& ctx, double log_w, rt::SiteId site) {
  add(ctx, log_w, site, "the factor's log-weight");
}

}  // namespace borel::inference
