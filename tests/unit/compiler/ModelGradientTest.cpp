// ModelGradientTest.cpp — reverse-mode AD of whole compiled models
// (inference/ModelGradient.h over the .ad twins of compiler/backend/Codegen.cpp).
//
// For each model: the log density at random unconstrained points equals the
// analytic one where we can write it (Boost.Math densities plus Stan's
// log-Jacobians), the taped and untaped runs agree bit for bit, and the
// gradient matches central finite differences of the untaped log density.
//
// Finite-difference tolerance: with step h the central difference errs by
// h²|f'''|/6 (truncation) plus about ε|f|/h (rounding). At h = 1e-5, models
// with |f'''| ≤ 10³ and |f| ≤ 10⁴ give at most 2·10⁻⁷ + 2·10⁻⁷; we allow
// 10⁻⁶·(1 + |g|) and also require the differences at h and 2h to agree to a
// quarter of that (so a point where f''' is larger than assumed fails loudly
// instead of passing by luck).
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <boost/math/distributions.hpp>
#include <doctest/doctest.h>

#include "CompiledModel.h"
#include "borel/Borel.h"
#include "compiler/Pipeline.h"
#include "inference/ModelGradient.h"
#include "runtime/Value.h"

using borel::Program;
using borel::inference::ModelGradient;

namespace {

using borel::test::Compiled;
Compiled compile(const std::string& source) { return borel::test::compile_model(source); }

double fd(ModelGradient& g, std::vector<double> q, size_t i, double h) {
  q[i] += h;
  const double up = g.log_density(q.data());
  q[i] -= 2 * h;
  const double down = g.log_density(q.data());
  return (up - down) / (2 * h);
}

// Checks the gradient at `points` random points with coordinates uniform in (-r, r).
void check_gradient(const std::string& source, size_t dim, int points = 6, double r = 1.5) {
  Compiled c = compile(source);
  ModelGradient g(*c.model, "test");
  REQUIRE(g.dimension() == dim);
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> u(-r, r);
  for (int p = 0; p < points; ++p) {
    std::vector<double> q(dim), grad(dim, NAN);
    for (double& x : q) x = u(rng);
    const double lp = g.log_density_gradient(q.data(), grad.data());
    REQUIRE(std::isfinite(lp));
    CHECK(lp == g.log_density(q.data()));  // taped and untaped runs agree exactly
    for (size_t i = 0; i < dim; ++i) {
      const double h = 1e-5 * std::max(1.0, std::abs(q[i]));
      const double d1 = fd(g, q, i, h), d2 = fd(g, q, i, 2 * h);
      const double tol = 1e-6 * (1 + std::abs(grad[i]));
      INFO("coordinate " << i << " (" << g.coordinate_name(i) << ") at point " << p);
      CHECK(std::abs(d1 - d2) < tol / 4);
      CHECK(std::abs(grad[i] - d1) < tol);
    }
  }
}

double normal_lpdf(double x, double m, double s) { return std::log(boost::math::pdf(boost::math::normal(m, s), x)); }

}  // namespace

TEST_CASE("model gradient: the log density is the analytic one, with Stan's log-Jacobians") {
  Compiled c = compile(R"(
fn model() -> (real, real, real) {
  let mu = sample(normal(1.0, 2.0));
  let s = sample(gamma(2.0, 3.0));
  let p = sample(beta(2.0, 5.0));
  observe(normal(mu, s), 0.5);
  observe(bernoulli(p), true);
  (mu, s, p)
})");
  ModelGradient g(*c.model, "test");
  REQUIRE(g.dimension() == 3);
  for (double q0 : {-1.0, 0.3}) {
    const double q[3] = {q0, 0.7 * q0, -0.4 + q0};
    const double mu = q[0], s = std::exp(q[1]), p = 1 / (1 + std::exp(-q[2]));
    // gamma(shape 2, rate 3) is Boost's gamma(2, scale 1/3).
    const double expected = normal_lpdf(mu, 1, 2) + std::log(boost::math::pdf(boost::math::gamma_distribution<>(2, 1.0 / 3), s)) +
                            q[1] + std::log(boost::math::pdf(boost::math::beta_distribution<>(2, 5), p)) +
                            std::log(p) + std::log(1 - p) + normal_lpdf(0.5, mu, s) + std::log(p);
    CHECK(g.log_density(q) == doctest::Approx(expected).epsilon(1e-12));
    // The result is the constrained point.
    const borel::rt::Word v = g.result(q);
    const auto* t = borel::rt::to_ptr<const borel::rt::Word>(v);
    CHECK(borel::rt::to_real(t[0]) == doctest::Approx(mu).epsilon(1e-15));
    CHECK(borel::rt::to_real(t[1]) == doctest::Approx(s).epsilon(1e-15));
    CHECK(borel::rt::to_real(t[2]) == doctest::Approx(p).epsilon(1e-15));
  }
}

