// NutsDriver.cpp — see NutsDriver.h.
#include "inference/NutsDriver.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "inference/Errors.h"
#include "inference/ModelGradient.h"
#include "inference/Parallel.h"
#include "inference/Progress.h"
#include "inference/Streams.h"
#include "inference/Format.h"
#include "runtime/Value.h"

namespace borel::inference {

namespace {

struct ChainSummary {
  double step_size = 0, mean_accept = 0, mean_depth = 0, ebfmi = 0;
  int64_t divergences = 0, max_depth_hits = 0, moved = 0, gradient_evaluations = 0, rejections = 0;
  std::string first_rejection;
};

// E-BFMI (Betancourt 2016): the energy's step-to-step variance over its
// marginal variance; below 0.3 the momentum resampling cannot move the
// chain through the energy levels of the posterior (heavy tails).
double ebfmi(const std::vector<NutsDrawStats>& st) {
  if (st.size() < 2) return NAN;
  double mean = 0;
  for (const auto& s : st) mean += s.energy;
  mean /= static_cast<double>(st.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < st.size(); ++i) {
    den += (st[i].energy - mean) * (st[i].energy - mean);
    if (i > 0) num += (st[i].energy - st[i - 1].energy) * (st[i].energy - st[i - 1].energy);
  }
  return den > 0 ? num / den : NAN;
}

}  // namespace

Population nuts_run(rt::Model& model, const NutsRunSettings& s, uint64_t seed, int threads, Diagnostics* diagnostics) {
  validate_nuts_settings(s.nuts);
  require_at_least("nuts", "chains", s.chains, 1);
  rt::gc_init();
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t per = s.nuts.samples, n = per * s.chains;
  Population pop(n);
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  WorkerPool pool(static_cast<int>(std::min<int64_t>(threads, s.chains)));
  std::vector<ChainSummary> summaries(static_cast<size_t>(s.chains));
  constexpr int kStats = 7;  // Stan's sampler columns, below
  std::vector<double> draw_stats(static_cast<size_t>(n * kStats));
  const int64_t total = (static_cast<int64_t>(s.nuts.warmup) + per) * s.chains;
  std::atomic<int64_t> done{0};
  Progress progress("nuts", s.progress);

  pool.for_chunks(s.chains, [&](int k, int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      rt::Rng rng = particle_stream(seed, c);
      ModelGradient target(model, "nuts");
      const std::vector<double> q0 = nuts_initial_point(target, rng);
      const NutsChainResult r = nuts_chain(target, rng, q0, s.nuts, [&](int, int) {
        const int64_t d = ++done;
        if (k == 0) progress.update_iterations(d, total);
      });
      const size_t dim = target.dimension();
      for (int64_t d = 0; d < per; ++d) {
        const int64_t slot = c * per + d;
        pop.slots()[slot] = target.result(r.draws.data() + static_cast<size_t>(d) * dim);
        pop.status()[slot] = Status::Done;
        const NutsDrawStats& st = r.stats[static_cast<size_t>(d)];
        double* row = draw_stats.data() + slot * kStats;
        row[0] = st.lp;
        row[1] = st.accept_stat;
        row[2] = st.stepsize;
        row[3] = st.treedepth;
        row[4] = st.n_leapfrog;
        row[5] = st.divergent;
        row[6] = st.energy;
      }
      ChainSummary& cs = summaries[static_cast<size_t>(c)];
      cs.step_size = r.step_size;
      cs.divergences = r.divergences;
      cs.max_depth_hits = r.max_depth_hits;
      cs.gradient_evaluations = r.gradient_evaluations;
      cs.ebfmi = ebfmi(r.stats);
      for (size_t d = 0; d < r.stats.size(); ++d) {
        cs.mean_accept += r.stats[d].accept_stat / static_cast<double>(r.stats.size());
        cs.mean_depth += r.stats[d].treedepth / static_cast<double>(r.stats.size());
        const bool same = d > 0 && std::equal(r.draws.begin() + static_cast<long>(d * dim),
                                              r.draws.begin() + static_cast<long>((d + 1) * dim),
                                              r.draws.begin() + static_cast<long>((d - 1) * dim));
        cs.moved += !same;
      }
      cs.rejections = target.rejections();
      cs.first_rejection = target.first_rejection();
    }
  });

  Diagnostics local;
  Diagnostics& d = start_diagnostics(diagnostics, local, "nuts", n, s.chains);
  d.steps = s.nuts.warmup + per;
  double accept = 0, depth = 0;
  int64_t divergences = 0, depth_hits = 0, grads = 0, rejections = 0;
  std::string steps, low_bfmi, first_rejection;
  for (size_t c = 0; c < summaries.size(); ++c) {
    const ChainSummary& cs = summaries[c];
    accept += cs.mean_accept / static_cast<double>(s.chains);
    depth += cs.mean_depth / static_cast<double>(s.chains);
    divergences += cs.divergences;
    depth_hits += cs.max_depth_hits;
    grads += cs.gradient_evaluations;
    rejections += cs.rejections;
    if (first_rejection.empty()) first_rejection = cs.first_rejection;
    steps += (c ? ", " : "") + fmt("%.3g", cs.step_size);
    if (cs.ebfmi < 0.3) low_bfmi += (low_bfmi.empty() ? "" : ", ") + std::to_string(c + 1) + " (" + fmt("%.2f", cs.ebfmi) + ")";
    d.chain_accepted.push_back(cs.moved);
  }
  d.acceptance.emplace_back("mean accept_stat", accept);
  d.draw_stat_names = "lp__,accept_stat__,stepsize__,treedepth__,n_leapfrog__,divergent__,energy__";
  d.draw_stats = std::move(draw_stats);
  d.notes = "step size: " + steps + "; mean tree depth " + fmt("%.2f", depth) + "; " + std::to_string(grads) +
            " gradient evaluations\n";
  if (rejections > 0)
    d.notes += std::to_string(rejections) + " points rejected for invalid parameters, e.g. " + first_rejection + "\n";
  const std::string of = " of " + std::to_string(n) + " transitions after warm-up";
  if (divergences > 0)
    d.warnings += "warning: " + std::to_string(divergences) + of +
                  " diverged: the posterior has curvature the step size cannot follow, so the draws may be biased; "
                  "reparameterise (e.g. non-centred) or raise target_accept\n";
  if (depth_hits > 0)
    d.warnings += "warning: " + std::to_string(depth_hits) + of + " stopped at max_depth = " +
                  std::to_string(s.nuts.max_depth) + ": an efficiency problem (raise max_depth or reparameterise)\n";
  if (!low_bfmi.empty())
    d.warnings += "warning: E-BFMI below 0.3 in chain(s) " + low_bfmi +
                  ": the momenta cannot explore the posterior's energy levels (heavy tails); reparameterise\n";
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return pop;
}

}  // namespace borel::inference
