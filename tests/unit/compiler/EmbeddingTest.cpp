// EmbeddingTest.cpp — include/borel/Borel.h: several programs in one process.
//
// Regression: top-level lets once lived in one process-wide table, so a
// second program's globals overwrote the first's (its model then read a
// record as an array and the collector was asked for 10^15 bytes).
#include <doctest/doctest.h>

#include <cmath>

#include "borel/Borel.h"
#include "inference/Infer.h"
#include "runtime/TypeDesc.h"

TEST_CASE("two programs keep their own top-level lets") {
  borel::Program a = borel::Program::from_source("a.brl", R"(
let ys: [real] = [0.5, 1.0, 1.5];
fn model() -> real {
  let mu = sample(normal(0.0, 1.0));
  for y in ys { observe(normal(mu, 1.0), y); }
  mu
}
)", {"model"});
  borel::Program b = borel::Program::from_source("b.brl", R"(
let data = {n: 7, label: "other program"};
fn model() -> int { data.n + sample(discrete_uniform(0, 0)) }
)", {"model"});
  a.run_main(1);
  b.run_main(2);
  auto ma = a.model("model");
  auto mb = b.model("model");
  REQUIRE(a.result_type("model"));
  REQUIRE(b.result_type("model"));
  borel::inference::Method m;
  m.name = "importance";
  m.particles = 4000;
  m.progress = false;
  // Posterior of mu: N(sum(ys)/(1 + 3), 1/sqrt(4)) = N(0.75, 0.5); 4 sd/sqrt(ESS ≈ 2000).
  borel::rt::Dist* pa = borel::inference::infer(m, *ma, *a.result_type("model"), 7, 1);
  CHECK(std::abs(pa->ops->mean(*pa) - 0.75) < 4 * 0.5 / std::sqrt(1000.0));
  borel::rt::Dist* pb = borel::inference::infer(m, *mb, *b.result_type("model"), 8, 1);
  CHECK(pb->ops->mean(*pb) == doctest::Approx(7.0));
}

TEST_CASE("compile errors reach the host with locations") {
  try {
    borel::Program::from_source("bad.brl", "fn model() -> real { 1 + true }", {"model"});
    FAIL("expected a compile error");
  } catch (const borel::CompileError& e) {
    CHECK(std::string(e.what()).find("bad.brl:1:24: error: operator + needs numbers") != std::string::npos);
  }
}

TEST_CASE("a model of a program whose top-level lets were not evaluated is refused, not run on unset lets") {
  borel::Program p = borel::Program::from_source("lets.brl", R"(
let data = [1.0, 2.0];
fn model() -> real { data[1] + sample(normal(0.0, 1.0)) }
)", {"model"});
  try {
    (void)p.model("model");
    FAIL("model() before run_main() was accepted");
  } catch (const borel::rt::RuntimeError& e) {
    CHECK(e.message.find("call run_main() first") != std::string::npos);
  }
  p.run_main(1);
  CHECK(p.model("model") != nullptr);
  // Without top-level lets there is nothing to evaluate first.
  borel::Program q = borel::Program::from_source("plain.brl", "fn model() -> real { sample(normal(0.0, 1.0)) }\n", {"model"});
  CHECK(q.model("model") != nullptr);
}
