// test_nuts.cpp — NUTS (Nuts.h) and its warmup adaptation (Adaptation.h) on
// hand-written Gaussian, funnel and truncated targets with known moments.
//
// Tolerances. A chain's estimate of E f(x) is checked against the exact
// value with |estimate − exact| ≤ 4.5 · MCSE, MCSE = sd(f) / √ESS(f) from
// McmcStats.h (split-chain ESS of f's draws, as Stan's posterior package);
// variances and covariances are means of f = (x − μ)², (x − μ)(y − ν) with
// the exact μ, ν, so the same rule applies. A 4.5-sigma bound fails a correct
// sampler with probability ~7e-6 per check (a few hundred checks here), and
// catches any bias above ~5 MCSE. Independent replicas (the invariance
// test) use the i.i.d. standard error instead of the MCSE. The adapted
// metric is checked against the draws it was estimated from: the test
// replays nuts_chain's warmup with the public building blocks (same Rng
// stream, so the replayed metric and step size must equal the chain's bit
// for bit), keeps the last window's L draws and compares the metric with
// the regularised expectation (L/(L+5)) Σ + 1e-3 · 5/(L+5) · I, within
// 4.5 · (L/(L+5)) · MCSE of the window's mean of (x − μ)(y − ν). (The sample
// covariance subtracts the window mean and divides by L − 1: O(1/L) effects,
// below 5% of that MCSE for L = 500.)
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "inference/Adaptation.h"
#include "inference/McmcStats.h"
#include "inference/Nuts.h"
#include "runtime/Model.h"
#include "runtime/Rng.h"

using namespace borel;
using namespace borel::inference;

namespace {

constexpr double kZ = 4.5;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// N(0, diag(sd²)).
class IndependentNormal final : public GradientTarget {
 public:
  explicit IndependentNormal(std::vector<double> sd) : sd_(std::move(sd)) {}
  size_t dimension() const override { return sd_.size(); }
  double log_density_gradient(const double* q, double* grad) override {
    double lp = 0;
    for (size_t i = 0; i < sd_.size(); ++i) {
      const double z = q[i] / sd_[i];
      lp -= 0.5 * z * z;
      grad[i] = -z / sd_[i];
    }
    return lp;
  }

 private:
  std::vector<double> sd_;
};

// N(mu, cov) in any dimension.
class Gaussian final : public GradientTarget {
 public:
  Gaussian(Eigen::VectorXd mu, const Eigen::MatrixXd& cov)
      : mu_(std::move(mu)), prec_(cov.inverse()) {}
  size_t dimension() const override { return static_cast<size_t>(mu_.size()); }
  double log_density_gradient(const double* q, double* grad) override {
    const Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(q, mu_.size()) - mu_;
    const Eigen::VectorXd g = -(prec_ * x);
    Eigen::Map<Eigen::VectorXd>(grad, mu_.size()) = g;
    return 0.5 * x.dot(g);
  }

 private:
  Eigen::VectorXd mu_;
  Eigen::MatrixXd prec_;
};

// Neal's funnel: v ~ N(0, 3²), x_i | v ~ N(0, e^v), i = 1..d−1.
class Funnel final : public GradientTarget {
 public:
  explicit Funnel(size_t d) : d_(d) {}
  size_t dimension() const override { return d_; }
  double log_density_gradient(const double* q, double* grad) override {
    const double v = q[0];
    const double k = static_cast<double>(d_ - 1);
    double lp = -v * v / 18.0 - 0.5 * k * v;
    grad[0] = -v / 9.0 - 0.5 * k;
    const double inv_var = std::exp(-v);
    for (size_t i = 1; i < d_; ++i) {
      lp -= 0.5 * q[i] * q[i] * inv_var;
      grad[0] += 0.5 * q[i] * q[i] * inv_var;
      grad[i] = -q[i] * inv_var;
    }
    return lp;
  }

