// Trace.h — the *Traced* building block: a program run together with the
// record of its random choices.
//
// Addresses (DESIGN.md, decision 4). The compiled code passes every `sample`
// the static SiteId of its call (the source location). A random choice's
// address is (site, k), k = how many times this site was hit before in the
// same execution. It is stable under replay: a loop `for i in 0..n {
// sample(...) }` gives (site, 0..n-1) whatever the values, and a model whose
// number of choices varies (a random number of components) keeps the
// addresses of the choices that exist in both runs. Counters are per
// execution and kept by the handler (TraceHandler), never by the program.
//
// A Trace holds, in execution order, each choice's address, value, family
// and log-density under the distribution it was drawn from in that run, the
// run's log-likelihood (observes and factors) and its result. Its storage is
// scanned by the collector (choice values and results may be GC pointers).
//
// TraceHandler runs (replays) the program against an old trace:
//   * an address listed in `proposed` takes the proposed value;
//   * an address in `old` (and not the one to `redraw`) reuses the old value
//     whenever the two choices can hold the same values (same value kind, and
//     for kind Any the same static site) — whether or not the value lies in
//     the new distribution's support;
//   * anything else is drawn fresh from its distribution; the sum of the
//     fresh draws' log-densities is `log_fresh`.
// Which old choices are reused depends only on the two traces' addresses and
// kinds, never on the values, so the reverse move reuses exactly the same
// set and its fresh draws are this move's stale choices: every move is
// reversible (docs/inference.md, "Why every trace move is reversible"). A
// reused or proposed value outside its new support has density zero: the
// move is impossible and is rejected. (Drawing a fresh value there instead,
// as this handler once did, made moves that shrink a support irreversible —
// the reverse move would reuse the fresh value and never return to the old
// one — and biased every kernel on support-dependent models.)
// A run whose weight becomes zero (a choice of density zero, an observe of
// density zero, factor(-inf)) stops there: the handler suspends the program
// at that effect, so code after it that assumes the condition held never
// runs; the trace's log_joint() is -infinity.
// After the run, `log_stale(old)` is the sum of the old log-densities of the
// old choices that were neither reused nor replaced by a proposed value
// (absent now, or redrawn). A proposed value's density under q is the
// kernel's to account for.
// These are the terms of the Metropolis–Hastings–Green ratio (docs/inference.md):
//   log α = [log p(T') − log p(T)] + [log_stale − log_fresh] + (kernel's terms)
// where log p(T) = Σ log-densities + log-likelihood.
#pragma once

#include <gc/gc_allocator.h>

#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "inference/FlatMap.h"
#include "inference/PriorHandler.h"
#include "runtime/Dist.h"
#include "runtime/Model.h"

namespace borel::inference {

struct Address {
  rt::SiteId site = -1;
  int64_t k = 0;
  bool operator==(const Address& o) const { return site == o.site && k == o.k; }
};
struct AddressHash {
  size_t operator()(const Address& a) const {
    return std::hash<uint64_t>()(static_cast<uint64_t>(a.site) * 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(a.k));
  }
};

// The key under which a choice is counted: its name for `sample(d, "name")`
// (ctx.address), else its site.
inline rt::SiteId choice_key(const rt::Ctx& ctx, rt::SiteId site) { return ctx.address >= 0 ? ctx.address : site; }

// Per-key occurrence counters, (key, how many choices so far).
using SiteCounts = std::vector<std::pair<rt::SiteId, int64_t>>;

// Values by address (proposals, references, replays).
using ValueMap = FlatMap<Address, rt::Word, AddressHash>;

// The addresses of one run's choices, in order: (key, occurrence of that key
// so far), key = choice_key. Every handler that names choices by address
// (TraceHandler, TraceGradient's) counts with this, so they agree.
class AddressCounter {
 public:
  // Starts a run: counters from `start` (a run resumed from a saved
  // continuation), or all zero.
  void reset(const SiteCounts* start = nullptr) {
    counts_.clear();
    if (start)
      for (const auto& [key, n] : *start) counts_.set(key, n);
  }
  // The address of the `sample` at `site` being handled now.
  Address next(const rt::Ctx& ctx, rt::SiteId site) {
    const rt::SiteId key = choice_key(ctx, site);
    return Address{key, counts_.get(key)++};
  }

