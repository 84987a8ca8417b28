// McmcStats.h — convergence diagnostics of MCMC draws, computed as Stan's
// `posterior` R package computes them (Vehtari, Gelman, Simpson, Carpenter &
// Bürkner 2021, "Rank-normalization, folding, and localization: an improved
// R-hat for assessing convergence of MCMC", Bayesian Analysis 16(2)).
//
// `chains[c]` holds chain c's draws of one scalar, in order; all chains the
// same length n. Splitting a chain gives its first ⌊n/2⌋ and last ⌊n/2⌋
// draws (the middle draw of odd n is dropped): M chains give 2M split chains.
//   rhat      max(R̂(z(split(x))), R̂(z(split(|x − median x|)))): the
//             rank-normalised split R-hat of the draws (bulk) and of their
//             distances to the median (tails); above 1.01 the chains disagree.
//             +inf when every chain is constant but the chains differ (no
//             within-chain variance: they never moved).
//   ess_bulk  ESS(z(split(x)))
//   ess_tail  min(ESS(split(I(x ≤ q05))), ESS(split(I(x ≤ q95)))), q_p the
//             type-7 (linear interpolation) quantile of all draws
//   ess_mean  ESS(split(x)), for the MCSE of the mean
//   mcse_mean sd(x) / √ess_mean
//   sd        sd of all draws (n − 1 denominator)
// with z the rank normalisation (average ranks r over all split draws, S of
// them: Φ⁻¹((r − 3/8) / (S + 1/4)), Blom) and, for m chains of n draws,
//   R̂ = √(((n − 1)/n W + B/n) / W), W the mean within-chain variance, B/n the
//        variance of the chain means;
//   ESS = m n / τ̂, τ̂ = −1 + 2 Σ_{t<T} ρ̂_t + ρ̂_T, where ρ̂_0 = 1 and
//        ρ̂_t = 1 − (W − mean_c acov_c(t)) / var⁺ (acov the biased, 1/n
//        autocovariance, var⁺ = (n−1)/n W + B/n), summed in pairs
//        (ρ̂_{2k} + ρ̂_{2k+1}) while a pair stays positive, up to lag n − 3
//        (Geyer's initial positive sequence), made non-increasing (initial
//        monotone sequence); T is the even lag of the first pair left out
//        (or the last pair computed), the last term counts ρ̂_T when it is
//        positive, and when no pair after the first was computed (T = 0: n ≤ 5
//        or ρ̂_1 ≤ −1) the sum is ρ̂_0, so τ̂ = 2, as in `posterior` and Stan.
//        τ̂ is bounded below by 1 / log10(m n), so ESS ≤ m n log10(m n).
// A statistic is NaN where `posterior` gives NA: fewer than 3 draws per split
// chain (ESS) or 2 (R-hat), a non-finite draw, or input to R̂ / ESS whose
// values are all equal (range below DBL_EPSILON): constant draws, or a
// quantile indicator that is constant (the 5% or 95% quantile is the
// smallest or largest value). rhat and ess_tail are NaN when either of their
// parts is.
#pragma once

#include <vector>

namespace borel::inference {

struct McmcStats {
  double rhat, ess_bulk, ess_tail, ess_mean, mcse_mean, sd;
};

McmcStats mcmc_stats(const std::vector<std::vector<double>>& chains);

// The building blocks, exposed for tests: ESS and R-hat of the chains as
// given (no splitting, no ranks), the rank normalisation z, and Φ⁻¹.
double ess_raw(const std::vector<std::vector<double>>& chains);
double rhat_raw(const std::vector<std::vector<double>>& chains);
std::vector<std::vector<double>> rank_normalise(const std::vector<std::vector<double>>& chains);
double inv_normal_cdf(double p);

}  // namespace borel::inference
