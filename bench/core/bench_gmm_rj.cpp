// bench_gmm_rj.cpp — gmm_unknown_k (../shared/bench/data/gmm_unknown_k.json):
// the posterior over the number of components K from reversible-jump MCMC
// (kernel "rw+gmm_rj", GmmRj.h) on the model written in Borel and compiled
// through LLVM, against the reference p(K | y) in the data file.
//
// Each benchmark is one run of `chains` chains with a given number of draws;
// it reports the wall time and the total-variation distance
//   TV = ½ Σ_K |p̂(K | y) − p_ref(K | y)|   (K = 1..14)
// as counters. A 16000-draw run's TV is checked (≤ 0.05) before anything is
// timed (warm-up: a quarter of the draws). Run: bench_gmm_rj [--benchmark_filter=...]; a TV-vs-time table follows.
#include <benchmark/benchmark.h>

#include <boost/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "SmcBench.h"
#include "borel/Borel.h"
#include "inference/Empirical.h"
#include "inference/Infer.h"
#include "runtime/Value.h"

using namespace borel;

namespace {

std::string data_path() {
  return bench::shared_dir() + "/bench/data/gmm_unknown_k.json";
}

// The reference p(K | y), K = 0..14.
std::vector<double> load_reference(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  const boost::json::value v = boost::json::parse(ss.str());
  std::vector<double> p(15, 0.0);
  const auto& ref = v.at("reference").as_object();
  const auto& pk = ref.at("posterior_K");
  if (pk.is_object()) {
    for (const auto& [k, x] : pk.as_object()) {
      const int kk = std::stoi(std::string(k));
      if (kk >= 0 && kk < 15) p[static_cast<size_t>(kk)] = x.to_number<double>();
    }
  } else {
    throw std::runtime_error("unexpected posterior_K layout in " + path);
  }
  return p;
}

const char* kSource = R"(
let ys: [real] = read_json("@DATA@").y;
// K - 1 ~ Poisson(2); w = g / sum(g) with g_k ~ Gamma(1, 1) (so w ~ Dirichlet(1, ..., 1),
// and the addresses of g_k and mu_k stay valid when K changes); mu_k ~ N(0, 10).
fn gmm(ys: [real]) -> int {
  let k = 1 + sample(poisson(2.0));
  let g = [sample(gamma(1.0, 1.0)) for j in 0..k];
  let mu = [sample(normal(0.0, 10.0)) for j in 0..k];
  let total = fold(g, 0.0, fn(a, x) { a + x });
  let d = mixture([x / total for x in g], [normal(m, 1.0) for m in mu]);
  for y in ys { observe(d, y); }
  k
}
fn model() -> int { gmm(ys) }
)";

std::vector<double> reference;  // p(K | y), K = 0..14

struct Run {
  double seconds = 0, tv = 0;
  std::vector<double> p;
};

Run run_chains(rt::Model& model, const rt::TypeDesc& type, const std::vector<double>& ref, int64_t samples,
               int64_t chains, int threads, uint64_t seed) {
  inference::Method m;
  m.name = "mh";
  m.samples = samples;
  m.warmup = samples / 4;
  m.chains = chains;
  m.kernel = "rw+gmm_rj";
  m.progress = false;
  const auto t0 = std::chrono::steady_clock::now();
  rt::Dist* d = inference::infer(m, model, type, seed, threads);
  Run r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto& e = *rt::to_ptr<const inference::EmpiricalData>(d->a[0]);
  r.p.assign(15, 0.0);
  for (int64_t i = 0; i < e.values->len; ++i) {
    const int64_t k = e.values->data[i];
    if (k >= 0 && k < 15) r.p[static_cast<size_t>(k)] += rt::to_real(e.weights->data[i]);
  }
  for (size_t k = 0; k < 15; ++k) r.tv += 0.5 * std::abs(r.p[k] - ref[k]);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  rt::gc_init();
  std::vector<double>& ref = reference;
  std::string source = kSource;
  try {
    ref = load_reference(data_path());
    const size_t at = source.find("@DATA@");
    source = source.substr(0, at) + data_path() + source.substr(at + 6);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_gmm_rj: %s\n", e.what());
    return 1;
  }
  static Program program = Program::from_source("gmm_unknown_k.brl", source, {"model"});
  program.run_main();
  static std::unique_ptr<rt::Model> model = program.model("model");
  static const rt::TypeDesc* type = program.result_type("model");

  const int threads = 2;
  const int64_t chains = 4;
  // The answer first: the longest run must be close to the reference.
  const std::vector<int64_t> sizes = {1000, 4000, 16000, 40000};
  const int64_t check_size = 16000;
  {
    const Run r = run_chains(*model, *type, ref, check_size, chains, threads, 1);
    std::printf("check: %lld draws per chain, TV %.4f in %.1f s; p(K|y) K=1..8:", static_cast<long long>(check_size),
                r.tv, r.seconds);
    for (size_t k = 1; k <= 8; ++k) std::printf(" %.4f/%.4f", r.p[k], ref[k]);
    std::printf(" (Borel/reference)\n");
    if (!(r.tv <= 0.05)) {
      std::fprintf(stderr, "bench_gmm_rj: TV %.4f > 0.05: wrong answer, not timing\n", r.tv);
      return 1;
    }
  }
  static std::map<int64_t, std::vector<Run>> runs;
  for (const int64_t n : sizes) {
    const std::string name = "gmm_unknown_k/mh_rw+gmm_rj/chains4_threads2/draws_per_chain:" + std::to_string(n);
    benchmark::RegisterBenchmark(name.c_str(), [n, chains, threads](benchmark::State& s) {
      uint64_t seed = 100;
      for (auto _ : s) {
        const Run r = run_chains(*model, *type, reference, n, chains, threads, seed++);
        runs[n].push_back(r);
        s.counters["TV"] = r.tv;
      }
    })->Unit(benchmark::kSecond)->Iterations(n >= 40000 ? 2 : n >= 16000 ? 3 : 5);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::printf("\nTV distance to the reference p(K | y) against wall time (4 chains, 2 threads):\n");
  std::printf("%16s %10s %10s %10s\n", "draws/chain", "seconds", "TV mean", "TV max");
  for (const auto& [n, rs] : runs) {
    double s = 0, tv = 0, tvmax = 0;
    for (const Run& r : rs) s += r.seconds, tv += r.tv, tvmax = std::max(tvmax, r.tv);
    std::printf("%16lld %10.2f %10.4f %10.4f\n", static_cast<long long>(n), s / static_cast<double>(rs.size()),
                tv / static_cast<double>(rs.size()), tvmax);
  }
  return 0;
}
