// Benchmarks of the embedded LLM engine on a model of a real shape: random
// Q8_0 weights at Llama-3.2-1B's dimensions (hidden 2048, 16 layers, 32
// heads, 8 KV heads, FFN 8192, vocabulary 128,256, output tied to the token
// embedding as in that model: 1.24 G parameters, 1.32 GB). The model is
// written with the engine's own GgufWriter into a temporary file when the
// first benchmark needs it, mapped, and unlinked at once, so nothing is left
// behind.
//   - batched decoding: N = 1 .. 64 sequences advance together, 1 and 2
//     threads, integer dots (default) and float dots;
//   - F16 against F32 KV cache, at a short and a 512-token context;
//   - the roofline's two ceilings, measured in the same run: memory
//     bandwidth (a stream copy and a read of buffers far larger than the
//     caches) and the integer-dot kernel's throughput on a matrix that stays
//     in cache.
// Before timing, the engine's answer is checked: a batch of sequences must
// give the logits of the same sequences decoded one at a time, bit for bit.
#include "BatchDecoder.h"
#include "RealShapeModel.h"
#include "GgufWriter.h"
#include "Half.h"
#include "IntDot.h"
#include "Sampling.h"

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <time.h>
#include <unistd.h>

using namespace borel::llm;
using borel::bench::random_q8;
using borel::bench::splitmix;

namespace {

constexpr size_t kVocab = borel::bench::kShapeVocab;
constexpr double kMacsPerToken = borel::bench::kShapeMacsPerToken;

// The model, made once, or null (with the reason in `error`) when its answer is wrong.
std::shared_ptr<const Model> model(std::string* error) {
  static std::string why;
  static std::shared_ptr<const Model> m = []() -> std::shared_ptr<const Model> {
    const std::string path = borel::bench::real_shape_model_path();
    borel::bench::write_real_shape_model(path);
    auto mm = Model::load(path);
    std::filesystem::remove(path);  // the mapping keeps the data until the model goes
    // Check the answer: 4 sequences decoded as one batch give their logits
    // one at a time, bit for bit.
    KvCache cache(mm->config());
    BatchDecoder dec(mm, cache);
    Sequence prompt = cache.new_sequence();
    const std::vector<TokenId> ids = {1, 500, 70000, 128000};
    dec.prefill(prompt, ids);
    std::vector<Sequence> seqs;
    std::vector<Sequence*> ptrs;
    for (int i = 0; i < 4; ++i) seqs.push_back(prompt.fork());
    for (auto& s : seqs) ptrs.push_back(&s);
    const std::vector<TokenId> next = {7, 1000, 50000, 128255};
    LogitRows rows = dec.decode(ptrs, next);
    std::vector<std::vector<float>> batched;
    for (size_t i = 0; i < 4; ++i) batched.emplace_back(rows[i].begin(), rows[i].end());
    for (size_t i = 0; i < 4; ++i) {
      Sequence s = prompt.fork();
      TokenId t[1] = {next[i]};
      auto one = dec.prefill(s, t);
      if (std::memcmp(one.data(), batched[i].data(), one.size() * sizeof(float)) != 0 || !std::isfinite(one[0])) {
        why = "wrong answer: a batched row differs from the same sequence decoded alone";
        return nullptr;
      }
    }
    return mm;
  }();
  *error = why;
  return m;
}

double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// N sequences forked from a `context`-token prompt advance `steps` greedy
// steps together (one decode call per step).
struct DecodeCase {
  size_t n, threads, context;
  bool integer_dots;
  KvType kv;
};

void decode(benchmark::State& state, const DecodeCase& c) {
  std::string err;
  auto m = model(&err);
  if (!m) return state.SkipWithError(err.c_str());
  const size_t steps = 2;
  KvCache cache(m->config(), 16, 0, c.kv);
  BatchDecoder dec(m, cache, unsigned(c.threads));
  dec.set_integer_dots(c.integer_dots);
  Sequence prompt = cache.new_sequence();
  std::vector<TokenId> ids(c.context);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = TokenId(3 + (i * 7919) % (kVocab - 3));
  dec.prefill(prompt, ids);
  std::vector<Sequence> seqs;
  std::vector<Sequence*> ptrs(c.n);
  std::vector<TokenId> toks(c.n);
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    seqs.clear();
    for (size_t i = 0; i < c.n; ++i) seqs.push_back(prompt.fork());
    for (size_t i = 0; i < c.n; ++i) {
      ptrs[i] = &seqs[i];
      toks[i] = TokenId(3 + (i * 104729) % (kVocab - 3));  // the sequences diverge at once
    }
    for (size_t s = 0; s < steps; ++s) {
      LogitRows rows = dec.decode(ptrs, toks);
      for (size_t i = 0; i < c.n; ++i) toks[i] = argmax(rows[i]);
    }
    benchmark::DoNotOptimize(toks.data());
  }
  const double cpu = process_cpu_seconds() - cpu0;
  const double tokens = double(c.n * steps) * double(state.iterations());
  state.counters["tokens/s"] = benchmark::Counter(tokens, benchmark::Counter::kIsRate);
  // On a machine shared with other jobs, the wall clock counts time the
  // benchmark waited for a core; with one thread, tokens per CPU second is
  // the better estimate of its own speed (with several, it is per core).
  state.counters["tokens/cpu_s"] = tokens / cpu;
  state.counters["GMAC/s"] = benchmark::Counter(tokens * kMacsPerToken / 1e9, benchmark::Counter::kIsRate);
  state.counters["weight_GB/s"] = benchmark::Counter(
      double(steps * state.iterations()) * double(m->weight_bytes()) / 1e9, benchmark::Counter::kIsRate);
}

