// Diagnostics.h — what a run reports about itself.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace borel::inference {

struct Diagnostics {
  std::string method;          // "smc", "importance", "prior", "mh", ...
  int64_t particles = 0;       // particles, or draws in all (MCMC)
  int64_t steps = 0;           // sweeps: suspensions + the final one (MCMC: iterations per chain)
  int64_t resamplings = 0;     // how many steps resampled
  std::vector<double> ess;     // Kish ESS of the weights after each step, before resampling
  // Kish ESS of the weights just before the last resampling, when no move
  // rejuvenated the particles after it (NaN otherwise): the resampled
  // particles are copies of about this many, however equal their weights.
  double ess_before_resampling = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0.0;        // wall time of the run
  // MCMC (chains > 0): the draws are chain-major, particles / chains per chain.
  int64_t chains = 0;
  std::vector<std::pair<std::string, double>> acceptance;  // per kind of move, after warm-up
  std::vector<int64_t> chain_accepted;                      // accepted moves per chain, after warm-up
  // Lines the summary prints under the header (a method's own figures: NUTS
  // step sizes and tree depths, ADVI's ELBO), and warnings it prints at the
  // end (divergences, a poor variational fit); each line ends in '\n'.
  std::string notes;
  std::string warnings;
  // Per-draw sampler statistics written as extra CSV columns (NUTS: Stan's
  // lp__, accept_stat__, ...): the comma-separated names, and one row of
  // values per draw, in the population's order.
  std::string draw_stat_names;
  std::vector<double> draw_stats;
};

// The record a method fills: the caller's (`given`) or else `scratch`,
// reset and labelled with the method, its number of draws and of chains.
inline Diagnostics& start_diagnostics(Diagnostics* given, Diagnostics& scratch, std::string method, int64_t particles,
                                      int64_t chains = 0) {
  Diagnostics& d = given ? *given : scratch;
  d = Diagnostics{};
  d.method = std::move(method);
  d.particles = particles;
  d.chains = chains;
  return d;
}

}  // namespace borel::inference
