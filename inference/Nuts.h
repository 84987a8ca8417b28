// Nuts.h — the No-U-Turn sampler on a GradientTarget: Stan's multinomial
// NUTS (Betancourt 2017, "A Conceptual Introduction to Hamiltonian Monte
// Carlo", appendix A) with the generalised U-turn criterion and its checks
// across neighbouring subtrees, and Stan's warmup (Adaptation.h).
//
//   NutsTransition  one NUTS transition as a reusable kernel: the caller
//                   owns the state (q, log density, gradient) and may set
//                   the step size and inverse metric between transitions.
//   nuts_chain      one chain: initial step size search, windowed warmup
//                   adapting step size and metric, then `samples` draws.
//   nuts_initial_point  Stan's random initialisation, uniform(−2, 2) per
//                   unconstrained coordinate.
//
// Guarantees: a transition leaves the target invariant for any fixed step
// size, metric and max_depth; draws depend only on the target, the settings,
// q0 and the Rng state (same inputs, bit-identical draws). A leapfrog step
// that reaches a non-finite log density, or whose energy exceeds the
// starting energy by more than 1000, is a divergence: the subtree is
// discarded and the trajectory ends (never an exception). Errors in
// settings or arguments are rt::RuntimeError("nuts: ..."); exceptions
// thrown by the target propagate and leave the caller's state unchanged.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "inference/GradientTarget.h"
#include "runtime/Rng.h"

namespace borel::inference {

// The kinetic energy ½ pᵀ M⁻¹ p: M = I, M diagonal, or M dense.
enum class Metric { Unit, Diag, Dense };

struct NutsSettings {
  int warmup = 1000;
  int samples = 1000;
  int max_depth = 10;          // at most 2^max_depth − 1 leapfrog steps a draw
  double target_accept = 0.8;  // dual averaging target for the acceptance statistic
  Metric metric = Metric::Diag;
  double init_step_size = 1;
  bool adapt = true;  // false (or warmup = 0): step size init_step_size, unit metric
};

struct NutsDrawStats {
  double lp;           // log density of the draw
  double accept_stat;  // mean Metropolis acceptance probability over the trajectory
  double stepsize;     // the step size of this transition
  int treedepth;       // number of completed doublings
  int n_leapfrog;      // leapfrog steps (= gradient evaluations) of this transition
  bool divergent;
  double energy;  // Hamiltonian at the draw (with the momentum it was reached with)
};

struct NutsChainResult {
  std::vector<double> draws;  // row-major samples × dimension
  std::vector<NutsDrawStats> stats;  // one per draw (warmup iterations not kept)
  double step_size;  // the step size of the sampling phase
  // The sampling phase's inverse metric: Unit and Diag give `dimension`
  // entries (ones for Unit), Dense a row-major dimension × dimension matrix.
  std::vector<double> inv_metric;
  int divergences;     // divergent draws after warmup
  int max_depth_hits;  // draws after warmup whose tree reached max_depth
  long gradient_evaluations;  // every call of the target, warmup and searches included
};

class NutsTransition {
 public:
  // Step size 1 and the identity inverse metric until set otherwise.
  NutsTransition(GradientTarget& target, Metric metric, int max_depth = 10);
  ~NutsTransition();
  NutsTransition(NutsTransition&&) noexcept;
  NutsTransition& operator=(NutsTransition&&) noexcept;

  Metric metric() const;
  size_t dimension() const;
  // Throws unless finite and positive.
  void set_step_size(double step_size);
  double step_size() const;
  // Throws unless 1 ≤ max_depth ≤ 30.
  void set_max_depth(int max_depth);
  int max_depth() const;
  // Diag: `dimension` finite positive entries; Dense: a row-major symmetric
  // positive definite matrix; Unit has none to set (throws).
  void set_inv_metric(std::span<const double> inv_metric);
  std::vector<double> inv_metric() const;  // layout as NutsChainResult::inv_metric

  // One transition from (q, lp, grad): lp = log density at q (finite) and
  // grad its gradient, as log_density_gradient wrote them. All three are
  // replaced by the new state.
  NutsDrawStats transition(std::span<double> q, double& lp, std::span<double> grad,
                           rt::Rng& rng);
  // Stan's init_stepsize (search_step_size) from the current step size at the
  // state (q, lp, grad), which is left unchanged; sets and returns the result.
  double find_step_size(std::span<const double> q, double lp, std::span<const double> grad,
                        rt::Rng& rng);
  // Calls of the target so far (one per leapfrog step, searches included).
  long gradient_evaluations() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Throws rt::RuntimeError unless warmup ≥ 0, samples ≥ 1, 1 ≤ max_depth ≤ 30,
// 0 < target_accept < 1 and init_step_size is finite and positive.
void validate_nuts_settings(const NutsSettings& settings);

// One chain from q0 (which must have a finite log density and gradient).
// With adaptation (adapt and warmup > 0) it runs as Stan: step size search at
// q0, dual averaging with μ = log(10 · init_step_size) over all of warmup,
// and after each metric window (warmup_windows) a new regularised metric, a
// new step size search, μ = log(10 · ε) and a restart of dual averaging; the
// sampling step size is the final dual average. `progress(i, total)` is
// called after iteration i (1-based) of total = warmup + samples.
NutsChainResult nuts_chain(GradientTarget& target, rt::Rng& rng, std::span<const double> q0,
                           const NutsSettings& settings,
                           const std::function<void(int iteration, int total)>& progress = {});

// Stan's initialisation: each coordinate uniform on (−2, 2), redrawn (all of
// them) until the log density and every gradient entry are finite; throws
// rt::RuntimeError after `tries` failures (tries must be ≥ 1).
std::vector<double> nuts_initial_point(GradientTarget& target, rt::Rng& rng, int tries = 100);

}  // namespace borel::inference