 private:
  size_t d_;
};

// The standard half-normal on (0, ∞), −∞ elsewhere: trajectories that cross
// 0 must end as divergences.
class HalfNormal final : public GradientTarget {
 public:
  size_t dimension() const override { return 1; }
  double log_density_gradient(const double* q, double* grad) override {
    if (!(q[0] > 0)) return kNegInf;
    grad[0] = -q[0];
    return -0.5 * q[0] * q[0];
  }
};

// Counts the calls of another target.
class Counting final : public GradientTarget {
 public:
  explicit Counting(GradientTarget& inner) : inner_(inner) {}
  size_t dimension() const override { return inner_.dimension(); }
  double log_density_gradient(const double* q, double* grad) override {
    ++calls;
    return inner_.log_density_gradient(q, grad);
  }
  long calls = 0;

 private:
  GradientTarget& inner_;
};

std::vector<double> column(const NutsChainResult& r, size_t dim, size_t j) {
  std::vector<double> x;
  for (size_t i = j; i < r.draws.size(); i += dim) x.push_back(r.draws[i]);
  return x;
}

double mean(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v;
  return s / static_cast<double>(x.size());
}

// |mean(f) − exact| ≤ kZ · MCSE(f); returns MCSE(f).
double check_mean(const std::vector<double>& f, double exact, const std::string& what) {
  const McmcStats s = mcmc_stats({f});
  const double z = (mean(f) - exact) / s.mcse_mean;
  INFO(what << ": estimate " << mean(f) << ", exact " << exact << ", MCSE " << s.mcse_mean
            << ", ESS " << s.ess_mean << ", z " << z);
  CHECK(std::isfinite(z));
  CHECK(std::abs(z) <= kZ);
  return s.mcse_mean;
}

std::vector<double> products(const std::vector<double>& x, double mx, const std::vector<double>& y,
                             double my) {
  std::vector<double> f(x.size());
  for (size_t i = 0; i < x.size(); ++i) f[i] = (x[i] - mx) * (y[i] - my);
  return f;
}

// Mean and variance of every coordinate of N(0, diag(sd²)).
void check_independent_normal(const NutsChainResult& r, const std::vector<double>& sd) {
  const size_t d = sd.size();
  for (size_t j = 0; j < d; ++j) {
    const std::vector<double> x = column(r, d, j);
    check_mean(x, 0.0, "mean of x" + std::to_string(j));
    check_mean(products(x, 0, x, 0), sd[j] * sd[j], "variance of x" + std::to_string(j));
  }
}

// nuts_chain's warmup replayed from the building blocks (Adaptation.h and
// NutsTransition), drawing from the Rng in the same order; `window` holds
// the last metric window's draws, one vector per coordinate.
struct WarmupReplay {
  std::vector<std::vector<double>> window;
  std::vector<double> inv_metric;
  double step_size;
};

WarmupReplay replay_warmup(GradientTarget& t, const NutsSettings& s, uint64_t seed) {
  const size_t d = t.dimension();
  rt::Rng rng(seed, 0);
  std::vector<double> q = nuts_initial_point(t, rng), g(d);
  double lp = t.log_density_gradient(q.data(), g.data());
  NutsTransition k(t, s.metric, s.max_depth);
  k.set_step_size(s.init_step_size);
  StepSizeAdaptation dual(s.target_accept);
  dual.set_mu(std::log(10 * s.init_step_size));
  k.find_step_size(q, lp, g, rng);
  const std::vector<WarmupWindow> windows = warmup_windows(s.warmup);
  WelfordVariance var(d);
  WelfordCovariance cov(d);
  WarmupReplay out;
  out.window.resize(d);
  size_t w = 0;
  for (int it = 0; it < s.warmup; ++it) {
    k.set_step_size(dual.learn(k.transition(q, lp, g, rng).accept_stat));
    if (w < windows.size() && it >= windows[w].first) {
      var.add(q);
      cov.add(q);
      if (w + 1 == windows.size())
        for (size_t j = 0; j < d; ++j) out.window[j].push_back(q[j]);
      if (it == windows[w].last) {
        k.set_inv_metric(s.metric == Metric::Diag ? regularised_variance(var)
                                                  : regularised_covariance(cov));
        var.restart();
        cov.restart();
        ++w;
        k.find_step_size(q, lp, g, rng);
        dual.set_mu(std::log(10 * k.step_size()));
        dual.restart();
      }
    }
  }
  k.set_step_size(dual.final_step_size());
  out.inv_metric = k.inv_metric();
  out.step_size = k.step_size();
  return out;
}

// The adapted inverse metric entry (i, j) against the regularised
// expectation, within kZ MCSEs of the window's mean of (x_i − μ_i)(x_j − μ_j).
void check_metric_entry(const WarmupReplay& rep, double adapted, size_t i, size_t j, double mu_i,
                        double mu_j, double cov_ij) {
  const double L = static_cast<double>(rep.window[i].size()), shrink = L / (L + 5);
  const std::vector<double> f = products(rep.window[i], mu_i, rep.window[j], mu_j);
  const double se = shrink * mcmc_stats({f}).mcse_mean;
  const double expect = shrink * cov_ij + (i == j ? 1e-3 * 5 / (L + 5) : 0.0);
  INFO("inv_metric(" << i << ", " << j << ") = " << adapted << ", expected " << expect << " ± "
                     << se << " (L = " << L << "), z " << (adapted - expect) / se);
  CHECK(std::abs(adapted - expect) <= kZ * se);
}

NutsChainResult run(GradientTarget& t, const NutsSettings& s, uint64_t seed,
                    std::vector<double> q0 = {}) {
  rt::Rng rng(seed, 0);
  if (q0.empty()) q0 = nuts_initial_point(t, rng);
  return nuts_chain(t, rng, q0, s);
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const rt::RuntimeError& e) {
    return e.what();
  }
  return "(no rt::RuntimeError)";
}

}  // namespace

