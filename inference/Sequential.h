// Sequential.h — advancing programs to their next suspension: the
// *Sequential* building block.
//
// `advance` runs one particle from where it stands (Fresh: Model::start;
// Suspended: Model::resume of its continuation, which is left unchanged) until
// the handler asks it to suspend (ctx.suspend_requested, e.g. after an
// observe in SMC) or the program ends. The weight the handler accumulates
// meanwhile is added to the particle's log-weight. Done particles are left
// alone: a population whose particles finish at different times (different
// numbers of observes) keeps its finished ones, with their weights, until the
// last one ends. A particle whose weight became zero stopped at that effect
// (its handler suspended it there) and is never resumed: the rest of its run
// could only be code that assumes a condition that failed (an index it
// guarded, an `error(...)`), and its weight stays zero whatever it does.
//
// `advance_range` does this for particles [begin, end) of a population, each
// with its own random stream rngs[i] (decision 5: slot i always uses stream i,
// whichever thread runs it), one Ctx and handler per thread. Inlined: this is
// the inner loop of SMC.
#pragma once

#include <cmath>
#include <cstdint>

#include "inference/Population.h"
#include "inference/PriorHandler.h"
#include "runtime/Model.h"
#include "runtime/Rng.h"

namespace borel::inference {

// Advances particle (status, slot) by one segment; returns the weight the
// handler added. `value` answers the effect a suspended particle stopped at
// (0 after an observe/factor; a parked sample's draw, Batched.h).
// `continues`: the particle resumes in the segment it was in (it parked at
// a sample, Batched.h), so the handler's segment state (restored by the
// caller) is left as it is.
inline double advance(rt::Model& model, rt::Ctx& ctx, InferenceHandler& h, Status& status,
                      rt::Word& slot, rt::Word value = 0, bool continues = false) {
  ctx.log_weight = 0.0;
  ctx.suspend_requested = false;
  h.begin();
  if (!continues) {
    h.starting = status == Status::Fresh;
    ++h.segment;
  }
  const rt::Step s = status == Status::Fresh
                         ? model.start(ctx)
                         : model.resume(ctx, rt::to_ptr<rt::Cont>(slot), value);
  if (s.kind == rt::Step::Kind::Done) {
    status = Status::Done;
    slot = s.value;
  } else {
    status = Status::Suspended;
    slot = rt::from_ptr(s.cont);
  }
  return ctx.log_weight;
}

// Points the handler and the context at particle i of `pop` (its stream,
// its slot index, its auxiliary word): before any effect of i is carried out.
inline void enter_particle(rt::Ctx& ctx, InferenceHandler& h, Population& pop, rt::Rng* rngs, int64_t i) {
  ctx.rng = &rngs[i];
  h.particle = i;
  h.aux = pop.aux() ? pop.aux() + i : nullptr;
}

// After particle i's segment: keeps where its weight first became zero;
// returns whether it is still running (not Done, weight not zero).
inline bool leave_particle(const InferenceHandler& h, Population& pop, int64_t i) {
  rt::SiteId& zero_site = pop.zero_sites()[i];
  if (h.zero_site >= 0 && zero_site < 0) [[unlikely]] zero_site = h.zero_site;
  return pop.status()[i] != Status::Done && pop.log_weights()[i] != -INFINITY;
}

// Advances every particle in [begin, end) that is not Done; returns how many
// of them are still running afterwards.
inline int64_t advance_range(rt::Model& model, rt::Ctx& ctx, InferenceHandler& h, Population& pop,
                             rt::Rng* rngs, int64_t begin, int64_t end) {
  Status* status = pop.status();
  rt::Word* slots = pop.slots();
  double* lw = pop.log_weights();
  ctx.handler = &h;
  int64_t running = 0;
  for (int64_t i = begin; i < end; ++i) {
    if (status[i] == Status::Done || lw[i] == -INFINITY) continue;
    enter_particle(ctx, h, pop, rngs, i);
    lw[i] += advance(model, ctx, h, status[i], slots[i]);
    running += leave_particle(h, pop, i);
  }
  return running;
}

}  // namespace borel::inference
