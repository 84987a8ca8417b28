// NutsKernelTest.cpp — the trace-conditional target (inference/
// TraceGradient.h) and the "nuts" MCMC kernel (inference/NutsKernel.h) on
// compiled models.
//
// Tolerances. Densities that two computations must agree on (the twin at
// the bound point against the traced program's log joint, the replay
// against NUTS's density) differ by rounding only: a sum of ≤ 20 terms of
// magnitude ≤ 100, each correct to a few ulps, errs by < 1e-11; we allow
// 1e-9·(1 + |lp|). Finite differences as in ModelGradientTest.cpp: with
// h = 1e-5 truncation and rounding give ≤ 4e-7; we allow 1e-6·(1 + |g|)
// and require the differences at h and 2h to agree to a quarter of that.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "CompiledModel.h"
#include "borel/Borel.h"
#include "inference/Contexts.h"
#include "inference/Kernels.h"
#include "inference/Mcmc.h"
#include "inference/McmcStats.h"
#include "inference/NutsKernel.h"
#include "inference/ResampleMove.h"
#include "inference/Streams.h"
#include "inference/TraceGradient.h"
#include "runtime/Value.h"

using borel::Program;
using namespace borel::inference;

namespace {

using borel::test::Compiled;
Compiled compile(const std::string& source) { return borel::test::compile_model(source); }

// A chain on `model` (its handler, context and stream live here).
struct Chain {
  Chain(borel::rt::Model& model, uint64_t seed) : rng(particle_stream(seed, 0)) {
    h.method = "mh";
    h.model = &model;
    st.model = &model;
    st.ctx = &ctx[0];
    st.handler = &h;
    st.rng = &rng;
  }
  TraceHandler h;
  Contexts ctx{1};
  borel::rt::Rng rng;
  ChainState st;
};

// Mixed: a count k that sets how many means there are, a named gamma, an
// interval bounded by it, a simplex, a categorical index into it.
const char* kMixed = R"(
fn model() -> real {
  let k = sample(poisson(2.0));
  let a = sample(gamma(2.0, 1.0), "a");
  let b = sample(uniform(0.0, a));
  let w = sample(dirichlet([1.0, 2.0, 3.0]));
  let xs = repeat(1 + k, fn(i) { sample(normal(b, 1.0)) });
  let c = sample(categorical(w));
  observe(normal(xs[0] + w[c], 1.0), 0.7);
  observe(poisson(a), 3);
  a
})";

}  // namespace

TEST_CASE("trace gradient: the bound trace's density, its values and the gradient") {
  Compiled c = compile(kMixed);
  for (uint64_t seed : {1u, 2u, 3u}) {
    Chain ch(*c.model, seed);
    ch.st.init_from_prior();
    const Trace& t = ch.st.cur;
    TraceGradient g(*c.model, "mh");
    std::vector<double> q;
    REQUIRE(g.bind(t, q));
    // a, b, two simplex coordinates, 1 + k means.
    const auto k = static_cast<int64_t>(t.choices[0].value);
    REQUIRE(g.dimension() == static_cast<size_t>(5 + k));
    ValueMap values;
    double lj = 0;
    const double lp = g.values_at(q.data(), values, &lj);
    REQUIRE(std::isfinite(lp));
    CHECK(std::abs(lp - lj - t.log_joint()) < 1e-9 * (1 + std::abs(lp)));
    CHECK(values.size() == static_cast<size_t>(4 + k));
    const borel::rt::Word* a = values.find(t.choices[1].addr);
    REQUIRE(a != nullptr);
    CHECK(borel::rt::to_real(*a) ==
          doctest::Approx(borel::rt::to_real(t.choices[1].value)).epsilon(1e-14));
    // The gradient at points around the bound one.
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(-0.5, 0.5);
    for (int p = 0; p < 3; ++p) {
      std::vector<double> x = q, grad(q.size());
      for (double& xi : x) xi += u(rng);
      const double l = g.log_density_gradient(x.data(), grad.data());
      REQUIRE(std::isfinite(l));
      CHECK(l == g.log_density(x.data()));
      for (size_t i = 0; i < x.size(); ++i) {
        auto fd = [&](double h) {
          std::vector<double> y = x;
          y[i] += h;
          const double up = g.log_density(y.data());
          y[i] -= 2 * h;
          return (up - g.log_density(y.data())) / (2 * h);
        };
        const double h = 1e-5 * std::max(1.0, std::abs(x[i]));
        const double d1 = fd(h), d2 = fd(2 * h), tol = 1e-6 * (1 + std::abs(grad[i]));
        INFO("seed " << seed << " coordinate " << i);
        CHECK(std::abs(d1 - d2) < tol / 4);
        CHECK(std::abs(grad[i] - d1) < tol);
      }
    }
  }
}

