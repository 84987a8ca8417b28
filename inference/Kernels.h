// Kernels.h — MCMC transitions on traces (Trace.h) that leave the program's
// posterior invariant.
//
// A ChainState is one Markov chain: the current trace, a scratch trace for
// proposals, and the handler/context/stream to replay the program. A kernel
// builds a proposal by replaying the program with some choices changed
// (`replay`), adds its own terms to the log acceptance ratio (proposal
// densities of explicitly proposed values, probabilities of choosing the
// move, Jacobians) and calls `accept`. `replay` already includes the joint
// densities of both traces and the densities of the choices created (drawn
// fresh) and destroyed (stale) — the Metropolis–Hastings–Green ratio of
// docs/inference.md:
//   log α = log p(T') − log p(T) + Σ_stale log p(old) − Σ_fresh log p(new)
//           + log q_rev(explicit) − log q_fwd(explicit) + log P(choose rev) − log P(choose fwd) + log|J|
//
// The kernels here:
//   single       pick a choice uniformly, redraw it from its distribution
//                (single-site MH proposing from the prior); choice terms
//                log |T| − log |T'|
//   rw           pick a choice uniformly; a real-valued one moves by
//                Normal(0, step·scale) (scale = its prior sd when finite),
//                any other is redrawn from the prior. The step of each site
//                (static SiteId) adapts during warm-up (Robbins–Monro on
//                log step towards acceptance 0.44), frozen afterwards
//   independent  a whole new trace from the prior: log α = L(T') − L(T)
// Each applies |T| moves per iteration (a sweep in expectation).
//   nuts         one NUTS transition on the continuous choices, the others
//                held (NutsKernel.h), once per iteration, with a metric
//                learnt in warm-up; in resample-move its step size adapts
//                across the population (pool) and its metric is estimated
//                from the population before each step's moves (survey). Other
// kernels (model-specific reversible-jump moves) are registered by name
// with register_kernel and applied once per iteration.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "inference/Trace.h"
#include "runtime/Model.h"
#include "runtime/Rng.h"

namespace borel::inference {

struct KernelStats {
  std::string name;
  int64_t proposed = 0;
  int64_t accepted = 0;
  // A kernel with its own acceptance statistic (nuts: NUTS's accept_stat)
  // reports its mean, accept_stat_sum / proposed, as the acceptance rate.
  bool mean_accept_stat = false;
  double accept_stat_sum = 0.0;
};

class ChainState {
 public:
  rt::Model* model = nullptr;
  rt::Ctx* ctx = nullptr;
  TraceHandler* handler = nullptr;
  rt::Rng* rng = nullptr;
  Trace cur, prop;
  bool warmup = false;            // adaptation allowed
  int64_t suspend_at = -1;        // replays stop after this many observes/factors (resample-move)
  bool sweep = true;              // single-site kernels: |T| moves per iteration (false: one)
  // Resample-move: the slot of the particle being moved (kernels that adapt
  // across the population key what they learn by it: Kernel::pool); -1 in
  // an MH chain.
  int64_t particle = -1;
  // Runs start here instead of the program's start (resample-move with a
  // lag): a saved continuation and the address counters at that point. The
  // traces then hold only the choices after it, whose densities and
  // observations are all that differ between two runs that share it.
  rt::Cont* from = nullptr;
  const SiteCounts* from_counts = nullptr;

  // Replays the program into `prop` reusing `cur`, with `redraw` drawn fresh
  // and `proposed` values imposed; returns the base log acceptance ratio (see
  // the header comment). -infinity when T' has zero density.
  double replay(const Address& redraw,
                const ValueMap* proposed = nullptr);
  // Accepts `prop` (swapping it into `cur`) with probability min(1, exp(log_alpha)).
  bool accept(double log_alpha, KernelStats& stats);
  // Runs the program from the prior into `cur` (up to suspend_at).
  void init_from_prior();
  // Runs the program (from `from`, up to suspend_at) with the handler as
  // configured, recording into `t`.
  void run(Trace& t);
};

// How many single-site moves make a sweep. It must not depend on the current
// state: K^{n(x)} with n(x) = |T| is not π-invariant when |T| varies (a
// model with a random number of choices would get more moves in its larger
// states — the bias the gmm_rj exact test exposed: p(K | y) off by 0.08).
// During warm-up a sweep is |T| moves and the mean |T| is recorded; after
// warm-up the sweep length is frozen at that mean (or at |T| of the first
// state after warm-up when there was none).
class SweepLength {
 public:
  // For chain c (1 when c.sweep is off).
  int64_t moves(const ChainState& c);
  // For a state with `size` choices.
  int64_t moves(int64_t size, bool warmup);

 private:
  double sum_ = 0.0;
  int64_t count_ = 0;
  int64_t frozen_ = 0;
};

// The step of a random walk, adapted during warm-up by Robbins–Monro on its
// log towards acceptance 0.44 (the optimum for one dimension, Roberts &
// Rosenthal 2001), bounded to [e^-20, e^5]; the caller freezes it after
// warm-up by no longer calling update.
class WalkStep {
 public:
  double step() const { return std::exp(log_step_); }
  void update(bool accepted) {
    ++n_;
    log_step_ += ((accepted ? 1.0 : 0.0) - 0.44) / std::sqrt(static_cast<double>(n_) + 10.0);
    log_step_ = std::min(std::max(log_step_, -20.0), 5.0);
  }

 private:
  double log_step_ = std::log(0.5);
  int64_t n_ = 0;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // One iteration on chain `c`.
  virtual void iterate(ChainState& c) = 0;
  // Acceptance counts, one entry per kind of move.
  virtual std::vector<KernelStats> stats() const = 0;
  // Whether it can move a chain whose runs restart from a saved continuation
  // (ChainState::from: resample-move with lag > 0).
  virtual bool can_resume() const { return true; }
  // Resample-move: called once after each SMC step's moves, on one thread,
  // with the instances of this kernel on every worker thread (this one
  // among them) — the kernels at one position of each thread's list. A
  // kernel that adapts across the population pools there what the step's
  // moves saw, in particle order (so the result does not depend on the
  // number of threads), and fixes in every instance what the next step's
  // moves use. Default: nothing.
  virtual void pool(const std::vector<Kernel*>& /*instances*/) {}
  // Resample-move, for a kernel that tunes itself on the population it is
  // about to move (nuts: its metric, NutsKernel.h): when surveys() is true,
  // before a step's moves survey(c) is called once per particle (c.cur its
  // trace at the step's extent, c.particle its slot) on the instance of the
  // thread that holds it, then prepare(instances) once on one thread, which
  // fixes in every instance what the step's moves use (in particle order:
  // the result does not depend on the number of threads).
  virtual bool surveys() const { return false; }
  virtual void survey(ChainState& /*c*/) {}
  virtual void prepare(const std::vector<Kernel*>& /*instances*/) {}
};

// "single", "rw", "independent", "nuts" or a registered name; throws
// rt::RuntimeError for an unknown one.
std::unique_ptr<Kernel> make_kernel(const std::string& name, const char* method);
// A kernel list "rw+gmm_rj": each applied in turn every iteration.
std::vector<std::unique_ptr<Kernel>> make_kernels(const std::string& spec, const char* method);

// Model-specific kernels (e.g. reversible-jump moves written in C++).
void register_kernel(const std::string& name, std::function<std::unique_ptr<Kernel>()> factory);

}  // namespace borel::inference
