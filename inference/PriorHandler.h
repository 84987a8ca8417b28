// PriorHandler.h — the handler of forward sampling, importance sampling and
// the bootstrap particle filter.
//
// At `sample(d)` it draws from d (the prior) with the current particle's
// stream, ctx.rng. At `observe(d, v)` it adds d's log-density at v to
// ctx.log_weight, at `factor(w)` it adds w — when `condition` is set
// (forward sampling clears it and ignores both). When `suspend` is set it
// asks the program to suspend after every observe/factor
// (ctx.suspend_requested), which turns a run into the Sequential steps of SMC.
//
// Guarantees: it never adds NaN or +infinity to a weight: a NaN or +inf
// log-density or factor raises rt::RuntimeError at that site, naming the
// method. It records where the current particle's weight first became zero
// (zero_site) so that "every particle has zero weight" can name a site, and
// suspends the program there: a particle of zero weight is never resumed.
#pragma once

#include <cmath>

#include "runtime/Model.h"

namespace borel::inference {

// What every inference handler tells its driver about the particle it just
// advanced. The driver resets it (begin) before each start/resume.
class Parking;

class InferenceHandler : public rt::Handler {
 public:
  const char* method = "inference";   // the method's name, used in messages
  const rt::Model* model = nullptr;   // to name sites in messages
  rt::SiteId zero_site = -1;          // where log_weight first became -inf, or -1
  // Set by the driver before each start/resume (advance_range): the slot
  // being advanced, its auxiliary word (Population::aux, null when off) and
  // whether the program is starting (rather than resuming).
  int64_t particle = -1;
  rt::Word* aux = nullptr;
  bool starting = false;
  uint64_t segment = 0;               // incremented by the driver at every start/resume
  void begin() { zero_site = -1; }
  // Set by SMC (SmcSettings::batched): a handler that knows how parks a
  // particle at a sample or observe of a pending distribution (a language
  // model's next token) — before it changes any state — to be carried out
  // together with every other particle's (Batched.h). Null, or a handler
  // that does not check it: effects are carried out at once.
  Parking* parking = nullptr;

  // What a handler remembers about the segment it is running (the particle
  // is mid-segment when it parks, and the handler runs other particles
  // before the effect is carried out): saved at the park, restored before
  // the parked effect is carried out. `extra` is the handler's own state.
  struct SegmentState {
    bool starting;
    uint64_t segment;
    uint64_t extra[2];
  };
  virtual SegmentState save_segment() const { return {starting, segment, {0, 0}}; }
  virtual void restore_segment(const SegmentState& s) {
    starting = s.starting;
    segment = s.segment;
  }
};

class PriorHandler final : public InferenceHandler {
 public:
  // condition: add observe/factor weights (false: forward sampling);
  // suspend: suspend after each observe/factor (true: SMC). Compiled code
  // performs this handler's sample and observe of a normal itself
  // (rt::InlineEffect): the same kernel, the same weighting, no calls.
  PriorHandler(bool condition, bool suspend) : condition(condition), suspend(suspend) {
    inline_effects = rt::kInlineSample | (condition ? rt::kInlineObserve : 0) |
                     (condition && suspend ? rt::kInlineSuspend : 0);
  }
  const bool condition;
  const bool suspend;

  rt::Word sample(rt::Ctx& ctx, const rt::Dist& d, rt::SiteId site) override;
  void observe(rt::Ctx& ctx, const rt::Dist& d, rt::Word v, rt::SiteId site) override;
  void factor(rt::Ctx& ctx, double log_w, rt::SiteId site) override;

 private:
  void add(rt::Ctx& ctx, double log_w, rt::SiteId site, const char* what) {
    // One predictable branch on the fast path: finite weights.
    if (!std::isfinite(log_w)) [[unlikely]] not_finite(ctx, log_w, site, what);
    ctx.log_weight += log_w;
    if (suspend) ctx.suspend_requested = true;
  }
  // NaN and +inf raise; -inf records where the particle's weight became zero.
  void not_finite(rt::Ctx& ctx, double log_w, rt::SiteId site, const char* what);
};

}  // namespace borel::inference
