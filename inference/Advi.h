// Advi.h — automatic differentiation variational inference (Kucukelbir,
// Tran, Ranganath, Gelman & Blei 2017, JMLR 18(14)), as in Stan's ADVI.
//
// Fits a Gaussian q to a GradientTarget p on R^n (unconstrained
// coordinates) by stochastic gradient ascent on the ELBO
//   L(q) = E_q[log p(z)] + H[q],
// with reparameterisation gradients (z = mu + L eta, eta ~ N(0, I), averaged
// over grad_samples draws) and the Gaussian entropy H[q] = sum log L_ii +
// n/2 (1 + log 2 pi) in closed form.
//   MeanField  parameters mu and omega = log sd (L = diag(exp(omega)));
//   FullRank   parameters mu and a lower-triangular L whose diagonal is kept
//              positive by optimising log L_ii.
// q starts at mean init_mean with L = I (Stan's default).
//
// Step size: eta > 0 is used as given; eta <= 0 chooses it as Stan's
// adapt_eta does: from the initial q, try eta = 100, 10, 1, 0.1, 0.01 in turn
// for 200 iterations each (Stan: 50, too few to judge a start far from the optimum: Advi.cpp) (a fresh optimiser of the chosen kind and a fresh q
// every time; a run whose draws or parameters fail scores -inf); keep the
// largest eta before the ELBO first gets worse (once it has beaten the
// initial ELBO); if none beats the initial ELBO, throw.
//
// Convergence (Stan's rule, made more conservative): every eval_elbo
// iterations the ELBO is estimated with elbo_samples draws and its relative
// change |(L_prev - L) / L| (1 at the first evaluation, L_prev = 0 as in
// Stan) enters a circular buffer of max(0.1 max_iterations / eval_elbo, 2)
// entries; the run has converged when the mean or the median of the buffer
// is below tol_rel_obj. Stan tests this from the first evaluation, so a
// median over two or three noisy changes can stop it after a few hundred
// iterations with a poor fit; here the buffer must also be FULL, so a run
// takes at least (buffer size) x eval_elbo iterations (1000 with the
// defaults) and the mean/median are over the whole window. The relative
// change is scale dependent: an ELBO near 0 (a normalised target fitted
// well) inflates it, and such runs stop at max_iterations.
//
// Zero densities: a draw where p is 0 (log density -inf), or whose log
// density or gradient is not finite, is replaced by a fresh draw; 100 such
// draws in a row in one gradient estimate (or non-finite parameters, or an
// ELBO estimate with no usable draw) break the run down: with an adapted
// step size it starts again at a tenth (down to 0.01), from init_mean (or
// from where a whitened stage began: see precondition); with a given one,
// or below 0.01, it throws rt::RuntimeError. The ELBO
// estimate drops such draws as Stan does, and throws once elbo_samples have
// been dropped. Settings and init_mean are checked (rt::RuntimeError naming
// the setting). Errors the target throws propagate.
//
// Output: output_draws draws z ~ q, with log weights log p(z) - log q(z)
// (log p up to the target's constant) and their PSIS k̂ (ParetoK.h;
// k̂ < 0.7: q is a usable approximation of p; NaN with fewer than 21 draws).
// Guarantees: deterministic given the Rng state (same seed, same result,
// bit for bit); the Rng is advanced.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "inference/GradientTarget.h"
#include "inference/Optimiser.h"
#include "runtime/Rng.h"

namespace borel::inference {

enum class AdviFamily { MeanField, FullRank };

struct AdviSettings {
  AdviFamily family = AdviFamily::MeanField;
  int grad_samples = 1;         // draws per gradient estimate (>= 1)
  int elbo_samples = 100;       // draws per ELBO estimate (>= 1)
  int eval_elbo = 100;          // iterations between ELBO estimates (>= 1)
  int max_iterations = 10000;   // (>= 1)
  double tol_rel_obj = 0.01;    // (> 0)
  double eta = -1;              // step size; <= 0: adapt (see above)
  OptimiserKind optimiser = OptimiserKind::StanAdagrad;
  int output_draws = 1000;      // (>= 0)
  // The answer is an average of iterates (Polyak–Ruppert) rather than
  // Stan's last iterate: as close to the optimum in expectation, with a
  // fraction of the noise. Once converged, one more window of iterations
  // (max(0.1·max_iterations/eval_elbo, 2)·eval_elbo) is run at a tenth of
  // the step size (a fresh optimiser) with 10·grad_samples draws per
  // gradient, and averaged, so that no iterate from before the stopping
  // rule fired enters it (Advi.cpp, refine: why ten draws). If that average's
  // ELBO beats the converged estimate by more than tol_rel_obj (relative),
  // the step size was too large for the optimum (its noise floor stopped the
  // rule far below it): the fit goes on from the average at a tenth of the
  // step, and so on. A run that stops at max_iterations averages its last
  // window.
  bool average_iterates = true;
  // Once converged, estimate the curvature at q's mean (2n gradients); where
  // it has a ridge (AdviPreconditioner.h: condition number >= 10 on a unit
  // diagonal) run one more stage, and its refinement, with the mean in
  // whitened coordinates. The family and its optimum are the same.
  bool precondition = true;
};

struct AdviResult {
  std::vector<double> mean;        // mu
  // MeanField: the sd of each coordinate (n values); FullRank: the Cholesky
  // factor L of q's covariance, n x n row-major, zeros above the diagonal.
  std::vector<double> scale;
  std::vector<double> elbo_trace;  // one ELBO estimate per eval_elbo iterations
  double elbo = 0;                 // the ELBO estimate of the answer (after averaging)
  int iterations = 0;              // optimisation iterations (adaptation excluded; the averaged windows after convergence included)
  int restarts = 0;                // times the fit went on at a tenth of the step (see average_iterates)
  double condition = 0;            // of the curvature at the first converged fit (0: not measured)
  bool preconditioned = false;     // a whitened stage ran (see precondition)
  bool converged = false;          // false: stopped at max_iterations
  std::vector<double> draws;       // output_draws x n, row-major
  std::vector<double> log_weights; // log p(draw) - log q(draw), per draw
  double pareto_k = 0;             // PSIS k̂ of log_weights
  long gradient_evaluations = 0;   // calls of log_density_gradient, all phases
  double step_size = 0;            // eta of the last stage (given or adapted, / 10 per restart)
};

// progress(iteration, max_iterations) is called after every ELBO estimate of
// the optimisation; it must not touch rng.
AdviResult advi(GradientTarget& target, rt::Rng& rng, std::span<const double> init_mean,
                const AdviSettings& settings,
                const std::function<void(int, int)>& progress = {});

}  // namespace borel::inference
