// The cost of the HTTP path (stdlib/llm/http) on stories260K: scoring a
// continuation through `borel lm serve`'s endpoints over loopback, one
// connection or several, against the same scores computed in process. The
// model is tiny, so this measures the HTTP, JSON and scheduling overhead per
// request rather than the model.
//
// Before timing, the HTTP scores are checked to equal the embedded ones bit
// for bit; a difference aborts the run.
#include "BatchDecoder.h"
#include "OpenAiClient.h"
#include "OpenAiServer.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

using namespace borel::llm;
using namespace borel::llm::http;

namespace {

std::string model_path() {
  if (const char* e = std::getenv("BOREL_TEST_MODELS"); e && *e) return std::string(e) + "/stories260K.gguf";
  return std::string(BOREL_TEST_MODELS_DEFAULT) + "/stories260K.gguf";
}

std::shared_ptr<const Model> model() {
  static std::shared_ptr<const Model> m = std::ifstream(model_path()).good() ? Model::load(model_path()) : nullptr;
  return m;
}

constexpr int kRequests = 64;

// 64 (prompt, continuation) pairs: about 6 + 16 tokens each.
std::vector<ScoreRequest> requests() {
  std::vector<ScoreRequest> r;
  for (int i = 0; i < kRequests; ++i)
    r.push_back({"Once upon a time, " + std::to_string(i), " there was a little girl named Lily. She liked to play."});
  return r;
}

// log p(continuation | prompt) as `borel lm score` computes it.
double embedded_total(const Model& mm, const ScoreRequest& q, KvCache& cache, BatchDecoder& dec) {
  const auto p = mm.tokenizer().encode(q.prompt), all = mm.tokenizer().encode(q.prompt + q.continuation);
  size_t common = 0;
  while (common < p.size() && p[common] == all[common]) ++common;
  Sequence s = cache.new_sequence();
  dec.prefill(s, std::span<const TokenId>(all.data(), common));
  return dec.score(s, std::span<const TokenId>(all.data() + common, all.size() - common)).total;
}

void BM_ScoreEmbedded(benchmark::State& state) {
  auto m = model();
  if (!m) return state.SkipWithError("model not found (set BOREL_TEST_MODELS)");
  const auto reqs = requests();
  KvCache cache(m->config(), 16, 0, KvType::F32);  // as the server computes (EngineEndpoints.cpp)
  BatchDecoder dec(m, cache);
  for (auto _ : state)
    for (const auto& q : reqs) benchmark::DoNotOptimize(embedded_total(*m, q, cache, dec));
  state.SetItemsProcessed(state.iterations() * kRequests);
}
BENCHMARK(BM_ScoreEmbedded)->Unit(benchmark::kMillisecond)->UseRealTime();

// score_many over loopback with state.range(0) connections; the server
// computes state.range(1) requests at once.
void BM_ScoreHttp(benchmark::State& state) {
  auto m = model();
  if (!m) return state.SkipWithError("model not found (set BOREL_TEST_MODELS)");
  ServerOptions so;
  so.threads = unsigned(state.range(1));
  OpenAiServer server(m, so);
  ClientOptions co;
  co.base_url = server.base_url();
  co.max_connections = size_t(state.range(0));
  OpenAiClient client(co);
  const auto reqs = requests();
  {  // the answer first
    KvCache cache(m->config(), 16, 0, KvType::F32);  // as the server computes
    BatchDecoder dec(m, cache);
    const auto out = client.score_many(reqs);
    for (size_t i = 0; i < reqs.size(); ++i)
      if (!out[i].ok() || out[i].value().total != embedded_total(*m, reqs[i], cache, dec))
        return state.SkipWithError("HTTP and embedded scores differ");
  }
  for (auto _ : state) benchmark::DoNotOptimize(client.score_many(reqs));
  state.SetItemsProcessed(state.iterations() * kRequests);
}
BENCHMARK(BM_ScoreHttp)->Args({1, 1})->Args({4, 2})->Args({16, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
