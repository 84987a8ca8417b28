// TraceMetric.h — the inverse metric (diagonal or dense) that the "nuts"
// kernel (NutsKernel.h) gives NUTS on a cell of traces, learnt from
// unconstrained draws of the continuous choices of traces that may live in
// cells of different dimension (trans-dimensional programs).
//
// A cell's coordinates are laid out by its Layout: its continuous addresses
// in trace order, each with its number of unconstrained coordinates
// (TraceGradient::layout). Draws are added with the layout they came from;
// what they teach is kept
//   * per address (with its size): the variance of each of its coordinates,
//     pooled over every layout the address appeared in with that size — a
//     scale for the address that carries over to layouts not yet seen;
//   * per layout, for the dense metric only: the covariance of the whole
//     cell (a correlation is only meaningful between the coordinates of one
//     layout).
// inv_metric(layout) assembles: diag — each address's variances, 1 (the
// unit metric) for an address without an estimate; dense — the layout's
// covariance when it has one, else the diagonal just described.
//
// Why per address and not per layout for the diagonal: in a
// trans-dimensional chain most layouts are visited too rarely to estimate
// anything, while an address (say the k-th component's mean) keeps its
// scale across the layouts it appears in; an unknown address falls back to
// the unit metric, which is what NUTS had before any metric. Why the rule
// keeps NUTS exact: inv_metric depends only on the layout (a function of
// the cell: TraceGradient.h) and on the learnt tables, which the kernel
// changes only during warm-up (MH) or between the moves of two SMC steps
// (resample-move); NUTS is invariant for any metric fixed during a move.
//
// Estimates: update() replaces, for each address (layout) with at least
// kMinDraws draws since the previous update, its estimate by Stan's
// regularised one from those draws only (Adaptation.h:
// n/(n+5)·S + 1e-3·5/(n+5)·I), and forgets the draws; an address with fewer
// keeps its previous estimate (a variance from a handful of draws is noise,
// and Stan's smallest window has 25). Draws are equally weighted (MH draws;
// resample-move moves follow a resampling, after which the weights are
// equal). Deterministic given the draws and their order.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "inference/Adaptation.h"
#include "inference/Nuts.h"
#include "inference/Trace.h"

namespace borel::inference {

struct LayoutEntry {
  Address addr;
  size_t size;  // unconstrained coordinates
  bool operator==(const LayoutEntry&) const = default;
};
using Layout = std::vector<LayoutEntry>;

class TraceMetric {
 public:
  static constexpr long kMinDraws = 10;

  explicit TraceMetric(Metric kind) : kind_(kind) {}
  Metric kind() const { return kind_; }
  // One draw q (layout's coordinates, in its order). Nothing for Unit.
  void add(const Layout& layout, std::span<const double> q);
  // See the top: new estimates from the draws since the last update.
  void update();
  // Changes whenever update changed an estimate.
  uint64_t version() const { return version_; }
  // The inverse metric for `layout`, as NutsTransition::set_inv_metric takes
  // it (Diag: one entry per coordinate; Dense: row-major). Empty for Unit.
  std::vector<double> inv_metric(const Layout& layout) const;

 private:
  using Key = std::array<int64_t, 3>;  // site, occurrence, size
  static Key key(const LayoutEntry& e) {
    return {static_cast<int64_t>(e.addr.site), e.addr.k, static_cast<int64_t>(e.size)};
  }
  static std::vector<Key> key(const Layout& l);

  Metric kind_;
  uint64_t version_ = 0;
  std::map<Key, WelfordVariance> address_draws_;
  std::map<Key, std::vector<double>> address_variance_;
  std::map<std::vector<Key>, WelfordCovariance> layout_draws_;
  std::map<std::vector<Key>, std::vector<double>> layout_covariance_;
};

}  // namespace borel::inference
