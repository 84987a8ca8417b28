// ViObjectiveTest.cpp — user-written variational objectives (inference/Vi.h,
// `objective(f, particles = K)`): f(logp, logq), a compiled Borel function,
// differentiated on the tape.
//
// (1) f = ELBO and f = IWELBO written in Borel give the built-in objectives'
//     estimates and gradients for the same seed, to rounding (1e-12: the
//     same sums in the same order, the tape's adjoints accumulated in
//     another order; IWELBO's log-mean-exp is the prelude's logsumexp minus
//     log K, the built-in's another formula);
// (2) for an objective that is neither — the Rényi (VR) bound with
//     alpha = 0.5, O = 2 log (1/K) sum_k exp((logp_k - logq_k) / 2), K = 2 —
//     the mean of N gradient estimates equals the exact gradient of E[O]
//     within 4 standard errors (chance failure ~6e-5 per coordinate), with
//     each standard error below 0.05 so that a wrong estimator (a reinforce
//     signal of f_k / K instead of O, as elbo's: 0.18 off on the coin
//     below, whose exact gradient is 0.83) cannot pass.
//     E[O] is computed by quadrature: a finite sum over the coin's four
//     outcomes; for the normal guide, the trapezoid rule on
//     [-10, 10]^2 in the standard-normal noise (801 nodes a side: the
//     integrand is smooth and decays like a Gaussian, so the error is far
//     below 1e-10), differentiated by central differences with h = 1e-5
//     (truncation ~h^2 = 1e-10, rounding ~1e-16 / h = 1e-11).
#include <cmath>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "borel/Borel.h"
#include "runtime/abi/RuntimeAbi.h"
#include "inference/Vi.h"
#include "GradientMoments.h"

using borel::Program;
namespace inf = borel::inference;
namespace rt = borel::rt;

namespace {

// Objectives written in Borel, appended to every program below.
const char* kObjectives = R"(
fn log_weights(lp: [real], lq: [real]) -> [real] { [lp[k] - lq[k] for k in 0..len(lp)] }
fn user_elbo(lp: [real], lq: [real]) -> real { average(log_weights(lp, lq)) }
fn user_iwelbo(lp: [real], lq: [real]) -> real { logsumexp(log_weights(lp, lq)) - log(real(len(lp))) }
fn renyi(lp: [real], lq: [real]) -> real {
  let a = 0.5;
  (logsumexp([(1.0 - a) * w for w in log_weights(lp, lq)]) - log(real(len(lp)))) / (1.0 - a)
}
)";

struct Compiled {
  Program program;
  std::unique_ptr<rt::Model> guide, model;
};

Compiled compile(const std::string& source) {
  std::vector<std::string> exports{"guide", "model", "user_elbo", "user_iwelbo", "renyi"};
  if (source.find("fn back()") != std::string::npos) exports.push_back("back");
  Program p = Program::from_source("vi_objective.brl", source + kObjectives, exports);
  auto g = p.model("guide");
  auto m = p.model("model");
  return {std::move(p), std::move(g), std::move(m)};
}

inf::ViSettings user_settings(const Program& p, const std::string& name, int particles) {
  inf::ViSettings s;
  s.objective = inf::ViObjective::User;
  s.particles = particles;
  const rt::Word f = p.closure(name);
  s.user = [f](rt::Ctx& ctx, rt::Word lp, rt::Word lq) {
    const rt::Word args[] = {lp, lq};
    return borel::abi::call_twin(ctx, f, args);
  };
  return s;
}

// A discrete choice and a continuous one after it, each with the given estimator.
std::string mixed(const std::string& discrete, const std::string& continuous) {
  return R"(
fn guide() {
  let b = sample(estimator(bernoulli(param_unit("p", 0.6)), ")" + discrete + R"("), "b");
  sample(estimator(normal(param("m", 0.3) + (if b { 0.5 } else { 0.0 }), param_positive("s", 0.8)), ")" +
         continuous + R"("), "mu")
}
fn model() {
  let b = sample(bernoulli(0.3), "b");
  let mu = sample(normal(if b { 1.0 } else { -1.0 }, 1.0), "mu");
  observe(normal(mu, 1.0), 0.5);
  mu
}
)";
}

