// NutsKernel.h — the "nuts" MCMC kernel: one No-U-Turn transition on the
// continuous choices of the current trace, every other choice held
// (TraceGradient.h), for MH compositions such as mh(kernel = "nuts+single")
// in which other kernels move the discrete choices and change the
// dimension, and as the rejuvenation move of resample-move SMC,
// rmsmc(kernel = "nuts"), where the target at step s is the program run up
// to and including its s-th observe/factor — the point at which the
// particle, and so the trace, is suspended (ChainState::suspend_at).
//
// Each iteration: bind the target to the current trace T (and to T's stop,
// suspend_at: the differentiating run is cut at the same observe/factor),
// map T's continuous values to unconstrained q, run one NutsTransition
// (unit metric) from q, and when the point moved, write the new values into
// the trace by replaying the program with them proposed up to the same
// stop (ChainState::replay, as every MH kernel does), accepting that trace
// unconditionally (NUTS made its own accept/reject; the replay only
// rebuilds the trace and its continuation, whose log joint it checks
// against NUTS's density). Why this leaves the posterior over traces
// invariant: TraceGradient.h.
//
// Step size in MH chains: one per dimension of the cell (the number of
// unconstrained coordinates), so that it is a function of the cell only. On
// the first visit of a dimension during warm-up, Stan's step size search
// from the current point, then dual averaging towards accept_stat 0.8 on
// every warm-up transition of that dimension; at the end of warm-up each is
// frozen at its dual average. A dimension first met after warm-up takes the
// frozen step size of the nearest dimension adapted in warm-up (the smaller
// one on a tie), or when there is none, one step size search at that first
// visit, then frozen.
//
// Step size in resample-move (ChainState::particle ≥ 0): there is no
// warm-up, and the target changes at every step. One step size per cell
// dimension, shared by all particles and fixed during each step's moves;
// between steps (Kernel::pool) it is updated from the accept_stats of the
// step's transitions of that dimension, pooled over the population in
// particle order: with ā their mean over m transitions,
//   log ε ← log ε + m/(m + 10) · clamp(½ log(z(0.8) / z(ā)), ±log 10),
// z(a) = √2 erfc⁻¹(a) — the inverse of HMC's acceptance curve
// a = erfc(k ε² / √2) (Beskos et al. 2013, optimal tuning of HMC), so one
// update lands near ε for which ā ≈ 0.8 (Stan's target), the clamp bounds a
// step that accepted nothing or everything, and the factor m/(m + 10)
// damps dimensions few particles visit. A dimension not yet met takes the
// nearest met dimension's step size (the smaller on a tie), or 1 (Stan's
// starting step size, on unconstrained coordinates with a unit metric).
// Why each step's target stays invariant: the step size a move uses is
// fixed before any move of that step and is computed only from the moves
// of earlier steps, never from the particle being moved (nor from any
// particle of this step); given it, each move is an exact NUTS transition,
// which leaves that step's target (restricted to the cell) invariant for
// any fixed step size. So the moves are valid rejuvenations; as for any
// adaptive SMC (Beskos, Jasra, Kantas & Thiery 2016), the adapted kernel
// keeps the estimates consistent, and the evidence estimate is unbiased
// up to an O(1/N) effect of the adaptation.
//
// The metric is the identity: a diagonal metric learnt per coordinate
// would not mean the same thing in two cells of one dimension.
//
// Refused, with rt::RuntimeError: a list whose only kernel is "nuts" on a
// trace with a choice it holds (discrete, or a mixture over different
// supports), located at that choice — nothing would ever move it (an MH
// chain would not be ergodic; the particles of rmsmc never rejuvenated
// there): name another kernel too, "nuts+single" or "nuts+rw". And a chain
// whose runs restart from a saved continuation (rmsmc with lag > 0): the
// differentiating program runs only from the program's start, and the
// fixed-lag record no longer holds the choices before its window, so
// Rejuvenator refuses the combination before running.
//
// Stats: one entry "nuts"; proposed = transitions, accepted = transitions
// whose point moved, and the acceptance reported is the mean accept_stat.
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
  bool can_resume() const override { return false; }
  void pool(const std::vector<Kernel*>& instances) override;
  // Set by make_kernels when "nuts" is the whole list (see the top).
  void set_only_kernel(bool only) { only_ = only; }
  // The largest |log joint of the replayed trace − (NUTS's log density −
  // log-Jacobians)| seen so far: rounding only (the kernel throws beyond
  // 1e-6·(1 + |log density|)).
  double max_replay_error() const { return max_replay_error_; }
  // Resample-move: the step size the moves of dimension n use now.
  double population_step_size(size_t n) const;

 private:
  struct PerDimension {
    explicit PerDimension(NutsTransition n) : nuts(std::move(n)) {}
    NutsTransition nuts;
    StepSizeAdaptation adapt{0.8};  // Stan's default target_accept
    bool learned = false;           // adapted in warm-up
    bool frozen = false;            // step size fixed for good
  };
  // One transition of a resample-move step, for pool.
  struct Record {
    int64_t particle;
    size_t dimension;
    double accept_stat;
  };
  PerDimension& dimension(ChainState& c, size_t n, double lp);
  NutsTransition& population_dimension(size_t n);
  void freeze();
  void refuse_held(const ChainState& c) const;

  std::unique_ptr<TraceGradient> target_;
  std::map<size_t, PerDimension> dims_;
  // Resample-move: the transitions per dimension, the step sizes pool fixed
  // for the current step, and this step's records.
  std::map<size_t, NutsTransition> population_;
  std::map<size_t, double> step_sizes_;
  std::vector<Record> records_;
  std::vector<double> q_, q0_, grad_;
  ValueMap values_;
  KernelStats stats_;
  double max_replay_error_ = 0.0;
  bool only_ = false;
};

std::unique_ptr<Kernel> make_nuts_kernel();

// The factor log ε changes by after a resample-move step whose m
// transitions of one dimension had mean accept_stat `mean_accept` (the
// update at the top of the file).
double population_log_step_change(double mean_accept, int64_t m);

}  // namespace borel::inference
