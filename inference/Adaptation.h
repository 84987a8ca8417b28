// Adaptation.h — Stan-style warmup adaptation for Hamiltonian Monte Carlo:
// the pieces NUTS (Nuts.h) or any other HMC kernel combines during warmup.
//
//   StepSizeAdaptation  dual averaging of log step size (Hoffman & Gelman
//                       2014, §3.2) towards a target mean acceptance
//                       statistic, with Stan's constants γ = 0.05, t0 = 10,
//                       κ = 0.75; μ is set by the caller (Stan: log(10 ε)).
//   WelfordVariance     streaming mean and sample variance (n − 1) of each
//                       coordinate, for a diagonal metric.
//   WelfordCovariance   the same for the full covariance (dense metric).
//   regularised_*       Stan's shrinkage of a window's estimate towards
//                       1e-3 · I: (n/(n+5)) · S + 1e-3 · (5/(n+5)) · I, which
//                       keeps a metric from a few draws positive definite.
//   warmup_windows      Stan's windowed schedule: an initial buffer (75
//                       iterations) of step size adaptation only, then metric
//                       windows of 25, 50, 100, ... iterations, the last one
//                       stretched to end where the terminal buffer (50)
//                       begins; the metric is re-estimated at the end of each
//                       window from that window's draws only.
//   search_step_size    Stan's init_stepsize heuristic: double or halve the
//                       step size until one leapfrog step's acceptance
//                       probability crosses 0.8.
//
// Guarantees: every function is deterministic given its inputs (the only
// randomness is inside the caller's energy_drop), and the schedule matches
// Stan's for warmup ≥ init + base + term (≥ 150 with the defaults).
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <vector>

namespace borel::inference {

class StepSizeAdaptation {
 public:
  explicit StepSizeAdaptation(double target_accept, double gamma = 0.05, double t0 = 10.0,
                              double kappa = 0.75);

  // The point log step sizes are shrunk towards (Stan: log(10 · ε)).
  void set_mu(double mu) { mu_ = mu; }
  double mu() const { return mu_; }
  // Forgets the history (iteration count and both averages), keeps μ.
  void restart();
  // One update with the last transition's acceptance statistic (values
  // above 1 count as 1); returns the step size to use next, exp(x_t).
  double learn(double accept_stat);
  // The averaged step size exp(x̄_t) to use once warmup ends; exp(0) = 1
  // before any update.
  double final_step_size() const;
  long iterations() const { return counter_; }

 private:
  double delta_, gamma_, t0_, kappa_;
  double mu_ = 0;
  long counter_ = 0;
  double s_bar_ = 0;  // running average of delta − accept_stat
  double x_bar_ = 0;  // weighted average of log step sizes
};

class WelfordVariance {
 public:
  explicit WelfordVariance(size_t dim);
  void add(std::span<const double> x);
  void restart();
  long count() const { return n_; }
  // Sample variances (n − 1 denominator); all zero while count() < 2.
  std::vector<double> sample_variance() const;

 private:
  long n_ = 0;
  std::vector<double> mean_, m2_;
};

class WelfordCovariance {
 public:
  explicit WelfordCovariance(size_t dim);
  void add(std::span<const double> x);
  void restart();
  long count() const { return n_; }
  // Sample covariance, row-major dim × dim, exactly symmetric; all zero
  // while count() < 2.
  std::vector<double> sample_covariance() const;

 private:
  size_t dim_;
  long n_ = 0;
  std::vector<double> mean_, m2_, delta_;
};

// Stan's regularisation of an estimate from n draws (see the top of the
// file); the covariance form adds to the diagonal only.
std::vector<double> regularised_variance(const WelfordVariance& w);
std::vector<double> regularised_covariance(const WelfordCovariance& w);

// One metric window: the draws of warmup iterations first..last (0-based,
// inclusive) estimate the metric, which is replaced right after iteration
// `last`.
struct WarmupWindow {
  int first, last;
};

// Stan's schedule for `warmup` iterations. When init_buffer + base_window +
// term_buffer > warmup, the buffers shrink as in Stan to 15% and 10% of
// warmup (rounded down) and a single window fills the rest; below 20 warmup
// iterations there is no metric window at all (step size adaptation only).
// Throws rt::RuntimeError on negative arguments or base_window < 1.
std::vector<WarmupWindow> warmup_windows(int warmup, int init_buffer = 75, int term_buffer = 50,
                                         int base_window = 25);

// Stan's init_stepsize from `step_size`: energy_drop(ε) must draw a fresh
// momentum at the (fixed) current point, take one leapfrog step of size ε and
// return H(start) − H(end), −∞ where the end point has zero density or the
// energy is NaN. The direction (double or halve) is set by a first trial at
// `step_size` and the search stops at the first step size whose trial
// crosses log 0.8 — so a doubling search ends one doubling past the last
// acceptable step size, as Stan's does. A step size that is 0, NaN or above
// 1e7 is returned unchanged. Throws rt::RuntimeError ("nuts: ...") when the
// search passes 1e7 (improper posterior) or underflows to 0.
double search_step_size(double step_size, const std::function<double(double)>& energy_drop);

}  // namespace borel::inference