TEST_CASE("trace gradient: points outside the bound trace's cell have density zero") {
  // k exists only when x > 0: the traces with k and those without are
  // different cells, and NUTS must not cross from one to the other.
  Compiled c = compile(R"(
fn model() -> real {
  let x = sample(normal(0.0, 1.0));
  if x > 0.0 { real(sample(poisson(1.0))) + x } else { x }
})");
  bool seen_with = false, seen_without = false;
  for (uint64_t seed = 1; seed < 40 && !(seen_with && seen_without); ++seed) {
    Chain ch(*c.model, seed);
    ch.st.init_from_prior();
    TraceGradient g(*c.model, "mh");
    std::vector<double> q;
    REQUIRE(g.bind(ch.st.cur, q));
    REQUIRE(q.size() == 1);
    const double here[1] = {q[0]}, pos[1] = {std::abs(q[0]) + 0.1},
                 neg[1] = {-std::abs(q[0]) - 0.1};
    CHECK(std::isfinite(g.log_density(here)));
    if (q[0] > 0) {
      seen_with = true;
      CHECK(std::isfinite(g.log_density(pos)));
      CHECK(g.log_density(neg) == -INFINITY);  // k would not be made
    } else {
      seen_without = true;
      CHECK(std::isfinite(g.log_density(neg)));
      CHECK(g.log_density(pos) == -INFINITY);  // k is absent from the trace
    }
  }
  CHECK(seen_with);
  CHECK(seen_without);
}

TEST_CASE("nuts kernel: the replayed trace has NUTS's density, and the chain moves") {
  Compiled c = compile(kMixed);
  Chain ch(*c.model, 11);
  ch.st.init_from_prior();
  NutsKernel nuts;
  auto single = make_kernel("single", "mh");
  ch.st.warmup = true;
  for (int i = 0; i < 600; ++i) {
    if (i == 300) ch.st.warmup = false;
    nuts.iterate(ch.st);
    single->iterate(ch.st);
  }
  const KernelStats s = nuts.stats()[0];
  CHECK(s.name == "nuts");
  CHECK(s.proposed == 600);
  CHECK(s.accepted > 300);
  CHECK(s.mean_accept_stat);
  CHECK(s.accept_stat_sum / static_cast<double>(s.proposed) > 0.5);
  CHECK(nuts.max_replay_error() < 1e-9 * 100);
}

TEST_CASE("nuts kernel: the same seed gives the same draws on any number of threads") {
  Compiled c = compile(kMixed);
  McmcSettings s;
  s.samples = 100;
  s.warmup = 100;
  s.chains = 4;
  s.kernel = "nuts+single";
  const Population one = mcmc(*c.model, s, 9, 1);
  const Population again = mcmc(*c.model, s, 9, 1);
  const Population three = mcmc(*c.model, s, 9, 3);
  const Population other = mcmc(*c.model, s, 10, 1);
  bool same_again = true, same_three = true, same_other = true;
  for (int64_t i = 0; i < one.size(); ++i) {
    same_again = same_again && one.slots()[i] == again.slots()[i];
    same_three = same_three && one.slots()[i] == three.slots()[i];
    same_other = same_other && one.slots()[i] == other.slots()[i];
  }
  CHECK(same_again);
  CHECK(same_three);
  CHECK(!same_other);
}

