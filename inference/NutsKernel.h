// NutsKernel.h — the "nuts" MCMC kernel: one No-U-Turn transition on the
// continuous choices of the current trace, every other choice held
// (TraceGradient.h), for MH compositions such as mh(kernel = "nuts+single")
// in which other kernels move the discrete choices and change the dimension.
//
// Each iteration: bind the target to the current trace T, map T's
// continuous values to unconstrained q, run one NutsTransition (unit
// metric) from q, and when the point moved, write the new values into the
// trace by replaying the program with them proposed, accepting that trace
// unconditionally (NUTS made its own accept/reject; the replay only
// rebuilds the trace, whose log joint it checks against NUTS's density).
// Why this leaves the posterior over traces invariant: TraceGradient.h.
//
// Step size: one per dimension of the cell (the number of unconstrained
// coordinates), so that it is a function of the cell only. On the first
// visit of a dimension during warm-up, Stan's step size search from the
// current point, then dual averaging towards accept_stat 0.8 on every
// warm-up transition of that dimension; at the end of warm-up each is
// frozen at its dual average. A dimension first met after warm-up takes the
// frozen step size of the nearest dimension adapted in warm-up (the smaller
// one on a tie), or when there is none, one step size search at that first
// visit, then frozen. The metric is the identity: a diagonal metric learnt
// per coordinate would not mean the same thing in two cells of one
// dimension.
//
// Stats: one entry "nuts"; proposed = transitions, accepted = transitions
// whose point moved, and the acceptance reported is the mean accept_stat.
// Not for SMC rejuvenation: a ChainState that resumes from a continuation
// or stops at an observe (rmsmc) is refused with rt::RuntimeError, since
// the differentiating program runs only whole.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "inference/Adaptation.h"
#include "inference/Kernels.h"
#include "inference/Nuts.h"
#include "inference/TraceGradient.h"

namespace borel::inference {

class NutsKernel final : public Kernel {
 public:
  NutsKernel();
  ~NutsKernel() override;
  void iterate(ChainState& c) override;
  std::vector<KernelStats> stats() const override { return {stats_}; }
  // The largest |log joint of the replayed trace − (NUTS's log density −
  // log-Jacobians)| seen so far: rounding only (the kernel throws beyond
  // 1e-6·(1 + |log density|)).
  double max_replay_error() const { return max_replay_error_; }

 private:
  struct PerDimension {
    explicit PerDimension(NutsTransition n) : nuts(std::move(n)) {}
    NutsTransition nuts;
    StepSizeAdaptation adapt{0.8};  // Stan's default target_accept
    bool learned = false;           // adapted in warm-up
    bool frozen = false;            // step size fixed for good
  };
  PerDimension& dimension(ChainState& c, size_t n, double lp);
  void freeze();

  std::unique_ptr<TraceGradient> target_;
  std::map<size_t, PerDimension> dims_;
  std::vector<double> q_, q0_, grad_;
  ValueMap values_;
  KernelStats stats_;
  double max_replay_error_ = 0.0;
};

std::unique_ptr<Kernel> make_nuts_kernel();

}  // namespace borel::inference
