// BatchedDensitiesTest.cpp — observes of a generated sequence or text are
// batched like next-token draws (runtime/BatchWork.h pending_at): under SMC
// the passes over all particles' observed sequences are one call, and
// batching changes no particle and no weight, bit for bit. A draw from
// `generate` has its first token's context in the batch too.
#include <doctest/doctest.h>

#include <string>

#include "EmbeddedModel.h"
#include "Steering.h"
#include "borel/Borel.h"
#include "inference/Smc.h"

namespace {

using borel::lm_test::have_model;
using borel::lm_test::model_path;
using borel::lm_test::same;

using borel::lm_test::Run;

Run run(const std::string& src, int64_t particles, bool batched, int threads) {
  return borel::lm_test::run_smc(src, particles, batched, threads, 5);
}

// Each particle draws a token, then weighs its context by the model's
// probability of a fixed continuation: observe(generate(lm, c, 3), ys) with
// ys of 3 ids and no EOS is log p(ys | c), what factor(logprob(lm, c, ys))
// adds.
std::string sequence_source(const std::string& prompt, int tokens) {
  return "fn model() {\n"
         "  let lm = llm(\"" + model_path() + "\");\n"
         "  fold(range(" + std::to_string(tokens) + "), tokenize(lm, \"" + prompt + "\"), fn(c, i) {\n"
         "    let c2 = c ++ [sample(next_token(lm, c))];\n"
         "    observe(generate(lm, c2, 3), [350, 351, 352]);\n"
         "    c2\n"
         "  })\n"
         "}\n";
}

// The same with generate_text's density, and a draw from generate.
std::string mixed_source(const std::string& prompt, int tokens) {
  return "fn model() {\n"
         "  let lm = llm(\"" + model_path() + "\");\n"
         "  fold(range(" + std::to_string(tokens) + "), tokenize(lm, \"" + prompt + "\"), fn(c, i) {\n"
         "    let c2 = c ++ sample(generate(lm, c, 2));\n"
         "    observe(generate_text(lm, detokenize(lm, c2), 4), \" and the dog\");\n"
         "    c2\n"
         "  })\n"
         "}\n";
}

}  // namespace

TEST_CASE("observes of generate: one pass for all particles' sequences") {
  if (!have_model()) return;  // main() reports the skip
  constexpr int kTokens = 4;
  constexpr int64_t kParticles = 32;
  const Run b = run(sequence_source("Once a bee", kTokens), kParticles, true, 1);
  // The first step: the prompt's next token (1 call), then the particles'
  // extended contexts (1 call) and the passes over the observed sequence
  // (1 call). Later steps draw from contexts cached by the step before, so
  // only the last two remain.
  CHECK(b.forward_calls == 3 + 2 * (kTokens - 1));
  const Run u = run(sequence_source("A bee once", kTokens), kParticles, false, 1);
  CHECK(u.forward_calls > static_cast<size_t>(2 * kParticles));
}

TEST_CASE("batched densities of generate and generate_text change no particle and no weight") {
  if (!have_model()) return;
  // Batched first, on an empty cache; then the same program unbatched and
  // on two threads.
  const std::string src = sequence_source("The green frog", 4);
  const Run a = run(src, 24, true, 1);
  const Run c = run(src, 24, false, 1);
  const Run d = run(src, 24, true, 2);
  CHECK(same(a.pop, c.pop));
  CHECK(same(a.pop, d.pop));
  const std::string mixed = mixed_source("The old owl", 3);
  const Run e = run(mixed, 16, true, 1);
  const Run f = run(mixed, 16, false, 1);
  const Run g = run(mixed, 16, true, 2);
  CHECK(same(e.pop, f.pop));
  CHECK(same(e.pop, g.pop));
  // Batched, the text observes of a step are one call: fewer calls overall.
  const Run h = run(mixed_source("An owl sat", 3), 16, true, 1);
  const Run k = run(mixed_source("A sat owl", 3), 16, false, 1);
  CHECK(h.forward_calls < k.forward_calls);
}
