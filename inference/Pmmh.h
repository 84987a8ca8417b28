// Pmmh.h — particle marginal Metropolis–Hastings (Andrieu, Doucet &
// Holenstein 2010): MH over parameters whose likelihood is the SMC
// estimate of the evidence of the rest of the program.
//
// Parameters. A Borel program states which choices are parameters by order:
// the random choices made before its first observe/factor (all of them, or
// only the first `params` when params > 0) are θ; what follows (states,
// observations) is the inner state-space model. E.g.
//     let phi = sample(uniform(0.0, 1.0));        // θ
//     let x1 = sample(normal(0.0, 1.0));           // (if params = 1: a state)
//     observe(normal(x1, 0.5), ys[0]); ...
// An iteration makes a sweep of single-site moves, each on a parameter
// picked at random: a real parameter moves by a random walk N(0,
// step·scale) (scale = its prior sd; step adapted per site in warm-up
// towards acceptance 0.44), another kind is redrawn from its distribution.
// With params = 0 the number of parameters may change with their values
// (propose_parameter: trace moves with fresh/stale terms), and the sweep
// length is SweepLength's (Kernels.h), never the current state's. The proposal's density p(θ') comes from a partial run of
// the program (a replay up to its first observe/factor, Trace.h); its
// likelihood is log Ẑ(θ') from SMC (Smc.h, `particles` particles, adaptive
// resampling) with a ParamHandler imposing θ' on every particle; accepted
// with probability min(1, p(θ')Ẑ(θ') q(θ|θ') / p(θ)Ẑ(θ) q(θ'|θ)), which
// targets the exact posterior for any number of particles. The draw kept
// at each iteration is the result of one particle drawn by weight from the
// accepted SMC run.
//
// SMC² (Smc2.h) uses the same ParamHandler and evidence function.
#pragma once

#include <cstdint>
#include <vector>

#include "inference/Diagnostics.h"
#include "inference/Population.h"
#include "inference/PriorHandler.h"
#include "inference/Smc.h"
#include "inference/Trace.h"
#include "runtime/Model.h"

namespace borel::inference {

struct PmmhSettings {
  int64_t particles = 100;  // of each inner SMC run
  int64_t samples = 1000;   // draws per chain
  int64_t warmup = 200;
  int64_t chains = 4;
  int64_t params = 0;       // parameters: the first `params` choices (0: all before the first observe/factor)
  const char* method = "pmmh";
};

Population pmmh(rt::Model& model, const PmmhSettings& settings, uint64_t seed, int threads = 1,
                Diagnostics* diagnostics = nullptr);

// A PriorHandler that imposes θ: the first θ.size() choices of every
// particle's first segment (before its first observe/factor) take θ's values.
class ParamHandler final : public InferenceHandler {
 public:
  const rt::Word* theta = nullptr;
  int64_t n_theta = 0;
  rt::Word sample(rt::Ctx& ctx, const rt::Dist& d, rt::SiteId site) override;
  void observe(rt::Ctx& ctx, const rt::Dist& d, rt::Word v, rt::SiteId site) override;
  void factor(rt::Ctx& ctx, double log_w, rt::SiteId site) override;
  SegmentState save_segment() const override {
    return {starting, segment, {first_segment_, static_cast<uint64_t>(count_)}};
  }
  void restore_segment(const SegmentState& s) override {
    InferenceHandler::restore_segment(s);
    first_segment_ = s.extra[0];
    count_ = static_cast<int64_t>(s.extra[1]);
  }

 private:
  void add(rt::Ctx& ctx, double lw, rt::SiteId site, const char* what);
  uint64_t first_segment_ = ~uint64_t{0};
  int64_t count_ = 0;
};

// Parameter values θ (GC-scanned storage).
using ParamValues = std::vector<rt::Word, traceable_allocator<rt::Word>>;

// Settings of the inner SMC that estimates Ẑ(θ): `particles` particles,
// adaptive systematic resampling, a ParamHandler imposing θ (theta[0..n_theta),
// which must outlive the run), and all-zero weights giving Ẑ = 0, not an error.
SmcSettings param_smc_settings(int64_t particles, const rt::Word* theta, int64_t n_theta, const char* method);

// The result of one particle of a finished population drawn by normalised
// weight (one uniform from `rng`); the population must have a positive weight.
rt::Word draw_result(const Population& pop, rt::Rng& rng);

// One single-site proposal on parameter j of θ, the first P choices of `cur`
// (a trace from parameter_choices; θ = their values): a real parameter moves
// by sd·N(0, 1), another kind is redrawn from its distribution (draws from
// `rng`). Replays the program up to its first observe/factor with θ' into
// `prop`. Returns false when θ' is impossible (outside the support, zero
// prior density); otherwise θ' is in `theta2` (P′ = its size), log p(θ') in
// `lp2` and the rest of the log acceptance ratio's proposal part in `log_q`.
// With params > 0, or trans_dimensional false, the parameters keep their
// number and addresses (a move that changes them is rejected) and log_q is
// log q(θ | θ') − log q(θ' | θ). Otherwise (params = 0: the parameters are
// every choice before the first observe/factor) it is a trace move
// (Trace.h): the parameters θ' brings are drawn fresh, those it drops are
// stale, and log_q = Σ_stale − Σ_fresh + log P − log P′ (the reverse move
// picks among P′ parameters): PMMH then moves between parameter spaces of
// different dimensions, where a fixed-dimension move never could.
bool propose_parameter(rt::Model& model, rt::Ctx& ctx, TraceHandler& h, const Trace& cur, int64_t P,
                       int64_t params, const ParamValues& theta, int64_t j, double sd, rt::Rng& rng, Trace& prop,
                       ParamValues& theta2, double& lp2, double& log_q, bool trans_dimensional = false);

// Replays the program up to its first observe/factor with all P parameters
// set to theta2 (which differs from `cur`'s values anywhere) into `prop`.
// False when θ' is impossible (zero prior density, or the parameters'
// addresses change); otherwise log p(θ') is in `lp2`.
bool replay_parameters(rt::Model& model, rt::Ctx& ctx, TraceHandler& h, const Trace& cur, int64_t P, int64_t params,
                       const ParamValues& theta2, Trace& prop, double& lp2);

// The parameter choices of a run: its first `params` choices, or all those
// before the first observe/factor (params = 0). Runs the program from the
// prior (or replaying `proposed`) up to its first observe/factor into `t`;
// returns how many choices are parameters. Errors when params is more than
// the choices made before the first observe/factor.
int64_t parameter_choices(rt::Model& model, rt::Ctx& ctx, TraceHandler& h, Trace& t, int64_t params,
                          const ValueMap* proposed);

}  // namespace borel::inference
