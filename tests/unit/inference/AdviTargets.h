// AdviTargets.h — hand-written GradientTargets with known answers, for the
// ADVI tests: Gaussians (diagonal and correlated), independent Student-t,
// a truncated normal (zero density on part of the line), a target with no
// density anywhere, one with a wrong gradient and one that throws.
#pragma once

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "inference/GradientTarget.h"
#include "runtime/Model.h"

namespace borel::test {

using inference::GradientTarget;

constexpr double kLog2Pi = 1.8378770664093454836;

// N(m, diag(s^2)), log density minus log_z: log_z = 0 leaves the kernel
// exp(-|(q - m) / s|^2 / 2), whose normaliser is sum log s + n/2 log 2 pi.
class DiagGaussian : public GradientTarget {
 public:
  DiagGaussian(std::vector<double> m, std::vector<double> s, double log_z = 0.0)
      : m_(std::move(m)), s_(std::move(s)), log_z_(log_z) {}
  size_t dimension() const override { return m_.size(); }
  double log_density_gradient(const double* q, double* grad) override {
    double lp = -log_z_;
    for (size_t i = 0; i < m_.size(); ++i) {
      const double z = (q[i] - m_[i]) / s_[i];
      lp -= 0.5 * z * z;
      grad[i] = -z / s_[i];
    }
    return lp;
  }
  // log of the kernel's normaliser.
  double log_normaliser() const {
    double v = 0.5 * static_cast<double>(m_.size()) * kLog2Pi;
    for (double s : s_) v += std::log(s);
    return v;
  }

 private:
  std::vector<double> m_, s_;
  double log_z_;
};

// A correlated 2-D Gaussian N(m, Sigma) (kernel only), Sigma =
// [[s1^2, r s1 s2], [r s1 s2, s2^2]]; precision Lambda = Sigma^-1.
class Gaussian2 : public GradientTarget {
 public:
  Gaussian2(double m1, double m2, double s1, double s2, double r) : m_{m1, m2} {
    const double det = s1 * s1 * s2 * s2 * (1 - r * r);
    lambda_[0] = s2 * s2 / det;
    lambda_[1] = -r * s1 * s2 / det;
    lambda_[2] = s1 * s1 / det;
  }
  size_t dimension() const override { return 2; }
  double log_density_gradient(const double* q, double* grad) override {
    const double d0 = q[0] - m_[0], d1 = q[1] - m_[1];
    grad[0] = -(lambda_[0] * d0 + lambda_[1] * d1);
    grad[1] = -(lambda_[1] * d0 + lambda_[2] * d1);
    return 0.5 * (d0 * grad[0] + d1 * grad[1]);
  }
  double lambda11() const { return lambda_[0]; }
  double lambda22() const { return lambda_[2]; }

 private:
  double m_[2];
  double lambda_[3];  // L11, L12, L22
};

// n independent standard Student-t(nu) coordinates (kernel only).
class StudentT : public GradientTarget {
 public:
  StudentT(size_t n, double nu) : n_(n), nu_(nu) {}
  size_t dimension() const override { return n_; }
  double log_density_gradient(const double* q, double* grad) override {
    double lp = 0.0;
    for (size_t i = 0; i < n_; ++i) {
      lp -= 0.5 * (nu_ + 1) * std::log1p(q[i] * q[i] / nu_);
      grad[i] = -(nu_ + 1) * q[i] / (nu_ + q[i] * q[i]);
    }
    return lp;
  }

 private:
  size_t n_;
  double nu_;
};

// N(0, 1) restricted to q > lower: zero density (-inf) below.
class TruncatedNormal : public GradientTarget {
 public:
  explicit TruncatedNormal(double lower) : lower_(lower) {}
  size_t dimension() const override { return 1; }
  double log_density_gradient(const double* q, double* grad) override {
    if (!(q[0] > lower_)) return -std::numeric_limits<double>::infinity();
    grad[0] = -q[0];
    return -0.5 * q[0] * q[0];
  }

