// test_mcmc.cpp — MH chains over traces (Trace.h, Kernels.h, Mcmc.h) against
// exact answers, and their reproducibility.
//
// Tolerances: |mean − exact| ≤ 4·sd/√ESS with a conservative lower bound on
// the chains' ESS stated at each check (single-site chains on these one- and
// two-choice models have ESS above 0.1 per draw).
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "TestModels.h"
#include "inference/Empirical.h"
#include "inference/Infer.h"
#include "inference/Mcmc.h"
#include "inference/Trace.h"

using namespace borel;
using namespace borel::inference;
using namespace borel::test;

namespace {

double mean_of(const Population& pop) {
  double s = 0;
  for (int64_t i = 0; i < pop.size(); ++i) s += rt::to_real(pop.slots()[i]);
  return s / static_cast<double>(pop.size());
}

}  // namespace

TEST_CASE("trace addresses count hits per site and replay reuses values by address") {
  rt::gc_init();
  LgssmModel model({0.5, -0.2, 1.0});
  Trace t;
  TraceHandler h;
  h.model = &model;
  rt::Ctx ctx;
  rt::Rng rng(1, 1);
  ctx.rng = &rng;
  run_traced(model, ctx, h, t);
  REQUIRE(t.choices.size() == 3);
  for (int64_t k = 0; k < 3; ++k) {
    CHECK(t.choices[static_cast<size_t>(k)].addr == Address{0, k});
    CHECK(t.find(Address{0, k}) == k);
  }
  CHECK(t.events == 3);
  // A replay with no change reproduces the trace: nothing fresh, nothing stale.
  Trace t2;
  h.old = &t;
  run_traced(model, ctx, h, t2);
  CHECK(t2.log_joint() == doctest::Approx(t.log_joint()).epsilon(1e-14));
  CHECK(h.log_fresh == 0.0);
  CHECK(h.log_stale() == 0.0);
  // Redrawing (0, 1): one fresh and one stale choice, the others reused.
  h.redraw = Address{0, 1};
  run_traced(model, ctx, h, t2);
  CHECK(t2.choices[0].value == t.choices[0].value);
  CHECK(t2.choices[2].value == t.choices[2].value);
  CHECK(h.log_fresh == doctest::Approx(t2.choices[1].log_density));
  CHECK(h.log_stale() == doctest::Approx(t.choices[1].log_density));
}

TEST_CASE("mh: coin posterior Beta(71, 31) with every built-in kernel") {
  CoinModel model(coin_flips());
  for (const char* k : {"rw", "single", "independent"}) {
    McmcSettings s;
    s.samples = 2000;
    s.warmup = 300;
    s.chains = 2;
    s.kernel = k;
    Diagnostics d;
    const Population pop = mcmc(model, s, 7, 1, &d);
    CHECK(pop.size() == 4000);
    // ESS ≥ 400 of 4000: 4 · 0.04532 / √400 = 0.0091.
    CHECK(std::abs(mean_of(pop) - 71.0 / 102.0) < 0.0091);
    REQUIRE(!d.acceptance.empty());
    CHECK(d.acceptance[0].second > 0.05);
  }
}

TEST_CASE("mh: same result for 1 and 3 threads") {
  CoinModel model(coin_flips());
  McmcSettings s;
  s.samples = 200;
  s.warmup = 50;
  s.chains = 3;
  const Population a = mcmc(model, s, 3, 1), b = mcmc(model, s, 3, 3);
  for (int64_t i = 0; i < a.size(); ++i) CHECK(a.slots()[i] == b.slots()[i]);
}

TEST_CASE("mh: runs with different numbers of observes (branch model)") {
  // b ~ Bernoulli(0.3) changes how many observes run; P(b | y) exact.
  BranchModel model;
  McmcSettings s;
  s.samples = 5000;
  s.warmup = 100;
  s.kernel = "single";
  const Population pop = mcmc(model, s, 9, 1);
  double m = 0;
  for (int64_t i = 0; i < pop.size(); ++i) m += static_cast<double>(pop.slots()[i]);
  m /= static_cast<double>(pop.size());
  // Independent redraws of the single choice: ESS ≥ 2000 of 20000; sd ≤ 0.5.
  CHECK(std::abs(m - BranchModel::p_true()) < 4 * 0.5 / std::sqrt(2000.0));
}

TEST_CASE("mh: bad settings") {
  CoinModel model(coin_flips());
  McmcSettings s;
  s.chains = 0;
  CHECK_THROWS_AS(mcmc(model, s, 1), rt::RuntimeError);
  s.chains = 1;
  s.kernel = "nope";
  try {
    mcmc(model, s, 1);
    FAIL("no error");
  } catch (const rt::RuntimeError& e) {
    CHECK(e.what().find("kernel is 'nope'") != std::string::npos);
  }
}
