// Empirical.h — the weighted empirical distribution that `infer` returns.
//
// Decision 3: the result of inference is itself a distribution. An empirical
// distribution is an rt::Dist (GC-allocated) with ops = &empirical_ops whose
// a[0] points to an EmpiricalData in GC memory: the N particle values, their
// normalised weights, the log-evidence and the run's diagnostics. It works
// everywhere a Dist does:
//   sample       a value drawn with probability equal to its weight (binary
//                search in the cumulative weights, O(log N));
//   log_density  log of the total weight of the particles whose value equals
//                x, structurally (arrays, tuples, records, strings compared
//                element by element; reals compared exactly, -0.0 == 0.0).
//                This is the density against counting measure: right for
//                discrete values (ints, bools, and composites of them); for
//                reals it is -infinity at every value not in the sample, so
//                observing against a real-valued result is rarely useful
//                (no kernel smoothing is done);
//   in_support   x equals some particle's value with positive weight;
//   mean/variance for real, int and bool values: the weighted mean and the
//                weighted (biased, Σ w (x - mean)²) variance; NaN otherwise.
// So a model can sample from, or observe against, an inner `infer` result
// (nested inference).
//
// The object is immutable after construction; d.p[0], p[1], p[2] cache the
// mean, variance and log-evidence.
#pragma once

#include <cstdint>

#include "inference/Diagnostics.h"
#include "inference/Population.h"
#include "runtime/Dist.h"
#include "runtime/TypeDesc.h"
#include "runtime/Value.h"

namespace borel::inference {

extern const rt::DistOps empirical_ops;

struct EmpiricalData {
  rt::Array* values;        // N values (scanned)
  rt::Array* weights;       // N normalised weights, reals (sum 1)
  rt::Array* cumulative;    // running sums of weights, reals; last is 1
  // For scalar value types: the distinct values (ascending; ints, bools or
  // reals) and the log of their total weights, for O(log N) log_density.
  // Null otherwise.
  rt::Array* atoms;
  rt::Array* atom_log_weights;
  rt::Array* ess;           // ESS after each step, reals
  // The particles' ESS over the Kish ESS of the final weights: the Kish ESS
  // of the weights before the last resampling over N, the particles the run
  // resampled (zero-weight ones included), when it moved no particle after
  // it (the copies are no more than that many particles' worth); else 1.
  // See final_ess.
  double ess_scale;
  rt::String* method;       // "smc", "importance", "prior", ...
  const rt::TypeDesc* type; // value type (module lifetime), may be null
  double log_evidence;      // NaN when the method gives none
  int64_t particles;        // the values held: the particles of positive weight
  int64_t zero_weight;      // particles of the run left out for their zero weight
  int64_t steps;
  int64_t resamplings;
  double seconds;
  // MCMC results: the number of chains (0 for particle methods; the values
  // are then chain-major, particles / chains per chain), the acceptance rate
  // of each kind of move ("rw 0.43, rw/prior 0.12"; null when none) and how
  // many chains accepted no move after warm-up.
  int64_t chains;
  rt::String* acceptance;
  int64_t stuck_chains;
  // Diagnostics::notes and ::warnings (null when empty).
  rt::String* notes;
  rt::String* warnings;
  // Diagnostics::draw_stat_names and ::draw_stats (null when none).
  rt::String* draw_stat_names;
  rt::Array* draw_stats;
};

// Builds the empirical distribution of a finished population: its particles
// of positive weight (every one Done). `type` may be null (values are then compared as words).
// `log_evidence` overrides the population's estimate (pass NaN for forward
// sampling).
rt::Dist* make_empirical(const Population& pop, const rt::TypeDesc* type,
                         const Diagnostics& diagnostics, double log_evidence);

// The data of an empirical Dist; null when d is not one.
const EmpiricalData* empirical_data(const rt::Dist& d);

// The effective sample size of an `infer` result: Kish's (Σw)²/Σw² of the
// final weights, times ess_scale. After a final resampling that no weight
// or move followed, this is the ESS of the weights before it, not N: the N
// equal-weight particles are copies of that many. With weights after the
// resampling, the two losses multiply (the variance inflations N/ESS of the
// two stages compound).
double final_ess(const EmpiricalData& e);
// What `ess(d)` answers: final_ess for weighted particles; for MCMC results
// (chains > 0) the smallest bulk ESS over the value's numeric components
// (McmcStats.h: rank-normalised, split chains), since the draws' equal
// weights say nothing about their autocorrelation — so sd / sqrt(ess(d)) is
// a Monte Carlo standard error for every kind of result.
double result_ess(const EmpiricalData& e);

// The log-evidence estimate of an `infer` result (NaN when its method gives
// none). Raises rt::RuntimeError when d is not the result of `infer`.
double log_evidence(const rt::Dist& d);

// Structural equality of two values of type t (t null: word equality).
bool values_equal(rt::Word a, rt::Word b, const rt::TypeDesc* t);

}  // namespace borel::inference