// Normal observes first: the twins do those inline (without the handler)
// unless the run is cut, so a cut that missed them would stop late. Then a
// choice after each observe, a Poisson observe and a factor, so that every
// cut point has a different set of choices and terms.
const char* kSteps = R"(
fn model() -> real {
  let mu = sample(normal(0.0, 2.0));
  observe(normal(mu, 1.0), 0.4);
  let s = sample(gamma(2.0, 2.0));
  observe(normal(mu, s), 1.1);
  let r = sample(gamma(3.0, 1.0));
  observe(poisson(r), 2);
  factor(0.0 - mu * mu / 8.0);
  observe(normal(mu + r, 1.0), 2.5);
  mu
})";

TEST_CASE("trace gradient: a run cut after its s-th observe/factor is the trace suspended there") {
  Compiled c = compile(kSteps);
  for (uint64_t seed : {1u, 2u}) {
    for (int64_t s = 1; s <= 5; ++s) {
      CAPTURE(s);
      Chain ch(*c.model, seed);
      ch.st.suspend_at = s;
      ch.st.init_from_prior();
      const Trace& t = ch.st.cur;
      REQUIRE(t.events == s);
      REQUIRE(!t.done);  // suspended there, even after the last one
      TraceGradient g(*c.model, "rmsmc");
      std::vector<double> q;
      REQUIRE(g.bind(t, q, s));
      // mu; s from the 2nd observe on; r from the 3rd.
      CHECK(g.dimension() == static_cast<size_t>(s < 2 ? 1 : s < 3 ? 2 : 3));
      ValueMap values;
      double lj = 0;
      const double lp = g.values_at(q.data(), values, &lj);
      CHECK(std::abs(lp - lj - t.log_joint()) < 1e-9 * (1 + std::abs(lp)));
      // The same trace against whole runs: more terms, or a run that makes
      // choices the trace lacks (density zero).
      TraceGradient whole(*c.model, "rmsmc");
      REQUIRE(whole.bind(t, q));
      const double lw = whole.log_density(q.data());
      if (s < 5) CHECK(!(std::abs(lw - lp) < 1e-6));
      else CHECK(lw == lp);
    }
  }
}

TEST_CASE("nuts in resample-move: the step size update inverts HMC's acceptance curve") {
  // a(ε) = erfc(k ε² / √2): from any ε whose acceptance a(ε) is not
  // clamped, one update (m large: undamped) lands where a = 0.8.
  const double k = 0.7;
  auto accept = [&](double eps) { return std::erfc(k * eps * eps / std::sqrt(2.0)); };
  for (double eps : {0.5, 0.9, 1.3, 2.0}) {
    CAPTURE(eps);
    const double next = eps * std::exp(population_log_step_change(accept(eps), 1000000000000));
    CHECK(std::abs(accept(next) - 0.8) < 1e-6);
  }
  CHECK(std::abs(population_log_step_change(0.8, 100)) < 1e-12);
  // Nothing accepted / everything accepted: at most a factor of 10, damped
  // by m / (m + 10).
  CHECK(std::abs(population_log_step_change(0.0, 10) + 0.5 * std::log(10.0)) < 1e-12);
  CHECK(std::abs(population_log_step_change(1.0, 90) - 0.9 * std::log(10.0)) < 1e-12);
  CHECK(population_log_step_change(0.5, 0) == 0.0);
  CHECK(population_log_step_change(0.3, 50) < population_log_step_change(0.6, 50));
}

