// bench_issue4.cpp — issue 4's figures, side by side in one run, each answer
// checked before it is timed (docs/benchmarks-inference.md):
//
//   lgssm_T1000_N1000/handwritten_pf/fast     the hand-written bootstrap filter (HandwrittenPf.h)
//   lgssm_T1000_N1000/borel_smc/compiled      smc() on the Borel model compiled through LLVM, 1 and 2 threads
//   lgssm_T1000_N1000/borel_rmsmc/compiled    rmsmc (1 move after each resampling, adaptive resampling)
//   lgssm_T1000_N1000/borel_rmsmc_lag10/...   the same with fixed-lag moves (lag = 10, ResampleMove.h)
//   linreg_N1000/borel_mh_rw/chains4          random-walk MH, 4 chains × 1000 draws after 1000 warm-up,
//                                             1 and 2 threads: bulk ESS per second (McmcStats.h)
//
// The lgssm runs must give log Z within 5 Monte Carlo sd of the Kalman value
// in the data file; the MH run must give posterior means within 5 MCSE of
// the reference (../shared/bench/data/linreg.json).
// Run: bench_issue4 --benchmark_min_time=1x (one timed run each) or with repetitions.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "HandwrittenPf.h"
#include "SmcBench.h"
#include "borel/Borel.h"
#include "inference/Mcmc.h"
#include "inference/McmcStats.h"
#include "inference/ResampleMove.h"
#include "runtime/Value.h"

using namespace borel;
using namespace borel::bench;

namespace {

constexpr int64_t kN = 1000;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}


}  // namespace

int main(int argc, char** argv) {
  rt::gc_init();
  const LgssmData data = load_lgssm(1000);
  const std::string lgssm_src = lgssm_borel_source(lgssm_data_path(1000));
  static borel::Program lgssm = borel::Program::from_source("lgssm_T1000.brl", lgssm_src, {"model"});
  lgssm.run_main();
  static std::unique_ptr<rt::Model> lgssm_model = lgssm.model("model");

  static const Linreg lr = load_linreg();
  const std::string linreg_src = linreg_borel_source();
  // Compiled on first use (after the lgssm benchmarks).
  static std::string linreg_source = linreg_src;
  static auto linreg_model = []() -> rt::Model& {
    static borel::Program linreg = borel::Program::from_source("linreg.brl", linreg_source, {"model"});
    static bool ran = (linreg.run_main(), true);
    (void)ran;
    static std::unique_ptr<rt::Model> m = linreg.model("model");
    return *m;
  };

  benchmark::RegisterBenchmark("lgssm_T1000_N1000/handwritten_pf/fast", [&](benchmark::State& state) {
    std::vector<double> x, xn, lw, w;
    FastRng check(12345);
    const double lz = handwritten_pf(data.y, kN, check, x, xn, lw, w).log_z;
    if (!(std::abs(lz - data.exact_log_z) < 5 * lgssm_log_z_sd(kN, data.y.size()))) {
      state.SkipWithError("wrong answer");
      return;
    }
    uint64_t seed = 1;
    time_runs(state, "lgssm_T1000_N1000/handwritten_pf/fast", static_cast<double>(kN) * 1000.0, [&] {
      FastRng rng(seed++);
      benchmark::DoNotOptimize(handwritten_pf(data.y, kN, rng, x, xn, lw, w));
    });
  })->Unit(benchmark::kMillisecond);
  register_smc("lgssm_T1000_N1000/borel_smc/compiled", []() -> rt::Model& { return *lgssm_model; }, data, kN);
  register_smc("lgssm_T1000_N1000/borel_smc/compiled/2_threads", []() -> rt::Model& { return *lgssm_model; }, data,
               kN, 2);
  for (int64_t lag : {int64_t{0}, int64_t{10}}) {
    const std::string name = lag == 0 ? "lgssm_T1000_N1000/borel_rmsmc/compiled"
                                      : "lgssm_T1000_N1000/borel_rmsmc_lag" + std::to_string(lag) + "/compiled";
    benchmark::RegisterBenchmark(name.c_str(), [&, lag](benchmark::State& state) {
      inference::ResampleMoveSettings s;
      s.smc.particles = kN;
      s.smc.method = "rmsmc";
      s.lag = lag;
      uint64_t seed = 12345;
      for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        const double lz = inference::resample_move(*lgssm_model, s, seed++, 1).log_evidence();
        state.counters["seconds"] = seconds_since(t0);
        state.counters["log_z_error"] = lz - data.exact_log_z;
        if (!(std::abs(lz - data.exact_log_z) < 5 * lgssm_log_z_sd(kN, data.y.size())))
          state.SkipWithError("wrong answer");
      }
    })->Unit(benchmark::kMillisecond)->Iterations(1);
  }

  for (int threads : {1, 2}) {
    const std::string name = "linreg_N1000/borel_mh_rw/chains4/" + std::to_string(threads) + "_threads";
    benchmark::RegisterBenchmark(name.c_str(), [threads](benchmark::State& state) {
      inference::McmcSettings s;
      s.samples = 1000;
      s.warmup = 1000;
      s.chains = 4;
      uint64_t seed = 7;
      for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        const inference::Population pop = inference::mcmc(linreg_model(), s, seed++, threads);
        const double secs = seconds_since(t0);
        double min_ess = 1e300;
        const char* names[3] = {"alpha", "beta", "sigma"};
        for (int k = 0; k < 3; ++k) {
          std::vector<std::vector<double>> chains(4);
          for (int64_t i = 0; i < pop.size(); ++i)
            chains[static_cast<size_t>(i / s.samples)].push_back(
                rt::to_real(rt::to_ptr<rt::Array>(pop.slots()[i])->data[k]));
          const inference::McmcStats st = inference::mcmc_stats(chains);
          double m = 0;
          for (const auto& c : chains)
            for (double v : c) m += v;
          m /= static_cast<double>(pop.size());
          if (!(std::abs(m - lr.mean[k]) < 5 * st.mcse_mean)) state.SkipWithError("wrong answer");
          state.counters[std::string("ess_bulk_") + names[k]] = st.ess_bulk;
          min_ess = std::min(min_ess, st.ess_bulk);
        }
        state.counters["seconds"] = secs;
        state.counters["min_bulk_ess_per_s"] = min_ess / secs;
      }
    })->Unit(benchmark::kMillisecond)->Iterations(1);
  }

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  print_ratios("lgssm_T1000_N1000/handwritten_pf/fast");
  return 0;
}
