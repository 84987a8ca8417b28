// AdviPreconditioner.h — the coordinates ADVI's optimiser moves q's mean in
// (inference/Advi.cpp), so that a posterior ridge does not stall it.
//
// Stan's step divides each coordinate's gradient by its own running RMS: a
// diagonal preconditioner. Where coefficients are nearly collinear (a
// regression on uncentred predictors: posterior correlations near -1) the
// ELBO's curvature in the mean is that of the posterior, with a condition
// number in the hundreds or more, and per-coordinate steps crawl along the
// ridge: the stopping rule fires where the ELBO has flattened (a few nats
// short) with the means several sds from the optimum, at a point that
// depends on the seed (posteriordb kidscore_momiq: the intercept 7-25
// against 26). Nothing about the family is wrong: its optimum has the exact
// means of a Gaussian posterior.
//
// So, given H, an estimate of -∇² log p at q's mean (symmetric), the mean is
// written mu = mu0 + L nu with L = V |Λ|^(-1/2), H = V Λ Vᵀ, and the
// optimiser moves nu (and q's other parameters as they are). In nu the
// curvature is about the identity, which per-coordinate steps handle. The
// family, the ELBO and its optimum are unchanged; only the path is. |Λ|
// rather than Λ: a direction of negative curvature (H is a local estimate
// on a non-concave target) keeps its scale and sign-free step
// (saddle-free Newton, Dauphin et al. 2014); eigenvalues are floored at
// 1e-8 of the largest.
//
// That is for the mean-field family, which whitening the target would
// change. The full-rank family is closed under z = mu0 + L w, so there the
// target itself is whitened (WhitenedTarget: p(mu0 + L w) |det L|, its
// gradient Lᵀ ∇p) and q's mean and factor are carried over exactly; ELBOs
// and importance weights are the same in either space.
//
// Guarantees: identity (nu = mu - mu0 = 0 at the start, gradients and
// parameters passed through) until build() accepts an H; push(pull-space
// point) and the parameters agree exactly in the non-mean entries.
#pragma once

#include <Eigen/Dense>
#include <cstddef>
#include <span>
#include <vector>

#include "inference/GradientTarget.h"

namespace borel::inference {

class AdviPreconditioner {
 public:
  // Below this condition number of H scaled to a unit diagonal
  // (D^(-1/2) H D^(-1/2), its |eigenvalues|), per-coordinate steps cope
  // and build() declines: a two-parameter ridge of correlation rho has
  // (1 + |rho|) / (1 - |rho|), 10 at |rho| = 0.82.
  static constexpr double kMinCondition = 10.0;

  // Takes H (n x n) at mu0 (n values); false (and stays as it was) when H
  // is not finite, has no positive eigenvalue, or is well conditioned.
  bool build(const Eigen::MatrixXd& hessian, std::span<const double> mu0);

  bool active() const { return active_; }
  // The condition number build() measured (0 before).
  double condition() const { return condition_; }
  // L and mu0 (once built).
  const Eigen::MatrixXd& matrix() const { return l_; }
  const Eigen::VectorXd& origin() const { return mu0_; }
  double log_abs_det() const { return log_abs_det_; }  // log |det L|

  // The optimiser's coordinates of q's parameters (nu, then the rest).
  void coordinates(std::span<const double> params, std::vector<double>& theta) const;
  // q's parameters from the optimiser's coordinates.
  void push(std::span<const double> theta, std::span<double> params) const;
  // A gradient with respect to q's parameters, in place, into the
  // optimiser's coordinates: d/dnu = Lᵀ d/dmu.
  void pull(std::span<double> gradient) const;

 private:
  bool active_ = false;
  double condition_ = 0;
  double log_abs_det_ = 0;
  Eigen::MatrixXd l_;
  Eigen::VectorXd mu0_;
};

// p in the coordinates w of z = mu0 + L w (a built preconditioner's):
// log p(mu0 + L w) + log |det L|, gradient Lᵀ ∇p.
class WhitenedTarget : public GradientTarget {
 public:
  WhitenedTarget(GradientTarget& target, const AdviPreconditioner& pre);
  size_t dimension() const override { return target_.dimension(); }
  double log_density_gradient(const double* w, double* grad) override;
  // z = mu0 + L w.
  void to_target(const double* w, double* z) const;

 private:
  GradientTarget& target_;
  const AdviPreconditioner& pre_;
  std::vector<double> z_, g_;
};

}  // namespace borel::inference
