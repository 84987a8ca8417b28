// SmcBench.h — timing Borel's SMC on lgssm the same way for every model.
//
// The lead's compiled lgssm model is timed with the same function as the
// hand-written rt::Model here, so the figures are comparable:
//
//   LgssmData data = load_lgssm();                       // ../shared data
//   borel::bench::register_smc("lgssm/borel_compiled", [&]() -> rt::Model& { return compiled; },
//                              data, 10000);
//
// register_smc checks the answer before it times anything (log-evidence
// within 5 Monte Carlo sd of the exact Kalman value), then registers a
// Google Benchmark that runs SMC (bootstrap, systematic resampling every
// step, one thread) and reports ns per particle-step; the figure is also
// recorded for the ratio table printed by print_ratios().
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "inference/Smc.h"
#include "runtime/Model.h"

namespace borel::bench {

struct LgssmData {
  std::vector<double> y;
  double exact_log_z = 0.0;  // Kalman filter, from the data file
};

// The shared benchmark folder: env BOREL_SHARED_DIR, else the CMake cache
// variable of that name (../shared next to the repository).
inline std::string shared_dir() {
  std::string dir;
  if (const char* e = std::getenv("BOREL_SHARED_DIR")) dir = e;
#ifdef BOREL_SHARED_DIR
  if (dir.empty()) dir = BOREL_SHARED_DIR;
#endif
  return dir;
}

// lgssm (examples/lgssm.brl) in Borel, reading ../shared's lgssm_T<T>.json,
// with `fn model()` to export: the compiled model the benchmarks time.
inline std::string lgssm_borel_source(const std::string& data_path) {
  return R"(
let ys: [real] = read_json(")" + data_path + R"(").y;
fn lgssm(ys: [real]) -> real {
  let x1 = sample(normal(0.0, 1.0));
  observe(normal(x1, 0.5), ys[0]);
  fold(ys[1..], x1, fn(x, y) {
    let x2 = sample(normal(0.9 * x, 1.0));
    observe(normal(x2, 0.5), y);
    x2
  })
}
fn model() -> real { lgssm(ys) }
)";
}


// linreg in Borel, reading ../shared's linreg.json, with `fn model()` to
// export (the result is [alpha, beta, sigma]).
inline std::string linreg_borel_source() {
  return R"(
let d = read_json(")" + shared_dir() + R"(/bench/data/linreg.json");
let xs: [real] = d.x;
let ys: [real] = d.y;
fn linreg(xs: [real], ys: [real]) -> [real] {
  let alpha = sample(normal(0.0, 10.0));
  let beta = sample(normal(0.0, 10.0));
  let sigma = sample(exponential(1.0));
  for i in 0..len(xs) { observe(normal(alpha + beta * xs[i], sigma), ys[i]); }
  [alpha, beta, sigma]
}
fn model() -> [real] { linreg(xs, ys) }
)";
}

// linreg's data and exact posterior moments (../shared/bench/data/linreg.json).
struct Linreg {
  std::vector<double> x, y;
  double mean[3], sd[3];  // alpha, beta, sigma
};

inline Linreg load_linreg() {
  std::ifstream f(shared_dir() + "/bench/data/linreg.json");
  std::stringstream ss;
  ss << f.rdbuf();
  const auto j = boost::json::parse(ss.str());
  Linreg d;
  for (const auto& v : j.at("x").as_array()) d.x.push_back(v.to_number<double>());
  for (const auto& v : j.at("y").as_array()) d.y.push_back(v.to_number<double>());
  const char* names[3] = {"alpha", "beta", "sigma"};
  for (int k = 0; k < 3; ++k) {
    d.mean[k] = j.at("reference").at("mean").at(names[k]).to_number<double>();
    d.sd[k] = j.at("reference").at("sd").at(names[k]).to_number<double>();
  }
  return d;
}

// The path of ../shared/bench/data/lgssm_T<T>.json.
inline std::string lgssm_data_path(int T) {
  return shared_dir() + "/bench/data/lgssm_T" + std::to_string(T) + ".json";
}

// Reads ../shared/bench/data/lgssm_T<T>.json; throws std::runtime_error when
// it is missing.
inline LgssmData load_lgssm(int T = 100) {
  const std::string path = lgssm_data_path(T);
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot read " + path + " (set BOREL_SHARED_DIR)");
  std::stringstream ss;
  ss << f.rdbuf();
  const auto j = boost::json::parse(ss.str());
  LgssmData d;
  for (const auto& v : j.at("y").as_array()) d.y.push_back(v.to_number<double>());
  d.exact_log_z = j.at("reference").at("log_marginal_likelihood").to_number<double>();
  return d;
}

