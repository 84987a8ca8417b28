// Benchmarks of the embedded LLM engine on stories260K (the model llama.cpp's
// figures in ../shared/models/README.md were measured on):
//   - prompt processing (64 tokens) and generation (128 tokens), one sequence,
//     1 and 2 threads, as `llama-bench -p 64 -n 128` measures them, with the
//     F16 (default) and the F32 KV cache;
//   - batched decoding of N = 1, 8, 64, 256 sequences against N separate calls;
//   - KV-cache memory of 256 forks of a 64-token prompt, each extended by 64
//     tokens, against 256 unshared caches.
// Before timing anything the engine's answer is checked: the greedy
// continuation of "Once upon a time" must be llama.cpp's.
#include "BatchDecoder.h"
#include "Sampling.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

using namespace borel::llm;

namespace {

std::string model_path() {
  if (const char* e = std::getenv("BOREL_TEST_MODELS"); e && *e) return std::string(e) + "/stories260K.gguf";
  return std::string(BOREL_TEST_MODELS_DEFAULT) + "/stories260K.gguf";
}

// The model, loaded once, or null (with the reason in `error`) when absent or wrong.
std::shared_ptr<const Model> model(std::string* error) {
  static std::string why;
  static std::shared_ptr<const Model> m = []() -> std::shared_ptr<const Model> {
    if (!std::ifstream(model_path()).good()) {
      why = "model not found: " + model_path() + " (set BOREL_TEST_MODELS)";
      return nullptr;
    }
    auto mm = Model::load(model_path());
    // Check the answer: llama.cpp's greedy continuation (golden file).
    const std::vector<TokenId> want = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338};
    KvCache cache(mm->config());
    BatchDecoder dec(mm, cache);
    Sequence s = cache.new_sequence();
    auto logits = dec.prefill(s, mm->tokenizer().encode("Once upon a time"));
    for (size_t i = 0; i < want.size(); ++i) {
      TokenId t[1] = {argmax(logits)};
      if (t[0] != want[i]) {
        why = "wrong answer: greedy token " + std::to_string(i) + " is " + std::to_string(t[0]) + ", llama.cpp gives " +
              std::to_string(want[i]);
        return nullptr;
      }
      logits = dec.prefill(s, t);
    }
    return mm;
  }();
  *error = why;
  return m;
}

std::vector<TokenId> prompt_tokens(const Model& m, size_t n) {
  auto ids = m.tokenizer().encode(
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, "
      "red ball. She wanted to play with it, but it was too high. Lily asked her mom to help her. Her mom said yes and they "
      "played together all day long.");
  ids.resize(n);
  return ids;
}