// Batched decoding at a 16-token context: N, threads.
void BM_Llama1B_Decode(benchmark::State& state) {
  decode(state, {size_t(state.range(0)), size_t(state.range(1)), 16, true, KvType::F16});
}
BENCHMARK(BM_Llama1B_Decode)
    ->ArgsProduct({{1, 2, 4, 8, 16, 32, 64}, {1, 2}})
    ->ArgNames({"N", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The same with the weights expanded to F32 and float dot products.
void BM_Llama1B_DecodeFloatDots(benchmark::State& state) {
  decode(state, {size_t(state.range(0)), size_t(state.range(1)), 16, false, KvType::F16});
}
BENCHMARK(BM_Llama1B_DecodeFloatDots)
    ->ArgsProduct({{1, 64}, {1}})
    ->ArgNames({"N", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// F16 against F32 KV cache: N sequences forked from a 512-token prompt.
void BM_Llama1B_KvCache(benchmark::State& state) {
  decode(state, {size_t(state.range(0)), 1, 512, true, state.range(1) ? KvType::F16 : KvType::F32});
}
BENCHMARK(BM_Llama1B_KvCache)
    ->ArgsProduct({{1, 64}, {0, 1}})
    ->ArgNames({"N", "f16"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Memory bandwidth: `threads` threads each copy (memcpy) or read (sum) their
// share of a 1 GiB buffer, far larger than the caches. Bytes moved per
// second: a copy counts what it reads and what it writes.
void bandwidth(benchmark::State& state, bool copy) {
  const size_t threads = size_t(state.range(0)), n = size_t(1) << 30;
  static std::vector<uint64_t> src(n / 8, 1), dst(n / 8, 2);
  const size_t share = src.size() / threads;
  std::vector<uint64_t> sums(threads);
  for (auto _ : state) {
    std::vector<std::thread> ts;
    for (size_t t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        const uint64_t* s = src.data() + t * share;
        if (copy) {
          std::memcpy(dst.data() + t * share, s, share * 8);
        } else {
          uint64_t a = 0, b = 0, c = 0, d = 0;
          for (size_t i = 0; i < share; i += 4) {
            a += s[i];
            b += s[i + 1];
            c += s[i + 2];
            d += s[i + 3];
          }
          sums[t] = a + b + c + d;
        }
      });
    }
    for (auto& t : ts) t.join();
    benchmark::DoNotOptimize(dst.data());
    benchmark::DoNotOptimize(sums.data());
  }
  state.counters["GB/s"] = benchmark::Counter(double(copy ? 2 : 1) * double(n) * double(state.iterations()) / 1e9,
                                              benchmark::Counter::kIsRate);
}
void BM_MemoryCopy(benchmark::State& state) { bandwidth(state, true); }
void BM_MemoryRead(benchmark::State& state) { bandwidth(state, false); }
BENCHMARK(BM_MemoryCopy)->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MemoryRead)->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();

// The integer-dot kernel's throughput where memory does not limit it: a
// 256 x 2048 Q8_0 matrix (557 KB, in L2) times 64 activation rows, each
// thread on its own matrix (the compute-bound ceiling of the roofline).
void BM_Int8DotThroughput(benchmark::State& state) {
  const size_t threads = size_t(state.range(0)), rows = 256, cols = 2048, n = 64;
  uint64_t rng = 7;
  std::vector<std::vector<std::byte>> w;
  for (size_t t = 0; t < threads; ++t) w.push_back(random_q8(cols, rows, 0.02f, rng));
  std::vector<float> x(n * cols);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(int(splitmix(rng) % 2001) - 1000) / 1000.0f;
  Q8Rows q;
  q.quantize(x.data(), cols, n, cols);
  std::vector<std::vector<float>> y(threads, std::vector<float>(n * rows));
  for (auto _ : state) {
    std::vector<std::thread> ts;
    for (size_t t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        WeightMatrix wm{GgmlType::Q8_0, rows, cols, cols / 32 * sizeof(BlockQ8_0), w[t].data()};
        for (int rep = 0; rep < 20; ++rep) matmul_int(wm, q, y[t].data(), rows, 0, rows);
      });
    }
    for (auto& t : ts) t.join();
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GMAC/s"] = benchmark::Counter(
      20.0 * double(threads * rows * cols * n) * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(dot_isa_name(best_dot_isa()));
}
BENCHMARK(BM_Int8DotThroughput)->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
