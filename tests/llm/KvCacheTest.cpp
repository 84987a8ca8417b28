// KV cache: O(1) forks share their prefix, copy-on-write at the boundary,
// memory returns when no sequence needs it, and batched decoding equals
// single-sequence decoding whatever the thread count.
#include <doctest/doctest.h>

#include "BatchDecoder.h"
#include "Error.h"
#include "Quantize.h"
#include "Sampling.h"
#include "TestModel.h"

#include <cmath>
#include <random>

using namespace borel::llm;
using namespace borel::llm::test;

namespace {

std::vector<float> copy_row(std::span<const float> r) { return {r.begin(), r.end()}; }

double max_diff(std::span<const float> a, std::span<const float> b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, double(std::abs(a[i] - b[i])));
  return d;
}

// Logits after `tokens`, computed alone in a fresh cache.
std::vector<float> fresh_logits(std::shared_ptr<const Model> m, const std::vector<TokenId>& tokens) {
  KvCache cache(m->config());
  BatchDecoder dec(m, cache);
  Sequence s = cache.new_sequence();
  return copy_row(dec.prefill(s, tokens));
}

ModelConfig tiny_config() {
  ModelConfig c;
  c.n_layer = 2;
  c.n_embd = 8;
  c.n_head = 2;
  c.n_head_kv = 1;
  return c;
}

}  // namespace

TEST_CASE("kv cache: forks share blocks; memory is freed with the last holder") {
  KvCache cache(tiny_config(), 16);
  {
    Sequence s = cache.new_sequence();
    for (int i = 0; i < 64; ++i) cache.append(s, i);
    CHECK(cache.blocks_in_use() == 4);
    std::vector<Sequence> forks;
    for (int i = 0; i < 256; ++i) forks.push_back(s.fork());
    CHECK(cache.blocks_in_use() == 4);  // O(1) fork: nothing copied
    for (auto& f : forks) cache.append(f, 7);
    CHECK(cache.blocks_in_use() == 4 + 256);  // each fork's next block is its own
    CHECK(forks[3].size() == 65);
    CHECK(forks[3].tokens().back() == 7);
    forks.resize(10);
    CHECK(cache.blocks_in_use() == 4 + 10);
  }
  CHECK(cache.blocks_in_use() == 0);
  CHECK(cache.peak_bytes() == (4 + 256) * cache.block_bytes());
}

TEST_CASE("kv cache: copy-on-write copies only the partly filled block") {
  KvCache cache(tiny_config(), 16);
  Sequence a = cache.new_sequence();
  for (int i = 0; i < 20; ++i) cache.append(a, i);  // blocks: 16 + 4
  Sequence b = a.fork();
  CHECK(cache.blocks_in_use() == 2);
  cache.append(a, 100);  // a writes in place: b has not written past position 20
  CHECK(cache.blocks_in_use() == 2);
  cache.append(b, 200);  // b must not see a's position 20: copies the 4-token block
  CHECK(cache.blocks_in_use() == 3);
  auto ta = a.tokens(), tb = b.tokens();
  CHECK(ta.back() == 100);
  CHECK(tb.back() == 200);
  CHECK(std::equal(ta.begin(), ta.end() - 1, tb.begin()));
  b.truncate(5);
  CHECK(b.size() == 5);
  CHECK(cache.blocks_in_use() == 2);  // b's copied block was released
  cache.append(b, 300);               // b shares block 0 with a (filled 16): copy again
  CHECK(cache.blocks_in_use() == 3);
  CHECK(b.tokens() == std::vector<TokenId>{0, 1, 2, 3, 4, 300});
  Sequence c = cache.new_sequence();
  CHECK_THROWS_AS(KvCache(tiny_config(), 0), LlmError);
  KvCache other(tiny_config());
  CHECK_THROWS_AS(other.append(c, 1), LlmError);
}

