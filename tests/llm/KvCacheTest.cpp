// KV cache: O(1) forks share their prefix, copy-on-write at the boundary,
// memory returns when no sequence needs it, and batched decoding equals
// single-sequence decoding whatever the thread count.
#include <doctest/doctest.h>

#include "BatchDecoder.h"
#include "Error.h"
#include "Sampling.h"
#include "TestModel.h"

#include <cmath>

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

TEST_CASE("decoding: a batch of sequences of different lengths equals separate calls, on 1 or 2 threads") {
  auto m = test_model();
  if (!m) return;
  const char* prompts[] = {"Lily", "Once upon a time", "The cat sat on the mat. The dog", "Tom went to the park and",
                           "One day, she saw a big", "He", "A girl and a boy played", "They were happy"};
  for (unsigned threads : {1u, 2u}) {
    KvCache cache(m->config(), 8);
    BatchDecoder dec(m, cache, threads);
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
    LogitRows rows = dec.decode(ptrs, last);
    for (size_t i = 0; i < seqs.size(); ++i) {
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
