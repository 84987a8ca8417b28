// ResampleMove.cpp — SMC with MCMC rejuvenation (see ResampleMove.h).
#include "inference/ResampleMove.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "inference/Contexts.h"
#include "inference/Errors.h"
#include "inference/Kernels.h"
#include "inference/NutsKernel.h"
#include "inference/Parallel.h"
#include "inference/Traced.h"

namespace borel::inference {

struct Rejuvenator::Impl {
  rt::Model* model;
  int64_t moves;
  int64_t lag = 0;
  std::string kernel;
  const char* method;
  WorkerPool pool;
  Contexts ctx;
  std::vector<TraceHandler> handlers;
  std::vector<std::vector<std::unique_ptr<Kernel>>> kernels;  // per thread
  std::vector<rt::Rng> rngs;                                  // per slot
  std::vector<int64_t> accepted, proposed;                    // per thread
  Impl(rt::Model& m, int64_t n, int64_t mv, std::string k, uint64_t seed, int threads, const char* meth)
      : model(&m), moves(mv), kernel(std::move(k)), method(meth),
        pool(static_cast<int>(std::min<int64_t>(threads <= 0 ? std::max(1u, std::thread::hardware_concurrency())
                                                              : threads, n))),
        ctx(pool.size()), handlers(static_cast<size_t>(pool.size())),
        accepted(static_cast<size_t>(pool.size()), 0), proposed(static_cast<size_t>(pool.size()), 0) {
    for (int k = 0; k < pool.size(); ++k) {
      handlers[static_cast<size_t>(k)].method = method;
      handlers[static_cast<size_t>(k)].model = model;
      kernels.push_back(make_kernels(kernel, method));
    }
    rngs.reserve(static_cast<size_t>(n));
    // Move streams: independent of the SMC streams (a different seed hash).
    for (int64_t i = 0; i < n; ++i) rngs.emplace_back(seed ^ 0x6a09e667f3bcc909ull, 1 + static_cast<uint64_t>(i));
  }
};

Rejuvenator::Rejuvenator(rt::Model& model, int64_t particles, int64_t moves, std::string kernel, uint64_t seed,
                         int threads, const char* method, int64_t lag, const std::string& metric) {
  const Metric m = kernel_metric(metric, method);
  if (lag > 0)
    for (const auto& k : make_kernels(kernel, method))
      if (!k->can_resume())
        throw method_error(method, "kernel \"" + kernel +
                                       "\" cannot be used with lag > 0: \"nuts\" needs the whole run from the "
                                       "program's start, and fixed-lag moves restart from a saved continuation "
                                       "without the choices before it (use lag = 0)");
  impl_ = new Impl(model, particles, moves, std::move(kernel), seed, threads, method);
  impl_->lag = lag;
  for (auto& ks : impl_->kernels) configure_nuts(ks, m, 0);
}
Rejuvenator::~Rejuvenator() { delete impl_; }

double Rejuvenator::acceptance() const {
  int64_t a = 0, p = 0;
  for (size_t k = 0; k < impl_->accepted.size(); ++k) {
    a += impl_->accepted[k];
    p += impl_->proposed[k];
  }
  return p ? static_cast<double>(a) / static_cast<double>(p) : std::numeric_limits<double>::quiet_NaN();
}

namespace {

// Where a particle's moves restart (lag > 0): the newest checkpoint in its
// list at least `lag` steps old, the choices recorded after it (execution
// order, with their whole-run addresses) and the counters there.
struct Window {
  const TraceNode* base = nullptr;      // the checkpoint's node; null: the program's start
  const Checkpoint* checkpoint = nullptr;
  SiteCounts counts;
  std::vector<std::pair<Address, rt::Word>> choices;
};

// The counter of `key` in `counts`, added at 0 when absent. A program has
// few distinct keys — its sample sites and choice names, both fixed in the
// source — so a vector beats a map.
int64_t& counter(SiteCounts& counts, rt::SiteId key) {
  for (auto& [k, n] : counts)
    if (k == key) return n;
  counts.push_back({key, 0});
  return counts.back().second;
}

void find_window(const TraceNode* head, int64_t step, int64_t lag, Window& w) {
  w.base = nullptr;
  w.checkpoint = nullptr;
  w.counts.clear();
  w.choices.clear();
  const TraceNode* n = head;
  for (; n; n = n->prev) {
    const Checkpoint* c = checkpoint_of(n);
    if (c && c->step <= step - lag) break;
    if (!c) w.choices.push_back({Address{n->site, 0}, n->value});
  }
  std::reverse(w.choices.begin(), w.choices.end());
  if (n) {
    w.base = n;
    w.checkpoint = checkpoint_of(n);
    w.counts.assign(w.checkpoint->counts, w.checkpoint->counts + w.checkpoint->ncounts);
  }
  SiteCounts counts = w.counts;
  for (auto& [a, v] : w.choices) a.k = counter(counts, a.site)++;
}

// The counters after `t`'s choices, starting from `base`.
SiteCounts counts_after(const SiteCounts& base, const Trace& t) {
  SiteCounts out = base;
  for (const Choice& c : t.choices) counter(out, c.addr.site) = c.addr.k + 1;
  return out;
}

// A particle's record after fixed-lag moves: its base checkpoint, then the
// accepted window replayed once more one observe/factor at a time, with a
// fresh checkpoint after each (the moves made the old ones stale), so that
// the next window can start `lag` steps back. Nothing before the base is
// kept: later windows start at this base or after it, so the record, and
// what it keeps alive, stays O(lag) per particle. Returns the record; the
// particle's new continuation (or result) is the last run's, in `last`;
// `values` is scratch.
const TraceNode* lagged_record(ChainState& st, const Window& w, int64_t step, Trace& last, ValueMap& values) {
  const TraceNode* list = nullptr;
  if (w.base) {
    auto* n = static_cast<TraceNode*>(rt::gc_alloc(sizeof(TraceNode)));
    *n = TraceNode{nullptr, kCheckpoint, w.base->value};
    list = n;
  }
  values.clear();
  for (const Choice& c : st.cur.choices) values[c.addr] = c.value;
  TraceHandler& h = *st.handler;
  SiteCounts counts = w.counts;
  rt::Cont* from = st.from;
  for (int64_t s = (w.checkpoint ? w.checkpoint->step : 0) + 1; s <= step; ++s) {
    h.old = nullptr;
    h.redraw = Address{};
    h.proposed = &values;
    h.suspend_at = 1;
    h.start_counts = &counts;
    run_traced(*st.model, *st.ctx, h, last, from);
    list = list_of(last, list);
    if (last.done) break;
    counts = counts_after(counts, last);
    from = rt::to_ptr<rt::Cont>(last.result[0]);
    list = push_checkpoint(list, s, last.result[0], counts);
  }
  return list;
}

}  // namespace

void Rejuvenator::operator()(Population& pop, int64_t step) {
  Impl& im = *impl_;
  // The particle's trace from where moves restart: replay its recorded
  // values up to the same point.
  auto load = [&](ChainState& st, TraceHandler& h, Window& w, ValueMap& values, int64_t i) {
    find_window(rt::to_ptr<const TraceNode>(pop.aux()[i]), step, im.lag > 0 ? im.lag : step + 1, w);
    values.clear();
    for (const auto& [a, v] : w.choices) values[a] = v;
    st.from = w.checkpoint ? rt::to_ptr<rt::Cont>(w.checkpoint->cont) : nullptr;
    st.from_counts = &w.counts;
    st.suspend_at = step - (w.checkpoint ? w.checkpoint->step : 0);
    st.rng = &im.rngs[static_cast<size_t>(i)];
    st.particle = i;
    h.old = nullptr;
    h.redraw = Address{};
    h.proposed = &values;
    h.suspend_at = st.suspend_at;
    st.ctx->rng = st.rng;
    st.run(st.cur);
  };
  auto chain = [&](int k) {
    ChainState st;
    st.model = im.model;
    st.ctx = &im.ctx[k];
    st.handler = &im.handlers[static_cast<size_t>(k)];
    st.sweep = false;
    return st;
  };
  // Kernels that tune on the population about to be moved survey it first
  // (one more replay per particle; every value is the recorded one, and
  // the particle's move stream is restored after it, so that the moves
  // draw what they would have drawn without the survey).
  for (size_t j = 0; j < im.kernels[0].size(); ++j) {
    if (im.moves == 0 || !im.kernels[0][j]->surveys()) continue;
    im.pool.for_chunks(pop.size(), [&](int k, int64_t b, int64_t e) {
      Window w;
      ValueMap values;
      ChainState st = chain(k);
      for (int64_t i = b; i < e; ++i) {
        const rt::Rng saved = im.rngs[static_cast<size_t>(i)];
        load(st, im.handlers[static_cast<size_t>(k)], w, values, i);
        im.kernels[static_cast<size_t>(k)][j]->survey(st);
        im.rngs[static_cast<size_t>(i)] = saved;
      }
    });
    std::vector<Kernel*> instances;
    for (auto& ks : im.kernels) instances.push_back(ks[j].get());
    instances[0]->prepare(instances);
  }
  im.pool.for_chunks(pop.size(), [&](int k, int64_t b, int64_t e) {
    TraceHandler& h = im.handlers[static_cast<size_t>(k)];
    auto& kernels = im.kernels[static_cast<size_t>(k)];
    Window w;
    ValueMap values;
    ChainState st = chain(k);
    for (int64_t i = b; i < e; ++i) {
      load(st, h, w, values, i);
      for (int64_t m = 0; m < im.moves; ++m)
        for (auto& kern : kernels) kern->iterate(st);
      if (im.lag > 0) {
        pop.aux()[i] = rt::from_ptr(lagged_record(st, w, step, st.prop, values));
        std::swap(st.cur, st.prop);
      } else {
        pop.aux()[i] = rt::from_ptr(list_of(st.cur));
      }
      pop.slots()[i] = st.cur.result[0];
      pop.status()[i] = st.cur.done ? Status::Done : Status::Suspended;
    }
    int64_t a = 0, p = 0;
    for (auto& kern : kernels)
      for (const KernelStats& s : kern->stats()) {
        a += s.accepted;
        p += s.proposed;
      }
    im.accepted[static_cast<size_t>(k)] = a;
    im.proposed[static_cast<size_t>(k)] = p;
  });
  // Kernels that adapt across the population learn from this step's moves.
  std::vector<Kernel*> instances;
  for (size_t j = 0; j < im.kernels[0].size(); ++j) {
    instances.clear();
    for (auto& ks : im.kernels) instances.push_back(ks[j].get());
    instances[0]->pool(instances);
  }
}

Population resample_move(rt::Model& model, const ResampleMoveSettings& rs, uint64_t seed, int threads,
                         Diagnostics* diagnostics) {
  require_at_least(rs.smc.method, "moves", rs.moves, 0);
  require_at_least(rs.smc.method, "lag", rs.lag, 0);
  make_kernels(rs.kernel, rs.smc.method);
  Rejuvenator rejuvenate(model, rs.smc.particles, rs.moves, rs.kernel, seed, threads, rs.smc.method, rs.lag,
                         rs.metric);
  SmcSettings s = rs.smc;
  s.aux = true;
  const char* method = s.method;
  s.make_handler = [method] {
    auto h = std::make_unique<RecordingHandler>();
    h->method = method;
    return std::unique_ptr<InferenceHandler>(std::move(h));
  };
  s.after_resample = [&](Population& pop, int64_t step) { rejuvenate(pop, step); };
  Diagnostics local;
  Diagnostics& d = diagnostics ? *diagnostics : local;
  Population pop = smc(model, s, seed, threads, &d);
  const double acc = rejuvenate.acceptance();
  if (acc == acc) d.acceptance.emplace_back("moves", acc);
  return pop;
}

}  // namespace borel::inference