 private:
  double lower_;
};

// A flat log density (0) that reports the gradient of N(0, 0.1^2) instead
// (a bug in a model's derivative). The ELBO is then q's entropy, exactly,
// with no Monte Carlo noise, and ascent along the reported gradient shrinks
// q: every step size makes the ELBO worse.
class WrongGradient : public GradientTarget {
 public:
  size_t dimension() const override { return 1; }
  double log_density_gradient(const double* q, double* grad) override {
    grad[0] = -100 * q[0];
    return 0.0;
  }
};

// Zero density everywhere.
class NowhereDensity : public GradientTarget {
 public:
  size_t dimension() const override { return 2; }
  double log_density_gradient(const double*, double*) override {
    return -std::numeric_limits<double>::infinity();
  }
};

// Throws the user-level error a model would.
class ThrowingTarget : public GradientTarget {
 public:
  size_t dimension() const override { return 1; }
  double log_density_gradient(const double*, double*) override {
    throw rt::RuntimeError{"model.brl:3:5", "normal: sigma must be positive"};
  }
};

// The log of a scale alone, u = log sigma given n normal observations with
// sum of squares ss about a known mean, a flat prior on u:
//   log p(u) = -n u - (ss / 2) exp(-2u);
// the Gaussian optimum: s*² = 1 / (2n), m* = log(ss / n) / 2 + s*².
class LogScale : public GradientTarget {
 public:
  LogScale(double n, double ss) : n_(n), ss_(ss) {}
  size_t dimension() const override { return 1; }
  double log_density_gradient(const double* q, double* grad) override {
    const double e = ss_ * std::exp(-2 * q[0]);
    grad[0] = -n_ + e;
    return -n_ * q[0] - 0.5 * e;
  }
  double optimal_sd() const { return 1 / std::sqrt(2 * n_); }
  double optimal_mean() const { return 0.5 * std::log(ss_ / n_) + 1 / (2 * n_); }

 private:
  double n_, ss_;
};

// A normal mean and the log of its scale, (a, u = log sigma), given n
// observations with mean ybar and sum of squares ss about it, flat priors:
//   log p(a, u) = -n u - (ss + n (a - ybar)²) exp(-2u) / 2,
// the shape of a regression's posterior in its intercept and log sigma. The
// ELBO is not quadratic (terms in exp(-2u)), yet the mean-field Gaussian
// optimum is closed form: E_q[d log p] = 0 and E_q[d² log p] = -1 / s² per
// coordinate give m_a = ybar, s_a² = ss / (n (n - 1)), s_u² = 1 / (2n) and
// m_u = log(ss / (n - 1)) / 2 + s_u².
class MeanAndLogScale : public GradientTarget {
 public:
  MeanAndLogScale(double n, double ybar, double ss) : n_(n), ybar_(ybar), ss_(ss) {}
  size_t dimension() const override { return 2; }
  double log_density_gradient(const double* q, double* grad) override {
    const double d = q[0] - ybar_, w = std::exp(-2 * q[1]), sq = ss_ + n_ * d * d;
    grad[0] = -n_ * d * w;
    grad[1] = -n_ + sq * w;
    return -n_ * q[1] - 0.5 * sq * w;
  }
  double optimal_mean(size_t i) const { return i == 0 ? ybar_ : 0.5 * std::log(ss_ / (n_ - 1)) + 1 / (2 * n_); }
  double optimal_sd(size_t i) const { return i == 0 ? std::sqrt(ss_ / (n_ * (n_ - 1))) : 1 / std::sqrt(2 * n_); }

 private:
  double n_, ybar_, ss_;
};

// Dimension 0.
class EmptyTarget : public GradientTarget {
 public:
  size_t dimension() const override { return 0; }
  double log_density_gradient(const double*, double*) override { return 0.0; }
};

}  // namespace borel::test
