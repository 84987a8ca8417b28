// Optimiser.cpp — Sgd, Adam and Stan's adaptive step sequence (Optimiser.h).
#include "inference/Optimiser.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "inference/Errors.h"

namespace borel::inference {

namespace {

constexpr double kAdamBeta1 = 0.9;
constexpr double kAdamBeta2 = 0.999;
constexpr double kAdamEpsilon = 1e-8;
constexpr double kAdagradAlpha = 0.1;
constexpr double kAdagradTau = 1.0;
// Stan's paper writes k^(-1/2 + eps); eps only guarantees sum eta_k^2 < inf.
constexpr double kAdagradEps = 1e-16;

}  // namespace

const char* optimiser_name(OptimiserKind kind) {
  switch (kind) {
    case OptimiserKind::Sgd: return "sgd";
    case OptimiserKind::Adam: return "adam";
    case OptimiserKind::StanAdagrad: return "stan-adagrad";
  }
  return "unknown";
}

Optimiser::Optimiser(OptimiserKind kind, size_t dimension, double eta, double decay)
    : kind_(kind), eta_(eta), decay_(decay), m_(dimension, 0.0), v_(dimension, 0.0) {
  if (kind != OptimiserKind::Sgd && kind != OptimiserKind::Adam &&
      kind != OptimiserKind::StanAdagrad)
    throw method_error("optimiser", "unknown optimiser kind");
  if (!(std::isfinite(eta) && eta > 0))
    throw method_error("optimiser", "the step size eta is " + std::to_string(eta) +
                                        ", but must be finite and positive");
  if (!(std::isfinite(decay) && decay >= 0))
    throw method_error("optimiser", "the decay is " + std::to_string(decay) +
                                        ", but must be finite and non-negative");
}

void Optimiser::reset() {
  k_ = 0;
  std::fill(m_.begin(), m_.end(), 0.0);
  std::fill(v_.begin(), v_.end(), 0.0);
}

void Optimiser::grow(size_t dimension) {
  if (dimension > m_.size()) {
    m_.resize(dimension, 0.0);
    v_.resize(dimension, 0.0);
  }
}

void Optimiser::step(std::span<double> params, std::span<const double> grad) {
  const size_t n = m_.size();
  if (params.size() != n || grad.size() != n)
    throw method_error("optimiser", "step: expected " + std::to_string(n) + " parameters and gradients, got " +
                                        std::to_string(params.size()) + " and " + std::to_string(grad.size()));
  ++k_;
  const double k = static_cast<double>(k_);
  switch (kind_) {
    case OptimiserKind::Sgd: {
      const double rate = eta_ / (1.0 + decay_ * (k - 1.0));
      for (size_t i = 0; i < n; ++i) params[i] += rate * grad[i];
      break;
    }
    case OptimiserKind::Adam: {
      const double c1 = 1.0 - std::pow(kAdamBeta1, k);
      const double c2 = 1.0 - std::pow(kAdamBeta2, k);
      const double rate = eta_ / (1.0 + decay_ * (k - 1.0));
      for (size_t i = 0; i < n; ++i) {
        m_[i] = kAdamBeta1 * m_[i] + (1.0 - kAdamBeta1) * grad[i];
        v_[i] = kAdamBeta2 * v_[i] + (1.0 - kAdamBeta2) * grad[i] * grad[i];
        params[i] += rate * (m_[i] / c1) / (std::sqrt(v_[i] / c2) + kAdamEpsilon);
      }
      break;
    }
    case OptimiserKind::StanAdagrad: {
      const double rate = eta_ * std::pow(k, -0.5 + kAdagradEps);
      for (size_t i = 0; i < n; ++i) {
        const double g2 = grad[i] * grad[i];
        // Stan starts the running average at the first squared gradient.
        m_[i] = k_ == 1 ? g2 : kAdagradAlpha * g2 + (1.0 - kAdagradAlpha) * m_[i];
        params[i] += rate * grad[i] / (kAdagradTau + std::sqrt(m_[i]));
      }
      break;
    }
  }
}

}  // namespace borel::inference