TEST_CASE("nuts in resample-move: the same seed gives the same population on any number of threads") {
  Compiled c = compile(kSteps);
  ResampleMoveSettings s;
  s.smc.particles = 64;
  s.smc.ess_threshold = 1.0;
  s.smc.method = "rmsmc";
  s.moves = 2;
  s.kernel = "nuts";
  Diagnostics d1, d3;
  const Population one = resample_move(*c.model, s, 7, 1, &d1);
  const Population three = resample_move(*c.model, s, 7, 3, &d3);
  const Population other = resample_move(*c.model, s, 8, 1);
  bool same = true, differs = false;
  for (int64_t i = 0; i < one.size(); ++i) {
    same = same && one.slots()[i] == three.slots()[i];
    differs = differs || one.slots()[i] != other.slots()[i];
  }
  CHECK(same);
  CHECK(differs);
  CHECK(one.log_evidence() == three.log_evidence());
  // The moves moved (the acceptance is that of the points that moved).
  REQUIRE(!d1.acceptance.empty());
  CHECK(d1.acceptance[0].second > 0.5);
}

// The message of the rt::RuntimeError f throws ("" when none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const borel::rt::RuntimeError& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("nuts in resample-move: refused with lag > 0, and alone on a discrete choice") {
  Compiled c = compile(kSteps);
  ResampleMoveSettings s;
  s.smc.particles = 8;
  s.smc.method = "rmsmc";
  s.kernel = "rw+nuts";
  s.lag = 2;
  CHECK(error_of([&] { resample_move(*c.model, s, 1); }).find("cannot be used with lag > 0") != std::string::npos);
  Compiled d = compile(R"(
fn model() -> int {
  let n = sample(poisson(3.0));
  observe(poisson(real(n) + 0.5), 4);
  n
})");
  s.lag = 0;
  s.kernel = "nuts";
  s.smc.ess_threshold = 1.0;
  const std::string e = error_of([&] { resample_move(*d.model, s, 1); });
  CHECK(e.find("model.brl:3:11: rmsmc: a choice from poisson is discrete") == 0);
  s.kernel = "nuts+single";  // fine: single moves n
  CHECK(std::isfinite(resample_move(*d.model, s, 1).log_evidence()));
}

namespace {

// a ~ N(0, 1), b ~ N(0, 100), 1 ~ N(a + b/100, 0.2): with u = b/100 the
// posterior of (a, u) has precision [[26, 25], [25, 26]], covariance
// [[26, −25], [−25, 26]] / 51: sds 0.71 and 71, correlation −0.96.
const char* kScaled = R"(
fn model() -> real {
  let a = sample(normal(0.0, 1.0));
  let b = sample(normal(0.0, 100.0));
  observe(normal(a + b / 100.0, 0.2), 1.0);
  a
})";

struct MetricRun {
  double ess = 0;       // the smaller bulk ESS of a and b over the chains
  long gradients = 0;   // after warm-up, all chains
  std::vector<double> inv_metric;  // the last chain's, after warm-up
};

// `chains` chains of the nuts kernel alone with `metric`: 1000 warm-up
// iterations, then `draws` kept.
MetricRun run_metric(Compiled& c, Metric metric, int chains, int draws) {
  MetricRun r;
  std::vector<std::vector<double>> as, bs;
  for (int k = 0; k < chains; ++k) {
    Chain ch(*c.model, 100 + static_cast<uint64_t>(k));
    ch.st.init_from_prior();
    NutsKernel nuts;
    nuts.configure(metric, 1000);
    ch.st.warmup = true;
    for (int i = 0; i < 1000; ++i) nuts.iterate(ch.st);
    ch.st.warmup = false;
    const long g0 = nuts.gradient_evaluations();
    as.emplace_back();
    bs.emplace_back();
    for (int i = 0; i < draws; ++i) {
      nuts.iterate(ch.st);
      as.back().push_back(borel::rt::to_real(ch.st.cur.choices[0].value));
      bs.back().push_back(borel::rt::to_real(ch.st.cur.choices[1].value));
    }
    r.gradients += nuts.gradient_evaluations() - g0;
    Layout layout;
    for (const Choice& x : ch.st.cur.choices) layout.push_back(LayoutEntry{x.addr, 1});
    r.inv_metric = nuts.inv_metric(layout);
  }
  r.ess = std::min(ess_raw(as), ess_raw(bs));
  return r;
}

}  // namespace