TEST_CASE("nuts: warmup windows follow Stan's schedule") {
  const std::vector<WarmupWindow> w = warmup_windows(1000);
  REQUIRE(w.size() == 5);
  const int expect[5][2] = {{75, 99}, {100, 149}, {150, 249}, {250, 449}, {450, 949}};
  for (size_t i = 0; i < 5; ++i) {
    CHECK(w[i].first == expect[i][0]);
    CHECK(w[i].last == expect[i][1]);
  }
  // 150 fits the three stages exactly: one base window.
  const std::vector<WarmupWindow> w150 = warmup_windows(150);
  REQUIRE(w150.size() == 1);
  CHECK((w150[0].first == 75 && w150[0].last == 99));
  // Below 150 the buffers shrink to 15% and 10%; one window fills the rest.
  const std::vector<WarmupWindow> w100 = warmup_windows(100);
  REQUIRE(w100.size() == 1);
  CHECK((w100[0].first == 15 && w100[0].last == 89));
  CHECK(warmup_windows(19).empty());
  CHECK(warmup_windows(0).empty());
  // 2000: 75 + 25 + 50 + 100 + 200 + 400, then the last stretches to 1949.
  const std::vector<WarmupWindow> w2000 = warmup_windows(2000);
  REQUIRE(w2000.size() == 6);
  CHECK((w2000[4].first == 450 && w2000[4].last == 849));
  CHECK((w2000[5].first == 850 && w2000[5].last == 1949));
}

