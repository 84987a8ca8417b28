// AdviDriver.cpp — see AdviDriver.h.
#include "inference/AdviDriver.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <vector>

#include "inference/Errors.h"
#include "inference/ModelGradient.h"
#include "inference/Progress.h"
#include "inference/Streams.h"
#include "inference/Format.h"
#include "runtime/Value.h"

namespace borel::inference {

Population advi_run(rt::Model& model, const AdviRunSettings& s, uint64_t seed, Diagnostics* diagnostics,
                    double* log_evidence) {
  require_at_least("advi", "samples", s.advi.output_draws, 1);
  rt::gc_init();
  const auto t0 = std::chrono::steady_clock::now();
  rt::Rng rng = particle_stream(seed, 0);
  ModelGradient target(model, "advi");
  const std::vector<double> init(target.dimension(), 0.0);
  Progress progress("advi", s.progress);
  const AdviResult r =
      advi(target, rng, init, s.advi, [&](int done, int total) { progress.update_iterations(done, total); });

  const int64_t n = s.advi.output_draws;
  const size_t dim = target.dimension();
  Population pop(n);
  for (int64_t d = 0; d < n; ++d) {
    pop.slots()[d] = target.result(r.draws.data() + static_cast<size_t>(d) * dim);
    pop.status()[d] = Status::Done;
  }
  *log_evidence = log_mean_exp(r.log_weights.data(), static_cast<int64_t>(r.log_weights.size()));

  Diagnostics local;
  Diagnostics& d = start_diagnostics(diagnostics, local, "advi", n);
  d.steps = r.iterations;
  d.notes = std::string(s.advi.family == AdviFamily::MeanField ? "mean-field" : "full-rank") + " Gaussian, ELBO " +
            fmt("%.4g", r.elbo) + " after " + std::to_string(r.iterations) + " iterations (" +
            (r.converged ? "converged" : "not converged") + "), step size " + fmt("%.3g", r.step_size) +
            (r.restarts ? " (" + std::to_string(r.restarts) + (r.restarts == 1 ? " restart" : " restarts") +
                              " at a tenth of the step)"
                        : "") +
            (r.preconditioned ? ", the mean whitened by the curvature (condition number " + fmt("%.3g", r.condition) + ")"
                              : "") +
            ", " + std::to_string(r.gradient_evaluations) + " gradient evaluations; Pareto k " + fmt("%.2f", r.pareto_k) +
            "\n";
  if (!r.converged)
    d.warnings += "warning: advi stopped at max_iterations = " + std::to_string(s.advi.max_iterations) +
                  " before the relative change of the ELBO fell below tol_rel_obj\n";
  if (r.pareto_k > 0.7)
    d.warnings += "warning: Pareto k = " + fmt("%.2f", r.pareto_k) +
                  " > 0.7: the variational approximation is far from the posterior (its spread and tails are not "
                  "to be trusted); use nuts, or family = \"fullrank\"\n";
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return pop;
}

}  // namespace borel::inference
