// Importance.cpp — likelihood weighting as a setting of the SMC driver.
#include "inference/Importance.h"

#include "inference/Smc.h"

namespace borel::inference {

Population importance(rt::Model& model, int64_t particles, uint64_t seed, int threads,
                      Diagnostics* diagnostics, bool progress) {
  SmcSettings s;
  s.particles = particles;
  s.suspend = false;
  s.ess_threshold = 0.0;
  s.method = "importance";
  s.progress = progress;
  return smc(model, s, seed, threads, diagnostics);
}

}  // namespace borel::inference