// Estimates and gradients of the built-in objective and of the user's, for the same seeds.
void check_same(const std::string& source, inf::ViObjective builtin, const std::string& user, int particles,
                int inner = -1) {
  Compiled c = compile(source);
  inf::ViSettings sb, su = user_settings(c.program, user, particles);
  sb.objective = builtin;
  sb.particles = particles;
  std::unique_ptr<rt::Model> reverse;
  if (inner >= 0) {  // hierarchical: both with the reverse program `back`
    reverse = c.program.model("back");
    sb.reverse = su.reverse = reverse.get();
    sb.inner = su.inner = inner;
  }
  const size_t n_params = inner >= 0 ? 6 : 3;
  inf::ViProblem a(*c.guide, *c.model, sb), b(*c.guide, *c.model, su);
  auto close = [](double x, double y) { return std::abs(x - y) <= 1e-12 * std::max(1.0, std::abs(x)); };
  std::vector<double> ga, gb;
  for (uint64_t seed = 100; seed < 140; ++seed) {
    const double oa = a.estimate(seed, ga), ob = b.estimate(seed, gb);
    INFO("seed " << seed << ": built-in " << oa << ", user " << ob);
    CHECK(close(oa, ob));
    REQUIRE(ga.size() == gb.size());
    REQUIRE(ga.size() == n_params);
    for (size_t k = 0; k < ga.size(); ++k) {
      INFO("coordinate " << k << ": built-in " << ga[k] << ", user " << gb[k]);
      CHECK(close(ga[k], gb[k]));
    }
    a.update_baselines();
    b.update_baselines();
  }
}

}  // namespace

TEST_CASE("vi: a user-written ELBO is the built-in elbo, estimate and gradient") {
  // Not with "reinforce": elbo's signal is the particle's own f_k / K, a
  // user objective's is O (both unbiased, not equal).
  for (const char* e : {"enumerate", "mvd"}) {
    INFO("estimator " << std::string(e));
    check_same(mixed(e, "reparam"), inf::ViObjective::Elbo, "user_elbo", 3);
  }
  check_same(mixed("enumerate", "mvd"), inf::ViObjective::Elbo, "user_elbo", 1);
}

TEST_CASE("vi: a user-written IWELBO is the built-in iwelbo, estimate and gradient") {
  for (const char* e : {"reinforce", "enumerate", "mvd"}) {
    INFO("estimator " << std::string(e));
    check_same(mixed(e, "reparam"), inf::ViObjective::Iwelbo, "user_iwelbo", 4);
  }
  check_same(mixed("enumerate", "reinforce"), inf::ViObjective::Iwelbo, "user_iwelbo", 4);
}

TEST_CASE("vi: user-written objectives over a hierarchical guide are iwhvi and diwhvi") {
  // The hierarchical guide of GradientMoments.h; logq is log q-hat.
  const char* hierarchical = borel::test::kHierarchicalGuide;
  check_same(hierarchical, inf::ViObjective::Hvi, "user_elbo", 2, 4);
  check_same(hierarchical, inf::ViObjective::Diwhvi, "user_iwelbo", 4, 3);
}

namespace {

using borel::test::check_unbiased;
using borel::test::Moments;

Moments gradient_moments(const std::string& source, const std::string& objective, int particles, int n) {
  Compiled c = compile(source);
  inf::ViProblem problem(*c.guide, *c.model, user_settings(c.program, objective, particles));
  return borel::test::gradient_moments(problem, 5000, n);
}

// The VR bound with alpha = 0.5 of two particles' log weights.
double renyi2(double f1, double f2) {
  const double hi = std::max(f1, f2) / 2, lo = std::min(f1, f2) / 2;
  return 2 * (hi + std::log1p(std::exp(lo - hi)) - std::log(2.0));
}

double log_normal(double x, double mu, double sigma) {
  return -0.5 * std::log(2 * std::numbers::pi) - std::log(sigma) - 0.5 * (x - mu) * (x - mu) / (sigma * sigma);
}

// mu ~ normal(0, 1), y = 1.5 ~ normal(mu, 1); guide normal(m, e^u).
const char* kGaussian = R"(
fn guide() { sample(estimator(normal(param("m", 0.3), param_positive("s", 0.8)), "reparam"), "mu") }
fn model() {
  let mu = sample(normal(0.0, 1.0), "mu");
  observe(normal(mu, 1.0), 1.5);
  mu
}
)";