TEST_CASE("nuts: dual averaging and Welford estimators") {
  // Acceptance exactly on target: s̄ stays 0, every x_t = μ.
  StepSizeAdaptation a(0.8);
  a.set_mu(std::log(10 * 0.3));
  for (int i = 0; i < 50; ++i) CHECK(a.learn(0.8) == doctest::Approx(3.0).epsilon(1e-12));
  CHECK(a.final_step_size() == doctest::Approx(3.0).epsilon(1e-12));
  // First update by hand: η = 1/11, s̄ = η (0.8 − 0.3), x = μ − s̄ / 0.05.
  a.restart();
  const double s_bar = (0.8 - 0.3) / 11.0;
  CHECK(a.learn(0.3) == doctest::Approx(std::exp(std::log(3.0) - s_bar / 0.05)).epsilon(1e-12));
  CHECK(a.final_step_size() == doctest::Approx(std::exp(std::log(3.0) - s_bar / 0.05)));
  // Low acceptance shrinks the step size, and an accept_stat above 1 counts as 1.
  a.restart();
  double eps = 0;
  for (int i = 0; i < 200; ++i) eps = a.learn(0.1);
  CHECK(eps < 3.0);
  StepSizeAdaptation b(0.8), c(0.8);
  CHECK(b.learn(1.7) == c.learn(1.0));

  // Welford against two-pass formulas, and Stan's regularisation.
  const std::vector<std::vector<double>> xs = {{1, 2}, {3, -1}, {0.5, 4}, {-2, 0}, {7, 1}};
  WelfordVariance wv(2);
  WelfordCovariance wc(2);
  for (const auto& x : xs) {
    wv.add(x);
    wc.add(x);
  }
  double m[2] = {0, 0};
  for (const auto& x : xs) m[0] += x[0] / 5, m[1] += x[1] / 5;
  double c2[2][2] = {{0, 0}, {0, 0}};
  for (const auto& x : xs)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) c2[i][j] += (x[i] - m[i]) * (x[j] - m[j]) / 4;
  const std::vector<double> v = wv.sample_variance(), cv = wc.sample_covariance();
  for (int i = 0; i < 2; ++i) {
    CHECK(v[i] == doctest::Approx(c2[i][i]).epsilon(1e-13));
    for (int j = 0; j < 2; ++j) CHECK(cv[i * 2 + j] == doctest::Approx(c2[i][j]).epsilon(1e-13));
  }
  CHECK(cv[1] == cv[2]);
  const std::vector<double> rv = regularised_variance(wv), rc = regularised_covariance(wc);
  CHECK(rv[0] == doctest::Approx(5.0 / 10 * c2[0][0] + 1e-3 * 5.0 / 10).epsilon(1e-13));
  CHECK(rc[1] == doctest::Approx(5.0 / 10 * c2[0][1]).epsilon(1e-13));
  CHECK(rc[3] == doctest::Approx(5.0 / 10 * c2[1][1] + 1e-3 * 5.0 / 10).epsilon(1e-13));
}

TEST_CASE("nuts: step size search doubles or halves across acceptance 0.8") {
  // A fake energy drop: acceptable (above log 0.8) exactly below ε = 0.7.
  const auto drop = [](double eps) { return eps < 0.7 ? 0.0 : -1.0; };
  CHECK(search_step_size(1.0, drop) == 0.5);     // halves until acceptable
  CHECK(search_step_size(0.01, drop) == 1.28);  // doubles one past the last acceptable
  CHECK_THROWS_AS(search_step_size(1.0, [](double) { return 0.0; }), rt::RuntimeError);
  CHECK_THROWS_AS(search_step_size(1.0, [](double) { return kNegInf; }), rt::RuntimeError);
}

TEST_CASE("nuts: i.i.d. standard normal in 1 and 10 dimensions") {
  for (size_t d : {size_t{1}, size_t{10}}) {
    INFO("dimension " << d);
    const std::vector<double> sd(d, 1.0);
    IndependentNormal target(sd);
    NutsSettings s;
    s.samples = 2000;
    const NutsChainResult r = run(target, s, 11 + d);
    REQUIRE(r.draws.size() == d * 2000);
    REQUIRE(r.stats.size() == 2000);
    check_independent_normal(r, sd);
    CHECK(r.divergences == 0);
    CHECK(r.max_depth_hits == 0);
    for (double m : r.inv_metric) CHECK((m > 0.5 && m < 2.0));  // variance 1, window of ≥ 500
  }
}

