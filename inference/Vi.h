// Vi.h — programmable variational inference (Becker, Lew, Wang, Ghavami,
// Huot, Rinard & Mansinghka, PLDI 2024): fit the `param`s of a guide
// written in Borel to a model by stochastic gradient ascent on a variational
// objective, with a gradient estimator chosen per random choice.
//
// A guide is a program whose named choices propose values for the model's
// named choices (matched by name, as in Pyro; a name that recurs in a loop
// matches occurrence by occurrence: the k-th "x" of the guide is the k-th
// "x" of the model). One *particle* is a run of
// the guide's differentiating version (Model::start_twin), drawing z with
// log q(z), then of the model's with z imposed, giving log p(x, z); its
// log weight is f = log p(x, z) - log q(z), a tape word (runtime/Tape.h).
// Objectives over K particles:
//   elbo(samples = K)     O = (1/K) sum_k f_k         E[O] = ELBO <= log p(x)
//   iwelbo(particles = K) O = log (1/K) sum_k e^f_k    E[O] = IWELBO_K, rising
//                                                     with K to log p(x)
// Hierarchical guides (Sobolev & Vetrov 2019; the paper's HVI family): a
// guide may make auxiliary choices u the model does not have, so that its
// marginal q(z) = ∫ q(z, u) du is richer than any one of its conditionals.
// log q(z) is then unknown; a reverse program r(u | z) (a Borel program
// that reads z with trace_real and proposes every auxiliary choice) gives
//   log q̂(z) = log (1/(N+1)) [q(z, u_0)/r(u_0|z) + Σ_{i=1..N} q(z, u_i)/r(u_i|z)],
// u_0 the auxiliary values drawn with z, u_i ~ r(· | z), an estimate whose
// expectation is at least log q(z) (Jensen, the u_0 term making it a
// proper upper bound), and f = log p(x, z) − log q̂(z):
//   hvi(reverse)                   N = 0, O = (1/K) sum f_k
//   iwhvi(reverse, inner = N)      O = (1/K) sum f_k
//   diwhvi(reverse, particles = K, inner = N)   O = log (1/K) sum e^f_k
// each a lower bound on log p(x), tighter as N (and K) grow. The reverse
// program's draws must be reparameterised; its `param`s are fitted with
// the guide's.
// A user-written objective (the paper's point: objectives are programs):
//   objective(fn(logp: [real], logq: [real]) -> real, particles = K)
//                                 O = F(log p_1..K, log q_1..K), F a Borel
//                                 function run on the tape (its twin), so
//                                 O's pathwise gradient is F's own
//   hierarchical_objective(f, reverse, particles = K, inner = N)
//                                 the same with log q_k iwhvi's log q̂(z_k)
// (elbo is average(logp - logq); iwelbo logsumexp(logp - logq) - log K; the
// Renyi bound, a beta-weighted ELBO, ... are one line each). E[O] is what
// the user says it is: the estimator below is unbiased for grad E[O]
// whatever F is.
//
// Gradient: one reverse sweep of a surrogate whose gradient is an unbiased
// estimate of grad E[O] (the DiCE/ADEV construction: O itself, which
// carries the pathwise derivative of every reparameterised draw and the
// direct dependence of log q on the parameters, plus one term per choice
// that is not reparameterised, from runtime/Estimator.h's marks):
//   reinforce  log q_j(x_j) * stop(s - b_j): s = f_k / K (elbo) or O
//              (iwelbo, diwhvi, a user's objective: O depends on the
//              choice through every particle's term), b_j a running mean of s at that choice over past
//              iterations (so independent of this draw: no bias);
//   enumerate  sum_v q_j(v) * stop(O[x_j := v]) over the finite support;
//   mvd        normal(mu, sigma): mu * stop((O[x := mu + sigma R] -
//              O[x := mu - sigma R]) / (sigma sqrt(2 pi))) + sigma *
//              stop((O[x := mu + sigma M] - O) / sigma), R Rayleigh(1), M
//              double-sided Maxwell; bernoulli(p): p * stop(O[true] -
//              O[false]).
// O[x_j := v] reruns particle k untaped with x_j forced to v and every
// other choice drawn from the same noise (each choice draws from its own
// stream, keyed by its name), i.e. the rest of the program given x_j = v.
// Each term is an unbiased estimate of the derivative of the choice's
// distribution at fixed upstream choices; their sum with the pathwise term
// is unbiased for grad E[O] (tests/unit/inference/test_vi.cpp checks each
// against closed-form gradients).
//
// Errors (rt::RuntimeError, located where the program gives a site): an
// unnamed choice in the guide or in the model, a model choice the guide does not make or a guide choice the model does
// not have, value types that differ, a guide value outside the model's
// support or an observation of zero density at the guide's draw (the
// objective would be -infinity), an estimator the family does not allow,
// observe/factor in a guide, a guide without parameters, a user's objective
// that returns NaN or an infinity, or samples, observes or factors.
//
// Guarantees: a pure function of the seed (same seed, same parameters, bit
// for bit); parameters first read in a later iteration join with the
// optimiser's fresh state.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "inference/Optimiser.h"
#include "inference/ParamStore.h"
#include "inference/Population.h"
#include "runtime/Model.h"

