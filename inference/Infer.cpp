// Infer.cpp — dispatch from a Method to the algorithm (see Infer.h).
#include "inference/Infer.h"

#include <cmath>
#include <limits>

#include "inference/Empirical.h"
#include "inference/Enumerate.h"
#include "inference/Mcmc.h"
#include "inference/ParticleGibbs.h"
#include "inference/Pmmh.h"
#include "inference/ResampleMove.h"
#include "inference/Errors.h"
#include "inference/Forward.h"
#include "inference/Importance.h"
#include "inference/Smc.h"
#include "inference/Smc2.h"

namespace borel::inference {

rt::Dist* infer(const Method& m, rt::Model& model, const rt::TypeDesc& value_type, uint64_t seed,
                int threads) {
  Diagnostics diag;
  if (m.name == "smc") {
    SmcSettings s;
    s.particles = m.particles;
    s.resampling = parse_resampling(m.resampling, "smc");
    s.ess_threshold = m.ess_threshold.value_or(1.0);
    s.progress = m.progress;
    Population pop = smc(model, s, seed, threads, &diag);
    return make_empirical(pop, &value_type, diag, pop.log_evidence());
  }
  if (m.name == "importance") {
    Population pop = importance(model, m.particles, seed, threads, &diag, m.progress);
    return make_empirical(pop, &value_type, diag, pop.log_evidence());
  }
  if (m.name == "prior") {
    Population pop = forward(model, m.particles, seed, threads, &diag, m.progress);
    return make_empirical(pop, &value_type, diag, std::numeric_limits<double>::quiet_NaN());
  }
  if (m.name == "mh") {
    McmcSettings s;
    s.samples = m.samples;
    s.warmup = m.warmup;
    s.chains = m.chains;
    s.thin = m.thin;
    s.kernel = m.kernel;
    s.metric = m.metric;
    s.progress = m.progress;
    Population pop = mcmc(model, s, seed, threads, &diag);
    return make_empirical(pop, &value_type, diag, std::numeric_limits<double>::quiet_NaN());
  }
  if (m.name == "enumerate") {
    EnumerateSettings s;
    s.max_executions = m.max_executions;
    s.max_depth = m.max_depth;
    Population pop = enumerate(model, s, seed, &diag);
    return make_empirical(pop, &value_type, diag, pop.log_evidence() + std::log(static_cast<double>(pop.size())));
  }
  if (m.name == "rmsmc") {
    ResampleMoveSettings s;
    s.smc.particles = m.particles;
    s.smc.resampling = parse_resampling(m.resampling, "rmsmc");
    s.smc.ess_threshold = m.ess_threshold.value_or(0.5);
    s.smc.progress = m.progress;
    s.smc.method = "rmsmc";
    s.moves = m.moves;
    s.kernel = m.kernel;
    s.lag = m.lag;
    s.metric = m.metric;
    Population pop = resample_move(model, s, seed, threads, &diag);
    return make_empirical(pop, &value_type, diag, pop.log_evidence());
  }
  if (m.name == "pgibbs") {
    ParticleGibbsSettings s;
    s.particles = m.particles;
    s.samples = m.samples;
    s.warmup = m.warmup;
    s.chains = m.chains;
    Population pop = particle_gibbs(model, s, seed, threads, &diag);
    return make_empirical(pop, &value_type, diag, std::numeric_limits<double>::quiet_NaN());
  }
  if (m.name == "pmmh") {
    PmmhSettings s;
    s.particles = m.particles;
    s.samples = m.samples;
    s.warmup = m.warmup;
    s.chains = m.chains;
    s.params = m.params;
    Population pop = pmmh(model, s, seed, threads, &diag);
    return make_empirical(pop, &value_type, diag, std::numeric_limits<double>::quiet_NaN());
  }
  if (m.name == "smc2") {
    Smc2Settings s;
    s.particles = m.particles;
    s.inner_particles = m.inner_particles;
    s.moves = m.moves;
    s.params = m.params;
    s.resampling = parse_resampling(m.resampling, "smc2");
    s.ess_threshold = m.ess_threshold.value_or(0.5);
    s.progress = m.progress;
    Population pop = smc2(model, s, seed, threads, &diag);
    return make_empirical(pop, &value_type, diag, pop.log_evidence());
  }
  throw method_error("infer", "unknown method '" + m.name +
                                  "' (expected smc, importance, prior, mh, enumerate, rmsmc, pgibbs, pmmh or smc2)");
}

}  // namespace borel::inference
