// Smc.h — sequential Monte Carlo: Population ∘ Sequential + resampling.
//
// The one population driver. Every step it advances all running particles
// to their next suspension (Sequential.h, in parallel over slots), computes
// the normalised weights and their ESS, stops when every particle is Done,
// and otherwise resamples (Resampling.h) when the ESS rule says so. The
// bootstrap particle filter is this driver with the PriorHandler suspending
// at every observe/factor; importance sampling (Importance.h) and forward
// sampling (Forward.h) are the same driver with other settings: there is no
// second copy of the loop.
//
// Guarantees:
//   * the returned population holds every particle Done, with its final
//     (unnormalised) log-weight, and Population::log_evidence() is the SMC
//     estimate of log Z (unbiased for Z); the last step never resamples;
//   * particles that finish early are carried along with their weights and
//     take part in resampling like the others (their value is copied), so
//     models whose runs have different numbers of observes are handled;
//   * the result is a pure function of (model, settings, seed), identical for
//     any number of threads (Streams.h, Parallel.h);
//   * no heap allocation per particle-step besides what the model's
//     continuation needs;
//   * SmcRun is the same loop one step at a time, for compositions that
//     interleave populations (SMC², Smc2.h); smc() is SmcRun stepped to the end;
//   * errors are rt::RuntimeError naming the method and, where there is one,
//     the site: every particle with zero weight (at the observe/factor where
//     particle 0's weight became zero), NaN or +inf log-densities and factors,
//     NaN log-weights, invalid settings.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "inference/Diagnostics.h"
#include "inference/Population.h"
#include "inference/PriorHandler.h"
#include "inference/Resampling.h"
#include "runtime/Model.h"

namespace borel::inference {

struct SmcSettings {
  // Number of particles N (>= 1).
  int64_t particles = 1000;
  // Scheme used when resampling (see Resampling.h).
  Resampling resampling = Resampling::Systematic;
  // Resample after a step when ESS < ess_threshold · N. 1 (or more) resamples
  // after every step, as the textbook bootstrap filter and the language's
  // `smc` (the default); 0 never resamples; 0.5 is the usual adaptive choice
  // (rmsmc's default, and that of pmmh's and smc2's inner filters).
  double ess_threshold = 1.0;
  // Suspend at every observe/factor (SMC). false: each particle runs to its
  // end in one step (importance sampling, forward sampling).
  bool suspend = true;
  // Weight particles by observe/factor. false: forward (prior) sampling.
  bool condition = true;
  // Carry out the particles' language-model calls together, one batched
  // forward call per round (Batched.h; with every handler that parks: the
  // default one and those of rmsmc, pgibbs, pmmh and smc2). It never
  // changes a result; false is for tests and benchmarks that compare.
  bool batched = true;
  // Name used in messages and diagnostics.
  const char* method = "smc";
  // Show a progress line on stderr (only when it is a terminal and the run
  // lasts more than a second).
  bool progress = false;

  // Extension points for compositions built on this driver (all optional):
  // a handler other than PriorHandler (one is made per thread; it must follow
  // the `suspend`/`condition` settings itself) ...
  std::function<std::unique_ptr<InferenceHandler>()> make_handler;
  // ... a transformation applied right after each resampling, e.g. MCMC
  // rejuvenation moves in resample-move SMC; `step` is the number of steps
  // so far (running particles have passed `step` observes/factors) ...
  std::function<void(Population&, int64_t step)> after_resample;
  // ... a per-particle auxiliary word copied along by resampling
  // (Population::aux: e.g. each particle's recorded trace) ...
  bool aux = false;
  // ... and conditional SMC (particle Gibbs): particle 0 is its own ancestor
  // at every resampling (it follows a reference path the handler imposes);
  // the others are N − 1 i.i.d. draws. Valid with multinomial resampling only.
  bool conditional = false;
  // Called once the population exists, before the first step.
  std::function<void(Population&)> on_start;
  // The particles' continuations may outlive the step after the one that
  // made them: shared with another run (SmcRun::copy_state) or kept from
  // population() by the caller. Otherwise a plain run (none of the extension
  // points above) recycles them by generation (runtime/ContinuationSpace.h).
  bool shared_continuations = false;
  // A step where every particle has zero weight raises (true) or ends the
  // run with log_evidence() = -infinity (false: PMMH and SMC², where Ẑ(θ) = 0
  // is a valid likelihood estimate that the MH ratio rejects).
  bool zero_weight_is_error = true;
};

// The driver one step at a time. A step advances every running particle to
// its next suspension (or end), weighs the population and, unless every
// particle is now Done, resamples when the ESS rule says so (then calls
// after_resample). Owns its streams, threads, contexts and handlers.
class SmcRun {
 public:
  SmcRun(rt::Model& model, const SmcSettings& settings, uint64_t seed, int threads = 1,
         Diagnostics* diagnostics = nullptr);
  ~SmcRun();
  SmcRun(const SmcRun&) = delete;
  SmcRun& operator=(const SmcRun&) = delete;

  void step();
  // step() in phases, for a driver that steps several runs together and
  // prepares their parked language-model calls in one batch (SMC², Batched.h
  // Parking::prepare over several Parkings): begin_step advances every
  // running particle to its next suspension or park; while parked() is not
  // null, prepare it (alone or with others) and complete_parked(); then
  // end_step. step() is exactly this with each run's Parking prepared alone.
  // Call none of them once done().
  void begin_step();
  Parking* parked();
  void complete_parked();
  void end_step();
  // Every particle Done (or, with zero_weight_is_error off, all weights zero).
  bool done() const;
  int64_t steps() const;
  Population& population();
  const Population& population() const;
  // The running estimate of log Z up to the current step (Population.h).
  double log_evidence() const;
  // Takes over `other`'s particles, weights, evidence and step count
  // (continuations shared, O(N)); keeps this run's own streams, so a copy and
  // its original draw different futures. Same number of particles; both runs
  // need shared_continuations unless they have an extension point set.
  void copy_state(const SmcRun& other);
  // Records the run's wall time in the diagnostics and hands out the population.
  Population finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs SMC on `model` with `threads` threads (<= 0: all hardware threads).
// Fills `diagnostics` when given.
Population smc(rt::Model& model, const SmcSettings& settings, uint64_t seed, int threads = 1,
               Diagnostics* diagnostics = nullptr);

}  // namespace borel::inference
