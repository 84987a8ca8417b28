// Resampling.h — drawing ancestor indices from normalised weights.
//
// A resampling scheme maps weights w[0..n) and a random stream to m ancestor
// indices. The weights are normalised (Σ w = 1 up to rounding) unless their
// sum is passed as `total` (the SMC loop saves a pass over the weights that
// way). Each scheme here is
//   * unbiased: the expected number of copies of particle i is m·w_i;
//   * O(n + m) time, no allocation except residual's O(n) counts;
//   * sorted: ancestors come out in nondecreasing order (copies adjacent);
//   * safe: a particle with zero weight is never chosen, even when rounding
//     leaves Σ w slightly below `total`.
// They differ in variance (multinomial > residual, stratified > systematic
// in usual cases) and in how many uniforms they consume.
//   multinomial  m i.i.d. draws from w (sorted uniforms by exponential spacings)
//   systematic   one uniform u, points (k + u)/m          (Carpenter et al. 1999)
//   stratified   one uniform per stratum, points (k + u_k)/m   (Kitagawa 1996)
//   residual     floor(m·w_i) copies, the rest multinomial on the residuals
//                                                        (Liu & Chen 1998)
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "runtime/Rng.h"

namespace borel::inference {

enum class Resampling : uint8_t { Multinomial, Systematic, Stratified, Residual };

// "multinomial", "systematic", "stratified", "residual"; anything else raises
// rt::RuntimeError naming `method`.
Resampling parse_resampling(std::string_view name, std::string_view method);
const char* resampling_name(Resampling r);

void resample_multinomial(std::span<const double> w, rt::Rng& rng, std::span<int64_t> ancestors,
                          double total = 1.0);
void resample_systematic(std::span<const double> w, rt::Rng& rng, std::span<int64_t> ancestors,
                         double total = 1.0);
void resample_stratified(std::span<const double> w, rt::Rng& rng, std::span<int64_t> ancestors,
                         double total = 1.0);
void resample_residual(std::span<const double> w, rt::Rng& rng, std::span<int64_t> ancestors,
                       double total = 1.0);

// Dispatches on the scheme.
void resample(Resampling scheme, std::span<const double> w, rt::Rng& rng,
              std::span<int64_t> ancestors, double total = 1.0);

}  // namespace borel::inference