TEST_CASE("nuts: correlated 2-D Gaussian with the dense metric") {
  const double s1 = 1.0, s2 = 3.0, rho = 0.9;
  Eigen::MatrixXd cov(2, 2);
  cov << s1 * s1, rho * s1 * s2, rho * s1 * s2, s2 * s2;
  Eigen::VectorXd mu(2);
  mu << 1.0, -2.0;
  Gaussian target(mu, cov);
  NutsSettings s;
  s.metric = Metric::Dense;
  s.samples = 4000;
  const NutsChainResult r = run(target, s, 5);
  const std::vector<double> x = column(r, 2, 0), y = column(r, 2, 1);
  check_mean(x, mu[0], "mean x");
  check_mean(y, mu[1], "mean y");
  check_mean(products(x, mu[0], x, mu[0]), cov(0, 0), "var x");
  check_mean(products(y, mu[1], y, mu[1]), cov(1, 1), "var y");
  check_mean(products(x, mu[0], y, mu[1]), cov(0, 1), "cov xy");
  CHECK(r.divergences == 0);

  // The adapted metric: the last window's regularised covariance.
  const WarmupReplay rep = replay_warmup(target, s, 5);
  CHECK(rep.inv_metric == r.inv_metric);
  CHECK(rep.step_size == r.step_size);
  REQUIRE(r.inv_metric.size() == 4);
  CHECK(r.inv_metric[1] == r.inv_metric[2]);
  for (size_t i = 0; i < 2; ++i)
    for (size_t j = 0; j < 2; ++j)
      check_metric_entry(rep, r.inv_metric[i * 2 + j], i, j, mu[i], mu[j], cov(i, j));
}

TEST_CASE("nuts: 100-D normal with scales 1..100, diagonal metric tracks the variances") {
  std::vector<double> sd(100);
  for (size_t i = 0; i < 100; ++i) sd[i] = static_cast<double>(i + 1);
  IndependentNormal target(sd);
  NutsSettings s;
  const NutsChainResult r = run(target, s, 3);
  const WarmupReplay rep = replay_warmup(target, s, 3);
  CHECK(rep.inv_metric == r.inv_metric);
  CHECK(rep.step_size == r.step_size);
  REQUIRE(r.inv_metric.size() == 100);
  for (size_t j = 0; j < 100; ++j) {
    const std::vector<double> x = column(r, 100, j);
    check_mean(x, 0.0, "mean of x" + std::to_string(j));
    check_mean(products(x, 0, x, 0), sd[j] * sd[j], "var of x" + std::to_string(j));
    check_metric_entry(rep, r.inv_metric[j], j, j, 0.0, 0.0, sd[j] * sd[j]);
  }
  // With the metric adapted the trajectories are short: well below max depth.
  CHECK(r.max_depth_hits == 0);
}

TEST_CASE("nuts: the funnel and a target with a zero-density region report divergences") {
  SUBCASE("Neal's funnel in 10 dimensions") {
    Funnel target(10);
    NutsSettings s;
    s.warmup = 500;
    s.samples = 500;
    const NutsChainResult r = run(target, s, 9);
    int divergent = 0;
    for (const NutsDrawStats& st : r.stats) divergent += st.divergent;
    CHECK(r.divergences == divergent);
    CHECK(r.divergences > 0);
    for (double x : r.draws) CHECK(std::isfinite(x));
    for (const NutsDrawStats& st : r.stats) CHECK(std::isfinite(st.lp));
  }
  SUBCASE("half-normal: -infinity below 0") {
    HalfNormal target;
    NutsSettings s;
    s.samples = 4000;
    const NutsChainResult r = run(target, s, 21);
    CHECK(r.divergences > 0);
    for (double x : r.draws) CHECK(x > 0);
    const std::vector<double> x = column(r, 1, 0);
    // E x = √(2/π), E x² = 1: a divergence discards its subtree, the chain stays exact.
    check_mean(x, std::sqrt(2.0 / M_PI), "mean");
    check_mean(products(x, 0, x, 0), 1.0, "second moment");
  }
}

