// ParetoK.h — the Pareto-smoothed importance sampling diagnostic k̂
// (Vehtari, Simpson, Gelman, Yao & Gabry 2024, "Pareto smoothed importance
// sampling", JMLR 25(72)), computed as the R package `loo` computes it.
//
// Given log importance weights log w_s = log p(x_s) - log q(x_s) (any
// additive constant), k̂ is the shape of a generalised Pareto distribution
// fitted to the M = min(ceil(n / 5), ceil(3 sqrt(n))) largest weights, as
// exceedances over the (M+1)-th largest, by Zhang & Stephens' (2009)
// empirical-Bayes estimator (a grid of 30 + floor(sqrt(M)) points, prior
// parameter 3), then shrunk towards 0.5 by the weakly informative prior:
// k̂ = (k M + 10 * 0.5) / (M + 10).
// Reading (Vehtari et al. 2024): k̂ < 0.5 (or 0.7 with enough draws) the
// importance sampling estimate, and q as an approximation of p, are
// reliable; k̂ > 0.7 they are not.
// Returns NaN when k̂ is undefined: fewer than 5 tail draws (n < 21), a
// log-weight that is NaN or +inf, or a tail whose weights are all equal.
// Weights of -inf (p = 0) are allowed. Deterministic.
#pragma once

#include <span>

namespace borel::inference {

double pareto_k(std::span<const double> log_weights);

// The Zhang & Stephens (2009) estimate of the generalised Pareto shape k
// (k > 0: heavy tail) from exceedances x (all >= 0, sorted ascending), before
// the prior adjustment; exposed for tests. NaN for fewer than 2 values.
double gpd_shape_zhang_stephens(std::span<const double> sorted_exceedances);

}  // namespace borel::inference
