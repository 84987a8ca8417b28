// BatchedCompositionsTest.cpp — the SMC compositions batch their particles'
// language-model calls as plain SMC does (inference/Batched.h): resample-move
// SMC and particle Gibbs (the recording handler parks), SMC² (the θ-imposing
// handler parks, and the inner filters of all θ-particles are prepared in one
// batch per round). Batching changes nothing, bit for bit; the forward-call
// counts show one call per round for the whole population.
#include <doctest/doctest.h>

#include <string>

#include "EmbeddedModel.h"
#include "Steering.h"
#include "borel/Borel.h"
#include "inference/ParticleGibbs.h"
#include "inference/ResampleMove.h"
#include "inference/Smc2.h"

namespace {

using borel::lm_test::have_model;
using borel::lm_test::model_path;
using borel::lm_test::same;
namespace inf = borel::inference;

// A lipogram steered token by token (as BatchedSteeringTest), with a
// parameter p drawn before the first token for SMC² and an observe of a
// cheap distribution after each token (rounds in which nothing parks).
std::string source(const std::string& prompt, int tokens) {
  return "fn no_e(lm: LM) -> [int] {\n"
         "  filter(range(vocab_size(lm)), fn(t) { t == eos_token(lm) || (t > 2 && !str_contains(token_piece(lm, t), \"e\")) })\n"
         "}\n"
         "fn model() {\n"
         "  let lm = llm(\"" + model_path() + "\");\n"
         "  let allowed = no_e(lm);\n"
         "  let p = sample(beta(2.0, 2.0));\n"
         "  fold(range(" + std::to_string(tokens) + "), tokenize(lm, \"" + prompt + "\"), fn(c, i) {\n"
         "    let t = guided(next_token(lm, c), masked(next_token(lm, c), allowed));\n"
         "    observe(bernoulli(p), t > 250);\n"
         "    c ++ [t]\n"
         "  })\n"
         "}\n";
}

using borel::lm_test::Run;
using borel::lm_test::run_counting;

Run rmsmc(const std::string& src, int64_t particles, int64_t moves, bool batched, int threads) {
  return run_counting(src, [&](borel::rt::Model& m) {
    inf::ResampleMoveSettings rs;
    rs.smc.particles = particles;
    rs.smc.ess_threshold = 1.0;  // resample, and move, after every step
    rs.smc.method = "rmsmc";
    rs.smc.batched = batched;
    rs.moves = moves;
    return inf::resample_move(m, rs, 11, threads);
  });
}

Run pgibbs(const std::string& src, int64_t particles, bool batched, int threads) {
  return run_counting(src, [&](borel::rt::Model& m) {
    inf::ParticleGibbsSettings ps;
    ps.particles = particles;
    ps.chains = 2;
    ps.warmup = 1;
    ps.samples = 2;
    ps.batched = batched;
    return inf::particle_gibbs(m, ps, 13, threads);
  });
}

Run smc2(const std::string& src, int64_t outer, int64_t inner, int64_t moves, bool batched, int threads) {
  return run_counting(src, [&](borel::rt::Model& m) {
    inf::Smc2Settings s;
    s.particles = outer;
    s.inner_particles = inner;
    s.moves = moves;
    s.batched = batched;
    return inf::smc2(m, s, 17, threads);
  });
}

}  // namespace

// Each test's prompts are its own, so that its first run starts from an
// uncached context (the model's cache is shared by every run in the process).

TEST_CASE("rmsmc: one forward call per token for all particles; batching changes nothing") {
  if (!have_model()) return;  // main() reports the skip
  constexpr int kTokens = 5;
  constexpr int64_t kParticles = 32;
  // Without moves, only the sweeps call the model: one call per token.
  const Run b = rmsmc(source("The old king", kTokens), kParticles, 0, true, 1);
  CHECK(b.forward_calls == kTokens);
  const Run u = rmsmc(source("A small bird", kTokens), kParticles, 0, false, 1);
  CHECK(u.forward_calls > static_cast<size_t>(kParticles));
  // Same particles and weights, with moves (which run particle by particle)
  // and whatever the thread count; the batched run first, on an empty cache.
  const std::string src = source("The red ball", kTokens);
  const Run a = rmsmc(src, kParticles, 1, true, 1);
  const Run c = rmsmc(src, kParticles, 1, false, 1);
  const Run d = rmsmc(src, kParticles, 1, true, 2);
  CHECK(same(a.pop, c.pop));
  CHECK(same(a.pop, d.pop));
}

TEST_CASE("pgibbs: each conditional sweep calls the model once per token; batching changes nothing") {
  if (!have_model()) return;
  constexpr int kTokens = 4;
  constexpr int64_t kParticles = 24;
  // 2 chains × 3 sweeps × kTokens rounds at most (the reference path's
  // contexts are cached after the first sweep, so some rounds need no call).
  const Run b = pgibbs(source("One sunny day", kTokens), kParticles, true, 1);
  CHECK(b.forward_calls <= 2 * 3 * kTokens);
  CHECK(b.forward_calls >= kTokens);
  const Run u = pgibbs(source("Lily went out", kTokens), kParticles, false, 1);
  CHECK(u.forward_calls > static_cast<size_t>(2 * kParticles));
  const std::string src = source("Tom had a box", kTokens);
  const Run a = pgibbs(src, kParticles, true, 1);
  const Run c = pgibbs(src, kParticles, false, 1);
  const Run d = pgibbs(src, kParticles, true, 2);
  CHECK(same(a.pop, c.pop));
  CHECK(same(a.pop, d.pop));
}

TEST_CASE("smc2: one forward call per token for every inner particle of every θ-particle; batching changes nothing") {
  if (!have_model()) return;
  constexpr int kTokens = 4;
  // Without moves (no fresh inner filters at resampling): all 8 × 6 inner
  // particles advance in one call per token.
  const Run b = smc2(source("The sun was hot", kTokens), 8, 6, 0, true, 1);
  CHECK(b.forward_calls == kTokens);
  const Run u = smc2(source("A fox ran", kTokens), 8, 6, 0, false, 1);
  CHECK(u.forward_calls > 8 * 6);
  // With PMMH moves (their fresh filters batched each on its own) and two
  // threads: the same θ-particles, bit for bit.
  const std::string src = source("Sam saw a cow", kTokens);
  const Run a = smc2(src, 6, 4, 1, true, 1);
  const Run c = smc2(src, 6, 4, 1, false, 1);
  const Run d = smc2(src, 6, 4, 1, true, 2);
  CHECK(same(a.pop, c.pop));
  CHECK(same(a.pop, d.pop));
}
