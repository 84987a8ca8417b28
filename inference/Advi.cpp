// Advi.cpp — ADVI (Advi.h): the Gaussian families, the ELBO and its
// gradient, Stan's step-size adaptation and the convergence rule.
#include "inference/Advi.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <optional>
#include <iterator>
#include <string>

#include "inference/AdviPreconditioner.h"
#include "inference/Errors.h"
#include "inference/ParetoK.h"

namespace borel::inference {

namespace {

constexpr const char* kMethod = "advi";
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLog2Pi = 1.8378770664093454836;  // log(2 pi)
constexpr int kMaxRejectsInARow = 100;
// Stan's adapt_iter is 50; from a start far below the optimum (linreg:
// 30000 nats) 50 iterations judge a transient: eta = 10 can shrink q's
// scales onto a good mean (linreg seed 10: ELBO -946 with a standard error
// of 0.004) while eta = 1 is still on its way (-1888), and is kept, though
// from there it converges 20-30 nats below the optimum (0.7-2 sd off).
// After 200 iterations the smaller step is ahead wherever it fits better;
// the cost is 750 more gradients, once.
constexpr int kAdaptIterations = 200;
constexpr double kAdaptEtas[] = {100.0, 10.0, 1.0, 0.1, 0.01};

// The variational family's parameters as one flat vector (what the optimiser
// sees): mu[0..n), then MeanField: omega[0..n); FullRank: the rows of L's
// lower triangle, entry (i, j <= i) at n + i (i + 1) / 2 + j, the diagonal
// entries holding log L_ii.
class Family {
 public:
  Family(AdviFamily kind, size_t n) : kind_(kind), n_(n) {
    params_.assign(n + (kind == AdviFamily::MeanField ? n : n * (n + 1) / 2), 0.0);
  }

  size_t size() const { return params_.size(); }
  std::vector<double>& params() { return params_; }
  const std::vector<double>& params() const { return params_; }

  void init(std::span<const double> mean) {
    std::fill(params_.begin(), params_.end(), 0.0);  // log-scales 0: L = I
    std::copy(mean.begin(), mean.end(), params_.begin());
  }

