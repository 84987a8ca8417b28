// Nuts.cpp — multinomial NUTS with the generalised U-turn criterion, and a
// chain with Stan's warmup (see Nuts.h).
//
// The trajectory is built as in Stan's base_nuts: a tree doubled in a random
// direction until the U-turn criterion fails, the tree reaches max_depth or
// a subtree diverges. Within a subtree the proposal is drawn from the two
// halves in proportion to their weights exp(−H); across doublings the new
// subtree's proposal replaces the sample with probability
// min(1, w_new / w_old) (biased progressive sampling). The U-turn criterion
// on a merged tree checks p♯ · ρ > 0 at both ends for the whole tree and for
// each half extended by its neighbouring point in the other half. At the top
// level that neighbour is the old tree's end adjacent to the new subtree, so
// a merge is checked exactly as build_tree checks the same subtree — which
// keeps the stopping rule a function of the tree alone (reversibility).
#include "inference/Nuts.h"

#include <Eigen/Cholesky>
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "inference/Adaptation.h"
#include "inference/Errors.h"
#include "inference/Format.h"

namespace borel::inference {

namespace {

using Vec = Eigen::VectorXd;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMaxEnergyError = 1000.0;  // Stan's max_deltaH

double log_sum_exp(double a, double b) {
  if (a == -kInf) return b;
  if (b == -kInf) return a;
  const double m = a > b ? a : b;
  return m + std::log(std::exp(a - m) + std::exp(b - m));
}

template <class A, class B, class R>
bool no_u_turn(const Eigen::MatrixBase<A>& p_sharp_minus, const Eigen::MatrixBase<B>& p_sharp_plus,
               const Eigen::MatrixBase<R>& rho) {
  return p_sharp_plus.dot(rho) > 0 && p_sharp_minus.dot(rho) > 0;
}

struct PhasePoint {
  Vec q, p, g;  // position, momentum, gradient of the log density
  double lp = 0;

  void resize(size_t d) {
    q.setZero(static_cast<Eigen::Index>(d));
    p.setZero(static_cast<Eigen::Index>(d));
    g.setZero(static_cast<Eigen::Index>(d));
  }
};

// The scratch of the (single) live build_tree call at one depth: recursion
// is depth-first, so each depth needs one set and nothing is allocated while
// a tree grows.
struct Frame {
  PhasePoint propose_final;
  Vec ps_init_end, p_init_end, rho_init, ps_final_beg, p_final_beg, rho_final;

  void resize(size_t d) {
    propose_final.resize(d);
    for (Vec* v : {&ps_init_end, &p_init_end, &rho_init, &ps_final_beg, &p_final_beg, &rho_final})
      v->setZero(static_cast<Eigen::Index>(d));
  }
};

}  // namespace

class NutsTransition::Impl {
 public:
  Impl(GradientTarget& target, Metric metric, int max_depth)
      : target_(target), metric_(metric), d_(target.dimension()) {
    if (d_ == 0) throw method_error("nuts", "the target has dimension 0: nothing to sample");
    set_max_depth(max_depth);
    const auto n = static_cast<Eigen::Index>(d_);
    if (metric_ == Metric::Diag) inv_diag_ = Vec::Ones(n);
    if (metric_ == Metric::Dense) {
      inv_dense_ = Eigen::MatrixXd::Identity(n, n);
      chol_ = Eigen::MatrixXd::Identity(n, n);
    }
    for (PhasePoint* z : {&z_, &z_fwd_, &z_bck_, &z_sample_, &z_propose_}) z->resize(d_);
    for (Vec* v : {&rho_, &rho_new_, &p_bck_, &ps_bck_, &p_fwd_, &ps_fwd_, &p_beg_, &ps_beg_,
                   &p_end_, &ps_end_, &tmp_})
      v->setZero(n);
  }

  Metric metric() const { return metric_; }
  size_t dimension() const { return d_; }
  double step_size() const { return eps_; }
  int max_depth() const { return max_depth_; }
  long evaluations() const { return evals_; }

