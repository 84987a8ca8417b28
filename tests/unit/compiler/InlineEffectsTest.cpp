// InlineEffectsTest.cpp — compiled code's inline effects and the recycled
// continuation memory change nothing but speed.
//
// Compiled code draws and weighs a normal itself under a handler that allows
// it (rt::InlineEffect, compiler/backend/Codegen.cpp), and a plain SMC run writes
// continuations into generation-recycled arenas (runtime/ContinuationSpace.h).
// Each test runs the same program and seed three ways — both on; the
// collected heap with inline effects; the collected heap with every effect a
// call to the handler — and requires the same bits: log-evidence, weights and
// results.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>

#include "borel/Borel.h"
#include "inference/PriorHandler.h"
#include "inference/Smc.h"
#include "runtime/Value.h"

namespace {

using borel::inference::Population;
using borel::inference::PriorHandler;
using borel::inference::SmcSettings;

Population run(borel::rt::Model &model, int64_t particles, int how) {
  SmcSettings s;
  s.particles = particles;
  s.ess_threshold = 0.5;
  if (how > 0)
    s.make_handler = [how] {
      auto h = std::make_unique<PriorHandler>(true, true);
      if (how == 2)
        h->inline_effects = 0;
      return h;
    };
  return borel::inference::smc(model, s, 42, 1);
}

void check_same(borel::rt::Model &model, int64_t particles) {
  const Population a = run(model, particles, 0), b = run(model, particles, 1),
                   c = run(model, particles, 2);
  REQUIRE(std::isfinite(a.log_evidence()));
  CHECK(a.log_evidence() == b.log_evidence());
  CHECK(a.log_evidence() == c.log_evidence());
  for (int64_t i = 0; i < a.size(); ++i) {
    CHECK(a.slots()[i] == b.slots()[i]);
    CHECK(a.slots()[i] == c.slots()[i]);
    CHECK(a.log_weights()[i] == c.log_weights()[i]);
  }
}

} // namespace

TEST_CASE("inline normal effects and recycled continuations give the handler's "
          "results bit for bit") {
  borel::Program p = borel::Program::from_source("lgssm.brl", R"(
let ys: [real] = [0.3, -0.5, 1.2, 0.8, -0.1, 0.4, 1.9, 1.1, -0.7, 0.2, 0.6, -1.3, 0.0, 0.9, 1.4];
fn model() -> real {
  let x1 = sample(normal(0.0, 1.0));
  observe(normal(x1, 0.5), ys[0]);
  fold(ys[1..], x1, fn(x, y) {
    let s = 0.5 + 0.1 * abs(x);   // a scale that is not a constant
    let x2 = sample(normal(0.9 * x, 1.0));
    observe(normal(x2, s), y);
    x2
  })
}
)",
                                                 {"model"});
  p.run_main(1);
  check_same(*p.model("model"), 500);
}

TEST_CASE("inline effects of other families (through the runtime's direct calls) give the same bits") {
  borel::Program p = borel::Program::from_source("coin.brl", R"(
let flips = [1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0];
let counts = [3, 1, 4, 1, 5, 9, 2, 6];
fn model() -> real {
  let q = sample(beta(2.0, 2.0));
  for f in flips { observe(bernoulli(q), f == 1); }
  let rate = sample(gamma(2.0, 1.0));
  for c in counts { observe(poisson(rate), c); }
  let k = sample(categorical([q, 1.0 - q]));
  observe(student_t(3.0, rate, 1.0), 2.5);
  q + rate + real(k)
}
)",
                                                 {"model"});
  p.run_main(1);
  check_same(*p.model("model"), 500);
}

TEST_CASE("continuations longer than an arena block (deep recursion) survive "
          "recycling") {
  // 3000 nested calls are suspended at each observe: a continuation of
  // 6000+ words, more than a quarter of a block, so it is moved while being
  // written and grows geometrically.
  borel::Program p = borel::Program::from_source("deep.brl", R"(
fn down(n: int, y: real) -> real {
  if n == 0 {
    let x = sample(normal(0.0, 1.0));
    observe(normal(x, 1.0), y);
    x
  } else {
    down(n - 1, y) + 0.0
  }
}
fn model() -> real { down(3000, 0.5) + down(3000, -0.5) + down(10, 1.0) }
)",
                                                 {"model"});
  p.run_main(1);
  check_same(*p.model("model"), 64);
}

TEST_CASE(
    "invalid parameters and impossible observations still reach the handler") {
  // sigma < 0 in some particles: the inline path must fall back to the call,
  // which reports the error at the observe.
  borel::Program p = borel::Program::from_source("bad.brl", R"(
fn model() -> real {
  let s = sample(normal(0.0, 1.0));
  observe(normal(0.0, s), 1.0);
  s
}
fn zero() -> real {
  let x = sample(normal(0.0, 1.0));
  observe(normal(x, 1.0e-300), 1.0e300);
  x
}
)",
                                                 {"model", "zero"});
  p.run_main(1);
  auto fails_at = [&](const char* name, const char* where, const char* fragment) {
    auto model = p.model(name);
    try {
      run(*model, 100, 0);
      FAIL("expected a runtime error");
    } catch (const borel::rt::RuntimeError& e) {
      CHECK(e.where == where);
      CHECK(e.message.find(fragment) != std::string::npos);
    }
  };
  fails_at("model", "bad.brl:4:3", "sigma");
  // A log-density of -infinity (z overflows): every particle has zero weight,
  // reported at the observe's site as the handler records it.
  fails_at("zero", "bad.brl:9:3", "zero weight");
}
