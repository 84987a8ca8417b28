// Forward-pass golden tests against llama.cpp (F32 weights, F32 KV cache:
// the goldens were made with an F32 cache, so the log-probability checks use
// one; greedy paths are checked with the default F16 cache too).
#include <doctest/doctest.h>

#include "BatchDecoder.h"
#include "Sampling.h"
#include "TestModel.h"

#include <cmath>

using namespace borel::llm;
using namespace borel::llm::test;

TEST_CASE("forward: next-token log-probabilities match the golden vectors within 1e-3") {
  auto m = test_model();
  if (!m) return;
  const Json& g = *golden();
  for (const auto& prompt : g["next_token_logprobs"].arr) {
    const auto ids = prompt["sequence_ids"].vec<TokenId>();
    KvCache cache(m->config(), 16, 0, KvType::F32);
    BatchDecoder dec(m, cache);
    Sequence s = cache.new_sequence();
    BatchEntry e{&s, ids, LogitsMode::All};
    LogitRows rows = dec.eval({&e, 1});
    double worst = 0;
    for (const auto& pos : prompt["positions"].arr) {
      const size_t p = size_t(pos["pos"].num);
      auto lp = log_softmax(rows[p]);
      const auto want = pos["logprobs"].vec<double>();
      REQUIRE(want.size() == lp.size());
      for (size_t i = 0; i < lp.size(); ++i) worst = std::max(worst, std::abs(lp[i] - want[i]));
      CHECK(argmax(rows[p]) == TokenId(pos["argmax"].num));
    }
    MESSAGE("max |logprob - golden| = " << worst);
    CHECK(worst <= 1e-3);
  }
}

TEST_CASE("forward: token-by-token evaluation agrees with whole-sequence evaluation") {
  auto m = test_model();
  if (!m) return;
  const auto ids = (*golden())["next_token_logprobs"][0]["sequence_ids"].vec<TokenId>();
  for (KvType type : {KvType::F32, KvType::F16}) {
    KvCache cache(m->config(), 4, 0, type);  // small blocks: the sequence spans several
    BatchDecoder dec(m, cache);
    Sequence whole = cache.new_sequence(), step = cache.new_sequence();
    BatchEntry e{&whole, ids, LogitsMode::All};
    std::vector<float> all;
    {
      LogitRows r = dec.eval({&e, 1});
      for (size_t i = 0; i < r.rows(); ++i) all.insert(all.end(), r[i].begin(), r[i].end());
    }
    const size_t V = m->config().n_vocab;
    double worst = 0;
    for (size_t i = 0; i < ids.size(); ++i) {
      auto row = dec.prefill(step, std::span<const TokenId>(&ids[i], 1));
      for (size_t k = 0; k < V; ++k) worst = std::max(worst, double(std::abs(row[k] - all[i * V + k])));
    }
    CHECK(worst <= 1e-4);
    CHECK(step.tokens() == ids);
  }
}

TEST_CASE("forward: greedy continuations match token for token") {
  auto m = test_model();
  if (!m) return;
  for (const auto& gr : (*golden())["greedy"].arr) {
    const auto prompt = gr["prompt_ids"].vec<TokenId>();
    CHECK(m->tokenizer().encode(gr["prompt"].str) == prompt);
    for (KvType type : {KvType::F32, KvType::F16}) {
      CAPTURE(int(type));
      KvCache cache(m->config(), 16, 0, type);
      BatchDecoder dec(m, cache);
      Sequence s = cache.new_sequence();
      auto logits = dec.prefill(s, prompt);
      std::vector<TokenId> out;
      for (size_t i = 0; i < size_t(gr["n_new"].num); ++i) {
        TokenId t = argmax(logits);
        out.push_back(t);
        TokenId tt[1] = {t};
        logits = dec.prefill(s, tt);
      }
      CHECK(out == gr["continuation_ids"].vec<TokenId>());
      CHECK(m->tokenizer().decode(s.tokens()) == gr["full_text"].str);
    }
  }
}

TEST_CASE("forward: sequence log-probability of a sentence") {
  auto m = test_model();
  if (!m) return;
  const Json& sl = (*golden())["sequence_logprob"];
  const auto ids = sl["ids"].vec<TokenId>();
  CHECK(m->tokenizer().encode(sl["text"].str) == ids);
  KvCache cache(m->config(), 16, 0, KvType::F32);
  BatchDecoder dec(m, cache);
  Sequence ctx = cache.new_sequence();
  dec.prefill(ctx, std::span<const TokenId>(ids.data(), 1));
  ScoreResult r = dec.score(ctx, std::span<const TokenId>(ids.data() + 1, ids.size() - 1));
  const auto want = sl["token_logprobs"].vec<double>();
  REQUIRE(r.token_logprobs.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) CHECK(r.token_logprobs[i] == doctest::Approx(want[i]).epsilon(0).scale(0).epsilon(1e-3));
  CHECK(std::abs(r.total - sl["total_logprob"].num) <= 1e-3);
  CHECK(ctx.size() == 1);  // the context is left as it was
}