  void set_step_size(double eps) {
    if (!(std::isfinite(eps) && eps > 0)) {
      throw method_error("nuts", "the step size is " + fmt("%.17g", eps) +
                                     ", but must be finite and positive");
    }
    eps_ = eps;
  }

  void set_max_depth(int depth) {
    if (depth < 1 || depth > 30) {
      throw method_error("nuts", "max_depth is " + std::to_string(depth) +
                                     ", but must be between 1 and 30");
    }
    max_depth_ = depth;
    frames_.resize(static_cast<size_t>(depth));
    for (Frame& f : frames_)
      if (static_cast<size_t>(f.rho_init.size()) != d_) f.resize(d_);
  }

  void set_inv_metric(std::span<const double> m) {
    const auto n = static_cast<Eigen::Index>(d_);
    if (metric_ == Metric::Unit)
      throw method_error("nuts", "the unit metric has no inverse metric to set");
    if (metric_ == Metric::Diag) {
      if (m.size() != d_) {
        throw method_error("nuts", "a diagonal inverse metric needs " + std::to_string(d_) +
                                       " entries, but got " + std::to_string(m.size()));
      }
      for (double x : m) {
        if (!(std::isfinite(x) && x > 0)) {
          throw method_error("nuts", "a diagonal inverse metric entry is " + fmt("%.17g", x) +
                                         ", but must be finite and positive");
        }
      }
      inv_diag_ = Eigen::Map<const Vec>(m.data(), n);
      return;
    }
    if (m.size() != d_ * d_) {
      throw method_error("nuts", "a dense inverse metric needs " + std::to_string(d_ * d_) +
                                     " entries, but got " + std::to_string(m.size()));
    }
    Eigen::MatrixXd a = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic,
                                                       Eigen::RowMajor>>(m.data(), n, n);
    if (!a.allFinite())
      throw method_error("nuts", "the dense inverse metric has a non-finite entry");
    const double scale = a.cwiseAbs().maxCoeff();
    if ((a - a.transpose()).cwiseAbs().maxCoeff() > 1e-12 * scale)
      throw method_error("nuts", "the dense inverse metric is not symmetric");
    a = 0.5 * (a + a.transpose());
    Eigen::LLT<Eigen::MatrixXd> llt(a);
    if (llt.info() != Eigen::Success)
      throw method_error("nuts", "the dense inverse metric is not positive definite");
    inv_dense_ = a;
    chol_ = llt.matrixL();
  }

