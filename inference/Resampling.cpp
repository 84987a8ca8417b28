// Resampling.cpp — the four unbiased resampling schemes (see Resampling.h).
#include "inference/Resampling.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "inference/Errors.h"

namespace borel::inference {

Resampling parse_resampling(std::string_view name, std::string_view method) {
  if (name == "systematic") return Resampling::Systematic;
  if (name == "multinomial") return Resampling::Multinomial;
  if (name == "stratified") return Resampling::Stratified;
  if (name == "residual") return Resampling::Residual;
  throw method_error(method, "resampling is '" + std::string(name) +
                                 "', but must be one of multinomial, systematic, stratified, residual");
}

const char* resampling_name(Resampling r) {
  switch (r) {
    case Resampling::Multinomial: return "multinomial";
    case Resampling::Systematic: return "systematic";
    case Resampling::Stratified: return "stratified";
    case Resampling::Residual: return "residual";
  }
  return "?";
}

namespace {

// The last index with positive weight: the walk never goes past it, so
// rounding in the running sum can never select a zero-weight particle.
int64_t last_positive(std::span<const double> w) {
  int64_t j = static_cast<int64_t>(w.size()) - 1;
  while (j > 0 && !(w[j] > 0)) --j;
  return j;
}

// Inverse-CDF walk: for nondecreasing points p_k in [0, total) given by `point`,
// ancestors[k] = the first i with w_0 + ... + w_i > p_k (clamped to the last
// positive weight). O(n + m).
template <class Point>
void walk(std::span<const double> w, std::span<int64_t> ancestors, Point point) {
  const int64_t m = static_cast<int64_t>(ancestors.size());
  const int64_t jmax = last_positive(w);
  int64_t j = 0;
  double c = w[0];
  for (int64_t k = 0; k < m; ++k) {
    const double p = point(k);
    while (p >= c && j < jmax) c += w[++j];
    ancestors[k] = j;
  }
}

}  // namespace

void resample_systematic(std::span<const double> w, rt::Rng& rng, std::span<int64_t> ancestors,
                         double total) {
  // Points p_k = (k + u)·step, step = total/m. Particle j gets the points in
  // [C_{j-1}, C_j) (C the running sums): ancestors[k] = j for
  // o_{j-1} <= k < o_j, where o_j = #{k : p_k < C_j} = ceil(C_j/step - u)
  // clamped to [0, m] (o_{-1} = 0), and o is forced to m at the last
  // positive weight so rounding cannot leave points unclaimed.
  // Unlike the usual walk, whose inner loop mispredicts about once per
  // particle, this loop has no data-dependent branch: every particle stores
  // its index at its first slot o_{j-1}; among the particles that share a
  // first slot, the last one is the one that owns the slot (the others have
  // no offspring: their o_j = o_{j-1}), so it is the one that stays. A
  // running maximum then fills the rest of each run.
  const int64_t m = static_cast<int64_t>(ancestors.size());
  if (m == 0) return;
  const int64_t jmax = last_positive(w);
  const double inv_step = static_cast<double>(m) / total;
  const double u = rng.uniform();
  int64_t* a = ancestors.data();
  std::fill(a, a + m, int64_t{0});
  double c = 0.0;
  int64_t first = 0;  // o_{j-1}
  for (int64_t j = 0; j <= jmax; ++j) {
    c += w[j];
    const double t = c * inv_step - u;   // > -1
    int64_t o = static_cast<int64_t>(t);  // floor(t) for t >= 0; 0 for t in (-1, 0)
    o += static_cast<double>(o) < t;      // ceil(t)
    o = o > m ? m : o;
    if (first < m) a[first] = j;          // false only after rounding: predictable
    first = o;
  }
  int64_t run = 0;
  for (int64_t k = 0; k < m; ++k) {
    run = a[k] > run ? a[k] : run;
    a[k] = run;
  }
}

void resample_stratified(std::span<const double> w, rt::Rng& rng, std::span<int64_t> ancestors,
                         double total) {
  const double inv_m = total / static_cast<double>(ancestors.size());
  walk(w, ancestors, [&](int64_t k) { return (static_cast<double>(k) + rng.uniform()) * inv_m; });
}

void resample_multinomial(std::span<const double> w, rt::Rng& rng, std::span<int64_t> ancestors,
                          double total_weight) {
  // Sorted i.i.d. uniforms without sorting: with E_0..E_m i.i.d. Exp(1) and
  // S their sum, (E_0 + ... + E_k) / S for k < m are the order statistics of
  // m uniforms. The sum S is found with a copy of the stream, which then
  // replays the same exponentials.
  const int64_t m = static_cast<int64_t>(ancestors.size());
  rt::Rng probe = rng;
  double total = 0.0;
  for (int64_t k = 0; k <= m; ++k) total += probe.exponential();
  const double inv = total_weight / total;
  double acc = 0.0;
  walk(w, ancestors, [&](int64_t) {
    acc += rng.exponential();
    return acc * inv;
  });
  rng.exponential();  // E_m: leave rng where probe ended
}

void resample_residual(std::span<const double> w, rt::Rng& rng, std::span<int64_t> ancestors,
                       double total) {
  const int64_t n = static_cast<int64_t>(w.size());
  const int64_t m = static_cast<int64_t>(ancestors.size());
  std::vector<int64_t> copies(static_cast<size_t>(n));
  std::vector<double> residual(static_cast<size_t>(n));
  int64_t fixed = 0;
  double rsum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double mw = static_cast<double>(m) * (w[i] / total);
    const double f = std::floor(mw);
    copies[i] = static_cast<int64_t>(f);
    residual[i] = mw - f;
    fixed += copies[i];
    rsum += residual[i];
  }
  if (fixed > m) fixed = m;  // only through rounding when Σ w > 1
  const int64_t rest = m - fixed;
  if (rest > 0 && rsum > 0) {
    for (double& r : residual) r /= rsum;
    std::vector<int64_t> extra(static_cast<size_t>(rest));
    resample_multinomial(residual, rng, extra);
    for (int64_t e : extra) ++copies[e];
  } else if (rest > 0) {
    // Every residual is 0 (m·w_i all integers) but rounding lost a copy.
    resample_systematic(w, rng, std::span<int64_t>(ancestors.data(), static_cast<size_t>(rest)), total);
    for (int64_t k = 0; k < rest; ++k) ++copies[ancestors[k]];
  }
  int64_t k = 0;
  for (int64_t i = 0; i < n && k < m; ++i)
    for (int64_t c = 0; c < copies[i] && k < m; ++c) ancestors[k++] = i;
}

void resample(Resampling scheme, std::span<const double> w, rt::Rng& rng,
              std::span<int64_t> ancestors, double total) {
  switch (scheme) {
    case Resampling::Multinomial: return resample_multinomial(w, rng, ancestors, total);
    case Resampling::Systematic: return resample_systematic(w, rng, ancestors, total);
    case Resampling::Stratified: return resample_stratified(w, rng, ancestors, total);
    case Resampling::Residual: return resample_residual(w, rng, ancestors, total);
  }
}

}  // namespace borel::inference