// The metric's effect, measured: bulk ESS per gradient evaluation on kScaled
// (4 chains × 2000 draws after 1000 warm-up iterations, fixed seeds, so the
// figures are deterministic; recorded in docs/inference.md). The checks
// are far below the measured ratios, so they fail only if the metric stops
// being learnt or used.
TEST_CASE("nuts kernel: the metric raises ESS per gradient on a badly scaled, correlated posterior") {
  Compiled c = compile(kScaled);
  const MetricRun unit = run_metric(c, Metric::Unit, 4, 2000);
  const MetricRun diag = run_metric(c, Metric::Diag, 4, 2000);
  const MetricRun dense = run_metric(c, Metric::Dense, 4, 2000);
  auto per = [](const MetricRun& r) { return r.ess / static_cast<double>(r.gradients); };
  MESSAGE("unit: ESS " << unit.ess << ", gradients " << unit.gradients << ", ESS/gradient " << per(unit));
  MESSAGE("diag: ESS " << diag.ess << ", gradients " << diag.gradients << ", ESS/gradient " << per(diag));
  MESSAGE("dense: ESS " << dense.ess << ", gradients " << dense.gradients << ", ESS/gradient " << per(dense));
  CHECK(per(diag) > 3 * per(unit));
  CHECK(per(dense) > 3 * per(diag));
  // The learnt inverse metrics are the posterior's (co)variances: 26/51
  // and 26/51·1e4 on the diagonal, −25/51·100 off it. The last window has
  // 500 draws; with a bulk ESS of at least 100 of them (measured: far more
  // with diag and dense), a variance estimate has relative sd ≤ √(2/100)
  // = 0.14, the covariance (correlation −0.96) about the same: 40% is
  // ~3 sd. Stan's shrinkage n/(n + 5) adds 1%.
  const double va = 26.0 / 51.0, vb = 26.0 / 51.0 * 1e4, cab = -25.0 / 51.0 * 100.0;
  REQUIRE(diag.inv_metric.size() == 2);
  CHECK(std::abs(diag.inv_metric[0] / va - 1) < 0.4);
  CHECK(std::abs(diag.inv_metric[1] / vb - 1) < 0.4);
  REQUIRE(dense.inv_metric.size() == 4);
  CHECK(std::abs(dense.inv_metric[0] / va - 1) < 0.4);
  CHECK(std::abs(dense.inv_metric[3] / vb - 1) < 0.4);
  CHECK(std::abs(dense.inv_metric[1] / cab - 1) < 0.4);
  CHECK(dense.inv_metric[1] == dense.inv_metric[2]);
  REQUIRE(unit.inv_metric.empty());
}

TEST_CASE("nuts kernel: metric names, and the metric is frozen after warm-up") {
  CHECK(kernel_metric("unit", "mh") == Metric::Unit);
  CHECK(kernel_metric("diag", "mh") == Metric::Diag);
  CHECK(kernel_metric("dense", "mh") == Metric::Dense);
  CHECK(error_of([] { kernel_metric("full", "mh"); }).find("metric is \"full\", but must be one of") !=
        std::string::npos);
  Compiled c = compile(kScaled);
  Chain ch(*c.model, 7);
  ch.st.init_from_prior();
  NutsKernel nuts;
  nuts.configure(Metric::Diag, 200);
  ch.st.warmup = true;
  for (int i = 0; i < 200; ++i) nuts.iterate(ch.st);
  ch.st.warmup = false;
  Layout layout;
  for (const Choice& x : ch.st.cur.choices) layout.push_back(LayoutEntry{x.addr, 1});
  const std::vector<double> after = nuts.inv_metric(layout);
  CHECK(after[1] > 100);  // learnt: b's variance is ~5000, not the unit 1
  for (int i = 0; i < 300; ++i) nuts.iterate(ch.st);
  CHECK(nuts.inv_metric(layout) == after);
  // An address never seen keeps the unit metric.
  layout.push_back(LayoutEntry{Address{12345, 0}, 2});
  const std::vector<double> bigger = nuts.inv_metric(layout);
  CHECK(bigger.size() == 4);
  CHECK(bigger[2] == 1.0);
  CHECK(bigger[3] == 1.0);
}

