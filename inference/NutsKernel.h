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
// (with the cell's metric, below) from q, and when the point moved, write
// the new values into the trace by replaying the program with them
// proposed up to the same stop (ChainState::replay, as every MH kernel
// does), accepting that trace unconditionally (NUTS made its own
// accept/reject; the replay only rebuilds the trace and its continuation,
// whose log joint it checks against NUTS's density). Why this leaves the
// posterior over traces invariant: TraceGradient.h.
//
// Step size in MH chains: one per dimension of the cell (the number of
// unconstrained coordinates), so that it is a function of the cell only. On
// the first visit of a dimension during warm-up, Stan's step size search
// from the current point, then dual averaging towards accept_stat 0.8 on
// every warm-up transition of that dimension (searched again, and dual
// averaging restarted, at its first visit after each metric window: below);
// at the end of warm-up each is frozen at its dual average. A dimension first met after warm-up takes the
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
// Metric (configure; "metric" of mh and rmsmc): "unit" (the identity),
// "diag" (the default) or "dense", the inverse metric of a cell assembled by
// TraceMetric from what its draws taught: per continuous address its
// coordinates' variances (pooled over the cells it appears in, unit for an
// address never estimated), and for dense per layout (the cell's ordered
// continuous addresses) its covariance, else that diagonal. Why per address
// and per layout rather than per coordinate index: a coordinate index means
// different choices in two cells of one dimension, while an address keeps
// its meaning across the cells of a trans-dimensional program (TraceMetric.h).
//   * MH chains: learnt during warm-up as Stan does, from the chain's own
//     unconstrained draws (the state after each warm-up transition), on
//     Stan's windows over the chain's warm-up iterations (warmup_windows:
//     75 iterations of step size only, windows of 25, 50, ..., 50 at the
//     end for the step size alone); at the end of each window the estimates
//     are replaced (Stan's regularisation) and every dimension's step size
//     is searched again at its next visit, dual averaging restarted around
//     10 ε. Frozen when warm-up ends, so that after warm-up each cell has one
//     fixed metric: adapting on would make the kernel depend on the chain's
//     past and break invariance.
//   * Resample-move: before each step's moves, estimated from the current
//     population (Kernel::survey/prepare): each particle's unconstrained
//     continuous values at the step's extent, in particle order, equally
//     weighted (moves follow a resampling, after which the weights are
//     equal). The metric then depends on the population being moved, the
//     particle itself among N — the adaptive SMC of Beskos, Jasra, Kantas &
//     Thiery (2016), whose kernels are tuned on the current particle system
//     and whose estimates stay consistent; the population is the natural
//     sample of the step's target, where a chain's own past is not. Copies
//     made by resampling count with their multiplicity, but a population
//     of fewer than TraceMetric::kMinDraws distinct points keeps the
//     previous metric (collapsed weights would give variances near 0,
//     freezing those coordinates).
//   Either way the step size stays per dimension (above), and is searched
//   or adapted with the metric in place.
//
// Refused, with rt::RuntimeError: a list whose only kernel is "nuts" on a
// trace with a choice it holds (discrete, or a mixture over different
// supports), located at that choice — nothing would ever move it (an MH
// chain would not be ergodic; the particles of rmsmc never rejuvenated
// there): name another kernel too, "nuts+single" or "nuts+rw". And a chain
// whose runs restart from a saved continuation (rmsmc with lag > 0): the
// differentiating program runs only from the program's start, and the
// fixed-lag record no longer holds the choices before its window, so
// Rejuvenator refuses the combination before running. (NUTS on the
// window's choices with the prefix held would be exact — NUTS on the
// window given the prefix is a block-Gibbs move, and the prefix's values
// may stay plain numbers, being constants of the window's density — but
// needs the twin resumed at the checkpoint, and a twin never suspends: it
// has no entry that resumes a continuation, and the saved continuation's
// frames are the plain functions', whose code does not tape. Rerunning
// the twin from the start with the prefix held instead needs the prefix's
// values, which the fixed-lag record drops to stay O(lag) per particle. It
// would take resumable twins (a compiler change: resume entries for the
// .ad functions), or whole records at O(t) per move, which is lag = 0.)
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
#include "inference/TraceMetric.h"

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
  // The metric, and in an MH chain its number of warm-up iterations (which
  // place the adaptation windows; 0: no metric adaptation). Before the first
  // iteration; default unit metric, no windows.
  void configure(Metric metric, int64_t warmup);
  bool surveys() const override { return metric_.kind() != Metric::Unit; }
  void survey(ChainState& c) override;
  void prepare(const std::vector<Kernel*>& instances) override;
  // The inverse metric the kernel would use now on the cell `layout`.
  std::vector<double> inv_metric(const Layout& layout) const { return metric_.inv_metric(layout); }
  // The largest |log joint of the replayed trace − (NUTS's log density −
  // log-Jacobians)| seen so far: rounding only (the kernel throws beyond
  // 1e-6·(1 + |log density|)).
  double max_replay_error() const { return max_replay_error_; }
  // Gradient evaluations so far: every leapfrog step and step size search
  // step, and the one at each transition's starting point.
  long gradient_evaluations() const;
  // Resample-move: the step size the moves of dimension n use now.
  double population_step_size(size_t n) const;

 private:
  struct PerDimension {
    explicit PerDimension(NutsTransition n) : nuts(std::move(n)) {}
    NutsTransition nuts;
    StepSizeAdaptation adapt{0.8};  // Stan's default target_accept
    bool learned = false;           // adapted in warm-up
    bool frozen = false;            // step size fixed for good
    bool search = false;            // a new metric: search the step size again
  };
  // The metric last given to a transition: which cell and which estimates.
  struct Applied {
    Layout layout;
    uint64_t version = ~uint64_t{0};
  };
  // One particle's unconstrained point before a step's moves.
  struct Draw {
    int64_t particle;
    Layout layout;
    std::vector<double> q;
  };
  void apply_metric(NutsTransition& t, Applied& a);
  // One transition; `record`: add the state after it to the metric's
  // draws. False when nothing was tried (no coordinates, a boundary point).
  bool transition(ChainState& c, bool record);
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
  std::map<size_t, Applied> applied_;  // per dimension, MH and resample-move
  TraceMetric metric_{Metric::Unit};
  std::vector<WarmupWindow> windows_;  // MH
  size_t window_ = 0;
  int64_t warm_iterations_ = 0;
  std::vector<Draw> draws_;  // resample-move: this step's survey
  std::map<size_t, double> step_sizes_;
  std::vector<Record> records_;
  std::vector<double> q_, q0_, grad_;
  ValueMap values_;
  KernelStats stats_;
  double max_replay_error_ = 0.0;
  long start_gradients_ = 0;
  bool only_ = false;
};

std::unique_ptr<Kernel> make_nuts_kernel();

// "unit", "diag" or "dense"; throws rt::RuntimeError for another name.
Metric kernel_metric(const std::string& name, const char* method);
// Configures every "nuts" kernel of `kernels` (NutsKernel::configure).
void configure_nuts(const std::vector<std::unique_ptr<Kernel>>& kernels, Metric metric, int64_t warmup);

// The factor log ε changes by after a resample-move step whose m
// transitions of one dimension had mean accept_stat `mean_accept` (the
// update at the top of the file).
double population_log_step_change(double mean_accept, int64_t m);

}  // namespace borel::inference
