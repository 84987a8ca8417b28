// Smc.cpp — the population driver (see Smc.h).
#include "inference/Smc.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include "inference/Contexts.h"
#include "inference/Errors.h"
#include "inference/GcRoots.h"
#include "inference/Parallel.h"
#include "inference/Progress.h"
#include "inference/Sequential.h"
#include "inference/Streams.h"

namespace borel::inference {

namespace {

// Heap sizing (see reserve_heap): aim at one collection per 8 steps, but never
// reserve more than 512 MiB on this account.
constexpr uint64_t kStepsPerCollection = 8;
constexpr uint64_t kHeapCap = uint64_t{512} << 20;

void check(const SmcSettings& s) {
  if (s.particles < 1)
    throw method_error(s.method, "particles is " + std::to_string(s.particles) + ", but must be positive");
  if (!(s.ess_threshold >= 0))
    throw method_error(s.method, "ess_threshold is " + std::to_string(s.ess_threshold) +
                                     ", but must be a number >= 0");
}

}  // namespace

Population smc(rt::Model& model, const SmcSettings& s, uint64_t seed, int threads,
               Diagnostics* diagnostics) {
  check(s);
  rt::gc_init();
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t n = s.particles;
  Population pop(n);
  if (s.aux) pop.enable_aux();
  if (s.on_start) s.on_start(pop);

  std::vector<rt::Rng> rngs;
  rngs.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) rngs.push_back(particle_stream(seed, i));
  rt::Rng resampling_rng = resampling_stream(seed);

  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  WorkerPool pool(static_cast<int>(std::min<int64_t>(threads, n)));
  Contexts ctx(pool.size());
  std::vector<std::unique_ptr<InferenceHandler>> handlers;
  for (int k = 0; k < pool.size(); ++k) {
    if (s.make_handler) {
      handlers.push_back(s.make_handler());
    } else {
      auto h = std::make_unique<PriorHandler>();
      h->condition = s.condition;
      h->suspend = s.suspend;
      handlers.push_back(std::move(h));
    }
    handlers.back()->method = s.method;
    handlers.back()->model = &model;
  }

  Diagnostics local;
  Diagnostics& d = diagnostics ? *diagnostics : local;
  d = Diagnostics{};
  d.method = s.method;
  d.particles = n;

  std::vector<double> w(static_cast<size_t>(n));
  std::vector<int64_t> ancestors(static_cast<size_t>(n));
  std::vector<int64_t> running(static_cast<size_t>(pool.size()));
  const std::function<void(int, int64_t, int64_t)> sweep = [&](int k, int64_t b, int64_t e) {
    running[k] = advance_range(model, ctx[k], *handlers[k], pop, rngs.data(), b, e);
  };
  Progress progress(s.method, s.progress);

  for (;;) {
    const uint64_t allocated = gc_allocated_bytes();
    pool.for_chunks(n, sweep);
    ++d.steps;
    if (d.steps == 1) {
      // Size the heap from what one step allocated, so that the collector
      // runs about every kStepsPerCollection steps (see reserve_heap).
      const uint64_t per_step = gc_allocated_bytes() - allocated;
      reserve_heap(std::min<uint64_t>(kHeapCap, 3 * kStepsPerCollection * per_step));
    }
    const WeightStats ws = pop.weigh(w);
    if (std::isnan(ws.log_sum)) {
      const int64_t i = pop.first_nan();
      throw site_error(&model, pop.zero_sites()[i], s.method,
                       "particle " + std::to_string(i) + " has a NaN log-weight");
    }
    if (ws.log_sum == -std::numeric_limits<double>::infinity())
      throw site_error(&model, pop.zero_sites()[0], s.method,
                       "every one of the " + std::to_string(n) +
                           " particles has zero weight (no particle is consistent with the "
                           "observations)");
    d.ess.push_back(ws.ess);
    int64_t still = 0;
    for (int64_t r : running) still += r;
    progress.update(d.steps, ws.ess, n);
    if (still == 0) break;
    if (s.ess_threshold >= 1.0 || ws.ess < s.ess_threshold * static_cast<double>(n)) {
      resample(s.resampling, w, resampling_rng, ancestors, ws.total);
      if (s.conditional) {
        // Conditional multinomial resampling: the N i.i.d. draws less one
        // chosen uniformly (so the others stay i.i.d.; dropping, say, the
        // smallest of the sorted draws would bias them), and 0 for particle 0.
        const auto r = static_cast<int64_t>(resampling_rng.below(static_cast<uint64_t>(n)));
        ancestors[r] = ancestors[0];
        ancestors[0] = 0;
      }
      pop.resample(ancestors, ws.log_sum);
      ++d.resamplings;
      if (s.after_resample) s.after_resample(pop, d.steps);
    }
  }
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return pop;
}

}  // namespace borel::inference
