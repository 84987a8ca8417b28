// bench_gradient.cpp — what gradients cost, side by side in one run
// (docs/benchmarks.md, "Gradients"), on the shared linear regression
// (N = 1000; alpha, beta ~ N(0, 10), sigma ~ Exponential(1)):
//
//   linreg_N1000/log_density/{handwritten,borel}   log p(q) at a fixed point
//   linreg_N1000/gradient/{handwritten,borel}      log p(q) and ∂/∂q
//   linreg_N1000/nuts/{handwritten,borel}          NUTS, 4 chains × 1000 draws after 1000 warm-up,
//                                                  one thread: min bulk ESS per second
//   linreg_N1000/mh_rw/borel                       random-walk MH on the same model (the
//                                                  gradient-free baseline): min bulk ESS per second
//   eight_schools_nc/{log_density,gradient}/borel  the same two costs on eight schools, non-centred
//
// "handwritten" is the same density in plain C++ (unconstrained sigma = exp(q2),
// with its log-Jacobian), its gradient derived by hand: the floor a
// compiled PPL is measured against. Each answer is checked before it is
// timed: Borel's density and gradient equal the hand-written ones to 1e-9
// relative, and NUTS's posterior means lie within 5 MCSE of the exact ones.
// Run: bench_gradient --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "SmcBench.h"
#include "borel/Borel.h"
#include "inference/Mcmc.h"
#include "inference/McmcStats.h"
#include "inference/ModelGradient.h"
#include "inference/Nuts.h"
#include "runtime/Rng.h"
#include "runtime/Value.h"

using namespace borel;

namespace {


// The linreg density over q = (alpha, beta, log sigma), by hand.
class HandwrittenLinreg final : public inference::GradientTarget {
 public:
  explicit HandwrittenLinreg(const bench::Linreg& d) : d_(d) {}
  size_t dimension() const override { return 3; }
  double log_density_gradient(const double* q, double* g) override {
    const double a = q[0], b = q[1], sigma = std::exp(q[2]);
    const double log2pi = std::log(2 * M_PI), n = static_cast<double>(d_.x.size());
    double ss = 0, ga = 0, gb = 0;
    for (size_t i = 0; i < d_.x.size(); ++i) {
      const double r = d_.y[i] - a - b * d_.x[i];
      ss += r * r;
      ga += r;
      gb += r * d_.x[i];
    }
    const double s2 = sigma * sigma;
    // priors N(0, 10) twice, Exponential(1) on sigma with log-Jacobian q2.
    const double lp = -0.5 * (a * a + b * b) / 100 - 2 * std::log(10.0) - log2pi - sigma + q[2] - n * q[2] -
                      0.5 * n * log2pi - 0.5 * ss / s2;
    g[0] = -a / 100 + ga / s2;
    g[1] = -b / 100 + gb / s2;
    g[2] = -sigma + 1 - n + ss / s2;
    return lp;
  }
  double log_density(const double* q) {
    double g[3];
    return log_density_gradient(q, g);
  }

