// FittedGuide.h — the result of `vi(objective, guide, model, optimiser)`:
// the guide with its fitted parameters, as a distribution over the guide's
// values (decision 3: inference returns a Dist).
//
//   sample       runs the guide afresh with the fitted parameters (its own
//                randomness from the caller's stream);
//   log_density  defined for a guide that makes one choice and returns its
//                value (`fn() { sample(normal(param(..), ..), "mu") }`),
//                the usual shape of a proposal (`guided(prior, q)`): the
//                log-density of that choice at x; any other guide raises
//                rt::RuntimeError saying why (a value of a many-choice guide
//                has no density the program can compute);
//   mean/variance, summary, samples, weights, ess
//                those of output_draws draws made at the end of the fit
//                (an equal-weight empirical distribution, Empirical.h), whose
//                summary lists the parameters, the objective's trace and the
//                draws' importance diagnostics (ELBO, log evidence, Pareto k̂).
// param_value(q, name) reads a fitted parameter (constrained).
#pragma once

#include <string>

#include "inference/Empirical.h"
#include "inference/ParamStore.h"
#include "runtime/Dist.h"
#include "runtime/Model.h"

namespace borel::inference {

extern const rt::DistOps fitted_guide_ops;

struct FittedGuideData {
  rt::Dist* draws;     // the empirical distribution of the final draws (scanned)
  rt::Word closure;    // the guide program (scanned: keeps `model` valid)
  rt::Model* model;    // runs `closure`; owned (deleted by the collector's finaliser)
  ParamStore* params;  // the fitted parameters; owned
};

// Takes ownership of `model` and `params`.
rt::Dist* make_fitted_guide(rt::Dist* draws, rt::Word closure, rt::Model* model, ParamStore* params);
const FittedGuideData* fitted_guide_data(const rt::Dist& d);

// The fitted value of parameter `name`; rt::RuntimeError when d is not a
// fitted guide or has no such parameter (the message lists them).
double fitted_param(const rt::Dist& d, const std::string& name);

}  // namespace borel::inference