TEST_CASE("nuts: the same seed gives bit-identical draws") {
  IndependentNormal target(std::vector<double>(10, 2.0));
  for (Metric m : {Metric::Unit, Metric::Diag, Metric::Dense}) {
    NutsSettings s;
    s.metric = m;
    s.warmup = 300;
    s.samples = 200;
    const NutsChainResult a = run(target, s, 77), b = run(target, s, 77), c = run(target, s, 78);
    CHECK(a.draws == b.draws);
    CHECK(a.draws != c.draws);
    CHECK(a.step_size == b.step_size);
    CHECK(a.inv_metric == b.inv_metric);
    CHECK(a.gradient_evaluations == b.gradient_evaluations);
    REQUIRE(a.stats.size() == b.stats.size());
    for (size_t i = 0; i < a.stats.size(); ++i) {
      CHECK(a.stats[i].n_leapfrog == b.stats[i].n_leapfrog);
      CHECK(a.stats[i].energy == b.stats[i].energy);
    }
  }
}

TEST_CASE("nuts: settings and arguments are validated") {
  IndependentNormal target(std::vector<double>(2, 1.0));
  const std::vector<double> q0 = {0.1, -0.2};
  const auto with = [&](auto change) {
    NutsSettings s;
    s.warmup = 10;
    s.samples = 10;
    change(s);
    rt::Rng rng(1, 0);
    return error_of([&] { nuts_chain(target, rng, q0, s); });
  };
  CHECK(with([](NutsSettings& s) { s.warmup = -1; }) ==
        "nuts: warmup is -1, but must be non-negative");
  CHECK(with([](NutsSettings& s) { s.samples = 0; }) ==
        "nuts: samples is 0, but must be positive");
  CHECK(with([](NutsSettings& s) { s.max_depth = 0; }) ==
        "nuts: max_depth is 0, but must be between 1 and 30");
  CHECK(with([](NutsSettings& s) { s.max_depth = 31; }) ==
        "nuts: max_depth is 31, but must be between 1 and 30");
  CHECK(with([](NutsSettings& s) { s.target_accept = 1.0; }) ==
        "nuts: target_accept is 1, but must be strictly between 0 and 1");
  CHECK(with([](NutsSettings& s) { s.target_accept = 0.0; }) ==
        "nuts: target_accept is 0, but must be strictly between 0 and 1");
  CHECK(with([](NutsSettings& s) { s.target_accept = std::nan(""); }).find("target_accept") !=
        std::string::npos);
  CHECK(with([](NutsSettings& s) { s.init_step_size = 0; }) ==
        "nuts: init_step_size is 0, but must be finite and positive");
  CHECK(with([](NutsSettings&) {}) == "(no rt::RuntimeError)");

  rt::Rng rng(1, 0);
  const std::vector<double> q_bad = {1.0};
  CHECK(error_of([&] { nuts_chain(target, rng, q_bad, NutsSettings{}); }) ==
        "nuts: the initial point has 1 coordinates, but the target has dimension 2");
  HalfNormal half;
  const std::vector<double> q_neg = {-1.0};
  CHECK(error_of([&] { nuts_chain(half, rng, q_neg, NutsSettings{}); }) ==
        "nuts: the initial point has log density -inf: it must be finite");

  NutsTransition k(target, Metric::Dense);
  CHECK(error_of([&] { k.set_step_size(0); }).find("step size is 0") != std::string::npos);
  CHECK(error_of([&] { k.set_max_depth(0); }).find("max_depth is 0") != std::string::npos);
  const std::vector<double> not_pd = {1, 2, 2, 1}, asym = {1, 0.5, 0.4, 1}, short_m = {1, 1};
  CHECK(error_of([&] { k.set_inv_metric(not_pd); }) ==
        "nuts: the dense inverse metric is not positive definite");
  CHECK(error_of([&] { k.set_inv_metric(asym); }) ==
        "nuts: the dense inverse metric is not symmetric");
  CHECK(error_of([&] { k.set_inv_metric(short_m); }).find("needs 4 entries") != std::string::npos);
  NutsTransition unit(target, Metric::Unit);
  CHECK(error_of([&] { unit.set_inv_metric(short_m); }).find("unit metric") != std::string::npos);
  NutsTransition diag(target, Metric::Diag);
  const std::vector<double> neg = {1, -1};
  CHECK(error_of([&] { diag.set_inv_metric(neg); }).find("finite and positive") !=
        std::string::npos);
  std::vector<double> q = {0, 0}, g = {0, 0};
  double lp = kNegInf;
  CHECK(error_of([&] { diag.transition(q, lp, g, rng); }).find("log density -inf") !=
        std::string::npos);

  // Initial points: the half-normal needs a positive draw; a target with no
  // positive density anywhere fails after `tries` draws.
  const std::vector<double> init = nuts_initial_point(half, rng);
  CHECK((init[0] > 0 && init[0] < 2));
  struct Nowhere final : GradientTarget {
    size_t dimension() const override { return 3; }
    double log_density_gradient(const double*, double*) override { return kNegInf; }
  } nowhere;
  CHECK(error_of([&] { nuts_initial_point(nowhere, rng, 7); }) ==
        "nuts: no initial point with a finite log density and gradient in 7 tries (each "
        "coordinate uniform on (-2, 2))");
  CHECK(error_of([&] { nuts_initial_point(nowhere, rng, 0); }) ==
        "nuts: tries is 0, but must be positive");
}

