// Smc.cpp — the population driver (see Smc.h).
#include "inference/Smc.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "inference/Batched.h"
#include "inference/Contexts.h"
#include "inference/Errors.h"
#include "inference/GcRoots.h"
#include "inference/Parallel.h"
#include "inference/Progress.h"
#include "inference/Sequential.h"
#include "inference/Streams.h"
#include "runtime/ContinuationSpace.h"

namespace borel::inference {

namespace {

// Heap sizing (see reserve_heap): aim at one collection per 8 steps, but never
// reserve more than 512 MiB on this account.
constexpr uint64_t kStepsPerCollection = 8;
constexpr uint64_t kHeapCap = uint64_t{512} << 20;
// Small populations allocate little per step; below this heap size the
// collector's fixed cost per collection (waking its marker threads) would
// dominate, so the heap is never sized smaller.
constexpr uint64_t kHeapFloor = uint64_t{8} << 20;

void check(const SmcSettings& s) {
  require_at_least(s.method, "particles", s.particles, 1);
  if (!(s.ess_threshold >= 0))
    throw method_error(s.method, "ess_threshold is " + std::to_string(s.ess_threshold) +
                                     ", but must be a number >= 0");
}

int pool_size(int threads, int64_t n) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return static_cast<int>(std::min<int64_t>(threads, n));
}

}  // namespace

struct SmcRun::Impl {
  rt::Model& model;
  SmcSettings s;
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  Population pop;
  std::vector<rt::Rng> rngs;
  rt::Rng resampling_rng;
  WorkerPool pool;
  Contexts ctx;
  std::vector<std::unique_ptr<InferenceHandler>> handlers;
  Diagnostics local;
  Diagnostics& d;
  std::vector<double> w;
  std::vector<int64_t> ancestors, running;
  Progress progress;
  bool done = false;
  // Continuations recycled by generation (runtime/ContinuationSpace.h), one
  // arena per chunk of particles; empty when someone else may hold them.
  std::vector<std::unique_ptr<rt::ContinuationArena>> arenas;
  // Particles waiting for a batched language-model call (Batched.h): every
  // handler gets it; those that know how (the default one, the recording
  // handler of rmsmc and pgibbs, the θ-imposing one of pmmh and smc2) park.
  std::unique_ptr<Parking> parking;
  // Set by begin_step for end_step: what the first step allocated.
  uint64_t step_allocated = 0;
  int64_t step_arena_bytes = 0;

  Impl(rt::Model& m, const SmcSettings& settings, uint64_t seed, int threads, Diagnostics* diagnostics)
      : model(m), s(settings), pop(settings.particles), resampling_rng(resampling_stream(seed)),
        pool(pool_size(threads, settings.particles)), ctx(pool.size()), d(diagnostics ? *diagnostics : local),
        w(static_cast<size_t>(settings.particles)), ancestors(static_cast<size_t>(settings.particles)),
        running(static_cast<size_t>(pool.size())), progress(settings.method, settings.progress) {
    start_diagnostics(diagnostics, local, s.method, settings.particles);
    const int64_t n = s.particles;
    if (s.aux) pop.enable_aux();
    rngs.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) rngs.push_back(particle_stream(seed, i));
    for (int k = 0; k < pool.size(); ++k) {
      if (s.make_handler)
        handlers.push_back(s.make_handler());
      else
        handlers.push_back(std::make_unique<PriorHandler>(s.condition, s.suspend));
      if (s.batched) {
        if (!parking) parking = std::make_unique<Parking>(n);
        handlers.back()->parking = parking.get();
      }
      handlers.back()->method = s.method;
      handlers.back()->model = &model;
    }
    if (owns_continuations(s))
      for (int k = 0; k < pool.size(); ++k) arenas.push_back(std::make_unique<rt::ContinuationArena>());
    if (s.on_start) s.on_start(pop);
  }

  int64_t arena_bytes() const {
    int64_t b = 0;
    for (const auto& a : arenas) b += a->bytes();
    return b;
  }

  // Whether the population's slots are the only holders of the particles'
  // continuations, so that a step's continuations are dead two steps later:
  // none of the extension points can keep or read one, and a run never ends
  // with particles still suspended (which zero weights can do otherwise).
  static bool owns_continuations(const SmcSettings& s) {
    return !s.shared_continuations && !s.make_handler && !s.after_resample && !s.aux && !s.conditional &&
           !s.on_start && s.zero_weight_is_error;
  }
};

SmcRun::SmcRun(rt::Model& model, const SmcSettings& settings, uint64_t seed, int threads, Diagnostics* diagnostics) {
  check(settings);
  rt::gc_init();
  impl_ = std::make_unique<Impl>(model, settings, seed, threads, diagnostics);
}

SmcRun::~SmcRun() = default;

bool SmcRun::done() const { return impl_->done; }
int64_t SmcRun::steps() const { return impl_->d.steps; }
Population& SmcRun::population() { return impl_->pop; }
const Population& SmcRun::population() const { return impl_->pop; }
double SmcRun::log_evidence() const { return impl_->pop.log_evidence(); }