TEST_CASE("model gradient: continuous families against finite differences") {
  check_gradient(R"(
fn model() -> real {
  let a = sample(normal(0.5, 1.5));
  let b = sample(lognormal(0.0, 0.7));
  let c = sample(exponential(2.0));
  let d = sample(inv_gamma(3.0, 2.0));
  let e = sample(student_t(4.0, a, b));
  let f = sample(cauchy(e, c));
  let g = sample(laplace(f, d));
  let h = sample(beta(b, c + 1.0));
  observe(normal(g, b), 0.3);
  observe(gamma(c + 0.5, d), 1.7);
  observe(student_t(b + 1.0, a, c), -0.2);
  observe(beta(h + 0.5, 2.0), 0.25);
  a + b
})", 8);
}

TEST_CASE("model gradient: half_normal and half_cauchy scale priors") {
  // A hierarchical model's scales: each is sampled on the log scale (its
  // support is [0, inf)), so the density gains the log-Jacobian q.
  const std::string source = R"(
fn model() -> real {
  let tau = sample(half_normal(1.5));
  let s = sample(half_cauchy(2.0));
  let theta = sample(normal(0.0, tau));
  observe(normal(theta, s), 0.7);
  observe(half_normal(tau + s), 0.4);
  observe(half_cauchy(s), 1.3);
  theta
})";
  Compiled c = compile(source);
  ModelGradient g(*c.model, "test");
  REQUIRE(g.dimension() == 3);
  for (double q0 : {-1.0, 0.3}) {
    const double q[3] = {q0, 0.5 - q0, 0.8 * q0};
    const double tau = std::exp(q[0]), s = std::exp(q[1]), theta = q[2];
    // Boost has neither family: twice the normal(0, .) / cauchy(0, .) pdf.
    auto half_normal_lpdf = [](double x, double sigma) {
      return std::log(2 * boost::math::pdf(boost::math::normal(0, sigma), x));
    };
    auto half_cauchy_lpdf = [](double x, double scale) {
      return std::log(2 * boost::math::pdf(boost::math::cauchy(0, scale), x));
    };
    const double expected = half_normal_lpdf(tau, 1.5) + q[0] + half_cauchy_lpdf(s, 2.0) + q[1] +
                            normal_lpdf(theta, 0, tau) + normal_lpdf(0.7, theta, s) +
                            half_normal_lpdf(0.4, tau + s) + half_cauchy_lpdf(1.3, s);
    CHECK(g.log_density(q) == doctest::Approx(expected).epsilon(1e-12));
  }
  check_gradient(source, 3);
}

TEST_CASE("model gradient: discrete observations of continuous parameters") {
  check_gradient(R"(
fn sigmoid_(x: real) -> real { 1.0 / (1.0 + exp(0.0 - x)) }
fn model() -> real {
  let x = sample(normal(0.0, 1.0));
  let r = sample(gamma(2.0, 1.0));
  observe(bernoulli(sigmoid_(x)), true);
  observe(poisson(exp(x)), 3);
  observe(binomial(10, sigmoid_(x)), 7);
  observe(geometric(sigmoid_(x)), 2);
  observe(neg_binomial(r, sigmoid_(x)), 4);
  observe(categorical(softmax([x, 0.0, 0.0 - x])), 2);
  x
})", 2);
}

TEST_CASE("model gradient: supports that depend on earlier choices") {
  // b's interval (0, a) moves with a: the gradient flows through the bound,
  // and the log-Jacobian log a of b's transform is part of the density.
  check_gradient(R"(
fn model() -> real {
  let a = sample(gamma(2.0, 1.0));
  let b = sample(uniform(0.0, a));
  let c = sample(uniform(b - 1.0, b + a));
  observe(normal(b + c, 1.0), 0.3);
  b
})", 3);
}