 private:
  FlatMap<rt::SiteId, int64_t, std::hash<rt::SiteId>> counts_;
};

struct Choice {
  Address addr;
  rt::Word value;
  double log_density;       // under this run's distribution at the site
  rt::Dist dist;            // the distribution it was drawn from in this run
  double scale;             // the prior's sd when finite (RW proposals), else 1
  rt::SiteId site;          // the static site of the `sample` (addr.site is the name of a named choice)
};

// Whether the value of old choice `c` can be offered to `d` at `site`: the
// same kind of value; for kind Any (mixtures, results of infer) whose values
// may be of any type, the same static site too, since a name may label
// choices of different types at different sites. Symmetric in the two runs,
// as reversibility needs.
inline bool reusable(const Choice& c, const rt::Dist& d, rt::SiteId site) {
  if (c.dist.ops->value_kind != d.ops->value_kind) return false;
  return d.ops->value_kind != rt::Kind::Any || c.site == site;
}

class Trace {
 public:
  std::vector<Choice, traceable_allocator<Choice>> choices;  // execution order
  double log_likelihood = 0.0;   // Σ observe log-densities and factors
  int64_t events = 0;            // observes and factors executed
  // The program's result (slot 0) or, when it suspended, its continuation.
  std::vector<rt::Word, traceable_allocator<rt::Word>> result = std::vector<rt::Word, traceable_allocator<rt::Word>>(1, 0);
  bool done = true;

  double log_prior() const;
  double log_joint() const { return log_prior() + log_likelihood; }
  // Index of the choice at `a`, or -1 (index() must have been called after the
  // last change).
  int64_t find(const Address& a) const {
    const int64_t* i = index_.find(a);
    return i ? *i : -1;
  }
  void index();
  void clear() {
    choices.clear();
    log_likelihood = 0.0;
    events = 0;
    result[0] = 0;
    done = true;
    index_.clear();
  }

 private:
  FlatMap<Address, int64_t, AddressHash> index_;
};

class TraceHandler final : public InferenceHandler {
 public:
  // Replay inputs (all optional; none: a run from the prior).
  const Trace* old = nullptr;
  Address redraw;                  // draw this address fresh even if `old` has it
  const ValueMap* proposed = nullptr;
  // Suspend after the `suspend_at`-th observe/factor of this run (-1: run to the end).
  int64_t suspend_at = -1;
  // The address counters where the run starts: empty for a run from the
  // program's start; a run resumed from a saved continuation starts from the
  // counters at that point, so addresses stay those of a whole run.
  const SiteCounts* start_counts = nullptr;
  // Output.
  Trace* out = nullptr;
  double log_fresh = 0.0;

  // Prepares a run recording into `t`.
  void begin_run(Trace* t);
  // Σ old log-densities of the old choices not reused by the last run.
  double log_stale() const;

  rt::Word sample(rt::Ctx& ctx, const rt::Dist& d, rt::SiteId site) override;
  void observe(rt::Ctx& ctx, const rt::Dist& d, rt::Word v, rt::SiteId site) override;
  void factor(rt::Ctx& ctx, double log_w, rt::SiteId site) override;

 private:
  void add(rt::Ctx& ctx, double lw, rt::SiteId site, const char* what);
  void stop(rt::Ctx& ctx);
  AddressCounter counts_;
  std::vector<char> used_;
  bool impossible_ = false;  // a choice of this run has density zero
};

// Runs `model` with `h` (already configured) recording into `t`: from the
// start, or resumed from the continuation `from` (after an observe/factor;
// then h.start_counts should hold the counters at that point). The trace's
// result is the value (or continuation when h.suspend_at stopped it). Uses
// ctx.rng for fresh draws.
void run_traced(rt::Model& model, rt::Ctx& ctx, TraceHandler& h, Trace& t, rt::Cont* from = nullptr);

// The prior sd of a scalar real distribution, or 1 when not finite.
double proposal_scale(const rt::Dist& d);

}  // namespace borel::inference
