// ParticleGibbs.cpp — conditional SMC sweeps (see ParticleGibbs.h).
#include "inference/ParticleGibbs.h"

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "inference/Errors.h"
#include "inference/GcRoots.h"
#include "inference/Parallel.h"
#include "inference/Smc.h"
#include "inference/Traced.h"

namespace borel::inference {

Population particle_gibbs(rt::Model& model, const ParticleGibbsSettings& ps, uint64_t seed, int threads,
                          Diagnostics* diagnostics) {
  require_at_least(ps.method, "particles", ps.particles, 2);
  require_at_least(ps.method, "samples", ps.samples, 1);
  require_at_least(ps.method, "warmup", ps.warmup, 0);
  require_at_least(ps.method, "chains", ps.chains, 1);
  rt::gc_init();
  const auto t0 = std::chrono::steady_clock::now();
  Population out(ps.samples * ps.chains);
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  WorkerPool pool(static_cast<int>(std::min<int64_t>(threads, ps.chains)));
  pool.for_chunks(ps.chains, [&](int, int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      rt::Rng rng(seed, 1 + static_cast<uint64_t>(c));
      ValueMap reference;   // its values stay reachable through `keep`
      RootArray keep(1);
      bool have_reference = false;
      std::vector<std::pair<Address, rt::Word>> choices;
      std::vector<double> w(static_cast<size_t>(ps.particles));
      for (int64_t it = 0; it < ps.warmup + ps.samples; ++it) {
        SmcSettings s;
        s.particles = ps.particles;
        s.resampling = Resampling::Multinomial;
        s.ess_threshold = 1.0;
        s.method = ps.method;
        s.aux = true;
        s.conditional = have_reference;
        s.batched = ps.batched;
        const ValueMap* ref = have_reference ? &reference : nullptr;
        const char* method = ps.method;
        s.make_handler = [ref, method] {
          auto h = std::make_unique<RecordingHandler>();
          h->reference = ref;
          h->method = method;
          return std::unique_ptr<InferenceHandler>(std::move(h));
        };
        Population pop = smc(model, s, rng.next_u64(), 1);
        const WeightStats ws = pop.normalise(w);
        (void)ws;
        // Draw the next reference by final weight.
        double u = rng.uniform(), acc = 0.0;
        int64_t j = -1;  // rounding may leave u above the total: the last particle of positive weight
        for (int64_t i = 0; i < ps.particles; ++i) {
          if (!(w[static_cast<size_t>(i)] > 0)) continue;
          acc += w[static_cast<size_t>(i)];
          j = i;
          if (u < acc) {
            j = i;
            break;
          }
        }
        keep[0] = pop.aux()[j];
        list_choices(rt::to_ptr<const TraceNode>(pop.aux()[j]), choices);
        reference.clear();
        for (const auto& [a, v] : choices) reference[a] = v;
        have_reference = true;
        if (it >= ps.warmup) {
          const int64_t slot = c * ps.samples + (it - ps.warmup);
          out.slots()[slot] = pop.slots()[j];
          out.status()[slot] = Status::Done;
        }
      }
    }
  });
  Diagnostics local;
  Diagnostics& d = start_diagnostics(diagnostics, local, ps.method, out.size(), ps.chains);
  d.steps = ps.warmup + ps.samples;
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace borel::inference