TEST_CASE("kv cache: a memory cap is an error, not a crash") {
  KvCache probe(tiny_config(), 4);
  KvCache cache(tiny_config(), 4, 3 * probe.block_bytes());
  Sequence s = cache.new_sequence();
  for (int i = 0; i < 12; ++i) cache.append(s, i);
  CHECK_THROWS_AS(cache.append(s, 12), LlmError);
}

TEST_CASE("decoding: forked sequences give the logits of their own token histories") {
  auto m = test_model();
  if (!m) return;
  const auto prompt = m->tokenizer().encode("Once upon a time, there was");
  KvCache cache(m->config(), 4);  // prompt ends inside a block: forks must copy-on-write
  BatchDecoder dec(m, cache);
  Sequence s = cache.new_sequence();
  dec.prefill(s, prompt);
  std::vector<Sequence> forks;
  const std::vector<TokenId> next = {261, 286, 376, 298, 315};
  for (size_t i = 0; i < next.size(); ++i) forks.push_back(s.fork());
  std::vector<Sequence*> ptrs;
  for (auto& f : forks) ptrs.push_back(&f);
  LogitRows rows = dec.decode(ptrs, next);
  for (size_t i = 0; i < next.size(); ++i) {
    auto tokens = prompt;
    tokens.push_back(next[i]);
    CHECK(forks[i].tokens() == tokens);
    CHECK(max_diff(rows[i], fresh_logits(m, tokens)) == 0.0);
  }
  // The parent is untouched: extending it gives the logits of prompt + token.
  auto tokens = prompt;
  tokens.push_back(432);
  TokenId t[1] = {432};
  CHECK(max_diff(dec.prefill(s, t), fresh_logits(m, tokens)) == 0.0);
  // Truncation and re-extension.
  forks[0].truncate(3);
  auto head = std::vector<TokenId>(prompt.begin(), prompt.begin() + 3);
  head.push_back(999 % 512);
  TokenId u[1] = {999 % 512};
  CHECK(max_diff(dec.prefill(forks[0], u), fresh_logits(m, head)) == 0.0);
}

// Each prompt but its last token prefilled on its own sequence, then all
// last tokens decoded in one batch: the logit rows, copied.
template <size_t N>
std::vector<std::vector<float>> batched_last_logits(const std::shared_ptr<const Model>& m, const char* const (&prompts)[N],
                                                    unsigned threads, bool integer_dots) {  // integer_dots: check they are on
  KvCache cache(m->config(), 8);
  BatchDecoder dec(m, cache, threads);
  if (integer_dots) REQUIRE(dec.integer_dots());
  std::vector<Sequence> seqs;
  std::vector<TokenId> last;
  for (const char* p : prompts) {
    seqs.push_back(cache.new_sequence());
    auto ids = m->tokenizer().encode(p);
    last.push_back(ids.back());
    ids.pop_back();
    dec.prefill(seqs.back(), ids);
  }
  std::vector<Sequence*> ptrs;
  for (auto& s : seqs) ptrs.push_back(&s);
  const LogitRows rows = dec.decode(ptrs, last);
  std::vector<std::vector<float>> out;
  for (size_t i = 0; i < rows.rows(); ++i) out.emplace_back(rows[i].begin(), rows[i].end());
  return out;
}

TEST_CASE("decoding: a batch of sequences of different lengths equals separate calls, on 1 or 2 threads") {
  auto m = test_model();
  if (!m) return;
  const char* prompts[] = {"Lily", "Once upon a time", "The cat sat on the mat. The dog", "Tom went to the park and",
                           "One day, she saw a big", "He", "A girl and a boy played", "They were happy"};
  for (unsigned threads : {1u, 2u}) {
    const auto rows = batched_last_logits(m, prompts, threads, false);
    for (size_t i = 0; i < rows.size(); ++i) {
      CAPTURE(threads);
      CAPTURE(prompts[i]);
      CHECK(max_diff(rows[i], fresh_logits(m, m->tokenizer().encode(prompts[i]))) == 0.0);
    }
  }
}

