// McmcStats.h — convergence diagnostics of MCMC draws, computed as Stan
// computes them (Vehtari, Gelman, Simpson, Carpenter & Bürkner 2021,
// "Rank-normalization, folding, and localization: an improved R-hat").
//
// `chains[c]` holds chain c's draws of one scalar, in order; all chains the
// same length n ≥ 4 (otherwise every statistic is NaN). Each chain is split
// in halves (2M chains of n/2 draws; the middle draw of odd n is dropped).
//   rhat      max of the rank-normalised split R-hat of x and of |x − median|
//             (bulk and tails); values above 1.01 mean the chains disagree
//   ess_bulk  ESS of the rank-normalised split draws
//   ess_tail  min of the ESS of I(x ≤ q05) and I(x ≤ q95)
//   ess_mean  ESS of the raw split draws, for the MCSE of the mean
//   mcse_mean sd / √ess_mean
// ESS = M n / τ with τ from the chains' averaged autocorrelations (FFT),
// truncated by Geyer's initial positive monotone sequence.
#pragma once

#include <vector>

namespace borel::inference {

struct McmcStats {
  double rhat, ess_bulk, ess_tail, ess_mean, mcse_mean, sd;
};

McmcStats mcmc_stats(const std::vector<std::vector<double>>& chains);

// The building blocks, exposed for tests.
double ess_raw(const std::vector<std::vector<double>>& chains);    // no splitting, no ranks
double rhat_raw(const std::vector<std::vector<double>>& chains);   // classic R-hat of the given chains
double inv_normal_cdf(double p);

}  // namespace borel::inference
