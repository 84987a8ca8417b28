// Adaptation.cpp — dual averaging, Welford estimators, Stan's warmup windows
// and step size search (see Adaptation.h).
#include "inference/Adaptation.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "inference/Errors.h"

namespace borel::inference {

StepSizeAdaptation::StepSizeAdaptation(double target_accept, double gamma, double t0,
                                       double kappa)
    : delta_(target_accept), gamma_(gamma), t0_(t0), kappa_(kappa) {}

void StepSizeAdaptation::restart() {
  counter_ = 0;
  s_bar_ = 0;
  x_bar_ = 0;
}

double StepSizeAdaptation::learn(double accept_stat) {
  ++counter_;
  const double a = accept_stat > 1 ? 1.0 : accept_stat;
  const double t = static_cast<double>(counter_);
  // s̄ averages the acceptance shortfall with weights 1/(t + t0), which damps
  // the first few (noisy) iterations.
  const double eta = 1.0 / (t + t0_);
  s_bar_ = (1.0 - eta) * s_bar_ + eta * (delta_ - a);
  const double x = mu_ - s_bar_ * std::sqrt(t) / gamma_;
  // x̄ weights iteration t by t^-κ: early step sizes are forgotten.
  const double x_eta = std::pow(t, -kappa_);
  x_bar_ = (1.0 - x_eta) * x_bar_ + x_eta * x;
  return std::exp(x);
}

double StepSizeAdaptation::final_step_size() const { return std::exp(x_bar_); }

WelfordVariance::WelfordVariance(size_t dim) : mean_(dim, 0.0), m2_(dim, 0.0) {}

void WelfordVariance::add(std::span<const double> x) {
  ++n_;
  const double n = static_cast<double>(n_);
  for (size_t i = 0; i < mean_.size(); ++i) {
    const double delta = x[i] - mean_[i];
    mean_[i] += delta / n;
    m2_[i] += (x[i] - mean_[i]) * delta;
  }
}

void WelfordVariance::restart() {
  n_ = 0;
  std::fill(mean_.begin(), mean_.end(), 0.0);
  std::fill(m2_.begin(), m2_.end(), 0.0);
}

std::vector<double> WelfordVariance::sample_variance() const {
  std::vector<double> v(mean_.size(), 0.0);
  if (n_ < 2) return v;
  for (size_t i = 0; i < v.size(); ++i) v[i] = m2_[i] / static_cast<double>(n_ - 1);
  return v;
}

WelfordCovariance::WelfordCovariance(size_t dim)
    : dim_(dim), mean_(dim, 0.0), m2_(dim * dim, 0.0), delta_(dim, 0.0) {}

void WelfordCovariance::add(std::span<const double> x) {
  ++n_;
  const double n = static_cast<double>(n_);
  for (size_t i = 0; i < dim_; ++i) {
    delta_[i] = x[i] - mean_[i];
    mean_[i] += delta_[i] / n;
  }
  // m2 += (x − new mean)(x − old mean)ᵀ; only the lower triangle is
  // accumulated and mirrored on output, so the result is exactly symmetric.
  for (size_t i = 0; i < dim_; ++i) {
    const double a = x[i] - mean_[i];
    for (size_t j = 0; j <= i; ++j) m2_[i * dim_ + j] += a * delta_[j];
  }
}

void WelfordCovariance::restart() {
  n_ = 0;
  std::fill(mean_.begin(), mean_.end(), 0.0);
  std::fill(m2_.begin(), m2_.end(), 0.0);
}

std::vector<double> WelfordCovariance::sample_covariance() const {
  std::vector<double> c(dim_ * dim_, 0.0);
  if (n_ < 2) return c;
  const double d = static_cast<double>(n_ - 1);
  for (size_t i = 0; i < dim_; ++i) {
    for (size_t j = 0; j <= i; ++j) {
      c[i * dim_ + j] = m2_[i * dim_ + j] / d;
      c[j * dim_ + i] = c[i * dim_ + j];
    }
  }
  return c;
}

namespace {

void check_finite_metric(const std::vector<double>& m) {
  for (double x : m) {
    if (!std::isfinite(x)) {
      throw method_error("nuts",
                         "numerical overflow in metric adaptation: the draws reached extreme "
                         "values (the posterior may be improper or too wide)");
    }
  }
}

}  // namespace

std::vector<double> regularised_variance(const WelfordVariance& w) {
  std::vector<double> v = w.sample_variance();
  const double n = static_cast<double>(w.count());
  for (double& x : v) x = (n / (n + 5.0)) * x + 1e-3 * (5.0 / (n + 5.0));
  check_finite_metric(v);
  return v;
}

std::vector<double> regularised_covariance(const WelfordCovariance& w) {
  std::vector<double> c = w.sample_covariance();
  const double n = static_cast<double>(w.count());
  const size_t dim = static_cast<size_t>(std::lround(std::sqrt(static_cast<double>(c.size()))));
  for (double& x : c) x *= n / (n + 5.0);
  for (size_t i = 0; i < dim; ++i) c[i * dim + i] += 1e-3 * (5.0 / (n + 5.0));
  check_finite_metric(c);
  return c;
}

std::vector<WarmupWindow> warmup_windows(int warmup, int init_buffer, int term_buffer,
                                         int base_window) {
  require_at_least("nuts", "warmup", warmup, 0);
  require_at_least("nuts", "init_buffer", init_buffer, 0);
  require_at_least("nuts", "term_buffer", term_buffer, 0);
  require_at_least("nuts", "base_window", base_window, 1);
  std::vector<WarmupWindow> windows;
  if (warmup < 20) return windows;
  if (static_cast<long>(init_buffer) + base_window + term_buffer > warmup) {
    init_buffer = static_cast<int>(0.15 * warmup);
    term_buffer = static_cast<int>(0.1 * warmup);
    base_window = warmup - (init_buffer + term_buffer);
  }
  const int end = warmup - term_buffer;  // first iteration of the terminal buffer
  int size = base_window;
  WarmupWindow w{init_buffer, init_buffer + base_window - 1};
  for (;;) {
    windows.push_back(w);
    if (w.last >= end - 1) break;
    size *= 2;
    WarmupWindow next{w.last + 1, w.last + size};
    // A window whose successor (twice as long again) would not fit before
    // the terminal buffer absorbs the rest of the metric phase.
    if (static_cast<long>(next.last) + 2L * size >= end) next.last = end - 1;
    w = next;
  }
  return windows;
}

double search_step_size(double step_size, const std::function<double(double)>& energy_drop) {
  if (!(step_size > 0) || step_size > 1e7) return step_size;
  const double log_08 = std::log(0.8);
  const int direction = energy_drop(step_size) > log_08 ? 1 : -1;
  for (;;) {
    const double drop = energy_drop(step_size);
    if (direction == 1 && !(drop > log_08)) break;
    if (direction == -1 && !(drop < log_08)) break;
    step_size = direction == 1 ? 2 * step_size : 0.5 * step_size;
    if (step_size > 1e7) {
      throw method_error("nuts",
                         "the step size search passed 1e7 with every leapfrog step still "
                         "accepted: the posterior is probably improper");
    }
    if (step_size == 0) {
      throw method_error("nuts",
                         "no acceptably small step size was found: the log density may not be "
                         "continuous or its gradient may be wrong");
    }
  }
  return step_size;
}

}  // namespace borel::inference
