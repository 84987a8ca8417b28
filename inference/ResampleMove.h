// ResampleMove.h — resample-move SMC: SMC with MCMC rejuvenation.
//
// The SMC driver (Smc.h) with a RecordingHandler (Traced.h: each particle
// keeps its list of choices) and, after every resampling at step t, `moves`
// MH transitions (Kernels.h; single-site kernels make one move per
// transition) on each particle, targeting the program run up to its t-th
// observe/factor (or its end): p(x_{1:t}) Π_{s≤t} g_s. The moves keep the
// weights (all equal after resampling) and the evidence estimate unbiased.
// Moves run in parallel over particles, particle i on its own stream (seeded
// from the run's seed and i): reproducible for any number of threads. After
// each step's moves, kernels that adapt across the population (nuts: its
// step size, NutsKernel.h) pool what the moves saw, in particle order
// (Kernel::pool); before them, kernels that tune on the population about to
// be moved (nuts: its metric) survey it, one replay per particle
// (Kernel::survey, prepare). A kernel that needs whole runs (nuts) is
// refused with lag > 0.
//
// Scope and cost. With lag = 0 the moves may change every choice: each
// replays the particle's program from the start (length O(t)), so a run
// costs O(T² N · moves) for T observes. With lag = L > 0 they change only
// the choices made after the particle's newest checkpoint at least L steps
// old, and restart from the continuation saved there (Traced.h), with the
// earlier choices fixed — MH on a block of the variables given the others,
// which leaves the same target invariant: O(T N L · moves). A checkpoint is
// saved at every rejuvenation, so the window spans L to 2L − 1 steps when
// every step resamples. The usual choice for long state-space models; it
// never moves choices older than the window (a static parameter drawn at
// the start is only rejuvenated during the first L steps).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inference/Diagnostics.h"
#include "inference/Population.h"
#include "inference/Smc.h"
#include "runtime/Model.h"

namespace borel::inference {

struct ResampleMoveSettings {
  ResampleMoveSettings() { smc.ess_threshold = 0.5; }  // rmsmc's default: adaptive
  SmcSettings smc;           // particles, resampling, ess_threshold (0.5)
  int64_t moves = 1;         // MH transitions per particle after each resampling
  std::string kernel = "rw"; // Kernels.h
  int64_t lag = 0;           // 0: moves over every choice; L > 0: fixed-lag (see above)
  std::string metric = "diag";  // the "nuts" kernel's metric, from the population (NutsKernel.h)
};

Population resample_move(rt::Model& model, const ResampleMoveSettings& settings, uint64_t seed, int threads = 1,
                         Diagnostics* diagnostics = nullptr);

// Rejuvenation: `moves` transitions of `kernel` on each particle of a
// population run with a RecordingHandler recording into aux, targeting the
// runs up to their `step`-th observe/factor. Used by resample_move and
// particle methods that need moves; owns its threads, contexts and the
// per-slot move streams.
class Rejuvenator {
 public:
  Rejuvenator(rt::Model& model, int64_t particles, int64_t moves, std::string kernel, uint64_t seed, int threads,
              const char* method, int64_t lag = 0, const std::string& metric = "diag");
  ~Rejuvenator();
  void operator()(Population& pop, int64_t step);
  // Acceptance rate of the moves so far (NaN when none).
  double acceptance() const;

 private:
  struct Impl;
  Impl* impl_ = nullptr;
};

}  // namespace borel::inference
