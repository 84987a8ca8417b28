// Batched.h — particles that wait together: the *Batched* building block.
//
// A language model's next-token distribution costs a forward pass; N
// particles that each pay their own pass read the model's weights N times.
// Under SMC every particle advances to its next observe in the same sweep,
// so their passes can be one batched call (runtime/BatchWork.h, DESIGN.md
// decision 6). `Parking` is how: the handler does not carry out a sample or
// observe of a pending distribution; it parks the particle there (records the
// effect, suspends the program). When the sweep is over, prepare() hands every
// parked distribution to its BatchWork — one call per kind of work — and
// complete_range() carries the effects out and resumes each particle (a
// sample) to its next suspension, where it may park again. The driver loops
// until no particle is parked.
//
// Guarantees: a run with parking gives bit for bit the result of the same
// run without it. The effect is the handler's own (same draw from the
// particle's own stream, same weight), BatchWork changes no density, and the
// particle's stream is used in the same order. Errors raised while
// completing are located at the effect's site (or the user's call into the
// prelude, as compiled code does).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

#include "inference/GcRoots.h"
#include "inference/Population.h"
#include "inference/PriorHandler.h"
#include "runtime/Model.h"
#include "runtime/Rng.h"

namespace borel::inference {

class Parking {
 public:
  enum class Effect : uint8_t { None, Sample, Observe };
  explicit Parking(int64_t n);

  // Called by a handler: whether a sample of d should wait (d is pending),
  // or an observe of `observed` (d is pending at it).
  static bool should_park(const rt::Dist& d);
  static bool should_park(const rt::Dist& d, rt::Word observed);
  // Records the effect of h's current particle (d is copied to GC memory)
  // and the handler's segment state, and suspends the particle. The handler
  // calls it before it changes any state of its own: completing the effect
  // calls the handler's sample/observe again, with the state restored.
  void park(rt::Ctx& ctx, const InferenceHandler& h, Effect e, const rt::Dist& d, rt::Word observed,
            rt::SiteId site);

  bool any() const { return count_ > 0; }
  // Prepares every parked distribution, one BatchWork::prepare per work.
  void prepare(const rt::Model& model, const char* method);
  // The same for the parked distributions of several Parkings (SMC²'s inner
  // filters, which step together), one BatchWork::prepare per work for all.
  static void prepare(std::span<Parking* const> all, const rt::Model& model, const char* method);
  // Completes the parked effects of particles [begin, end) and resumes the
  // parked samples (Sequential.h's advance); returns how many of the range
  // are still running. Thread-safe for disjoint ranges.
  int64_t complete_range(rt::Model& model, rt::Ctx& ctx, InferenceHandler& h, Population& pop, rt::Rng* rngs,
                         int64_t begin, int64_t end);

 private:
  // GC roots, allocated when a particle first parks (most models never do).
  std::once_flag roots_made_;
  int64_t n_;
  RootArray dists_, values_;
  std::vector<Effect> effect_;
  std::vector<rt::SiteId> site_, user_site_;
  std::vector<InferenceHandler::SegmentState> segment_;
  std::atomic<int64_t> count_{0};
};

}  // namespace borel::inference
