// SbcStats.cpp — see SbcStats.h.
#include "SbcStats.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>

namespace borel::sbc {

RankHistogram rank_histogram(const std::vector<int>& ranks, int draws, int bins) {
  RankHistogram h;
  h.counts.assign(static_cast<size_t>(bins), 0);
  const int width = (draws + 1) / bins;
  for (int r : ranks) {
    if (r < 0 || r > draws) throw std::runtime_error("rank " + std::to_string(r) + " outside 0.." + std::to_string(draws));
    ++h.counts[static_cast<size_t>(r / width)];
  }
  const double expected = static_cast<double>(ranks.size()) / bins;
  for (int c : h.counts) h.chi_square += (c - expected) * (c - expected) / expected;
  return h;
}

double chi_square_threshold(int df, double alpha) {
  boost::math::chi_squared_distribution<double> d(df);
  return boost::math::quantile(boost::math::complement(d, alpha));
}

double two_sided_normal_threshold(double alpha) {
  boost::math::normal_distribution<double> d(0.0, 1.0);
  return boost::math::quantile(boost::math::complement(d, alpha / 2));
}

EvidenceRatio evidence_ratio(const std::vector<double>& ratios) {
  EvidenceRatio e;
  const double n = static_cast<double>(ratios.size());
  for (double r : ratios) e.mean += r;
  e.mean /= n;
  double ss = 0;
  for (double r : ratios) ss += (r - e.mean) * (r - e.mean);
  e.se = ratios.size() > 1 ? std::sqrt(ss / (n - 1) / n) : 0.0;
  const double dev = std::abs(e.mean - 1.0);
  // Exact methods (enumerate) give Ẑ = Z up to rounding: se = 0, and a
  // deviation beyond rounding is an error of infinitely many sds.
  if (e.se == 0) e.z = dev < 1e-9 ? 0.0 : std::numeric_limits<double>::infinity();
  else e.z = dev / e.se;
  if (std::isnan(e.mean)) e.z = std::numeric_limits<double>::infinity();
  return e;
}

std::string check_design(int reps, int draws, int bins) {
  if (bins < 2) return "bins must be at least 2";
  if ((draws + 1) % bins != 0)
    return "bins (" + std::to_string(bins) + ") must divide draws + 1 (" + std::to_string(draws + 1) + ")";
  if (reps < 5 * bins)
    return "replications (" + std::to_string(reps) + ") must be at least 5 per bin (" + std::to_string(5 * bins) + ")";
  return "";
}

}  // namespace borel::sbc
