// AdviPreconditioner.cpp — the mean's coordinates for ADVI's optimiser
// (AdviPreconditioner.h).
#include "inference/AdviPreconditioner.h"

#include <algorithm>
#include <cmath>

namespace borel::inference {

bool AdviPreconditioner::build(const Eigen::MatrixXd& hessian, std::span<const double> mu0) {
  const Eigen::Index n = hessian.rows();
  if (n < 2 || hessian.cols() != n || static_cast<Eigen::Index>(mu0.size()) != n || !hessian.allFinite())
    return false;
  const Eigen::MatrixXd h = 0.5 * (hessian + hessian.transpose());
  Eigen::VectorXd d = h.diagonal().cwiseAbs();
  if (!(d.minCoeff() > 0)) return false;
  d = d.cwiseSqrt().cwiseInverse();
  const Eigen::MatrixXd scaled = d.asDiagonal() * h * d.asDiagonal();
  const Eigen::VectorXd scaled_eig =
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(scaled, Eigen::EigenvaluesOnly).eigenvalues().cwiseAbs();
  const double condition = scaled_eig.maxCoeff() / std::max(scaled_eig.minCoeff(), 1e-300);
  condition_ = condition;
  if (!(condition >= kMinCondition)) return false;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(h);
  if (es.info() != Eigen::Success) return false;
  Eigen::VectorXd lambda = es.eigenvalues().cwiseAbs();
  const double largest = lambda.maxCoeff();
  if (!(largest > 0)) return false;
  lambda = lambda.cwiseMax(1e-8 * largest);
  l_ = es.eigenvectors() * lambda.cwiseSqrt().cwiseInverse().asDiagonal();
  log_abs_det_ = -0.5 * lambda.array().log().sum();
  mu0_ = Eigen::Map<const Eigen::VectorXd>(mu0.data(), n);
  active_ = true;
  return true;
}

void AdviPreconditioner::coordinates(std::span<const double> params, std::vector<double>& theta) const {
  theta.assign(params.begin(), params.end());
  if (!active_) return;
  const Eigen::Index n = mu0_.size();
  Eigen::Map<Eigen::VectorXd> nu(theta.data(), n);
  // L is square and invertible (eigenvalues floored): nu = L⁻¹ (mu - mu0).
  nu = l_.partialPivLu().solve(Eigen::Map<const Eigen::VectorXd>(params.data(), n) - mu0_);
}

void AdviPreconditioner::push(std::span<const double> theta, std::span<double> params) const {
  std::copy(theta.begin(), theta.end(), params.begin());
  if (!active_) return;
  const Eigen::Index n = mu0_.size();
  Eigen::Map<Eigen::VectorXd>(params.data(), n) = mu0_ + l_ * Eigen::Map<const Eigen::VectorXd>(theta.data(), n);
}

void AdviPreconditioner::pull(std::span<double> gradient) const {
  if (!active_) return;
  const Eigen::Index n = mu0_.size();
  Eigen::Map<Eigen::VectorXd> g(gradient.data(), n);
  const Eigen::VectorXd pulled = l_.transpose() * g;
  g = pulled;
}

WhitenedTarget::WhitenedTarget(GradientTarget& target, const AdviPreconditioner& pre)
    : target_(target), pre_(pre), z_(target.dimension()), g_(target.dimension()) {}

void WhitenedTarget::to_target(const double* w, double* z) const {
  const Eigen::Index n = pre_.origin().size();
  Eigen::Map<Eigen::VectorXd>(z, n) = pre_.origin() + pre_.matrix() * Eigen::Map<const Eigen::VectorXd>(w, n);
}

double WhitenedTarget::log_density_gradient(const double* w, double* grad) {
  const Eigen::Index n = pre_.origin().size();
  to_target(w, z_.data());
  const double lp = target_.log_density_gradient(z_.data(), g_.data());
  Eigen::Map<Eigen::VectorXd>(grad, n) = pre_.matrix().transpose() * Eigen::Map<const Eigen::VectorXd>(g_.data(), n);
  return lp + pre_.log_abs_det();
}

}  // namespace borel::inference
