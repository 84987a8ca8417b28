// Forward.h — forward sampling: independent draws from the program's prior.
//
// Each of N particles runs the program to its end, drawing every `sample`
// from its distribution and ignoring observes and factors; every particle has
// weight 1/N. Use it for prior draws, and for predictive draws by sampling
// from a posterior (an `infer` result) inside the program. There is no
// evidence estimate. The SMC driver (Smc.h) with condition = false.
#pragma once

#include <cstdint>

#include "inference/Diagnostics.h"
#include "inference/Population.h"
#include "runtime/Model.h"

namespace borel::inference {

Population forward(rt::Model& model, int64_t samples, uint64_t seed, int threads = 1,
                   Diagnostics* diagnostics = nullptr, bool progress = false);

}  // namespace borel::inference
