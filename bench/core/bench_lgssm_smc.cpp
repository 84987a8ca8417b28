// bench_lgssm_smc.cpp — lgssm (T = 100): Borel's SMC against the hand-written
// bootstrap particle filter, side by side, in ns per particle-step.
//
//   handwritten_pf/fast    the floor: ../shared/bench/peers/handwritten/pf.cpp's
//                          algorithm with its `fast` generator (HandwrittenPf.h)
//   handwritten_pf/borel_rng  the same filter drawing from rt::Rng, to separate
//                          the generator from the machinery
//   borel_smc/handwritten_model  inference::smc over an rt::Model written by
//                          hand the way compiled Borel code runs: effects
//                          through the handler, distributions as unboxed
//                          rt::Dist with the stdlib's normal, one GC
//                          continuation per suspension
// Each checks its log-evidence against the exact Kalman value before timing.
// Run: bench_inference [--benchmark_repetitions=5]; a ratio table follows.
#include <benchmark/benchmark.h>

#include <cstdio>

#include "SmcBench.h"
#include "borel/Borel.h"
#include "HandwrittenPf.h"
#include "runtime/Dist.h"
#include "runtime/Model.h"
#include "runtime/Rng.h"
#include "runtime/Value.h"
#include "stdlib/distributions/Distributions.h"

using namespace borel;
using namespace borel::bench;

namespace {

const int64_t kParticles = 10000;

// lgssm as compiled Borel code runs it:
//   x = sample(normal(0, 1)); observe(normal(x, 0.5), y[0]);
//   for t in 1..T { x = sample(normal(0.9 x, 1)); observe(normal(x, 0.5), y[t]) }
// The continuation after observe t is an immutable GC record {ys, t, x}.
class LgssmModel final : public rt::Model {
 public:
  explicit LgssmModel(const std::vector<double>& y) {
    ys_ = rt::array_from_reals(y.data(), static_cast<int64_t>(y.size()));
  }
  rt::Step start(rt::Ctx& ctx) override { return run(ctx, ys_, 0, 0.0); }
  rt::Step resume(rt::Ctx& ctx, rt::Cont* c, rt::Word) override {
    const auto* s = static_cast<const Frame*>(c);
    return run(ctx, s->ys, s->t + 1, s->x);
  }
  std::string site_location(rt::SiteId id) const override { return id == 0 ? "lgssm.brl:5:13" : "lgssm.brl:6:5"; }

 private:
  struct Frame {
    const rt::Array* ys;
    int64_t t;
    double x;
  };
  static rt::Step run(rt::Ctx& ctx, const rt::Array* ys, int64_t t, double x) {
    for (; t < ys->len; ++t) {
      const rt::Dist prior{&dist::normal_ops, {t == 0 ? 0.0 : 0.9 * x, 1.0}, {}};
      x = rt::to_real(ctx.handler->sample(ctx, prior, 0));
      const rt::Dist lik{&dist::normal_ops, {x, 0.5}, {}};
      ctx.handler->observe(ctx, lik, ys->data[t], 1);
      if (ctx.suspend_requested) {
        auto* f = static_cast<Frame*>(rt::gc_alloc(sizeof(Frame)));
        *f = Frame{ys, t, x};
        return {rt::Step::Kind::Suspended, 0, f};
      }
    }
    return {rt::Step::Kind::Done, rt::from_real(x), nullptr};
  }
  rt::Array* ys_;  // reachable from the GC heap through every frame; kept here too
};

// Adapts rt::Rng to the hand-written filter's interface (uniform in [0,1)).
struct BorelRng {
  rt::Rng r;
  double normal() { return r.normal(); }
  double uniform() { return r.uniform(); }
};

template <class Rng, class Make>
void bench_handwritten(benchmark::State& state, const LgssmData& data, const char* name, Make make) {
  std::vector<double> x, xn, lw, w;
  {
    Rng rng = make(12345);
    const double lz = handwritten_pf(data.y, kParticles, rng, x, xn, lw, w).log_z;
    if (!(std::abs(lz - data.exact_log_z) < 5 * lgssm_log_z_sd(kParticles, data.y.size()))) {
      state.SkipWithError("wrong answer");
      return;
    }
    state.counters["log_z_error"] = lz - data.exact_log_z;
  }
  uint64_t seed = 1;
  time_runs(state, name, static_cast<double>(kParticles) * static_cast<double>(data.y.size()), [&] {
    Rng rng = make(seed++);
    benchmark::DoNotOptimize(handwritten_pf(data.y, kParticles, rng, x, xn, lw, w));
  });
}

}  // namespace

int main(int argc, char** argv) {
  rt::gc_init();
  LgssmData data;
  try {
    data = load_lgssm(100);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_inference: %s\n", e.what());
    return 1;
  }
  static LgssmModel model(data.y);

  // The same model written in Borel, compiled through LLVM (examples/lgssm.brl).
  const std::string data_path = lgssm_data_path(100);
  const std::string source = lgssm_borel_source(data_path);
  static borel::Program program = borel::Program::from_source("lgssm_bench.brl", source, {"model"});
  program.run_main();
  static std::unique_ptr<rt::Model> compiled = program.model("model");

  benchmark::RegisterBenchmark("lgssm_T100_N10000/handwritten_pf/fast", [&](benchmark::State& s) {
    bench_handwritten<FastRng>(s, data, "lgssm_T100_N10000/handwritten_pf/fast", [](uint64_t sd) { return FastRng(sd); });
  })->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("lgssm_T100_N10000/handwritten_pf/borel_rng", [&](benchmark::State& s) {
    bench_handwritten<BorelRng>(s, data, "lgssm_T100_N10000/handwritten_pf/borel_rng",
                                [](uint64_t sd) { return BorelRng{rt::Rng(sd, 0)}; });
  })->Unit(benchmark::kMillisecond);
  register_smc("lgssm_T100_N10000/borel_smc/handwritten_model", []() -> rt::Model& { return model; }, data,
               kParticles);
  register_smc("lgssm_T100_N10000/borel_smc/compiled_borel", []() -> rt::Model& { return *compiled; }, data,
               kParticles);
  register_smc("lgssm_T100_N10000/borel_smc/handwritten_model/2_threads", []() -> rt::Model& { return model; },
               data, kParticles, 2);

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  print_ratios("lgssm_T100_N10000/handwritten_pf/fast");
  return 0;
}