  // FullRank: q = N(mean, L Lᵀ), L lower triangular with a positive diagonal.
  void set_full_rank(const Eigen::VectorXd& mean, const Eigen::MatrixXd& l) {
    for (size_t i = 0; i < n_; ++i) {
      params_[i] = mean[static_cast<Eigen::Index>(i)];
      double* row = params_.data() + n_ + i * (i + 1) / 2;
      for (size_t j = 0; j < i; ++j) row[j] = l(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
      row[i] = std::log(l(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(i)));
    }
  }
  AdviFamily kind() const { return kind_; }

  // z = mu + L eta.
  void transform(const double* eta, double* z) const {
    const double* mu = params_.data();
    const double* p = params_.data() + n_;
    if (kind_ == AdviFamily::MeanField) {
      for (size_t i = 0; i < n_; ++i) z[i] = mu[i] + std::exp(p[i]) * eta[i];
      return;
    }
    for (size_t i = 0; i < n_; ++i) {
      const double* row = p + i * (i + 1) / 2;
      double s = mu[i] + std::exp(row[i]) * eta[i];
      for (size_t j = 0; j < i; ++j) s += row[j] * eta[j];
      z[i] = s;
    }
  }

  // sum_i log L_ii.
  double log_det() const {
    const double* p = params_.data() + n_;
    double s = 0.0;
    for (size_t i = 0; i < n_; ++i) s += kind_ == AdviFamily::MeanField ? p[i] : p[i * (i + 3) / 2];
    return s;
  }

  double entropy() const { return log_det() + 0.5 * static_cast<double>(n_) * (1.0 + kLog2Pi); }

  // log q(mu + L eta).
  double log_q(const double* eta) const {
    double ss = 0.0;
    for (size_t i = 0; i < n_; ++i) ss += eta[i] * eta[i];
    return -0.5 * ss - log_det() - 0.5 * static_cast<double>(n_) * kLog2Pi;
  }

  // Adds the reparameterisation gradient of log p(mu + L eta) given
  // g = grad log p there: d/dmu = g, d/dL_ij = g_i eta_j, and through the
  // log of a diagonal entry d/dlog L_ii = g_i eta_i L_ii.
  void accumulate(const double* eta, const double* g, double* out) const {
    const double* p = params_.data() + n_;
    for (size_t i = 0; i < n_; ++i) out[i] += g[i];
    double* o = out + n_;
    if (kind_ == AdviFamily::MeanField) {
      for (size_t i = 0; i < n_; ++i) o[i] += g[i] * eta[i] * std::exp(p[i]);
      return;
    }
    for (size_t i = 0; i < n_; ++i) {
      const size_t r = i * (i + 1) / 2;
      for (size_t j = 0; j < i; ++j) o[r + j] += g[i] * eta[j];
      o[r + i] += g[i] * eta[i] * std::exp(p[r + i]);
    }
  }

  // d entropy / d log L_ii = 1.
  void add_entropy_gradient(double* out) const {
    double* o = out + n_;
    for (size_t i = 0; i < n_; ++i) o[kind_ == AdviFamily::MeanField ? i : i * (i + 3) / 2] += 1.0;
  }

  std::vector<double> scale() const {
    const double* p = params_.data() + n_;
    if (kind_ == AdviFamily::MeanField) {
      std::vector<double> sd(n_);
      for (size_t i = 0; i < n_; ++i) sd[i] = std::exp(p[i]);
      return sd;
    }
    std::vector<double> l(n_ * n_, 0.0);
    for (size_t i = 0; i < n_; ++i) {
      const double* row = p + i * (i + 1) / 2;
      for (size_t j = 0; j < i; ++j) l[i * n_ + j] = row[j];
      l[i * n_ + i] = std::exp(row[i]);
    }
    return l;
  }

  bool finite() const {
    return std::all_of(params_.begin(), params_.end(), [](double v) { return std::isfinite(v); });
  }

 private:
  AdviFamily kind_;
  size_t n_;
  std::vector<double> params_;
};

// The ELBO, its gradient and the draws, sharing scratch space and the count
// of target evaluations.
class Elbo {
 public:
  Elbo(GradientTarget& target, rt::Rng& rng, const AdviSettings& s, size_t n)
      : target_(&target), rng_(rng), s_(s), n_(n), eta_(n), z_(n), g_(n) {}

  // The density the draws are scored by from now on (a whitened one).
  void set_target(GradientTarget& target) { target_ = &target; }

  long evaluations() const { return evaluations_; }

  // log p(z) with the gradient in g_; -inf for a zero density and for a
  // non-finite value or gradient (treated alike: such a draw is unusable).
  double log_p(bool need_gradient) {
    ++evaluations_;
    const double lp = target_->log_density_gradient(z_.data(), g_.data());
    if (!std::isfinite(lp)) return -kInf;
    if (need_gradient)
      for (double v : g_)
        if (!std::isfinite(v)) return -kInf;
    return lp;
  }

  void draw(const Family& q) {
    for (size_t i = 0; i < n_; ++i) eta_[i] = rng_.normal();
    q.transform(eta_.data(), z_.data());
  }

  // The ELBO gradient estimate into grad, averaged over `samples` draws
  // (grad_samples unless given); false when kMaxRejectsInARow draws in a row
  // were unusable.
  bool gradient(const Family& q, std::vector<double>& grad, int samples = 0) {
    if (samples <= 0) samples = s_.grad_samples;
    std::fill(grad.begin(), grad.end(), 0.0);
    for (int s = 0; s < samples; ++s) {
      int rejects = 0;
      for (;;) {
        draw(q);
        if (log_p(true) > -kInf) break;
        if (++rejects >= kMaxRejectsInARow) return false;
      }
      q.accumulate(eta_.data(), g_.data(), grad.data());
    }
    const double inv = 1.0 / samples;
    for (double& v : grad) v *= inv;
    q.add_entropy_gradient(grad.data());
    return true;
  }