void SmcRun::copy_state(const SmcRun& other) {
  Impl& im = *impl_;
  if (!im.arenas.empty() || !other.impl_->arenas.empty())
    throw std::logic_error("SmcRun::copy_state: set SmcSettings::shared_continuations on both runs");
  im.pop.assign(other.impl_->pop);
  im.done = other.impl_->done;
  im.d.steps = other.impl_->d.steps;
  im.d.resamplings = other.impl_->d.resamplings;
  im.d.ess = other.impl_->d.ess;
  im.d.ess_before_resampling = other.impl_->d.ess_before_resampling;
}

Population SmcRun::finish() {
  Impl& im = *impl_;
  im.d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - im.t0).count();
  return std::move(im.pop);
}

void SmcRun::step() {
  if (impl_->done) return;
  begin_step();
  // The particles parked at a language model's next token: one batched call
  // for all of them, then on to their next suspension (where they may park
  // again: a step that draws several tokens takes several rounds).
  while (Parking* p = parked()) {
    p->prepare(impl_->model, impl_->s.method);
    complete_parked();
  }
  end_step();
}

void SmcRun::begin_step() {
  Impl& im = *impl_;
  // The first step's allocation sizes the heap (end_step).
  if (im.d.steps == 0) {
    im.step_allocated = gc_allocated_bytes();
    im.step_arena_bytes = im.arena_bytes();
  }
  for (auto& a : im.arenas) a->next_generation();
  im.pool.for_chunks(im.s.particles, [&im](int k, int64_t b, int64_t e) {
    std::optional<rt::UseContinuationSpace> arena;
    if (!im.arenas.empty()) arena.emplace(*im.arenas[k]);
    im.running[k] = advance_range(im.model, im.ctx[k], *im.handlers[k], im.pop, im.rngs.data(), b, e);
  });
}

Parking* SmcRun::parked() { return impl_->parking && impl_->parking->any() ? impl_->parking.get() : nullptr; }

void SmcRun::complete_parked() {
  Impl& im = *impl_;
  im.pool.for_chunks(im.s.particles, [&im](int k, int64_t b, int64_t e) {
    std::optional<rt::UseContinuationSpace> arena;
    if (!im.arenas.empty()) arena.emplace(*im.arenas[k]);
    im.running[k] = im.parking->complete_range(im.model, im.ctx[k], *im.handlers[k], im.pop, im.rngs.data(), b, e);
  });
}

void SmcRun::end_step() {
  Impl& im = *impl_;
  const SmcSettings& s = im.s;
  Population& pop = im.pop;
  Diagnostics& d = im.d;
  const int64_t n = s.particles;
  const bool first = d.steps == 0;
  ++d.steps;
  if (first) {
    // Size the heap from what one step allocated in it (continuations in
    // arenas aside: they are not collected), so that the collector runs
    // about every kStepsPerCollection steps (see reserve_heap).
    const uint64_t per_step =
        gc_allocated_bytes() - im.step_allocated - static_cast<uint64_t>(im.arena_bytes() - im.step_arena_bytes);
    if (per_step > 0 || im.arenas.empty())
      reserve_heap(std::min<uint64_t>(kHeapCap, std::max<uint64_t>(kHeapFloor, 3 * kStepsPerCollection * per_step)));
  }
  const WeightStats ws = pop.weigh(im.w);
  if (std::isnan(ws.log_sum)) {
    const int64_t i = pop.first_nan();
    throw site_error(&im.model, pop.zero_sites()[i], s.method,
                     "particle " + std::to_string(i) + " has a NaN log-weight");
  }
  if (ws.log_sum == -std::numeric_limits<double>::infinity()) {
    if (!s.zero_weight_is_error) {
      im.done = true;
      return;
    }
    throw site_error(&im.model, pop.zero_sites()[0], s.method,
                     "every one of the " + std::to_string(n) +
                         " particles has zero weight (no particle is consistent with the "
                         "observations)");
  }
  d.ess.push_back(ws.ess);
  int64_t still = 0;
  for (int64_t r : im.running) still += r;
  im.progress.update(d.steps, ws.ess, n);
  if (still == 0) {
    im.done = true;
    return;
  }
  if (s.ess_threshold >= 1.0 || ws.ess < s.ess_threshold * static_cast<double>(n)) {
    resample(s.resampling, im.w, im.resampling_rng, im.ancestors, ws.total);
    if (s.conditional) {
      // Conditional multinomial resampling: the N i.i.d. draws less one
      // chosen uniformly (so the others stay i.i.d.; dropping, say, the
      // smallest of the sorted draws would bias them), and 0 for particle 0.
      const auto r = static_cast<int64_t>(im.resampling_rng.below(static_cast<uint64_t>(n)));
      im.ancestors[r] = im.ancestors[0];
      im.ancestors[0] = 0;
    }
    pop.resample(im.ancestors, ws.log_sum);
    ++d.resamplings;
    d.ess_before_resampling = s.after_resample ? std::numeric_limits<double>::quiet_NaN() : ws.ess;
    if (s.after_resample) s.after_resample(pop, d.steps);
  }
}

Population smc(rt::Model& model, const SmcSettings& s, uint64_t seed, int threads, Diagnostics* diagnostics) {
  SmcRun run(model, s, seed, threads, diagnostics);
  while (!run.done()) run.step();
  return run.finish();
}

}  // namespace borel::inference