double gaussian_expected_renyi(double m, double u) {
  const double s = std::exp(u);
  const int n = 801;
  const double lo = -10, h = 20.0 / (n - 1);
  std::vector<double> f(n), w(n);
  for (int i = 0; i < n; ++i) {
    const double e = lo + h * i, z = m + s * e;
    f[i] = log_normal(z, 0, 1) + log_normal(1.5, z, 1) - log_normal(z, m, s);
    w[i] = h * std::exp(-0.5 * e * e) / std::sqrt(2 * std::numbers::pi) * (i == 0 || i == n - 1 ? 0.5 : 1.0);
  }
  double total = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) total += w[i] * w[j] * renyi2(f[i], f[j]);
  return total;
}

// b ~ bernoulli(0.3), y = 2 ~ normal(b ? 1 : -1, 1); guide bernoulli(sigmoid(u)),
// starting at p = 0.25, far from the posterior (0.76), where the log weights
// of the two outcomes differ by 3.9 and O is far from linear in them.
std::string coin(const std::string& estimator) {
  return R"(
fn guide() { sample(estimator(bernoulli(param_unit("p", 0.25)), ")" + estimator + R"("), "b") }
fn model() {
  let b = sample(bernoulli(0.3), "b");
  observe(normal(if b { 1.0 } else { -1.0 }, 1.0), 2.0);
  b
}
)";
}

double coin_expected_renyi(double u) {
  const double p = 1 / (1 + std::exp(-u));
  const double q[2] = {1 - p, p};
  const double f[2] = {std::log(0.7) + log_normal(2.0, -1, 1) - std::log(q[0]),
                       std::log(0.3) + log_normal(2.0, 1, 1) - std::log(q[1])};
  double total = 0;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) total += q[i] * q[j] * renyi2(f[i], f[j]);
  return total;
}

}  // namespace

TEST_CASE("vi: the gradient of a user's objective (the Renyi bound) is unbiased: reparam") {
  const double h = 1e-5, m = 0.3, u = std::log(0.8);
  const std::vector<double> exact = {
      (gaussian_expected_renyi(m + h, u) - gaussian_expected_renyi(m - h, u)) / (2 * h),
      (gaussian_expected_renyi(m, u + h) - gaussian_expected_renyi(m, u - h)) / (2 * h)};
  check_unbiased(gradient_moments(kGaussian, "renyi", 2, 4000), exact);
}

TEST_CASE("vi: the gradient of a user's objective (the Renyi bound) is unbiased: reinforce, enumerate, mvd") {
  const double h = 1e-5, u = std::log(0.25 / 0.75);
  const std::vector<double> exact = {(coin_expected_renyi(u + h) - coin_expected_renyi(u - h)) / (2 * h)};
  for (const char* e : {"reinforce", "enumerate", "mvd"}) {
    INFO("estimator " << std::string(e));
    check_unbiased(gradient_moments(coin(e), "renyi", 2, e == std::string("reinforce") ? 40000 : 20000), exact);
  }
}

TEST_CASE("vi: a user's objective that returns NaN is an error that says so") {
  Program p = Program::from_source("bad.brl", std::string(kGaussian) + "fn bad(lp: [real], lq: [real]) -> real { nan }",
                                   {"guide", "model", "bad"});
  auto g = p.model("guide"), mo = p.model("model");
  inf::ViProblem problem(*g, *mo, user_settings(p, "bad", 3));
  std::vector<double> grad;
  try {
    problem.estimate(1, grad);
    FAIL("no error");
  } catch (const rt::RuntimeError& e) {
    CHECK(e.message.find("vi: the objective function returned NaN at logp = [") == 0);
    CHECK(e.message.find("it must return a finite real") != std::string::npos);
  }
}