TEST_CASE("nuts: NutsTransition leaves a Gaussian invariant") {
  // Exact i.i.d. draws from N(0, Σ) go through three transitions each with a
  // fixed step size and a deliberately mismatched metric; the result must
  // still be N(0, Σ). Independent replicas: SE of the mean of x is σ/√R, of
  // x² is σ²√(2/R), of x⁴ is σ⁴√(96/R) (E x⁸ = 105 σ⁸).
  Eigen::MatrixXd cov(3, 3);
  cov << 1.0, 0.6, -0.3, 0.6, 4.0, 0.5, -0.3, 0.5, 0.25;
  Gaussian target(Eigen::VectorXd::Zero(3), cov);
  const Eigen::MatrixXd chol = cov.llt().matrixL();
  const int R = 20000;
  for (Metric m : {Metric::Unit, Metric::Diag, Metric::Dense}) {
    INFO("metric " << static_cast<int>(m));
    NutsTransition k(target, m, 6);
    k.set_step_size(0.45);
    if (m == Metric::Diag) k.set_inv_metric(std::vector<double>{2.0, 1.0, 0.5});
    if (m == Metric::Dense) k.set_inv_metric(std::vector<double>{1, 0.3, 0, 0.3, 2, 0, 0, 0, 0.5});
    rt::Rng rng(101, static_cast<uint64_t>(m));
    double s1[3] = {0, 0, 0}, s2[3] = {0, 0, 0}, s4[3] = {0, 0, 0};
    double accept = 0;
    for (int r = 0; r < R; ++r) {
      Eigen::VectorXd u(3);
      for (int i = 0; i < 3; ++i) u[i] = rng.normal();
      const Eigen::VectorXd x0 = chol * u;
      std::vector<double> q(x0.data(), x0.data() + 3), g(3);
      double lp = target.log_density_gradient(q.data(), g.data());
      for (int t = 0; t < 3; ++t) accept += k.transition(q, lp, g, rng).accept_stat;
      for (int i = 0; i < 3; ++i) {
        s1[i] += q[i];
        s2[i] += q[i] * q[i];
        s4[i] += std::pow(q[i], 4);
      }
    }
    // The step size is large enough that energy errors (and the weighting
    // that corrects them) matter: acceptance clearly below 1.
    CHECK(accept / (3.0 * R) < 0.95);
    for (int i = 0; i < 3; ++i) {
      const double v = cov(i, i);
      INFO("coordinate " << i << ": mean " << s1[i] / R << ", E x² " << s2[i] / R << " (" << v
                         << "), E x⁴ " << s4[i] / R << " (" << 3 * v * v << ")");
      CHECK(std::abs(s1[i] / R) <= kZ * std::sqrt(v / R));
      CHECK(std::abs(s2[i] / R - v) <= kZ * v * std::sqrt(2.0 / R));
      CHECK(std::abs(s4[i] / R - 3 * v * v) <= kZ * v * v * std::sqrt(96.0 / R));
    }
  }
}

