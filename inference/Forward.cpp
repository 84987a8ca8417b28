// Forward.cpp — forward sampling as a setting of the SMC driver.
#include "inference/Forward.h"

#include "inference/Smc.h"

namespace borel::inference {

Population forward(rt::Model& model, int64_t samples, uint64_t seed, int threads,
                   Diagnostics* diagnostics, bool progress) {
  SmcSettings s;
  s.particles = samples;
  s.suspend = false;
  s.condition = false;
  s.ess_threshold = 0.0;
  s.method = "prior";
  s.progress = progress;
  return smc(model, s, seed, threads, diagnostics);
}

}  // namespace borel::inference