void BM_PromptProcessing(benchmark::State& state) {
  std::string err;
  auto m = model(&err);
  if (!m) return state.SkipWithError(err.c_str());
  const auto ids = prompt_tokens(*m, 64);
  KvCache cache(m->config(), 16, 0, state.range(1) ? KvType::F16 : KvType::F32);
  BatchDecoder dec(m, cache, unsigned(state.range(0)));
  for (auto _ : state) {
    Sequence s = cache.new_sequence();
    benchmark::DoNotOptimize(dec.prefill(s, ids).data());
  }
  state.counters["tokens/s"] = benchmark::Counter(double(ids.size()) * double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PromptProcessing)
    ->ArgsProduct({{1, 2}, {1, 0}})
    ->ArgNames({"threads", "f16"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

void BM_Generation(benchmark::State& state) {
  std::string err;
  auto m = model(&err);
  if (!m) return state.SkipWithError(err.c_str());
  const size_t n_gen = 128;
  KvCache cache(m->config(), 16, 0, state.range(1) ? KvType::F16 : KvType::F32);
  BatchDecoder dec(m, cache, unsigned(state.range(0)));
  for (auto _ : state) {
    Sequence s = cache.new_sequence();
    TokenId t[1] = {m->tokenizer().vocab().bos};
    for (size_t i = 0; i < n_gen; ++i) t[0] = argmax(dec.prefill(s, t));
    benchmark::DoNotOptimize(t[0]);
  }
  state.counters["tokens/s"] = benchmark::Counter(double(n_gen) * double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Generation)
    ->ArgsProduct({{1, 2}, {1, 0}})
    ->ArgNames({"threads", "f16"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// N sequences forked from a 16-token prompt advance 16 greedy steps each:
// batched (one decode call per step for all N) or separately (N calls per step).
void decode_steps(benchmark::State& state, bool batched) {
  std::string err;
  auto m = model(&err);
  if (!m) return state.SkipWithError(err.c_str());
  const size_t n = size_t(state.range(0)), steps = 16;
  KvCache cache(m->config());
  BatchDecoder dec(m, cache);
  Sequence prompt = cache.new_sequence();
  const auto ids = prompt_tokens(*m, 16);
  auto first = dec.prefill(prompt, ids);
  const TokenId start = argmax(first);
  std::vector<Sequence> seqs;
  std::vector<Sequence*> ptrs(n);
  std::vector<TokenId> toks(n);
  for (auto _ : state) {
    seqs.clear();
    for (size_t i = 0; i < n; ++i) seqs.push_back(prompt.fork());
    for (size_t i = 0; i < n; ++i) {
      ptrs[i] = &seqs[i];
      toks[i] = TokenId((size_t(start) + i) % m->config().n_vocab);  // sequences diverge at once
    }
    for (size_t s = 0; s < steps; ++s) {
      if (batched) {
        LogitRows rows = dec.decode(ptrs, toks);
        for (size_t i = 0; i < n; ++i) toks[i] = argmax(rows[i]);
      } else {
        for (size_t i = 0; i < n; ++i) {
          TokenId t[1] = {toks[i]};
          toks[i] = argmax(dec.prefill(seqs[i], t));
        }
      }
    }
    benchmark::DoNotOptimize(toks.data());
  }
  state.counters["tokens/s"] = benchmark::Counter(double(n * steps) * double(state.iterations()), benchmark::Counter::kIsRate);
}
void BM_DecodeBatched(benchmark::State& state) { decode_steps(state, true); }
void BM_DecodeSeparate(benchmark::State& state) { decode_steps(state, false); }
BENCHMARK(BM_DecodeBatched)->Arg(1)->Arg(8)->Arg(64)->Arg(256)->ArgName("N")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DecodeSeparate)->Arg(1)->Arg(8)->Arg(64)->Arg(256)->ArgName("N")->Unit(benchmark::kMillisecond)->UseRealTime();

// KV memory: 256 sequences of a 64-token prompt extended by 64 tokens each.
void BM_KvMemory(benchmark::State& state) {
  std::string err;
  auto m = model(&err);
  if (!m) return state.SkipWithError(err.c_str());
  const bool shared = state.range(0) != 0;
  const size_t n = 256, extend = 64;
  const auto ids = prompt_tokens(*m, 64);
  size_t peak = 0, in_use = 0, block_bytes = 0;
  for (auto _ : state) {
    KvCache cache(m->config());
    BatchDecoder dec(m, cache);
    std::vector<Sequence> seqs;
    std::vector<TokenId> toks(n);
    if (shared) {
      Sequence prompt = cache.new_sequence();
      const TokenId t = argmax(dec.prefill(prompt, ids));
      for (size_t i = 0; i < n; ++i) seqs.push_back(prompt.fork());
      std::fill(toks.begin(), toks.end(), t);
    } else {
      for (size_t i = 0; i < n; ++i) {
        seqs.push_back(cache.new_sequence());
        toks[i] = argmax(dec.prefill(seqs.back(), ids));
      }
    }
    for (size_t i = 0; i < n; ++i) toks[i] = TokenId((size_t(toks[i]) + i) % m->config().n_vocab);
    std::vector<Sequence*> ptrs;
    for (auto& s : seqs) ptrs.push_back(&s);
    for (size_t s = 0; s < extend; ++s) {
      LogitRows rows = dec.decode(ptrs, toks);
      for (size_t i = 0; i < n; ++i) toks[i] = argmax(rows[i]);
    }
    in_use = cache.bytes_in_use();
    peak = cache.peak_bytes();
    block_bytes = cache.block_bytes();
  }
  state.counters["kv_bytes"] = double(in_use);
  state.counters["kv_peak_bytes"] = double(peak);
  state.counters["block_bytes"] = double(block_bytes);
}
BENCHMARK(BM_KvMemory)->Arg(1)->Arg(0)->ArgName("shared")->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
