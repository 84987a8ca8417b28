// SbcStats.h — the acceptance rule of simulation-based calibration (SBC):
// a chi-square test that ranks are uniform on {0..L}, and a test that the
// mean of Ẑ/Z over replications is 1, with thresholds taken from the
// distributions of the statistics at a stated false-alarm rate.
//
// Guarantees: with R replications of an exact algorithm, the rank counts in
// B equal bins are multinomial(R, 1/B each), so the statistic
// X² = Σ (O_b − R/B)² / (R/B) is asymptotically χ²(B − 1), and the test
// fails with probability alpha (the chi-square approximation is good when
// R/B ≥ 5, which check_design enforces). For an unbiased evidence
// estimator, mean(Ẑ/Z) over R independent replications is 1 in
// expectation; its standard error is estimated from the sample, and by the
// central limit theorem |mean − 1| / se exceeds the two-sided normal
// quantile with probability alpha.
#pragma once

#include <string>
#include <vector>

namespace borel::sbc {

// The rank histogram of `ranks` (each in 0..draws) in `bins` equal bins,
// and its chi-square statistic against the uniform distribution.
struct RankHistogram {
  std::vector<int> counts;
  double chi_square = 0;
};
RankHistogram rank_histogram(const std::vector<int>& ranks, int draws, int bins);

// The upper-alpha quantile of χ²(df) (Boost.Math).
double chi_square_threshold(int df, double alpha);
// z with P(|N(0, 1)| > z) = alpha.
double two_sided_normal_threshold(double alpha);

// Mean of the ratios Ẑ/Z and its standard error (sample sd / √R).
struct EvidenceRatio {
  double mean = 0;
  double se = 0;
  double z = 0;  // |mean − 1| / se; 0 when every ratio is exactly 1
};
EvidenceRatio evidence_ratio(const std::vector<double>& ratios);

// An empty string when (reps, draws, bins) make a valid design, else why
// not: bins must divide draws + 1 (equal bins), and reps / bins ≥ 5.
std::string check_design(int reps, int draws, int bins);

}  // namespace borel::sbc