  // The ELBO estimate; -inf once elbo_samples draws have been dropped.
  double elbo(const Family& q) {
    double sum = 0.0, sum2 = 0.0;
    int dropped = 0;
    for (int i = 0; i < s_.elbo_samples;) {
      draw(q);
      const double lp = log_p(false);
      if (lp > -kInf) {
        sum += lp;
        sum2 += lp * lp;
        ++i;
      } else if (++dropped >= s_.elbo_samples) {
        return -kInf;
      }
    }
    const double n = s_.elbo_samples, mean = sum / n;
    standard_error_ = n > 1 ? std::sqrt(std::max(0.0, (sum2 - n * mean * mean) / (n - 1)) / n) : kInf;
    return mean + q.entropy();
  }
  // The Monte Carlo standard error of the latest elbo().
  double standard_error() const { return standard_error_; }

  // -∇² log p at q's mean by central differences of the gradient, the step
  // in coordinate j q's sd there (the curvature over q's own scale, which is
  // what the optimiser feels, rather than at a point); 2n gradients. false
  // where a gradient is not finite.
  bool hessian(const Family& q, Eigen::MatrixXd& h) {
    const std::vector<double> scale = q.scale();
    std::vector<double> mu(q.params().begin(), q.params().begin() + n_), plus(n_);
    h.resize(static_cast<Eigen::Index>(n_), static_cast<Eigen::Index>(n_));
    for (size_t j = 0; j < n_; ++j) {
      double step = scale[j];  // MeanField: sd_j
      if (scale.size() == n_ * n_) {  // FullRank: the sd of row j of L
        step = 0;
        for (size_t k = 0; k < n_; ++k) step += scale[j * n_ + k] * scale[j * n_ + k];
        step = std::sqrt(step);
      }
      z_ = mu;
      z_[j] = mu[j] + step;
      if (!(log_p(true) > -kInf)) return false;
      plus = g_;
      z_[j] = mu[j] - step;
      if (!(log_p(true) > -kInf)) return false;
      for (size_t i = 0; i < n_; ++i)
        h(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = -(plus[i] - g_[i]) / (2 * step);
    }
    return true;
  }

  const std::vector<double>& eta() const { return eta_; }
  const std::vector<double>& z() const { return z_; }

 private:
  GradientTarget* target_;
  rt::Rng& rng_;
  const AdviSettings& s_;
  size_t n_;
  std::vector<double> eta_, z_, g_;
  long evaluations_ = 0;
  double standard_error_ = 0;
};

// The rise of the ELBO across a window of estimates (one per eval_elbo
// iterations): the least-squares slope times the window's span.
double trend(const std::vector<double>& elbos, size_t window) {
  const size_t n = std::min(window, elbos.size());
  if (n < 2) return kInf;
  const double mx = (n - 1) / 2.0;
  double my = 0;
  for (size_t i = elbos.size() - n; i < elbos.size(); ++i) my += elbos[i] / n;
  double sxy = 0, sxx = 0;
  for (size_t k = 0; k < n; ++k) {
    const double dx = k - mx;
    sxy += dx * (elbos[elbos.size() - n + k] - my);
    sxx += dx * dx;
  }
  return sxy / sxx * (n - 1);
}

void validate(const GradientTarget& target, std::span<const double> init_mean,
              const AdviSettings& s) {
  if (s.family != AdviFamily::MeanField && s.family != AdviFamily::FullRank)
    throw method_error(kMethod, "unknown variational family");
  if (s.optimiser != OptimiserKind::Sgd && s.optimiser != OptimiserKind::Adam &&
      s.optimiser != OptimiserKind::StanAdagrad)
    throw method_error(kMethod, "unknown optimiser");
  require_at_least(kMethod, "grad_samples", s.grad_samples, 1);
  require_at_least(kMethod, "elbo_samples", s.elbo_samples, 1);
  require_at_least(kMethod, "eval_elbo", s.eval_elbo, 1);
  require_at_least(kMethod, "max_iterations", s.max_iterations, 1);
  require_at_least(kMethod, "output_draws", s.output_draws, 0);
  if (!(std::isfinite(s.tol_rel_obj) && s.tol_rel_obj > 0))
    throw method_error(kMethod, "tol_rel_obj is " + std::to_string(s.tol_rel_obj) +
                                    ", but must be finite and positive");
  if (!std::isfinite(s.eta))
    throw method_error(kMethod, "eta is " + std::to_string(s.eta) +
                                    ", but must be finite (positive: the step size; <= 0: adapt it)");
  const size_t n = target.dimension();
  if (n == 0) throw method_error(kMethod, "the target has dimension 0: nothing to fit");
  if (init_mean.size() != n)
    throw method_error(kMethod, "init_mean has " + std::to_string(init_mean.size()) +
                                    " values, but the target has dimension " + std::to_string(n));
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(init_mean[i]))
      throw method_error(kMethod, "init_mean[" + std::to_string(i) + "] is not finite");
}

rt::RuntimeError rejects_error(int iteration) {
  return method_error(kMethod, std::to_string(kMaxRejectsInARow) +
                                   " draws in a row from the approximation had zero density or a "
                                   "non-finite log density or gradient (iteration " +
                                   std::to_string(iteration) +
                                   "); the model may be misspecified or badly initialised");
}

rt::RuntimeError elbo_error(int iteration) {
  return method_error(kMethod, "every draw of an ELBO estimate had zero density or a non-finite log "
                               "density (iteration " + std::to_string(iteration) +
                                   "); the model may be misspecified or badly initialised");
}

// Stan's adapt_eta (see Advi.h). Throws when no eta improves on the start.
double adapt_eta(Family& q, Elbo& e, std::span<const double> init_mean, const AdviSettings& s) {
  q.init(init_mean);
  const double elbo_init = e.elbo(q);
  if (!(elbo_init > -kInf)) throw elbo_error(0);
  std::vector<double> grad(q.size());
  double elbo_best = -std::numeric_limits<double>::max();
  double eta_best = kAdaptEtas[0];
  const size_t count = std::size(kAdaptEtas);
  for (size_t t = 0; t < count; ++t) {
    const double eta = kAdaptEtas[t];
    q.init(init_mean);
    Optimiser opt(s.optimiser, q.size(), eta);
    double elbo = -kInf;
    bool ok = true;
    for (int it = 0; it < kAdaptIterations && ok; ++it) {
      ok = e.gradient(q, grad);
      if (ok) {
        opt.step(q.params(), grad);
        ok = q.finite();
      }
    }
    if (ok) elbo = e.elbo(q);
    if (std::isnan(elbo)) elbo = -kInf;
    // Worse than the best so far, which itself beat the start: stop here.
    if (elbo < elbo_best && elbo_best > elbo_init) break;
    if (t + 1 < count) {
      elbo_best = elbo;
      eta_best = eta;
    } else if (elbo > elbo_init) {
      eta_best = eta;
    } else {
      throw method_error(kMethod, "every step size tried (100, 10, 1, 0.1, 0.01) made the ELBO worse "
                                  "than at the start; the model may be ill-conditioned or "
                                  "misspecified (or give eta)");
    }
  }
  return eta_best;
}

// The stopping rule's buffer of ELBO changes, in estimates (Advi.h).
size_t convergence_window(const AdviSettings& s) {
  return static_cast<size_t>(std::max(0.1 * s.max_iterations / s.eval_elbo, 2.0));
}

double median(std::vector<double> v) {
  const size_t n = v.size();
  std::sort(v.begin(), v.end());
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// One stage of the optimisation at step size eta from q's parameters: until
// the stopping rule judges the ELBO flat (converged), `it` reaches
// max_iterations, or, at iteration look_at, look() builds a preconditioner
// (whitened: the caller goes on in its coordinates; if it does not, the
// stage goes on as if nothing happened). Appends its ELBO estimates to
// r.elbo_trace. With average_iterates, a stage that stops at max_iterations
// leaves in q the average of its last window of iterates (Polyak–Ruppert),
// and its ELBO in Stage::elbo (estimated once more, not part of the trace).
struct Stage {
  bool converged = false;
  double elbo = -kInf;  // the latest estimate
  bool whitened = false;  // the look at look_at built a preconditioner: go on in its coordinates
  // Why the stage broke down (its draws unusable, its parameters
  // non-finite): the error to throw if no smaller step is tried.
  std::optional<rt::RuntimeError> failure;
};

Stage converge(Family& q, Elbo& e, const AdviPreconditioner& pre, double eta, const AdviSettings& settings,
               int look_at, const std::function<bool()>& look, int& it, AdviResult& r,
               const std::function<void(int, int)>& progress) {
  Optimiser opt(settings.optimiser, q.size(), eta);
  std::vector<double> grad(q.size()), theta;
  pre.coordinates(q.params(), theta);
  const size_t window = convergence_window(settings);
  std::vector<double> changes;  // circular buffer of relative ELBO changes
  size_t next = 0;
  double elbo = 0.0;  // Stan's starting value: the first change is 1
  // `sum` holds the iterates since the last ELBO estimate, `means` the
  // averages of the last windows.
  std::vector<double> sum(q.size(), 0.0);
  std::deque<std::vector<double>> means;
  int summed = 0;
  Stage stage;
  while (it < settings.max_iterations) {
    ++it;
    if (!e.gradient(q, grad)) {
      stage.failure = rejects_error(it);
      return stage;
    }
    pre.pull(grad);
    opt.step(theta, grad);
    pre.push(theta, q.params());
    if (it == look_at && q.finite() && look()) {
      stage.whitened = true;
      return stage;
    }
    if (!q.finite()) {
      stage.failure = method_error(kMethod, "the variational parameters became non-finite at iteration " +
                                                std::to_string(it) + " (step size " + std::to_string(eta) +
                                                " too large?)");
      return stage;
    }
    if (settings.average_iterates) {
      if (summed == 0) std::fill(sum.begin(), sum.end(), 0.0);
      for (size_t k = 0; k < sum.size(); ++k) sum[k] += q.params()[k];
      ++summed;
    }
    if (it % settings.eval_elbo != 0) continue;
    if (settings.average_iterates) {
      means.push_back(sum);
      for (double& x : means.back()) x /= summed;
      if (means.size() > window) means.pop_front();
      summed = 0;
    }
    const double prev = elbo;
    elbo = e.elbo(q);
    if (!(elbo > -kInf)) {
      stage.failure = elbo_error(it);
      return stage;
    }
    r.elbo_trace.push_back(elbo);
    stage.elbo = elbo;
    double change = std::fabs((prev - elbo) / elbo);
    if (std::isnan(change)) change = kInf;  // 0 / 0: no evidence of convergence
    if (changes.size() < window) {
      changes.push_back(change);
    } else {
      changes[next] = change;
    }
    next = (next + 1) % window;
    if (progress) progress(it, settings.max_iterations);
    if (changes.size() == window) {
      double mean = 0.0;
      for (double c : changes) mean += c;
      mean /= static_cast<double>(window);
      // Stan's rule, and the ELBO no longer rising by more than twice the
      // noise of one estimate across the window: the relative change alone
      // stops runs whose ELBO is large in magnitude while it still climbs
      // by several nats (linreg: stopped 3 nats short, 0.6 sd off).
      if ((mean < settings.tol_rel_obj || median(changes) < settings.tol_rel_obj) &&
          trend(r.elbo_trace, window) < 2 * e.standard_error()) {
        stage.converged = true;
        return stage;
      }
    }
  }
  if (settings.average_iterates && (summed > 0 || !means.empty())) {
    std::vector<double> average(q.size(), 0.0);
    if (means.empty()) {  // fewer iterations than eval_elbo
      for (size_t k = 0; k < sum.size(); ++k) average[k] = sum[k] / summed;
    } else {
      for (const auto& m : means)
        for (size_t k = 0; k < m.size(); ++k) average[k] += m[k] / static_cast<double>(means.size());
    }
    std::copy(average.begin(), average.end(), q.params().begin());
    stage.elbo = e.elbo(q);
    if (!(stage.elbo > -kInf)) throw elbo_error(it);
  }
  return stage;
}

// After a stage converged: one more window of iterations, all after the rule
// fired, at a tenth of the step size (a fresh optimiser) and with
// kRefineDraws times the gradient draws, averaged; q is left at the average.
// The window the rule judged flat began while the iterates were still
// settling (averaging it kept part of the transient: linreg sigma 0.3 sd off
// in 2 of 12 seeds). And no ELBO-based rule sees the last of the transient:
// a mean 0.1 sd from the optimum costs 0.005 nats. So the refining window
// must finish the approach as well as average the noise, and Stan's step
// divides the gradient by its running RMS: where noise dominates it, the
// drift per step is the signal-to-noise ratio, and a smaller step alone
// barely moves the iterates (eta / 100: linreg still 0.13 sd off). Ten
// draws per gradient divide the noise's variance by ten; linreg's sigma,
// 0.07-0.12 sd above the exact mean in 6 of 8 seeds with one draw, is then
// within 0.041 sd in 100 seeds (docs/benchmarks.md).
constexpr int kRefineDraws = 10;

// (Not inlined: inlined into advi(), GCC 12 warns that a vector here is freed
// at an offset, a false positive of -Wfree-nonheap-object.)
[[gnu::noinline]] void refine(Family& q, Elbo& e, const AdviPreconditioner& pre, double eta,
                              const AdviSettings& settings, int& it) {
  const int extra = static_cast<int>(convergence_window(settings)) * settings.eval_elbo;
  Optimiser fine(settings.optimiser, q.size(), eta / 10);
  std::vector<double> grad(q.size()), theta;
  std::vector<double> sum(q.size(), 0.0);
  pre.coordinates(q.params(), theta);
  for (int k = 0; k < extra; ++k) {
    ++it;
    if (!e.gradient(q, grad, settings.grad_samples * kRefineDraws)) throw rejects_error(it);
    pre.pull(grad);
    fine.step(theta, grad);
    pre.push(theta, q.params());
    if (!q.finite())
      throw method_error(kMethod, "the variational parameters became non-finite at iteration " + std::to_string(it));
    for (size_t j = 0; j < sum.size(); ++j) sum[j] += q.params()[j];
  }
  for (size_t j = 0; j < sum.size(); ++j) q.params()[j] = sum[j] / extra;
}

}  // namespace

AdviResult advi(GradientTarget& target, rt::Rng& rng, std::span<const double> init_mean,
                const AdviSettings& settings, const std::function<void(int, int)>& progress) {
  validate(target, init_mean, settings);
  const size_t n = target.dimension();
  Family q(settings.family, n);
  Elbo e(target, rng, settings, n);
  AdviResult r;

  r.step_size = settings.eta > 0 ? settings.eta : adapt_eta(q, e, init_mean, settings);
  q.init(init_mean);
  int it = 0;
  // The identity until the curvature shows a ridge: a ridge is invisible to
  // the ELBO (a few nats with the means sds off), so the curvature is looked
  // at once, when the first stage converges or after a quarter of
  // max_iterations (a ridge can keep the rule from firing: the ELBO creeps
  // up along it), and where per-coordinate steps would crawl the fit goes
  // on from there in whitened coordinates (AdviPreconditioner.h).
  AdviPreconditioner pre;
  const AdviPreconditioner identity;
  const bool full_rank = settings.family == AdviFamily::FullRank;
  std::optional<WhitenedTarget> whitened;  // FullRank, once whitened: the target in w
  bool ridge_checked = !settings.precondition;
  std::vector<double> whitened_at;  // q's parameters where the whitened stages began
  const std::function<bool()> whiten = [&] {
    ridge_checked = true;
    Eigen::MatrixXd h;
    if (!e.hessian(q, h)) return false;
    AdviPreconditioner candidate;
    const bool built = candidate.build(h, std::span<const double>(q.params().data(), n));
    r.condition = candidate.condition();
    if (!built) return false;
    if (full_rank) {  // q carried into w: mean 0, factor chol(L⁻¹ Σ L⁻ᵀ)
      const std::vector<double> l = q.scale();
      const Eigen::MatrixXd lq = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
          l.data(), static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
      const Eigen::MatrixXd a = candidate.matrix().partialPivLu().solve(lq);
      const Eigen::LLT<Eigen::MatrixXd> llt(a * a.transpose());
      if (llt.info() != Eigen::Success) return false;
      pre = candidate;
      q.set_full_rank(Eigen::VectorXd::Zero(static_cast<Eigen::Index>(n)), llt.matrixL());
      whitened.emplace(target, pre);
      e.set_target(*whitened);
    } else {
      pre = candidate;
    }
    r.preconditioned = true;
    whitened_at = q.params();
    return true;
  };
  for (;;) {
    const int look_at = ridge_checked ? -1 : it + settings.max_iterations / 4;
    const Stage stage =
        converge(q, e, full_rank ? identity : pre, r.step_size, settings, look_at, whiten, it, r, progress);
    // Stan's first steps move each parameter by about eta whatever the
    // gradient's scale (it divides by the gradient's RMS), so an adapted
    // step that survived its trial can still throw q where no draw has a
    // density (kidscore_momiq, eta = 1: every draw's sigma underflows at
    // iteration 2). An adapted step is then tried again from the start at a
    // tenth, down to the smallest trial step; a given one is the user's. A
    // whitened stage that breaks down (a step of eta is eta posterior sds
    // there: diamonds seed 3, eta = 10) goes back to where it began.
    if (stage.failure) {
      if (settings.eta > 0 || r.step_size <= kAdaptEtas[std::size(kAdaptEtas) - 1]) throw *stage.failure;
      r.step_size /= 10;
      ++r.restarts;
      if (pre.active()) {
        q.params() = whitened_at;
      } else {
        q.init(init_mean);
        ridge_checked = !settings.precondition;
      }
      continue;
    }
    if (stage.whitened) continue;
    r.converged = stage.converged;
    r.elbo = stage.elbo;
    if (!stage.converged || !settings.average_iterates) break;
    refine(q, e, full_rank ? identity : pre, r.step_size, settings, it);
    r.elbo = e.elbo(q);
    if (!(r.elbo > -kInf)) throw elbo_error(it);
    // The rule finds the ELBO flat at the noise floor of the step size: with
    // a step too large for the posterior's scale that floor lies far below
    // the optimum (linreg seed 19 adapted eta = 10, as eta = 1 was still
    // climbing after the trial, and stopped 87 nats short, 1.8 sd off). The
    // average of the refined iterates then beats the last estimate by more
    // than the tolerance the rule allows, and the fit goes on from there at a
    // tenth of the step.
    const bool improved = r.elbo - stage.elbo > settings.tol_rel_obj * std::fabs(r.elbo);
    if (it >= settings.max_iterations) break;
    if (improved) {
      r.step_size /= 10;
      ++r.restarts;
      continue;
    }
    if (ridge_checked || !whiten()) break;
  }
  r.iterations = it;
  r.mean.assign(q.params().begin(), q.params().begin() + n);
  r.scale = q.scale();
  if (whitened) {  // back from w: mean mu0 + L m, factor chol(L Σ_w Lᵀ)
    const auto nn = static_cast<Eigen::Index>(n);
    using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    whitened->to_target(q.params().data(), r.mean.data());
    const Eigen::MatrixXd a = pre.matrix() * Eigen::Map<const RowMajor>(r.scale.data(), nn, nn);
    const Eigen::LLT<Eigen::MatrixXd> llt(a * a.transpose());
    Eigen::Map<RowMajor>(r.scale.data(), nn, nn) = RowMajor(llt.matrixL());
  }

  const size_t draws = static_cast<size_t>(settings.output_draws);
  r.draws.resize(draws * n);
  r.log_weights.resize(draws);
  for (size_t d = 0; d < draws; ++d) {
    e.draw(q);
    // log p̃(w) - log q_w(w) = log p(z) - log q(z): the weights need no change.
    if (whitened)
      whitened->to_target(e.z().data(), r.draws.data() + d * n);
    else
      std::copy(e.z().begin(), e.z().end(), r.draws.begin() + d * n);
    r.log_weights[d] = e.log_p(false) - q.log_q(e.eta().data());
  }
  r.pareto_k = pareto_k(r.log_weights);
  r.gradient_evaluations = e.evaluations();
  return r;
}

}  // namespace borel::inference
