// GmmRj.h — reversible-jump (Metropolis–Hastings–Green) moves for mixture
// models whose number of components is random: the kernel "gmm_rj".
//
// The choices it reads (anything else in the trace is left to other kernels,
// e.g. "rw+gmm_rj"):
//   * the count: the first integer-valued choice of the run (e.g. K − 1 ~
//     poisson(2)); the program must make one more component when it is one
//     larger;
//   * the weights: the first site hit after the count, hit K times (positive
//     reals, unnormalised, e.g. gamma(1, 1) draws normalised by the model);
//   * the means: the next site, also hit K times (reals).
// Component k is the pair of choices ((weight site, k), (mean site, k)).
//
// Each iteration makes three moves, each reversible on its own:
//   swap         exchange component j < K−1 with the last one (a relabelling,
//                an involution: α = p(T')/p(T));
//   birth/death  (probability 1/2 each) append a component drawn from its prior
//                by the replay / remove the last one;
//   split/merge  (probability 1/2 each) split component j into j and a new
//                last one, or merge component j < K−1 with the last one,
//                matching weight and weighted mean (Richardson & Green 1997).
// The acceptance ratios are derived in docs/inference.md. A proposal from
// which the program does not make exactly K ± 1 components is rejected.
#pragma once

#include <memory>

#include "inference/Kernels.h"

namespace borel::inference {

// Spread of a split: the new means are mu ∓ u2·tau·sqrt(g2/g1 | g1/g2) with
// u2 ~ N(0, 1); about the components' own sd suits well-separated clusters.
constexpr double kGmmSplitTau = 1.5;

std::unique_ptr<Kernel> make_gmm_rj_kernel();

}  // namespace borel::inference
