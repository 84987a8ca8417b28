// Optimiser.h — first-order stochastic optimisers over a flat parameter
// vector, for variational inference (inference/Advi.h) and anything else
// that climbs a noisy objective.
//
// Sign convention: step() is given the gradient of an objective to MAXIMISE
// (the ELBO) and moves the parameters UP that gradient (ascent). To minimise
// f, pass -grad f.
//
// Kinds, k = 1, 2, ... the number of step() calls since construction or
// reset(), g the gradient, all operations per coordinate:
//   Sgd         x += eta_k g,  eta_k = eta / (1 + decay (k - 1));
//               decay = 0 (the default) is a constant step (Robbins–Monro
//               conditions hold for decay > 0).
//   Adam        (Kingma & Ba 2015) m = b1 m + (1 - b1) g,
//               v = b2 v + (1 - b2) g^2,
//               x += eta_k (m / (1 - b1^k)) / (sqrt(v / (1 - b2^k)) + e),
//               b1 = 0.9, b2 = 0.999, e = 1e-8, eta_k as for Sgd.
//   StanAdagrad Stan's ADVI step-size sequence (Kucukelbir et al. 2017, eq. 10):
//               s_1 = g^2, s_k = a g^2 + (1 - a) s_{k-1} (a = 0.1),
//               x += eta k^(-1/2 + 1e-16) g / (tau + sqrt(s_k)), tau = 1.
// Guarantees: deterministic (same gradients, same iterates, bit for bit);
// reset() returns the optimiser to its just-constructed state.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace borel::inference {

enum class OptimiserKind { Sgd, Adam, StanAdagrad };

// "sgd", "adam", "stan-adagrad": for messages.
const char* optimiser_name(OptimiserKind kind);

class Optimiser {
 public:
  // Throws rt::RuntimeError unless eta is finite and positive and decay is
  // finite and non-negative (decay is used by Sgd and Adam).
  Optimiser(OptimiserKind kind, size_t dimension, double eta, double decay = 0.0);

  // One ascent step: params += (step) along grad_of_objective_to_maximise.
  // Both spans have dimension() elements (rt::RuntimeError otherwise).
  void step(std::span<double> params, std::span<const double> grad_of_objective_to_maximise);
  // Adds coordinates (parameters met for the first time) with zero moments.
  void grow(size_t dimension);
  // Forgets the history (moments, iteration count); eta stays.
  void reset();

  OptimiserKind kind() const { return kind_; }
  size_t dimension() const { return m_.size(); }
  double eta() const { return eta_; }
  long iteration() const { return k_; }  // steps taken since reset

 private:
  OptimiserKind kind_;
  double eta_;
  double decay_;
  long k_ = 0;
  std::vector<double> m_;  // Adam: first moment; StanAdagrad: s_k
  std::vector<double> v_;  // Adam: second moment
};

}  // namespace borel::inference
