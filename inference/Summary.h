// Summary.h — a readable table of an inferred distribution.
//
// summary(d, T) prints, for an `infer` result d of values of type T:
//   * a header: method, particles, steps, resampling steps, time; the
//     log-evidence when the method gives one; the final ESS (final_ess,
//     Empirical.h: after a final resampling, that of the weights before it)
//     and the lowest over the steps;
//   * one row per scalar component of T (Components.h: `x`, `mu`, `x[2]`,
//     `p.k`): weighted mean, sd, 5%, 50% and 95% quantiles, and Kish ESS
//     (1 / Σ w², the weights renormalised over the particles that have the
//     component, scaled as final_ess is); for MCMC results bulk and tail
//     ESS, R-hat and MCSE instead (McmcStats.h), `NaN` where undefined and
//     `inf` where unbounded;
//   * warnings: for MCMC, R-hat > 1.01, inf or NaN, an ESS below 100 per
//     chain or NaN, chains that never moved; for weighted particles, an ESS
//     below 100 at some step (the weights collapsed);
//   * for int and bool components, a frequency table (probability of each
//     value, with a bar);
//   * optionally an ASCII histogram of each real component.
// Numbers are printed with 4 significant digits (%.4g), the log-evidence with
// 4 decimals. Quantiles are those of the weighted empirical distribution:
// q_p = the smallest sample value whose cumulative weight reaches p.
// For a distribution that is not an `infer` result it prints its value
// (format_value) and, for scalars, its mean and sd.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/Dist.h"
#include "runtime/TypeDesc.h"

namespace borel::inference {

struct SummaryOptions {
  std::string name = "x";       // the value's name when T is not a record
  bool histogram = false;       // draw a histogram of each real component
  int bins = 20;                // histogram bins, over [min, max] of the sample
  int width = 40;               // length of the longest bar, in characters
  int max_levels = 20;          // at most this many values in a frequency table
  int64_t max_components = 50;  // rows shown before "... more components"
};

std::string summary(const rt::Dist& d, const rt::TypeDesc& t, const SummaryOptions& options = {});

// Statistics of one weighted scalar sample (weights need not be normalised;
// zero weights are ignored).
struct WeightedStats {
  double mean, sd, q05, q50, q95, ess, total_weight;
};
WeightedStats weighted_stats(std::vector<double> x, std::vector<double> w);
// The p-quantile of a weighted sample (see the header comment).
double weighted_quantile(std::vector<double> x, std::vector<double> w, double p);

}  // namespace borel::inference