TEST_CASE("decoding: score_many scores continuations of several contexts in one batch") {
  auto m = test_model();
  if (!m) return;
  KvCache cache(m->config());
  BatchDecoder dec(m, cache);
  Sequence a = cache.new_sequence(), b = cache.new_sequence();
  dec.prefill(a, m->tokenizer().encode("Once upon a time"));
  dec.prefill(b, m->tokenizer().encode("Lily"));
  std::vector<std::vector<TokenId>> conts = {m->tokenizer().encode(", there was", false),
                                             m->tokenizer().encode(" and Tom", false)};
  const Sequence* ctx[] = {&a, &b};
  auto many = dec.score_many(ctx, conts);
  auto one = dec.score(a, conts[0]);
  CHECK(many[0].total == one.total);
  CHECK(many[1].total == dec.score(b, conts[1]).total);
  CHECK(many[0].total < 0);
  Sequence ext;
  auto r = dec.score(a, conts[0], &ext);
  CHECK(r.total == one.total);
  CHECK(ext.size() == a.size() + conts[0].size());
  Sequence empty = cache.new_sequence();
  CHECK_THROWS_AS(dec.score(empty, conts[0]), LlmError);
  TokenId bad[1] = {512};
  CHECK_THROWS_AS(dec.prefill(a, bad), LlmError);
  CHECK(a.size() == 5);  // a rejected batch changes nothing
}

TEST_CASE("decoding: running out of cache memory leaves the batch's sequences unchanged") {
  auto m = test_model();
  if (!m) return;
  KvCache probe(m->config(), 4);
  KvCache cache(m->config(), 4, 3 * probe.block_bytes());
  BatchDecoder dec(m, cache);
  Sequence s = cache.new_sequence();
  const auto ids = m->tokenizer().encode("Once upon a time, there was a little girl");
  REQUIRE(ids.size() > 12);
  dec.prefill(s, std::span<const TokenId>(ids.data(), 8));
  CHECK_THROWS_AS(dec.prefill(s, std::span<const TokenId>(ids.data() + 8, ids.size() - 8)), LlmError);
  CHECK(s.size() == 8);
  CHECK(cache.blocks_in_use() == 2);
  // Still usable, and still right.
  TokenId t[1] = {ids[8]};
  auto row = dec.prefill(s, t);
  CHECK(max_diff(row, fresh_logits(m, std::vector<TokenId>(ids.begin(), ids.begin() + 9))) == 0.0);
}

TEST_CASE("kv cache: F16 blocks hold keys and values in half the bytes") {
  KvCache f16(tiny_config(), 16), f32(tiny_config(), 16, 0, KvType::F32);
  CHECK(f16.type() == KvType::F16);  // the default
  const size_t kv = 2 * 2 * 16 * 4;  // layers x (K, V) x positions x kv_dim
  CHECK(f32.block_bytes() == kv * 4 + 16 * sizeof(TokenId));
  CHECK(f16.block_bytes() == kv * 2 + 16 * sizeof(TokenId));
}

