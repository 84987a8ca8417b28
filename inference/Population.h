// Population.h — N weighted particles, the *Population* building block.
//
// Stores N particles (Weighted.h) as contiguous arrays: their slots
// (continuations or results, in GC-scanned RootArrays), their status, and
// their log-weights accumulated since the last resampling. It also keeps the
// running log-evidence: resampling folds the log mean weight of the
// particles it replaces into `log_z`, so that at any time
//     log_evidence() = log_z + log( (1/N) Σ_i exp(lw_i) )
// is the standard unbiased (on the natural scale) SMC estimate of the
// normalising constant; with no resampling it is importance sampling's
// log mean of exp(weights).
//
// Guarantees: resample() replaces particle i by a copy of particle a[i]
// (sharing its continuation: O(1) per particle, O(N) in all, no allocation)
// and resets every log-weight to 0; given ancestors drawn by an unbiased
// scheme (Resampling.h) the weighted population after it represents the same
// distribution as before.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "inference/GcRoots.h"
#include "inference/Weighted.h"
#include "runtime/Model.h"

namespace borel::inference {

// Summary of the current weights, computed by Population::normalise.
struct WeightStats {
  double log_sum = 0.0;  // log Σ_i exp(lw_i); -infinity when every weight is 0
  double ess = 0.0;      // Kish effective sample size (Σ w_i)² / Σ w_i²
  double total = 0.0;    // Σ w_i of the scaled weights written by `weigh`
};

// log((1/n) Σ exp(lw[i])), computed stably: an importance-sampling estimate
// of log Z from n log-weights (NaN for n = 0, -infinity when all are).
double log_mean_exp(const double* lw, int64_t n);

class Population {
 public:
  Population() = default;
  explicit Population(int64_t n);  // n Fresh particles with log-weight 0

  int64_t size() const { return n_; }
  Particle particle(int64_t i) const { return {status_[i], slots_[i], lw_[i]}; }

  // Direct access for the Sequential sweep and the algorithms.
  Status* status() { return status_.data(); }
  const Status* status() const { return status_.data(); }
  rt::Word* slots() { return slots_.data(); }
  const rt::Word* slots() const { return slots_.data(); }
  double* log_weights() { return lw_.data(); }
  const double* log_weights() const { return lw_.data(); }
  // zero_sites()[i]: the site where particle i's weight became zero, or -1.
  rt::SiteId* zero_sites() { return zero_site_.data(); }
  const rt::SiteId* zero_sites() const { return zero_site_.data(); }

  int64_t count_running() const;  // particles not Done

  // Optional per-particle auxiliary word (e.g. the head of a particle's
  // recorded trace, Traced.h), GC-scanned and copied along with the slot by
  // resample(). Off (null data) unless enabled.
  void enable_aux();
  rt::Word* aux() { return aux_.data(); }
  const rt::Word* aux() const { return aux_.data(); }

  // Fills w[0..N) with the weights scaled so that the largest is 1,
  // w_i = exp(lw_i - max lw), and returns their sum (`total`), log Σ exp(lw_i)
  // and Kish ESS. When every weight is zero, w is left unspecified and
  // log_sum is -infinity. A NaN log-weight gives a NaN log_sum (callers
  // report it; see first_nan()).
  WeightStats weigh(std::span<double> w) const;
  // The same, then divides w by the total: normalised weights (Σ w = 1).
  WeightStats normalise(std::span<double> w) const;
  int64_t first_nan() const;      // index of the first NaN log-weight, or -1

  // Log of the normalising-constant estimate (see the header comment).
  double log_evidence() const;
  // The part folded in by past resamplings.
  double log_z() const { return log_z_; }

  // Becomes a copy of `o` (same size): slots (continuations shared), status,
  // aux words, weights, zero sites and log_z. O(N), no allocation.
  void assign(const Population& o);

  // Particle i becomes a copy of particle ancestors[i] (size N); the current
  // log mean weight, log_sum - log N, is added to log_z; weights reset to 0.
  void resample(std::span<const int64_t> ancestors, double log_sum);

 private:
  int64_t n_ = 0;
  RootArray slots_, spare_slots_;
  RootArray aux_, spare_aux_;
  std::vector<Status> status_, spare_status_;
  std::vector<double> lw_;
  std::vector<rt::SiteId> zero_site_;
  double log_z_ = 0.0;
};

}  // namespace borel::inference
