// SteeringBench.cpp — SMC steering of stories260K written in Borel (the
// lipogram of examples/lipogram.brl), its particles' language-model calls
// batched (one forward call per token for all particles, inference/Batched.h)
// against one call per particle. Same particles, same draws: only the number
// of forward calls differs. Counters: generated tokens per second over all
// particles, and forward calls per run. The cache of next-token
// distributions is emptied before every run, so no run is answered from a
// previous one.
//
// The same on a model of a real shape (bench/llm/RealShapeModel.h: random
// Q8_0 weights at Llama-3.2-1B's dimensions, written to a temporary file at
// run time): particles draw 8 tokens, each weighted by a likelihood on the
// token, so SMC resamples between tokens. Random weights make the model's
// logits spread by about 45 (embeddings of sd 1 over 2048 dimensions, the
// output tied to them), so every particle would draw the same token; the
// particles draw from the model at temperature 100 instead (the model as
// written is that tempered model) and are weighted mildly (0.6 against 0.4),
// so that most of the 64 contexts stay distinct after each resampling, as
// steered particles of a real model's broad next-token distributions do.
// One run each: a separate run of 64 particles makes hundreds of forward
// calls.
//
//   build/bench/llm/lm_steering_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "EmbeddedModel.h"
#include "RealShapeModel.h"
#include "borel/Borel.h"
#include "inference/Smc.h"

namespace {

constexpr int kTokens = 16;

std::string model_path() {
  const char* e = std::getenv("BOREL_TEST_MODELS");
  return std::string(e && *e ? e : BOREL_TEST_MODELS_DEFAULT) + "/stories260K.gguf";
}

std::string source() {
  return "fn model() {\n"
         "  let lm = llm(\"" + model_path() + "\");\n"
         "  let allowed = filter(range(vocab_size(lm)), fn(t) { t == eos_token(lm) || (t > 2 && !str_contains(token_piece(lm, t), \"e\")) });\n"
         "  fold(range(" + std::to_string(kTokens) + "), tokenize(lm, \"Once upon a time\"), fn(c, i) {\n"
         "    c ++ [guided(next_token(lm, c), masked(next_token(lm, c), allowed))]\n"
         "  })\n"
         "}\n";
}

// SMC over `model` of `source` with state.range(0) particles, each run from
// an emptied cache: generated tokens per second, forward calls and decoded
// tokens per run.
void steer(benchmark::State& state, const std::string& source, const std::string& path, int tokens, bool batched) {
  borel::Program p = borel::Program::from_source("steer.brl", source, {"model"});
  auto model = p.model("model");
  auto lm = borel::lm::EmbeddedModel::load(path);
  borel::inference::SmcSettings s;
  s.particles = state.range(0);
  s.batched = batched;
  uint64_t seed = 1;
  size_t calls = 0, decoded = 0;
  for (auto _ : state) {
    state.PauseTiming();
    lm->forget();
    const size_t before = lm->forward_calls(), decoded_before = lm->decoded_tokens();
    state.ResumeTiming();
    auto pop = borel::inference::smc(*model, s, seed++, 1);
    benchmark::DoNotOptimize(pop.log_evidence());
    calls += lm->forward_calls() - before;
    decoded += lm->decoded_tokens() - decoded_before;
  }
  const double runs = static_cast<double>(state.iterations());
  state.counters["tok/s"] = benchmark::Counter(runs * static_cast<double>(s.particles * tokens), benchmark::Counter::kIsRate);
  state.counters["calls/run"] = static_cast<double>(calls) / runs;
  state.counters["decoded/run"] = static_cast<double>(decoded) / runs;
}

void BM_Steering(benchmark::State& state, bool batched) {
  if (!std::ifstream(model_path()).good()) {
    state.SkipWithError("stories260K.gguf not found (BOREL_TEST_MODELS)");
    return;
  }
  steer(state, source(), model_path(), kTokens, batched);
}

constexpr int kShapeTokens = 8;

// The real-shape model's path, written once per process and removed at exit.
const std::string& shape_model_path() {
  static const std::string path = [] {
    std::string p = borel::bench::real_shape_model_path();
    borel::bench::write_real_shape_model(p);
    std::atexit([] { std::filesystem::remove(shape_model_path()); });
    return p;
  }();
  return path;
}

std::string shape_source() {
  return "fn model() {\n"
         "  let lm = llm(\"" + shape_model_path() + "\");\n"
         "  fold(range(" + std::to_string(kShapeTokens) + "), [1, 500, 70000, 3000], fn(c, i) {\n"
         "    let t = sample(tempered(next_token(lm, c), 100.0));\n"
         "    observe(bernoulli(if t % 2 == 0 { 0.6 } else { 0.4 }), true);\n"
         "    c ++ [t]\n"
         "  })\n"
         "}\n";
}

void BM_SteeringRealShape(benchmark::State& state, bool batched) {
  steer(state, shape_source(), shape_model_path(), kShapeTokens, batched);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Steering, batched, true)->Arg(1)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Steering, separate, false)->Arg(1)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SteeringRealShape, batched, true)
    ->Arg(1)->Arg(64)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_SteeringRealShape, separate, false)
    ->Arg(1)->Arg(64)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

BENCHMARK_MAIN();