namespace {

// Logits after each token of `ids`, fed one at a time. With `seed`, every key
// and value is multiplied by 1 + u e, e uniform in [-1, 1] and u = 2^-11
// (half precision's largest relative rounding error), right after the step
// that wrote it: a random perturbation of the size F16 rounding makes.
std::vector<std::vector<float>> stepwise_logits(std::shared_ptr<const Model> m, const std::vector<TokenId>& ids,
                                                KvType type, uint64_t seed) {
  KvCache cache(m->config(), 4, 0, type);
  BatchDecoder dec(m, cache);
  Sequence s = cache.new_sequence();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> e(-1.0f, 1.0f);
  const size_t kvd = m->config().kv_dim();
  std::vector<const detail::KvBlock*> blocks;
  std::vector<float> k(kvd), v(kvd);
  std::vector<std::vector<float>> out;
  for (TokenId id : ids) {
    TokenId t[1] = {id};
    out.push_back(copy_row(dec.prefill(s, t)));
    if (!seed) continue;
    cache.blocks_of(s, blocks);
    const size_t p = s.size() - 1;
    KvCache::Slot slot{const_cast<detail::KvBlock*>(blocks[p / 4]), p % 4};  // the test's own cache
    for (size_t l = 0; l < m->config().n_layer; ++l) {
      const float* kp = reinterpret_cast<const float*>(cache.keys(slot.block, l)) + slot.slot * kvd;
      const float* vp = reinterpret_cast<const float*>(cache.values(slot.block, l)) + slot.slot * kvd;
      for (size_t i = 0; i < kvd; ++i) {
        k[i] = kp[i] * (1 + 0x1p-11f * e(rng));
        v[i] = vp[i] * (1 + 0x1p-11f * e(rng));
      }
      cache.store(slot, l, k.data(), v.data());
    }
  }
  return out;
}

// max over positions of max |a - b| / max |b| (the logits' relative change).
double relative_change(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double d = 0, scale = 0;
    for (size_t k = 0; k < a[i].size(); ++k) {
      d = std::max(d, double(std::abs(a[i][k] - b[i][k])));
      scale = std::max(scale, double(std::abs(b[i][k])));
    }
    worst = std::max(worst, d / scale);
  }
  return worst;
}

}  // namespace

TEST_CASE("kv cache: F16 keys and values change the logits no more than a random perturbation of rounding size") {
  auto m = test_model();
  if (!m) return;
  // 30 tokens: the golden prompt and its greedy continuation.
  const auto ids = (*golden())["next_token_logprobs"][0]["sequence_ids"].vec<TokenId>();
  const auto ref = stepwise_logits(m, ids, KvType::F32, 0);
  const double f16 = relative_change(stepwise_logits(m, ids, KvType::F16, 0), ref);
  // Rounding to half is one perturbation of at most 2^-11 relative per
  // value; three random ones of that size calibrate how much such a
  // perturbation moves the logits, and rounding may move them at most 3x the
  // worst. (The random one spares each step's own position, which that step
  // reads unperturbed; F16 rounds it too, one position out of up to 30.)
  double noise = 0;
  for (uint64_t seed : {1, 2, 3})
    noise = std::max(noise, relative_change(stepwise_logits(m, ids, KvType::F32, seed), ref));
  MESSAGE("relative change of the logits: F16 cache " << f16 << ", random perturbations of rounding size " << noise);
  CHECK(f16 > 0);  // the cache really rounds
  CHECK(f16 <= 3 * noise);
}

TEST_CASE("decoding: with integer dots (a Q8_0 model), a batch equals separate calls, on 1 or 2 threads") {
  auto f32 = test_model();
  if (!f32) return;
  auto m = Model::from_gguf(GgufReader::from_bytes(quantize_model(f32->gguf(), GgmlType::Q8_0).to_bytes()));
  const char* prompts[] = {"Lily", "Once upon a time", "The cat sat on the mat. The dog", "Tom went to the park and",
                           "One day, she saw a big"};
  auto alone = [&](const std::vector<TokenId>& ids) {
    KvCache cache(m->config());
    BatchDecoder dec(m, cache);
    Sequence s = cache.new_sequence();
    return copy_row(dec.prefill(s, ids));
  };
  for (unsigned threads : {1u, 2u}) {
    const auto rows = batched_last_logits(m, prompts, threads, true);
    for (size_t i = 0; i < rows.size(); ++i) {
      CAPTURE(threads);
      CAPTURE(prompts[i]);
      CHECK(max_diff(rows[i], alone(m->tokenizer().encode(prompts[i]))) == 0.0);
    }
  }
}