namespace borel::inference {

enum class ViObjective { Elbo, Iwelbo, Hvi, Diwhvi, User };

// A user's objective F(logp, logq) (ViObjective::User): calls the
// function's differentiating twin on `ctx` (whose handler and rng vi sets)
// with two [real] arrays of K words each, tape variables when a tape is
// current; returns F's value, a tape word then. Runtime errors in F throw
// rt::RuntimeError located in F.
using UserObjective = std::function<rt::Word(rt::Ctx& ctx, rt::Word logp, rt::Word logq)>;

struct ViSettings {
  ViObjective objective = ViObjective::Elbo;
  int particles = 1;  // K: elbo's and hvi's samples per step, iwelbo's, diwhvi's and a user objective's particles (>= 1)
  // Hierarchical objectives: the reverse program r(u | z) and its draws per particle (N >= 0).
  rt::Model* reverse = nullptr;
  int inner = 0;
  UserObjective user;  // ViObjective::User's function
  OptimiserKind optimiser = OptimiserKind::Adam;
  double step_size = 0.01;  // (> 0)
  double decay = 0.0;       // step size eta / (1 + decay (k - 1)) (>= 0)
  int iterations = 2000;    // (>= 1)
  double baseline_decay = 0.9;  // reinforce baselines: b = decay b + (1 - decay) s, in [0, 1)
  int output_draws = 1000;  // draws of the fitted guide for its summary and diagnostics (>= 1)
  // The fitted parameters are the mean of the last quarter's iterates
  // (Polyak–Ruppert, as advi's): the last iterate of a stochastic optimiser
  // wanders around the optimum by an amount set by the step size and the
  // gradient noise; the average of many is as close in expectation and far
  // less noisy. False: the last iterate.
  bool average_iterates = true;
  bool progress = false;
};

// One estimate of the objective and of its gradient with respect to the
// parameters' unconstrained values (ParamStore order), for the tests and
// the optimiser. Not thread-safe; one per thread.
class ViProblem {
 public:
  ViProblem(rt::Model& guide, rt::Model& model, const ViSettings& settings);
  ~ViProblem();
  // Objective estimate O at the store's current values; grad (resized to
  // the store's size) gets the gradient estimate. Draws from `seed` only.
  double estimate(uint64_t seed, std::vector<double>& grad);
  // After each optimiser step: moves the reinforce baselines towards the
  // signals of the last estimate.
  void update_baselines();
  ParamStore& store() { return store_; }

  // One untaped particle with fresh noise from `seed`: its log weight
  // log p(x, z) - log q(z), and the guide's value.
  double draw(uint64_t seed, rt::Word& guide_value);

 private:
  struct Impl;
  Impl* impl_;
  ParamStore store_;
};

struct ViResult {
  std::vector<ParamStore::Param> params;
  std::vector<double> objective_trace;  // O at every iteration
  Population draws;                     // output_draws values of the guide (Done)
  std::vector<double> log_weights;      // log p(x, z) - log q(z) of each draw
  double elbo = 0, elbo_se = 0;         // mean of the log weights and its standard error
  double log_evidence = 0;              // log mean exp of the log weights (importance sampling)
  double pareto_k = 0;
  double seconds = 0;
};

ViResult vi_fit(rt::Model& guide, rt::Model& model, const ViSettings& settings, uint64_t seed);

}  // namespace borel::inference