// Monte Carlo sd of a bootstrap filter's log Ẑ on lgssm_T100: 0.50 at
// N = 1000 (measured over 200 seeds, for Borel's SMC and the hand-written
// filter alike; mean error -0.12 ≈ -sd²/2 as theory says), scaling as 1/√N
// and, roughly, as √T.
inline double lgssm_log_z_sd(int64_t particles, size_t T) {
  return 0.5 * std::sqrt(1000.0 / static_cast<double>(particles)) * std::sqrt(static_cast<double>(T) / 100.0);
}

// Wall and process-CPU ns per particle-step of every benchmark run so far, by
// name (the fastest iteration of each). Process CPU time counts every thread
// of the process (the collector's marker threads included); on a busy
// machine it is the steadier figure for one-thread runs.
struct Timing {
  double wall_ns = 1e300, cpu_ns = 1e300;
};
inline std::map<std::string, Timing>& timings() {
  static std::map<std::string, Timing> t;
  return t;
}

inline void record(const std::string& name, double wall_ns, double cpu_ns) {
  Timing& t = timings()[name];
  t.wall_ns = std::min(t.wall_ns, wall_ns);
  t.cpu_ns = std::min(t.cpu_ns, cpu_ns);
}

inline double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Times `run` (one full filter) per benchmark iteration; records the best
// wall and CPU time as ns per particle-step under `name`.
template <class Run>
void time_runs(benchmark::State& state, const std::string& name, double particle_steps, Run run) {
  double best_wall = 1e300, best_cpu = 1e300;
  for (auto _ : state) {
    const double c0 = process_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    run();
    best_wall = std::min(best_wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    best_cpu = std::min(best_cpu, process_cpu_seconds() - c0);
  }
  state.counters["ns_per_particle_step"] = best_wall * 1e9 / particle_steps;
  state.counters["cpu_ns_per_particle_step"] = best_cpu * 1e9 / particle_steps;
  record(name, best_wall * 1e9 / particle_steps, best_cpu * 1e9 / particle_steps);
}

// SMC settings of the benchmark: the textbook bootstrap filter.
inline inference::SmcSettings lgssm_settings(int64_t particles) {
  inference::SmcSettings s;
  s.particles = particles;
  s.resampling = inference::Resampling::Systematic;
  s.ess_threshold = 1.0;  // every step, like the hand-written filter
  return s;
}

// Registers the timing of SMC over the model returned by `model` (called
// once per benchmark run; it must outlive the run).
inline void register_smc(const std::string& name, std::function<rt::Model&()> model, const LgssmData& data,
                         int64_t particles, int threads = 1) {
  benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
    rt::Model& m = model();
    const auto settings = lgssm_settings(particles);
    // The answer first.
    const double lz = inference::smc(m, settings, 12345, threads).log_evidence();
    const double tol = 5 * lgssm_log_z_sd(particles, data.y.size());
    if (!(std::abs(lz - data.exact_log_z) < tol)) {
      state.SkipWithError(("wrong answer: log Z " + std::to_string(lz) + ", exact " +
                           std::to_string(data.exact_log_z))
                              .c_str());
      return;
    }
    uint64_t seed = 1;
    state.counters["log_z_error"] = lz - data.exact_log_z;
    time_runs(state, name, static_cast<double>(particles) * static_cast<double>(data.y.size()), [&] {
      benchmark::DoNotOptimize(inference::smc(m, settings, seed++, threads).log_evidence());
    });
  })->Unit(benchmark::kMillisecond);
}

// Prints every recorded benchmark's ns per particle-step and its ratio to
// `baseline`.
inline void print_ratios(const std::string& baseline) {
  auto it = timings().find(baseline);
  if (it == timings().end()) return;
  const Timing base = it->second;
  std::printf("\n%-56s %10s %7s %10s %7s\n", "ns per particle-step (fastest run)", "wall", "ratio", "cpu", "ratio");
  for (const auto& [name, t] : timings())
    std::printf("%-56s %10.2f %6.2fx %10.2f %6.2fx\n", name.c_str(), t.wall_ns, t.wall_ns / base.wall_ns, t.cpu_ns,
                t.cpu_ns / base.cpu_ns);
}

}  // namespace borel::bench
