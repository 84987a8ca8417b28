// Population.cpp — weights, evidence and offspring of a particle population.
#include "inference/Population.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace borel::inference {

Population::Population(int64_t n)
    : n_(n),
      slots_(n),
      spare_slots_(n),
      status_(static_cast<size_t>(n), Status::Fresh),
      spare_status_(static_cast<size_t>(n), Status::Fresh),
      lw_(static_cast<size_t>(n), 0.0),
      zero_site_(static_cast<size_t>(n), -1) {}

void Population::enable_aux() {
  if (aux_.size() == n_) return;
  aux_ = RootArray(n_);
  spare_aux_ = RootArray(n_);
}

int64_t Population::count_running() const {
  int64_t r = 0;
  for (int64_t i = 0; i < n_; ++i) r += status_[i] != Status::Done;
  return r;
}

WeightStats Population::weigh(std::span<double> w) const {
  const double* lw = lw_.data();
  double mx = -std::numeric_limits<double>::infinity();
  bool nan = false;
  for (int64_t i = 0; i < n_; ++i) {
    mx = std::max(mx, lw[i]);
    nan |= std::isnan(lw[i]);
  }
  if (nan) return {std::numeric_limits<double>::quiet_NaN(), 0.0, 0.0};
  if (mx == -std::numeric_limits<double>::infinity())
    return {-std::numeric_limits<double>::infinity(), 0.0, 0.0};
  double sum = 0.0, sq = 0.0;
  for (int64_t i = 0; i < n_; ++i) {
    const double wi = std::exp(lw[i] - mx);
    w[i] = wi;
    sum += wi;
    sq += wi * wi;
  }
  return {mx + std::log(sum), sum * sum / sq, sum};
}

WeightStats Population::normalise(std::span<double> w) const {
  WeightStats s = weigh(w);
  if (s.total > 0) {
    const double inv = 1.0 / s.total;
    for (int64_t i = 0; i < n_; ++i) w[i] *= inv;
    s.total = 1.0;
  }
  return s;
}

int64_t Population::first_nan() const {
  for (int64_t i = 0; i < n_; ++i)
    if (std::isnan(lw_[i])) return i;
  return -1;
}

double log_mean_exp(const double* lw, int64_t n) {
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  double mx = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < n; ++i) mx = std::max(mx, lw[i]);
  if (mx == -std::numeric_limits<double>::infinity()) return mx;
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(lw[i] - mx);
  return mx + std::log(sum) - std::log(static_cast<double>(n));
}

double Population::log_evidence() const { return log_z_ + log_mean_exp(lw_.data(), n_); }

void Population::assign(const Population& o) {
  std::copy(o.slots_.data(), o.slots_.data() + n_, slots_.data());
  if (o.aux_.size() > 0) {
    enable_aux();
    std::copy(o.aux_.data(), o.aux_.data() + n_, aux_.data());
  }
  status_ = o.status_;
  lw_ = o.lw_;
  zero_site_ = o.zero_site_;
  log_z_ = o.log_z_;
}

void Population::resample(std::span<const int64_t> ancestors, double log_sum) {
  const int64_t* a = ancestors.data();
  rt::Word* from = slots_.data();
  rt::Word* to = spare_slots_.data();
  for (int64_t i = 0; i < n_; ++i) {
    to[i] = from[a[i]];
    spare_status_[i] = status_[a[i]];
  }
  slots_.swap(spare_slots_);
  if (aux_.size() > 0) {
    for (int64_t i = 0; i < n_; ++i) spare_aux_[i] = aux_[a[i]];
    aux_.swap(spare_aux_);
  }
  status_.swap(spare_status_);
  log_z_ += log_sum - std::log(static_cast<double>(n_));
  std::fill(lw_.begin(), lw_.end(), 0.0);
  std::fill(zero_site_.begin(), zero_site_.end(), -1);
}

}  // namespace borel::inference