TEST_CASE("model gradient: simplex, vectors and mixtures") {
  check_gradient(R"(
fn model() -> real {
  let w = sample(dirichlet([1.0, 2.0, 3.0]));
  observe(categorical(w), 2);
  let m = sample(normal(0.0, 1.0));
  let s = sample(lognormal(0.0, 0.5));
  let x = sample(mv_normal([m, 0.0], [[s, 0.3], [0.3, 1.0]]));
  observe(mv_normal(x, [[1.0, 0.0], [0.0, s]]), [0.2, -0.4]);
  observe(mixture([w[0], w[1] + w[2]], [normal(x[0], 1.0), normal(x[1], s)]), 0.7);
  m
})", 6);
}

TEST_CASE("model gradient: ordered vectors and Cholesky factors of correlation matrices") {
  // The bases' parameters and eta are other choices (the partials of a
  // distribution parameter), and the factor makes a covariance that
  // mv_normal differentiates through.
  check_gradient(R"(
fn model() -> real {
  let m = sample(normal(0.0, 1.0));
  let s = sample(gamma(3.0, 2.0));
  let mu = sample(ordered(normal(m, s), 3));
  let t = sample(ordered(gamma(s + 1.0, 2.0), 2));
  let l = sample(lkj_corr_cholesky(3, s + 0.5));
  let cov = [[sum([l[i][k] * l[j][k] for k in 0..3]) for j in 0..3] for i in 0..3];
  observe(mv_normal(mu, cov), [0.1, 0.5, 1.2]);
  observe(normal(t[1] - t[0], 1.0), 0.4);
  m
})", 10);
}

TEST_CASE("model gradient: ordered and lkj_corr_cholesky log densities and coordinate names") {
  Compiled c = compile(R"(
fn model() -> ([real], [[real]]) {
  let x = sample(ordered(normal(1.0, 2.0), 3));
  let l = sample(lkj_corr_cholesky(3, 2.0));
  (x, l)
})");
  ModelGradient g(*c.model, "test");
  REQUIRE(g.dimension() == 6);
  const char* names[] = {"[0]", "[1]", "[2]", "[1][0]", "[2][0]", "[2][1]"};
  for (size_t i = 0; i < 6; ++i) {
    const std::string name = g.coordinate_name(i);
    INFO(name);
    CHECK(name.size() > std::string(names[i]).size());
    CHECK(name.substr(name.size() - std::string(names[i]).size()) == names[i]);
  }
  const double q[6] = {-0.3, 0.2, -1.1, 0.4, -0.7, 1.3};
  // x: q0, q0 + e^q1, then + e^q2; log 3! + the normal densities + q1 + q2.
  const double x0 = q[0], x1 = x0 + std::exp(q[1]), x2 = x1 + std::exp(q[2]);
  double expected = std::log(6.0) + normal_lpdf(x0, 1, 2) + normal_lpdf(x1, 1, 2) + normal_lpdf(x2, 1, 2) + q[1] + q[2];
  // L: z = tanh(q); L10 = z0, L11 = sqrt(1 - z0²); L20 = z1, L21 = z2 sqrt(1 - z1²),
  // L22 = sqrt((1 - z1²)(1 - z2²)). Density (k = 3, eta = 2): c · L11^(2·2 − 2 + 3 − 2) · L22^(2·2 − 2 + 3 − 3)
  // with log c = −[log Γ-ratio of each row's ball] (LkjCorrCholeskyTest), and
  // log-Jacobian Σ log(1 − z²) + log sqrt(1 − z1²).
  const double z0 = std::tanh(q[3]), z1 = std::tanh(q[4]), z2 = std::tanh(q[5]);
  const double l11 = std::sqrt(1 - z0 * z0), l22 = std::sqrt((1 - z1 * z1) * (1 - z2 * z2));
  auto log_ball = [](double i, double e) {
    return 0.5 * i * std::log(M_PI) + std::lgamma(e / 2 + 1) - std::lgamma(e / 2 + 1 + i / 2);
  };
  expected += -log_ball(1, 3) - log_ball(2, 2) + 3 * std::log(l11) + 2 * std::log(l22);
  expected += std::log(1 - z0 * z0) + std::log(1 - z1 * z1) + std::log(1 - z2 * z2) + 0.5 * std::log(1 - z1 * z1);
  CHECK(g.log_density(q) == doctest::Approx(expected).epsilon(1e-12));
  // The result is the constrained point.
  const auto* t = borel::rt::to_ptr<const borel::rt::Word>(g.result(q));
  const auto* x = borel::rt::to_ptr<const borel::rt::Array>(t[0]);
  CHECK(borel::rt::array_real(x, 2) == doctest::Approx(x2).epsilon(1e-15));
  const auto* l = borel::rt::to_ptr<const borel::rt::Array>(t[1]);
  const auto* row2 = borel::rt::to_ptr<const borel::rt::Array>(l->data[2]);
  CHECK(borel::rt::array_real(row2, 1) == doctest::Approx(z2 * std::sqrt(1 - z1 * z1)).epsilon(1e-14));
  CHECK(borel::rt::array_real(row2, 2) == doctest::Approx(l22).epsilon(1e-14));
}

