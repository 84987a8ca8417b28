// Output.h — writing an inferred distribution's samples and weights.
//
// CSV: a header row with one column per scalar component (Components.h, the
// same names as summary) and a last column `weight`; one row per particle;
// reals with 17 significant digits (round-trip), ints in decimal, bools as
// 1/0, missing components (shorter arrays) as empty fields. Weights are the
// normalised weights (Σ = 1). MCMC results (mh, pgibbs, pmmh) are laid out as
// Stan's draws: two first columns `chain__` and `draw__` (both from 1), one
// row per draw, chain-major; their weights are all equal (1 / draws).
// E.g. `chain__,draw__,mu,sigma,weight`. NUTS adds Stan's sampler columns
// after those two: lp__, accept_stat__, stepsize__, treedepth__,
// n_leapfrog__, divergent__, energy__ (as cmdstan writes them).
// JSON: one object {"method", "particles", "steps", "resamplings",
// "log_evidence" (null when none), "ess" (per step), "type", "values" (the
// values as JSON: arrays and tuples as arrays, records as objects, strings
// as strings, non-finite reals as null), "weights"}.
#pragma once

#include <string>

#include "runtime/Dist.h"
#include "runtime/TypeDesc.h"

namespace borel::inference {

std::string to_csv(const rt::Dist& empirical, const rt::TypeDesc& t, const std::string& root = "x");
std::string to_json(const rt::Dist& empirical, const rt::TypeDesc& t);
// Writes CSV or JSON by the file name's extension (.csv, .json); raises
// rt::RuntimeError for another extension, a Dist that is not an `infer`
// result, or a file that cannot be written.
void write_samples(const rt::Dist& empirical, const rt::TypeDesc& t, const std::string& path);
// Raises rt::RuntimeError when write_samples could not write `path` (its
// extension, or a file that cannot be opened for writing), without
// changing an existing file: checked before a run, so that a long run is
// not lost to a mistyped path.
void check_output_path(const std::string& path);

}  // namespace borel::inference