 private:
  const bench::Linreg& d_;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Min bulk ESS over the three parameters, and whether the means are within 5 MCSE.
std::pair<double, bool> check_draws(const std::vector<std::vector<std::vector<double>>>& chains_by_param,
                                    const bench::Linreg& d) {
  double min_ess = INFINITY;
  bool ok = true;
  for (int k = 0; k < 3; ++k) {
    const inference::McmcStats st = inference::mcmc_stats(chains_by_param[static_cast<size_t>(k)]);
    min_ess = std::min(min_ess, st.ess_bulk);
    double m = 0;
    size_t n = 0;
    for (const auto& c : chains_by_param[static_cast<size_t>(k)])
      for (double v : c) m += v, ++n;
    m /= static_cast<double>(n);
    ok = ok && std::abs(m - d.mean[k]) < 5 * st.mcse_mean;
  }
  return {min_ess, ok};
}

constexpr int kChains = 4, kDraws = 1000, kWarmup = 1000;

}  // namespace

int main(int argc, char** argv) {
  rt::gc_init();
  static const bench::Linreg lr = bench::load_linreg();
  static const std::string source = bench::linreg_borel_source();
  static borel::Program program = borel::Program::from_source("linreg.brl", source, {"model"});
  program.run_main();
  static std::unique_ptr<rt::Model> model = program.model("model");
  static inference::ModelGradient borel_target(*model, "bench");
  static HandwrittenLinreg hand(lr);
  static const double q[3] = {0.99, 1.98, std::log(0.51)};

  auto agree = [](double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b)); };
  double gb[3], gh[3];
  const double lb = borel_target.log_density_gradient(q, gb), lh = hand.log_density_gradient(q, gh);
  const bool same = agree(lb, lh) && agree(gb[0], gh[0]) && agree(gb[1], gh[1]) && agree(gb[2], gh[2]);

  auto density = [&](benchmark::State& state, auto f) {
    if (!same) {
      state.SkipWithError("Borel's density or gradient differs from the hand-written one");
      return;
    }
    for (auto _ : state) benchmark::DoNotOptimize(f());
  };
  benchmark::RegisterBenchmark("linreg_N1000/log_density/handwritten", [&](benchmark::State& s) {
    density(s, [] { return hand.log_density(q); });
  })->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("linreg_N1000/log_density/borel", [&](benchmark::State& s) {
    density(s, [] { return borel_target.log_density(q); });
  })->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("linreg_N1000/gradient/handwritten", [&](benchmark::State& s) {
    density(s, [] {
      double g[3];
      return hand.log_density_gradient(q, g);
    });
  })->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("linreg_N1000/gradient/borel", [&](benchmark::State& s) {
    density(s, [] {
      double g[3];
      return borel_target.log_density_gradient(q, g);
    });
  })->Unit(benchmark::kMicrosecond);

  // Eight schools, non-centred (examples/eight_schools.brl): the cost of a
  // gradient against a log density on a small hierarchical model.
  static borel::Program schools = borel::Program::from_source("eight_schools.brl", R"(
let y = [28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0];
let sigma = [15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0];
fn model() -> real {
  let mu = sample(normal(0.0, 5.0));
  let tau = sample(half_cauchy(5.0));
  let theta = [mu + tau * sample(normal(0.0, 1.0)) for j in 0..8];
  for j in 0..8 { observe(normal(theta[j], sigma[j]), y[j]); }
  mu
}
)", {"model"});
  schools.run_main();
  static std::unique_ptr<rt::Model> schools_model = schools.model("model");
  static inference::ModelGradient schools_target(*schools_model, "bench");
  static const double qs[10] = {4.4, 1.2, 0.3, -0.1, 0.5, 0.2, -0.4, 0.1, 0.9, -0.2};
  benchmark::RegisterBenchmark("eight_schools_nc/log_density/borel", [&](benchmark::State& s) {
    for (auto _ : s) benchmark::DoNotOptimize(schools_target.log_density(qs));
  })->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("eight_schools_nc/gradient/borel", [&](benchmark::State& s) {
    double g[10];
    for (auto _ : s) benchmark::DoNotOptimize(schools_target.log_density_gradient(qs, g));
  })->Unit(benchmark::kMicrosecond);

  // NUTS on a target: draws of the constrained (alpha, beta, sigma).
  auto nuts = [](benchmark::State& state, inference::GradientTarget& target) {
    uint64_t seed = 1;
    for (auto _ : state) {
      const auto t0 = std::chrono::steady_clock::now();
      std::vector<std::vector<std::vector<double>>> by_param(3, std::vector<std::vector<double>>(kChains));
      inference::NutsSettings s;
      s.samples = kDraws;
      s.warmup = kWarmup;
      for (int c = 0; c < kChains; ++c) {
        rt::Rng rng(seed, static_cast<uint64_t>(c));
        const auto q0 = inference::nuts_initial_point(target, rng);
        const auto r = inference::nuts_chain(target, rng, q0, s);
        for (int d = 0; d < kDraws; ++d)
          for (int k = 0; k < 3; ++k) {
            const double v = r.draws[static_cast<size_t>(d * 3 + k)];
            by_param[static_cast<size_t>(k)][static_cast<size_t>(c)].push_back(k == 2 ? std::exp(v) : v);
          }
      }
      const double secs = seconds_since(t0);
      ++seed;
      const auto [ess, ok] = check_draws(by_param, lr);
      state.counters["seconds"] = secs;
      state.counters["min_ess_bulk_per_s"] = ess / secs;
      if (!ok) state.SkipWithError("posterior means off by more than 5 MCSE");
    }
  };
  benchmark::RegisterBenchmark("linreg_N1000/nuts/handwritten", [&](benchmark::State& s) { nuts(s, hand); })
      ->Unit(benchmark::kMillisecond)
      ->Iterations(3);
  benchmark::RegisterBenchmark("linreg_N1000/nuts/borel", [&](benchmark::State& s) {
    inference::ModelGradient target(*model, "nuts");
    nuts(s, target);
  })->Unit(benchmark::kMillisecond)->Iterations(3);
  benchmark::RegisterBenchmark("linreg_N1000/mh_rw/borel", [&](benchmark::State& state) {
    uint64_t seed = 1;
    for (auto _ : state) {
      inference::McmcSettings s;
      s.samples = kDraws;
      s.warmup = kWarmup;
      s.chains = kChains;
      const auto t0 = std::chrono::steady_clock::now();
      const inference::Population pop = inference::mcmc(*model, s, seed++, 1);
      const double secs = seconds_since(t0);
      std::vector<std::vector<std::vector<double>>> by_param(3, std::vector<std::vector<double>>(kChains));
      for (int c = 0; c < kChains; ++c)
        for (int d = 0; d < kDraws; ++d) {
          const auto* a = rt::to_ptr<const rt::Array>(pop.slots()[c * kDraws + d]);
          for (int k = 0; k < 3; ++k)
            by_param[static_cast<size_t>(k)][static_cast<size_t>(c)].push_back(rt::array_real(a, k));
        }
      const auto [ess, ok] = check_draws(by_param, lr);
      state.counters["seconds"] = secs;
      state.counters["min_ess_bulk_per_s"] = ess / secs;
      if (!ok) state.SkipWithError("posterior means off by more than 5 MCSE");
    }
  })->Unit(benchmark::kMillisecond)->Iterations(3);

  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
