// TraceMetric.cpp — see TraceMetric.h.
#include "inference/TraceMetric.h"

namespace borel::inference {

std::vector<TraceMetric::Key> TraceMetric::key(const Layout& l) {
  std::vector<Key> k;
  k.reserve(l.size());
  for (const LayoutEntry& e : l) k.push_back(key(e));
  return k;
}

void TraceMetric::add(const Layout& layout, std::span<const double> q) {
  if (kind_ == Metric::Unit) return;
  size_t offset = 0;
  for (const LayoutEntry& e : layout) {
    auto it = address_draws_.try_emplace(key(e), e.size).first;
    it->second.add(q.subspan(offset, e.size));
    offset += e.size;
  }
  if (kind_ == Metric::Dense) layout_draws_.try_emplace(key(layout), q.size()).first->second.add(q);
}

void TraceMetric::update() {
  for (auto& [k, w] : address_draws_) {
    if (w.count() >= kMinDraws) {
      address_variance_[k] = regularised_variance(w);
      ++version_;
    }
    w.restart();
  }
  for (auto& [k, w] : layout_draws_) {
    if (w.count() >= kMinDraws) {
      layout_covariance_[k] = regularised_covariance(w);
      ++version_;
    }
    w.restart();
  }
}

std::vector<double> TraceMetric::inv_metric(const Layout& layout) const {
  if (kind_ == Metric::Unit) return {};
  if (kind_ == Metric::Dense) {
    const auto it = layout_covariance_.find(key(layout));
    if (it != layout_covariance_.end()) return it->second;
  }
  std::vector<double> diag;
  for (const LayoutEntry& e : layout) {
    const auto it = address_variance_.find(key(e));
    if (it != address_variance_.end()) diag.insert(diag.end(), it->second.begin(), it->second.end());
    else diag.insert(diag.end(), e.size, 1.0);
  }
  if (kind_ == Metric::Diag) return diag;
  const size_t n = diag.size();
  std::vector<double> dense(n * n, 0.0);
  for (size_t i = 0; i < n; ++i) dense[i * n + i] = diag[i];
  return dense;
}

}  // namespace borel::inference
