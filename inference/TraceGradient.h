// TraceGradient.h — the log joint density of a trace as a function of the
// unconstrained values of its continuous choices, every other choice held at
// the trace's value: the target the "nuts" MCMC kernel (NutsKernel.h) runs
// NUTS on, inside MH compositions that move the other choices and as the
// rejuvenation move of resample-move SMC.
//
// bind(T, s) fixes the current trace T and the program's extent: the whole
// run (s = -1: MH), or the run up to and including its s-th observe/factor
// (s ≥ 1: resample-move at step s, whose particles, and T, stop there:
// ChainState::suspend_at). A point q of R^n (n = the unconstrained size of
// T's continuous choices, in T's order, each address → offset) is a run of
// the model's differentiating version (Model::start_twin), cut after its
// s-th observe/factor when s ≥ 1 (TwinGradient.h), in which each choice, at
// its address (counted exactly as TraceHandler counts it: AddressCounter),
// takes
//   * a continuous choice (support not Discrete/Dependent): the coordinates
//     assigned to its address, constrained (Transforms.h) by the
//     distribution of this run — so bounds that depend on other continuous
//     choices move with them;
//   * any other choice ("held"): T's value at that address.
// Its density is the log joint of the (cut) run plus the log-Jacobians: the
// densities of its choices and of the observes/factors it made — exactly
// what TraceHandler, replaying with the same suspend_at, sums into the
// trace's log joint. It is a point of zero density (-inf, not an error)
// when a held address is absent from T, or holds a continuous choice there,
// or a value of another kind (TraceHandler's `reusable`), or one outside
// the new support; when a continuous address has no coordinates, or a
// support or size other than T's; or when the run makes fewer choices than
// T.
//
// So the target's support is the cell C(T) of traces with T's address set,
// the same kind (held or continuous, and size) at each address and T's held
// values. Why NUTS restricted to C(T) leaves the posterior over traces
// invariant: the cells partition the space of traces, and C(T') = C(T) for
// every T' in C(T) (a cell is defined by what its traces share, not by
// where in it T is). On C(T) the posterior is, in the coordinates q, the
// density above (the trace's joint times the Jacobian of q ↦ values, the
// held values fixed); NUTS leaves that restricted distribution invariant
// for any step size and metric that depend only on the cell (or on nothing
// the move changes: NutsKernel.h); a kernel that leaves each cell's
// conditional invariant and never leaves the cell leaves the mixture over
// cells — the posterior — invariant. The held choices are moved by the
// other kernels of the composition (single, rw, gmm_rj, ...), which also
// change the dimension. The same holds for the target at step s of
// resample-move, p(x_{1:s}) Π_{r≤s} g_r: it is the posterior of the cut
// program, and the cut run's choices are T's.
//
// Guarantees: those of TwinGradient (pure in q; -inf at zero density;
// program errors raised with their location); values_at gives the
// constrained values that the replay of the program (TraceHandler with
// them proposed, and the same suspend_at) reuses, so the replay's log joint
// equals log_density(q) minus the log-Jacobians.
#pragma once

#include <gc/gc_allocator.h>

#include <string>
#include <vector>

#include "inference/Trace.h"
#include "inference/TraceMetric.h"
#include "inference/TwinGradient.h"

namespace borel::inference {

class TraceGradient final : public TwinGradient {
 public:
  TraceGradient(rt::Model& model, std::string method);

  // Conditions on `t` (which must stay unchanged while the target is used)
  // and on the extent `stop_after` (-1: whole runs; s ≥ 1: runs cut after
  // their s-th observe/factor, as `t` was), and writes t's continuous
  // values, unconstrained, into q (resized to the new dimension). False
  // when some value has no finite unconstrained coordinates (it lies on the
  // boundary of its support).
  bool bind(const Trace& t, std::vector<double>& q, int64_t stop_after = -1);
  // The bound trace's continuous addresses in q's order, each with its
  // number of coordinates: a function of the cell (TraceMetric.h).
  const Layout& layout() const { return layout_; }

  // Runs at q (untaped) and records each continuous choice's constrained
  // (plain) value under its address in `values`; returns the log density
  // and writes the sum of the log-Jacobians to *log_jacobian. The values
  // stay alive (rooted here) until the next run.
  double values_at(const double* q, ValueMap& values, double* log_jacobian);

 private:
  struct Slot {
    rt::Support support;
    size_t offset, size;
  };
  bool choose(const rt::Dist& d, rt::SiteId site, const Address& a, size_t index, rt::Word& x,
              rt::Word& log_jacobian) override;
  bool finish(size_t choices) override;

  const Trace* trace_ = nullptr;
  FlatMap<Address, Slot, AddressHash> slots_;
  Layout layout_;
  // While values_at runs: where the values go, and the values themselves
  // kept where the collector sees them.
  ValueMap* record_ = nullptr;
  std::vector<rt::Word, traceable_allocator<rt::Word>> kept_;
  double log_jacobian_ = 0.0;
};

}  // namespace borel::inference
