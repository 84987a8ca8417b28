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

}  // namespace borel::inference
