// BatchWork.h — distributions whose densities wait on work that is better
// done for many particles at once.
//
// A language model's next-token distribution needs a forward pass over its
// context. Done particle by particle, N particles cost N passes that each read
// every weight of the model; done together, one batched pass reads the
// weights once for all of them (DESIGN.md, decision 6). A family opts in
// through DistOps::pending: it returns the BatchWork that would make `d`
// ready, or null once `d` is ready (its densities then cost no pass).
//
// An inference driver that advances many particles (SMC) may park a particle
// at a sample or observe of a pending distribution, gather the pending
// distributions of all its particles, hand them to their BatchWork in one
// call, and then carry the effects out. Every other handler ignores
// `pending`: a pending distribution computes what it needs when it is used.
// An observe is pending at its value: for most families, when the
// distribution is; a family whose density at x needs work of its own (a
// generated sequence's: a pass over that sequence) registers a
// `PendingAt` for its DistOps, and its BatchWork is handed the value with
// the distribution. (A registry rather than a DistOps field: only the
// language-model families have one, and the lookup is made only for
// families that have `pending`.)
//
// Guarantee every BatchWork gives: preparing changes no result — a density
// after prepare() is bit for bit the one the distribution would compute
// alone — so whether and how particles are batched never changes a run.
#pragma once

#include <span>

#include "runtime/Dist.h"

namespace borel::rt {

// One parked effect's distribution, and the observed value for an observe.
struct Pending {
  const Dist* d;
  bool observe;  // false: a sample (ready when pending(d) is null)
  Word at;       // an observe's value (ready when pending_work(*d, at) is null)
};

class BatchWork {
 public:
  virtual ~BatchWork() = default;
  // Makes every element ready (pending_work returns null for it afterwards,
  // unless a cache forgot it meanwhile), in as few batched calls as it can.
  // pending_work returned this for each element. Throws rt::RuntimeError (no
  // location) on failure.
  virtual void prepare(std::span<const Pending> work) = 0;
};

// The work that would make d ready, or null (d's family computes its
// densities at once, or d is ready).
inline BatchWork* pending_work(const Dist& d) { return d.ops->pending ? d.ops->pending(d) : nullptr; }
// The work that would make log_density(d, x) ready, or null.
inline BatchWork* pending_work(const Dist& d, Word x) {
  if (!d.ops->pending) return nullptr;
  return d.ops->pending_at ? d.ops->pending_at(d, x) : d.ops->pending(d);
}

}  // namespace borel::rt