TEST_CASE("nuts: gradient evaluations are counted exactly") {
  IndependentNormal inner(std::vector<double>(5, 1.5));
  Counting target(inner);
  const std::vector<double> q0 = {0.1, 0.2, -0.3, 0.4, 0.0};
  SUBCASE("no warmup: the initial evaluation plus one per leapfrog step") {
    NutsSettings s;
    s.warmup = 0;
    s.samples = 300;
    s.init_step_size = 0.7;
    rt::Rng rng(4, 0);
    const NutsChainResult r = nuts_chain(target, rng, q0, s);
    long leapfrogs = 0;
    for (const NutsDrawStats& st : r.stats) leapfrogs += st.n_leapfrog;
    CHECK(r.gradient_evaluations == 1 + leapfrogs);
    CHECK(r.gradient_evaluations == target.calls);
    CHECK(r.step_size == 0.7);
  }
  SUBCASE("with adaptation: searches and warmup included") {
    NutsSettings s;
    s.warmup = 200;
    s.samples = 100;
    rt::Rng rng(4, 0);
    int calls = 0, last = 0;
    const NutsChainResult r = nuts_chain(target, rng, q0, s, [&](int i, int total) {
      ++calls;
      CHECK(i == last + 1);
      CHECK(total == 300);
      last = i;
    });
    CHECK(calls == 300);
    long leapfrogs = 0;
    for (const NutsDrawStats& st : r.stats) leapfrogs += st.n_leapfrog;
    CHECK(r.gradient_evaluations == target.calls);
    CHECK(r.gradient_evaluations > 1 + leapfrogs);
  }
  SUBCASE("a bare NutsTransition") {
    NutsTransition k(target, Metric::Diag);
    k.set_step_size(0.9);
    rt::Rng rng(8, 0);
    std::vector<double> q = q0, g(5);
    double lp = target.log_density_gradient(q.data(), g.data());
    const long before = target.calls;
    long leapfrogs = 0;
    for (int i = 0; i < 100; ++i) leapfrogs += k.transition(q, lp, g, rng).n_leapfrog;
    CHECK(k.gradient_evaluations() == leapfrogs);
    CHECK(target.calls - before == leapfrogs);
  }
}

TEST_CASE("nuts: an exception from the target propagates and leaves the state unchanged") {
  struct Throws final : GradientTarget {
    size_t dimension() const override { return 1; }
    double log_density_gradient(const double* q, double* grad) override {
      if (std::abs(q[0]) > 1.5) throw rt::RuntimeError{"model.brl:3:1", "boom"};
      grad[0] = -q[0];
      return -0.5 * q[0] * q[0];
    }
  } target;
  NutsTransition k(target, Metric::Unit);
  k.set_step_size(0.8);
  rt::Rng rng(2, 0);
  bool thrown = false;
  for (int i = 0; i < 200 && !thrown; ++i) {
    std::vector<double> q = {0.3}, g = {-0.3};
    double lp = -0.045;
    try {
      k.transition(q, lp, g, rng);
    } catch (const rt::RuntimeError& e) {
      thrown = true;
      CHECK(e.message == "boom");
      CHECK(q[0] == 0.3);
      CHECK(lp == -0.045);
      CHECK(g[0] == -0.3);
    }
  }
  CHECK(thrown);
}