TEST_CASE("model gradient: loops, closures, recursion, arrays and math") {
  check_gradient(R"(
fn pow_rec(x: real, n: int) -> real { if n == 0 { 1.0 } else { x * pow_rec(x, n - 1) } }
fn model() -> real {
  let xs = [sample(normal(0.0, 1.0)) for i in 0..4];
  let s = sample(gamma(3.0, 2.0));
  let ys = map(xs, fn(x) { tanh(x) * s + sin(x) });
  let total = fold(ys, 0.0, fn(acc, y) { acc + y * y });
  factor(0.0 - total / 10.0 + logsumexp(xs) - sqrt(s + 1.0) + atan(xs[1]) + pow_rec(xs[2], 3) / 5.0);
  for i in 0..4 {
    if xs[i] > 0.0 { observe(normal(xs[i] ** 2.0, s), 0.5); } else { observe(normal(log1p(s) * xs[i], 1.0), 0.1); }
  }
  observe(normal(sum(xs) / s + max(xs[0], xs[3]) - abs(xs[1]), 1.0), 0.0);
  total
})", 5);
}

// A normal observe whose mean is an affine expression a + b * c of tape
// values and constants is one tape node in the twin (compiler/passes/
// AffineObserves.h): its gradient must match finite differences and, bit for
// bit, the twin's three nodes, which it gets when the mean passes through a
// function (id), a value the fusion cannot see through.
TEST_CASE("model gradient: normal observes with affine means, fused into one node") {
  const auto source = [](const std::string& mean, const std::string& y, bool let, bool fused) {
    const std::string m = fused ? mean : "id(" + mean + ")";
    const std::string obs = let ? "let m = " + m + "; observe(normal(m, s), " + y + ");"
                                : "observe(normal(" + m + ", s), " + y + ");";
    return R"(
fn id(x: real) -> real { x }
fn model() -> real {
  let a = sample(normal(0.0, 2.0));
  let b = sample(normal(0.0, 2.0));
  let c = sample(normal(0.5, 1.0));
  let s = sample(gamma(3.0, 2.0));
  let xs = [0.3, -1.2, 2.0, 0.7];
  let ys = [1.0, -0.5, 2.5, 0.2];
  for i in 0..4 { )" + obs + R"( }
  a
})";
  };
  struct Case {
    std::string mean, y;
    bool let;
  };
  const std::vector<Case> cases = {
      {"a + b * xs[i]", "ys[i]", false}, {"b * xs[i] + a", "ys[i]", false}, {"a + b * c", "ys[i]", false},
      {"xs[i] * b", "ys[i]", false},     {"a + b", "ys[i]", false},         {"a + a * b", "ys[i]", false},
      {"b * b + c", "ys[i]", false},     {"a + b * xs[i]", "c", false},     {"a + b * xs[i]", "ys[i]", true},
      {"2.0 + xs[i] * 3.0", "c", false},
  };
  for (const Case& k : cases) {
    INFO("mean " << k.mean << ", observed " << k.y << (k.let ? ", through a let" : ""));
    const std::string fused = source(k.mean, k.y, k.let, true), unfused = source(k.mean, k.y, k.let, false);
    // The fused twin calls rt_ad_observe_normal_affine, the other does not.
    const auto calls_affine = [](const std::string& src) {
      const borel::CompileResult r = borel::compile("model.brl", src, borel::Emit::Llvm, {"model"});
      REQUIRE(r.ok);
      return r.emitted.find("call i64 @rt_ad_observe_normal_affine(") != std::string::npos;
    };
    CHECK(calls_affine(fused));
    CHECK(!calls_affine(unfused));
    check_gradient(fused, 4);
    Compiled cf = compile(fused), cu = compile(unfused);
    ModelGradient gf(*cf.model, "test"), gu(*cu.model, "test");
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(-1.5, 1.5);
    for (int p = 0; p < 6; ++p) {
      std::vector<double> q(4), df(4), du(4);
      for (double& x : q) x = u(rng);
      CHECK(gf.log_density_gradient(q.data(), df.data()) == gu.log_density_gradient(q.data(), du.data()));
      for (size_t i = 0; i < 4; ++i) CHECK(df[i] == du[i]);
    }
  }
}

