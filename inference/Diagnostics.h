// Diagnostics.h — what a population-based run reports about itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace borel::inference {

struct Diagnostics {
  std::string method;          // "smc", "importance", "prior"
  int64_t particles = 0;
  int64_t steps = 0;           // sweeps: suspensions + the final one
  int64_t resamplings = 0;     // how many steps resampled
  std::vector<double> ess;     // Kish ESS of the weights after each step, before resampling
  double seconds = 0.0;        // wall time of the run
};

}  // namespace borel::inference