// In resample-move the metric is the population's, before the moves:
// Stan's regularised (co)variance of the particles' unconstrained values,
// pooled in particle order over the threads' instances (exact up to the
// rounding of two summation orders: 1e-12 relative).
TEST_CASE("nuts in resample-move: the metric is the surveyed population's regularised (co)variance") {
  Compiled c = compile(kScaled);
  for (Metric m : {Metric::Diag, Metric::Dense}) {
    NutsKernel k1, k2;
    k1.configure(m, 0);
    k2.configure(m, 0);
    CHECK(k1.surveys());
    const int n = 40;
    double sa = 0, sb = 0;
    std::vector<double> as, bs;
    Layout layout;
    for (int i = 0; i < n; ++i) {
      Chain ch(*c.model, 200 + static_cast<uint64_t>(i));
      ch.st.init_from_prior();
      ch.st.particle = i;
      (i % 3 ? k1 : k2).survey(ch.st);
      as.push_back(borel::rt::to_real(ch.st.cur.choices[0].value));
      bs.push_back(borel::rt::to_real(ch.st.cur.choices[1].value));
      sa += as.back();
      sb += bs.back();
      if (layout.empty())
        for (const Choice& x : ch.st.cur.choices) layout.push_back(LayoutEntry{x.addr, 1});
    }
    k2.prepare({&k2, &k1});
    const double ma = sa / n, mb = sb / n;
    double vaa = 0, vbb = 0, vab = 0;
    for (int i = 0; i < n; ++i) {
      vaa += (as[i] - ma) * (as[i] - ma);
      vbb += (bs[i] - mb) * (bs[i] - mb);
      vab += (as[i] - ma) * (bs[i] - mb);
    }
    const double w = n / (n + 5.0), shrink = 1e-3 * 5.0 / (n + 5.0);
    vaa = w * vaa / (n - 1) + shrink;
    vbb = w * vbb / (n - 1) + shrink;
    vab = w * vab / (n - 1);
    const std::vector<double> got = k1.inv_metric(layout);
    CHECK(got == k2.inv_metric(layout));
    auto near = [](double x, double y) { return std::abs(x - y) <= 1e-12 * std::abs(y); };
    if (m == Metric::Diag) {
      REQUIRE(got.size() == 2);
      CHECK(near(got[0], vaa));
      CHECK(near(got[1], vbb));
    } else {
      REQUIRE(got.size() == 4);
      CHECK(near(got[0], vaa));
      CHECK(near(got[3], vbb));
      CHECK(near(got[1], vab));
      CHECK(got[1] == got[2]);
    }
  }
  // A collapsed population (every particle a copy of one point) teaches
  // nothing: the metric stays the unit one.
  NutsKernel k;
  k.configure(Metric::Diag, 0);
  Chain ch(*c.model, 9);
  ch.st.init_from_prior();
  for (int i = 0; i < 40; ++i) {
    ch.st.particle = i;
    k.survey(ch.st);
  }
  k.prepare({&k});
  Layout layout;
  for (const Choice& x : ch.st.cur.choices) layout.push_back(LayoutEntry{x.addr, 1});
  CHECK(k.inv_metric(layout) == std::vector<double>{1.0, 1.0});
  NutsKernel unit;
  CHECK(!unit.surveys());
}
