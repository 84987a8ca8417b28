// BatchedSteeringTest.cpp — SMC over language-model particles calls the model
// once per round for all particles (inference/Batched.h), and batching
// changes nothing: the same particles, bit for bit, as one call per particle.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "EmbeddedModel.h"
#include "Steering.h"
#include "borel/Borel.h"
#include "inference/Smc.h"
#include "runtime/Model.h"

namespace {

using borel::lm_test::have_model;
using borel::lm_test::model_path;
using borel::lm_test::same;

// A lipogram (no 'e') steered token by token with the locally normalised
// mask, as examples/lipogram.brl; `prompt` varies so that each run starts
// from an uncached context.
std::string source(const std::string& prompt, int tokens) {
  return "fn no_e(lm: LM) -> [int] {\n"
         "  filter(range(vocab_size(lm)), fn(t) { t == eos_token(lm) || (t > 2 && !str_contains(token_piece(lm, t), \"e\")) })\n"
         "}\n"
         "fn model() {\n"
         "  let lm = llm(\"" + model_path() + "\");\n"
         "  let allowed = no_e(lm);\n"
         "  fold(range(" + std::to_string(tokens) + "), tokenize(lm, \"" + prompt + "\"), fn(c, i) {\n"
         "    c ++ [guided(next_token(lm, c), masked(next_token(lm, c), allowed))]\n"
         "  })\n"
         "}\n";
}

// A model whose particles take different paths: some stop early, some draw
// a token from the model and others from a categorical (so some rounds park
// only part of the population), and the mask depends on the branch taken.
std::string branching_source(const std::string& prompt) {
  return "fn model() {\n"
         "  let lm = llm(\"" + model_path() + "\");\n"
         "  let short_words = filter(range(vocab_size(lm)), fn(t) { t > 2 && str_len(token_piece(lm, t)) <= 3 });\n"
         "  fn go(c: [int], left: int) -> [int] {\n"
         "    if left == 0 || sample(bernoulli(0.15)) { c } else {\n"
         "      let t = if sample(bernoulli(0.5)) {\n"
         "        guided(next_token(lm, c), masked(next_token(lm, c), short_words))\n"
         "      } else {\n"
         "        let u = sample(categorical([0.5, 0.5])) + 400;\n"
         "        observe(next_token(lm, c), u);\n"
         "        u\n"
         "      };\n"
         "      go(c ++ [t], left - 1)\n"
         "    }\n"
         "  }\n"
         "  go(tokenize(lm, \"" + prompt + "\"), 6)\n"
         "}\n";
}

using borel::lm_test::Run;

Run run_source(const std::string& src, int64_t particles, bool batched, int threads) {
  return borel::lm_test::run_smc(src, particles, batched, threads, 7);
}

Run run(const std::string& prompt, int tokens, int64_t particles, bool batched, int threads) {
  return run_source(source(prompt, tokens), particles, batched, threads);
}

}  // namespace

TEST_CASE("SMC advances all language-model particles in one forward call per token") {
  if (!have_model()) return;  // main() reports the skip
  constexpr int kTokens = 6;
  constexpr int64_t kParticles = 48;
  const Run batched = run("Once upon a time there", kTokens, kParticles, true, 1);
  // The prompt once, then one call per token for all particles.
  CHECK(batched.forward_calls == kTokens);
  const Run separate = run("Once upon a time, a", kTokens, kParticles, false, 1);
  // One call per distinct context: at least one per particle after the
  // first token (resampling makes some particles share a context).
  CHECK(separate.forward_calls > static_cast<size_t>(kParticles));
}

TEST_CASE("batching changes no particle and no weight, whatever the thread count") {
  if (!have_model()) return;
  // The first run fills the cache; the others are answered from it.
  const Run a = run("The little dog", 5, 40, true, 1);
  const Run b = run("The little dog", 5, 40, false, 1);
  const Run c = run("The little dog", 5, 40, true, 2);
  CHECK(same(a.pop, b.pop));
  CHECK(same(a.pop, c.pop));
  // And from an empty cache (the first run above filled it): the same again.
  const Run d = run("A big cat", 5, 40, false, 1);
  const Run e = run("A big cat", 5, 40, true, 2);
  CHECK(same(d.pop, e.pop));
}

TEST_CASE("batching changes nothing when particles branch, park in only some rounds and finish at different times") {
  if (!have_model()) return;
  const std::string src = branching_source("Once there was a frog");
  const Run a = run_source(src, 64, true, 1);
  const Run b = run_source(src, 64, false, 1);
  const Run c = run_source(src, 64, true, 2);
  CHECK(same(a.pop, b.pop));
  CHECK(same(a.pop, c.pop));
  // The particles did take different paths: their lengths differ.
  std::set<int64_t> lengths;
  for (int64_t i = 0; i < a.pop.size(); ++i) lengths.insert(borel::rt::to_ptr<const borel::rt::Array>(a.pop.slots()[i])->len);
  CHECK(lengths.size() >= 3);
}