TEST_CASE("model gradient: a discrete choice is refused at its site") {
  Compiled c = compile(R"(
fn model() -> int {
  let x = sample(normal(0.0, 1.0));
  sample(poisson(exp(x)))
})");
  try {
    ModelGradient g(*c.model, "nuts");
    FAIL("no error");
  } catch (const borel::rt::RuntimeError& e) {
    CHECK(e.where == "model.brl:4:3");
    CHECK(e.message.find("nuts") != std::string::npos);
    CHECK(e.message.find("discrete") != std::string::npos);
  }
}

TEST_CASE("model gradient: choices that change with the values are refused, not sampled wrongly") {
  Compiled c = compile(R"(
fn model() -> real {
  let x = sample(normal(0.0, 1.0));
  if x > 0.5 { sample(normal(x, 1.0)) } else { x }
})");
  ModelGradient g(*c.model, "nuts");  // discovered at q = 0: one choice
  REQUIRE(g.dimension() == 1);
  double q = 0.2, grad = 0;
  CHECK(std::isfinite(g.log_density_gradient(&q, &grad)));
  q = 1.0;
  try {
    g.log_density_gradient(&q, &grad);
    FAIL("no error");
  } catch (const borel::rt::RuntimeError& e) {
    CHECK(e.where == "model.brl:4:16");
    CHECK(e.message.find("same continuous choices") != std::string::npos);
  }
}

TEST_CASE("model gradient: zero densities and invalid parameters are rejections") {
  Compiled c = compile(R"(
fn model() -> real {
  let x = sample(normal(0.0, 1.0));
  observe(uniform(0.0, 1.0), x);
  observe(normal(0.0, exp(exp(x * 10.0))), 1.0);
  x
})");
  ModelGradient g(*c.model, "nuts");
  double q = 0.5, grad = 0;
  CHECK(std::isfinite(g.log_density_gradient(&q, &grad)));
  q = -0.5;  // outside uniform(0, 1): the run stops
  CHECK(g.log_density_gradient(&q, &grad) == -INFINITY);
  CHECK(g.rejections() == 0);
  q = 0.9;  // exp(exp(9)) overflows: sigma is infinite
  CHECK(g.log_density_gradient(&q, &grad) == -INFINITY);
  CHECK(g.rejections() == 1);
  CHECK(g.first_rejection().find("model.brl:5:3: normal: sigma is inf") == 0);
}

TEST_CASE("model gradient: errors of the program keep their location") {
  Compiled c = compile(R"(
fn model() -> real {
  let x = sample(normal(0.0, 1.0));
  let xs = [1.0, 2.0];
  xs[if x > 0.0 { 5 } else { 0 }]
})");
  ModelGradient g(*c.model, "nuts");
  double q = 1.0, grad = 0;
  CHECK_THROWS_AS(g.log_density_gradient(&q, &grad), borel::rt::RuntimeError);
  try {
    g.log_density_gradient(&q, &grad);
  } catch (const borel::rt::RuntimeError& e) {
    CHECK(e.where.find("model.brl:5:") == 0);
  }
}

TEST_CASE("model gradient: a run that leaves out a choice of the first run is refused at that choice") {
  Compiled c = compile(R"(
fn model() -> real {
  let x = sample(normal(0.0, 1.0));
  if x < 0.5 { sample(normal(x, 1.0)) } else { x }
})");
  ModelGradient g(*c.model, "nuts");  // discovered at q = 0: two choices
  REQUIRE(g.dimension() == 2);
  double q[2] = {1.0, 0.0}, grad[2];
  try {
    g.log_density_gradient(q, grad);
    FAIL("no error");
  } catch (const borel::rt::RuntimeError& e) {
    CHECK(e.where == "model.brl:4:16");
    CHECK(e.message.find("this run made 1 of the first run's 2 random choices, not this one") != std::string::npos);
    CHECK(e.message.find("same continuous choices") != std::string::npos);
  }
}
