// test_smc2.cpp — SmcRun (the SMC driver one step at a time) and SMC²
// (Smc2.h): stepping reproduces smc(), results do not depend on the number
// of threads, invalid settings raise. The accuracy of SMC² against exact
// posteriors and evidences is tested in tests/lang/inference_particle/smc2.brl.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "TestModels.h"
#include "inference/Smc.h"
#include "inference/Smc2.h"

using namespace borel;
using namespace borel::inference;
using namespace borel::test;

TEST_CASE("SmcRun stepped by hand gives smc()'s population bit for bit") {
  rt::gc_init();
  LgssmModel model({0.5, -0.2, 1.0, 0.3, -0.7});
  SmcSettings s;
  s.particles = 64;
  const Population a = smc(model, s, 7);
  SmcRun run(model, s, 7);
  int64_t steps = 0;
  std::vector<double> evidence;
  while (!run.done()) {
    run.step();
    ++steps;
    evidence.push_back(run.log_evidence());
  }
  CHECK(steps == 6);  // 5 observes + the final step
  CHECK(run.steps() == 6);
  CHECK(evidence.back() == a.log_evidence());
  for (int64_t i = 0; i < a.size(); ++i) CHECK(run.population().slots()[i] == a.slots()[i]);
}

TEST_CASE("SmcRun::copy_state continues from the copied population") {
  rt::gc_init();
  LgssmModel model({0.5, -0.2, 1.0, 0.3});
  SmcSettings s;
  s.particles = 32;
  s.shared_continuations = true;
  SmcRun a(model, s, 1), b(model, s, 2);
  a.step();
  a.step();
  b.copy_state(a);
  CHECK(b.steps() == 2);
  CHECK(b.log_evidence() == a.log_evidence());
  while (!b.done()) b.step();
  CHECK(b.steps() == 5);
  CHECK(std::isfinite(b.log_evidence()));
}

TEST_CASE("smc2: identical results on 1 and 3 threads") {
  rt::gc_init();
  CoinModel model(coin_flips());
  Smc2Settings s;
  s.particles = 60;
  s.inner_particles = 2;
  Diagnostics d1, d3;
  const Population a = smc2(model, s, 11, 1, &d1), b = smc2(model, s, 11, 3, &d3);
  CHECK(a.log_evidence() == b.log_evidence());
  for (int64_t i = 0; i < a.size(); ++i) {
    CHECK(a.slots()[i] == b.slots()[i]);
    CHECK(a.log_weights()[i] == b.log_weights()[i]);
  }
  CHECK(d1.resamplings == d3.resamplings);
  CHECK(d1.resamplings > 0);
  REQUIRE(d1.acceptance.size() == 1);
  CHECK(d1.acceptance[0].second > 0.05);
}

// θ ~ beta(1, 1); two observations of 1 from bernoulli(θ) where θ >= 0.6 and
// from bernoulli(0) (impossible) where θ < 0.6: for 60% of the θ-particles
// every inner particle has zero weight, Ẑ(θ) = 0.
class ThresholdCoinModel final : public rt::Model {
 public:
  rt::Step start(rt::Ctx& ctx) override { return run(ctx, 0, rt::to_real(ctx.handler->sample(ctx, beta(1.0, 1.0), 0))); }
  rt::Step resume(rt::Ctx& ctx, rt::Cont* c, Word) override {
    const auto* s = static_cast<const State*>(c);
    return run(ctx, s->i + 1, s->theta);
  }
  std::string site_location(rt::SiteId id) const override { return id == 0 ? "t.brl:2:11" : "t.brl:3:5"; }

 private:
  struct State {
    int64_t i;
    double theta;
  };
  rt::Step run(rt::Ctx& ctx, int64_t i, double theta) {
    for (; i < 2; ++i) {
      ctx.handler->observe(ctx, bernoulli(theta < 0.6 ? 0.0 : theta), 1, 1);
      if (ctx.suspend_requested) return suspend(ctx, State{i, theta});
    }
    return done(rt::from_real(theta));
  }
};

TEST_CASE("smc2: zero likelihood is not an error inside: such a parameter gets zero weight") {
  rt::gc_init();
  ThresholdCoinModel model;
  Smc2Settings s;
  s.particles = 200;
  s.inner_particles = 10;
  Population pop = smc2(model, s, 5);  // the same in plain smc would stop: every particle of θ < 0.6 is impossible
  int64_t below = 0, weighted = 0;
  for (int64_t i = 0; i < pop.size(); ++i) {
    if (pop.log_weights()[i] == -kInf) continue;
    ++weighted;
    if (rt::to_real(pop.slots()[i]) < 0.6) ++below;
  }
  CHECK(below == 0);
  CHECK(weighted > 0);
  CHECK(std::isfinite(pop.log_evidence()));
}

TEST_CASE("smc2: bad settings") {
  rt::gc_init();
  CoinModel model(coin_flips());
  auto message = [&](const Smc2Settings& s) -> std::string {
    try {
      smc2(model, s, 1);
    } catch (const rt::RuntimeError& e) {
      return e.what();
    }
    return "no error";
  };
  Smc2Settings s;
  s.particles = 0;
  CHECK(message(s) == "smc2: particles is 0, but must be positive");
  s.particles = 10;
  s.inner_particles = -1;
  CHECK(message(s) == "smc2: inner_particles is -1, but must be positive");
  s.inner_particles = 10;
  s.params = 2;  // the coin makes one choice before its first observe
  CHECK(message(s).find("params is 2") != std::string::npos);
}