  std::vector<double> inv_metric() const {
    switch (metric_) {
      case Metric::Unit:
        return std::vector<double>(d_, 1.0);
      case Metric::Diag:
        return std::vector<double>(inv_diag_.data(), inv_diag_.data() + d_);
      case Metric::Dense:
        break;
    }
    std::vector<double> out(d_ * d_);
    for (size_t i = 0; i < d_; ++i)
      for (size_t j = 0; j < d_; ++j)
        out[i * d_ + j] = inv_dense_(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
    return out;
  }

  NutsDrawStats transition(std::span<double> q, double& lp, std::span<double> grad,
                           rt::Rng& rng) {
    check_state(q.size(), lp, grad.size());
    const auto n = static_cast<Eigen::Index>(d_);
    z_.q = Eigen::Map<const Vec>(q.data(), n);
    z_.g = Eigen::Map<const Vec>(grad.data(), n);
    z_.lp = lp;
    sample_momentum(z_.p, rng);
    const double H0 = energy(z_);

    z_fwd_ = z_;
    z_bck_ = z_;
    z_sample_ = z_;
    sharp(z_.p, ps_fwd_);
    ps_bck_ = ps_fwd_;
    p_fwd_ = z_.p;
    p_bck_ = z_.p;
    rho_ = z_.p;

    double log_sum_weight = 0;  // log exp(H0 − H0): the initial point
    double sum_metro_prob = 0;
    int n_leapfrog = 0;
    int depth = 0;
    divergent_ = false;

    while (depth < max_depth_) {
      rho_new_.setZero();
      double log_sum_weight_new = -kInf;
      const bool forward = rng.uniform() > 0.5;
      z_ = forward ? z_fwd_ : z_bck_;
      const bool valid = build_tree(depth, z_propose_, ps_beg_, ps_end_, rho_new_, p_beg_, p_end_,
                                    H0, forward ? 1.0 : -1.0, n_leapfrog, log_sum_weight_new,
                                    sum_metro_prob, rng);
      (forward ? z_fwd_ : z_bck_) = z_;
      if (!valid) break;
      ++depth;

      if (log_sum_weight_new > log_sum_weight) {
        z_sample_ = z_propose_;
      } else if (rng.uniform() < std::exp(log_sum_weight_new - log_sum_weight)) {
        z_sample_ = z_propose_;
      }
      log_sum_weight = log_sum_exp(log_sum_weight, log_sum_weight_new);

      // The new subtree runs from p_beg (next to the old tree) to p_end.
      bool persist;
      if (forward) {  // merged: [old: bck .. fwd][new: beg .. end]
        persist = no_u_turn(ps_bck_, ps_end_, rho_ + rho_new_) &&
                  no_u_turn(ps_bck_, ps_beg_, rho_ + p_beg_) &&
                  no_u_turn(ps_fwd_, ps_end_, rho_new_ + p_fwd_);
        p_fwd_ = p_end_;
        ps_fwd_ = ps_end_;
      } else {  // merged: [new: end .. beg][old: bck .. fwd]
        persist = no_u_turn(ps_end_, ps_fwd_, rho_ + rho_new_) &&
                  no_u_turn(ps_end_, ps_bck_, rho_new_ + p_bck_) &&
                  no_u_turn(ps_beg_, ps_fwd_, rho_ + p_beg_);
        p_bck_ = p_end_;
        ps_bck_ = ps_end_;
      }
      rho_ += rho_new_;
      if (!persist) break;
    }

    std::copy(z_sample_.q.data(), z_sample_.q.data() + n, q.data());
    std::copy(z_sample_.g.data(), z_sample_.g.data() + n, grad.data());
    lp = z_sample_.lp;
    NutsDrawStats s;
    s.lp = lp;
    s.accept_stat = sum_metro_prob / static_cast<double>(n_leapfrog);
    s.stepsize = eps_;
    s.treedepth = depth;
    s.n_leapfrog = n_leapfrog;
    s.divergent = divergent_;
    s.energy = energy(z_sample_);
    return s;
  }

  double find_step_size(std::span<const double> q, double lp, std::span<const double> grad,
                        rt::Rng& rng) {
    check_state(q.size(), lp, grad.size());
    const auto n = static_cast<Eigen::Index>(d_);
    const Vec q0 = Eigen::Map<const Vec>(q.data(), n);
    const Vec g0 = Eigen::Map<const Vec>(grad.data(), n);
    const double eps = search_step_size(eps_, [&](double step) {
      z_.q = q0;
      z_.g = g0;
      z_.lp = lp;
      sample_momentum(z_.p, rng);
      const double H0 = energy(z_);
      leapfrog(z_, step);
      return H0 - energy(z_);
    });
    set_step_size(eps);
    return eps_;
  }

 private:
  void check_state(size_t q_size, double lp, size_t grad_size) const {
    if (q_size != d_ || grad_size != d_) {
      throw method_error("nuts", "the state has " + std::to_string(q_size) + " coordinates and " +
                                     std::to_string(grad_size) + " gradient entries, but the "
                                     "target has dimension " + std::to_string(d_));
    }
    if (!std::isfinite(lp)) {
      throw method_error("nuts", "the current point has log density " + fmt("%.17g", lp) +
                                     ": a transition must start where the density is positive");
    }
  }

  // p ~ N(0, M): M⁻¹ = L Lᵀ, so p = L⁻ᵀ u has covariance (L Lᵀ)⁻¹ = M.
  void sample_momentum(Vec& p, rt::Rng& rng) {
    for (Eigen::Index i = 0; i < p.size(); ++i) p[i] = rng.normal();
    if (metric_ == Metric::Diag) p.array() /= inv_diag_.array().sqrt();
    if (metric_ == Metric::Dense) chol_.transpose().triangularView<Eigen::Upper>().solveInPlace(p);
  }

  // p♯ = M⁻¹ p = dq/dt.
  void sharp(const Vec& p, Vec& out) const {
    switch (metric_) {
      case Metric::Unit:
        out = p;
        break;
      case Metric::Diag:
        out = inv_diag_.cwiseProduct(p);
        break;
      case Metric::Dense:
        out.noalias() = inv_dense_ * p;
        break;
    }
  }

  // H = −log p(q) + ½ pᵀ M⁻¹ p; NaN counts as +∞ (a divergence).
  double energy(const PhasePoint& z) {
    sharp(z.p, tmp_);
    const double h = -z.lp + 0.5 * z.p.dot(tmp_);
    return std::isnan(h) ? kInf : h;
  }

  void evaluate(PhasePoint& z) {
    ++evals_;
    z.lp = target_.log_density_gradient(z.q.data(), z.g.data());
    // Zero density (or a broken value): energy +∞, and a zero gradient so
    // the unspecified one cannot leak NaN into the momentum.
    if (!std::isfinite(z.lp)) {
      z.lp = -kInf;
      z.g.setZero();
    }
  }

  void leapfrog(PhasePoint& z, double step) {
    z.p += (0.5 * step) * z.g;
    sharp(z.p, tmp_);
    z.q += step * tmp_;
    evaluate(z);
    z.p += (0.5 * step) * z.g;
  }

  // Extends the trajectory from the frontier z_ by 2^depth leapfrog steps in
  // direction `sign`. Outputs: the subtree's proposal, p and p♯ at its first
  // (beg, next to where it started) and last (end) points; adds its momenta
  // to rho, its weights to log_sum_weight. Returns false when the subtree
  // diverged or contains a U-turn (then the outputs are not to be used).
  bool build_tree(int depth, PhasePoint& z_propose, Vec& ps_beg, Vec& ps_end, Vec& rho,
                  Vec& p_beg, Vec& p_end, double H0, double sign, int& n_leapfrog,
                  double& log_sum_weight, double& sum_metro_prob, rt::Rng& rng) {
    if (depth == 0) {
      leapfrog(z_, sign * eps_);
      ++n_leapfrog;
      const double h = energy(z_);
      if (h - H0 > kMaxEnergyError) divergent_ = true;
      log_sum_weight = log_sum_exp(log_sum_weight, H0 - h);
      sum_metro_prob += H0 - h > 0 ? 1.0 : std::exp(H0 - h);
      z_propose = z_;
      ps_beg = tmp_;  // energy() left M⁻¹ p there
      ps_end = ps_beg;
      rho += z_.p;
      p_beg = z_.p;
      p_end = z_.p;
      return !divergent_;
    }
    Frame& f = frames_[static_cast<size_t>(depth)];

    f.rho_init.setZero();
    double log_sum_weight_init = -kInf;
    if (!build_tree(depth - 1, z_propose, ps_beg, f.ps_init_end, f.rho_init, p_beg, f.p_init_end,
                    H0, sign, n_leapfrog, log_sum_weight_init, sum_metro_prob, rng))
      return false;

    f.rho_final.setZero();
    double log_sum_weight_final = -kInf;
    if (!build_tree(depth - 1, f.propose_final, f.ps_final_beg, ps_end, f.rho_final,
                    f.p_final_beg, p_end, H0, sign, n_leapfrog, log_sum_weight_final,
                    sum_metro_prob, rng))
      return false;

    // Multinomial choice between the halves, in proportion to their weights.
    const double log_sum_weight_subtree = log_sum_exp(log_sum_weight_init, log_sum_weight_final);
    log_sum_weight = log_sum_exp(log_sum_weight, log_sum_weight_subtree);
    if (log_sum_weight_final > log_sum_weight_subtree) {
      z_propose = f.propose_final;
    } else if (rng.uniform() < std::exp(log_sum_weight_final - log_sum_weight_subtree)) {
      z_propose = f.propose_final;
    }

    rho += f.rho_init + f.rho_final;
    return no_u_turn(ps_beg, ps_end, f.rho_init + f.rho_final) &&
           no_u_turn(ps_beg, f.ps_final_beg, f.rho_init + f.p_final_beg) &&
           no_u_turn(f.ps_init_end, ps_end, f.rho_final + f.p_init_end);
  }

  GradientTarget& target_;
  Metric metric_;
  size_t d_;
  int max_depth_ = 10;
  double eps_ = 1.0;
  Vec inv_diag_;
  Eigen::MatrixXd inv_dense_, chol_;  // M⁻¹ and its lower Cholesky factor
  long evals_ = 0;
  bool divergent_ = false;

  PhasePoint z_;  // the frontier the integrator moves
  PhasePoint z_fwd_, z_bck_, z_sample_, z_propose_;
  Vec rho_, rho_new_, p_bck_, ps_bck_, p_fwd_, ps_fwd_, p_beg_, ps_beg_, p_end_, ps_end_, tmp_;
  std::vector<Frame> frames_;
};

NutsTransition::NutsTransition(GradientTarget& target, Metric metric, int max_depth)
    : impl_(std::make_unique<Impl>(target, metric, max_depth)) {}
NutsTransition::~NutsTransition() = default;
NutsTransition::NutsTransition(NutsTransition&&) noexcept = default;
NutsTransition& NutsTransition::operator=(NutsTransition&&) noexcept = default;

Metric NutsTransition::metric() const { return impl_->metric(); }
size_t NutsTransition::dimension() const { return impl_->dimension(); }
void NutsTransition::set_step_size(double step_size) { impl_->set_step_size(step_size); }
double NutsTransition::step_size() const { return impl_->step_size(); }
void NutsTransition::set_max_depth(int max_depth) { impl_->set_max_depth(max_depth); }
int NutsTransition::max_depth() const { return impl_->max_depth(); }
void NutsTransition::set_inv_metric(std::span<const double> m) { impl_->set_inv_metric(m); }
std::vector<double> NutsTransition::inv_metric() const { return impl_->inv_metric(); }
long NutsTransition::gradient_evaluations() const { return impl_->evaluations(); }

NutsDrawStats NutsTransition::transition(std::span<double> q, double& lp, std::span<double> grad,
                                         rt::Rng& rng) {
  return impl_->transition(q, lp, grad, rng);
}

double NutsTransition::find_step_size(std::span<const double> q, double lp,
                                      std::span<const double> grad, rt::Rng& rng) {
  return impl_->find_step_size(q, lp, grad, rng);
}

void validate_nuts_settings(const NutsSettings& s) {
  require_at_least("nuts", "warmup", s.warmup, 0);
  require_at_least("nuts", "samples", s.samples, 1);
  if (s.max_depth < 1 || s.max_depth > 30) {
    throw method_error("nuts", "max_depth is " + std::to_string(s.max_depth) +
                                   ", but must be between 1 and 30");
  }
  if (!(s.target_accept > 0 && s.target_accept < 1)) {
    throw method_error("nuts", "target_accept is " + fmt("%.17g", s.target_accept) +
                                   ", but must be strictly between 0 and 1");
  }
  if (!(std::isfinite(s.init_step_size) && s.init_step_size > 0)) {
    throw method_error("nuts", "init_step_size is " + fmt("%.17g", s.init_step_size) +
                                   ", but must be finite and positive");
  }
}

NutsChainResult nuts_chain(GradientTarget& target, rt::Rng& rng, std::span<const double> q0,
                           const NutsSettings& settings,
                           const std::function<void(int iteration, int total)>& progress) {
  validate_nuts_settings(settings);
  const size_t d = target.dimension();
  if (q0.size() != d) {
    throw method_error("nuts", "the initial point has " + std::to_string(q0.size()) +
                                   " coordinates, but the target has dimension " +
                                   std::to_string(d));
  }
  NutsTransition kernel(target, settings.metric, settings.max_depth);
  kernel.set_step_size(settings.init_step_size);

  std::vector<double> q(q0.begin(), q0.end()), grad(d);
  double lp = target.log_density_gradient(q.data(), grad.data());
  long evals = 1;
  if (!std::isfinite(lp)) {
    throw method_error("nuts", "the initial point has log density " + fmt("%.17g", lp) +
                                   ": it must be finite");
  }
  for (double g : grad) {
    if (!std::isfinite(g))
      throw method_error("nuts", "the gradient at the initial point is not finite");
  }

  const bool adapt = settings.adapt && settings.warmup > 0;
  const bool adapt_metric = adapt && settings.metric != Metric::Unit;
  StepSizeAdaptation step_adapt(settings.target_accept);
  std::vector<WarmupWindow> windows;
  size_t window = 0;
  WelfordVariance var_est(settings.metric == Metric::Diag ? d : 0);
  WelfordCovariance cov_est(settings.metric == Metric::Dense ? d : 0);
  if (adapt) {
    // As Stan: μ from the user's step size, then the search from it.
    step_adapt.set_mu(std::log(10 * settings.init_step_size));
    kernel.find_step_size(q, lp, grad, rng);
    if (adapt_metric) windows = warmup_windows(settings.warmup);
  }

  NutsChainResult result;
  result.draws.reserve(static_cast<size_t>(settings.samples) * d);
  result.stats.reserve(static_cast<size_t>(settings.samples));
  result.divergences = 0;
  result.max_depth_hits = 0;
  const int total = settings.warmup + settings.samples;
  for (int it = 0; it < total; ++it) {
    const NutsDrawStats s = kernel.transition(q, lp, grad, rng);
    if (it < settings.warmup) {
      if (adapt) {
        kernel.set_step_size(step_adapt.learn(s.accept_stat));
        if (window < windows.size() && it >= windows[window].first) {
          if (settings.metric == Metric::Diag) var_est.add(q);
          else cov_est.add(q);
          if (it == windows[window].last) {
            if (settings.metric == Metric::Diag) {
              kernel.set_inv_metric(regularised_variance(var_est));
              var_est.restart();
            } else {
              kernel.set_inv_metric(regularised_covariance(cov_est));
              cov_est.restart();
            }
            ++window;
            kernel.find_step_size(q, lp, grad, rng);
            step_adapt.set_mu(std::log(10 * kernel.step_size()));
            step_adapt.restart();
          }
        }
        if (it == settings.warmup - 1 && step_adapt.iterations() > 0)
          kernel.set_step_size(step_adapt.final_step_size());
      }
    } else {
      result.draws.insert(result.draws.end(), q.begin(), q.end());
      result.stats.push_back(s);
      if (s.divergent) ++result.divergences;
      if (s.treedepth >= settings.max_depth) ++result.max_depth_hits;
    }
    if (progress) progress(it + 1, total);
  }
  result.step_size = kernel.step_size();
  result.inv_metric = kernel.inv_metric();
  result.gradient_evaluations = evals + kernel.gradient_evaluations();
  return result;
}

std::vector<double> nuts_initial_point(GradientTarget& target, rt::Rng& rng, int tries) {
  require_at_least("nuts", "tries", tries, 1);
  const size_t d = target.dimension();
  std::vector<double> q(d), grad(d);
  for (int t = 0; t < tries; ++t) {
    for (double& x : q) x = -2.0 + 4.0 * rng.uniform();
    const double lp = target.log_density_gradient(q.data(), grad.data());
    if (!std::isfinite(lp)) continue;
    bool ok = true;
    for (double g : grad) ok = ok && std::isfinite(g);
    if (ok) return q;
  }
  throw method_error("nuts", "no initial point with a finite log density and gradient in " +
                                 std::to_string(tries) +
                                 " tries (each coordinate uniform on (-2, 2))");
}

}  // namespace borel::inference
