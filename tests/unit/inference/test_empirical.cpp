// test_empirical.cpp — the result of infer is a distribution: sampling,
// log-density, moments, and nested inference.
#include <doctest/doctest.h>

#include <cmath>

#include "TestModels.h"
#include "inference/Empirical.h"
#include "inference/Infer.h"

using namespace borel;
using namespace borel::inference;
using namespace borel::test;

namespace {

// p ~ inner; observe(bernoulli(p), true); returns p.
class NestedModel final : public rt::Model {
 public:
  explicit NestedModel(const rt::Dist* inner) : inner_(inner) {}
  rt::Step start(rt::Ctx& ctx) override {
    const rt::Word p = ctx.handler->sample(ctx, *inner_, 0);
    ctx.handler->observe(ctx, bernoulli(rt::to_real(p)), 1, 1);
    return done(p);
  }
  rt::Step resume(rt::Ctx&, rt::Cont*, rt::Word) override { return done(0); }

 private:
  const rt::Dist* inner_;
};

}  // namespace

TEST_CASE("sampling an empirical distribution follows its weights") {
  BranchModel model;
  Method m;
  m.name = "importance";
  m.particles = 4000;
  rt::Dist* d = infer(m, model, kBool, 8, 1);
  const double p = std::exp(d->ops->log_density(*d, 1));
  CHECK(std::exp(d->ops->log_density(*d, 0)) == doctest::Approx(1 - p));
  CHECK(d->ops->log_density(*d, 2) == -INFINITY);
  CHECK(d->ops->in_support(*d, 1));
  CHECK_FALSE(d->ops->in_support(*d, 5));
  rt::Rng rng(1, 2);
  const int R = 100000;
  int hits = 0;
  for (int i = 0; i < R; ++i) hits += d->ops->sample(*d, rng) == 1;
  CHECK(std::abs(hits / double(R) - p) <= 5 * std::sqrt(p * (1 - p) / R));
  CHECK(std::string(d->ops->name) == "empirical");
}

TEST_CASE("real-valued results have atoms at the sampled values") {
  CoinModel model(coin_flips());
  Method m;
  m.name = "importance";
  m.particles = 1000;
  rt::Dist* d = infer(m, model, kReal, 9, 1);
  const EmpiricalData* e = empirical_data(*d);
  const rt::Word x = e->values->data[17];
  CHECK(d->ops->log_density(*d, x) == doctest::Approx(std::log(rt::array_real(e->weights, 17))));
  CHECK(d->ops->log_density(*d, rt::from_real(0.123456789)) == -INFINITY);
  CHECK_THROWS_AS(log_evidence(normal(0, 1)), rt::RuntimeError);
}

TEST_CASE("nested inference: a model samples from an inner infer result") {
  // Inner: the coin's posterior, Beta(71, 31). Outer: p ~ inner, observe a
  // further head: the outer posterior is Beta(72, 31), mean 72/103. Error:
  // inner IS mean error ~0.045/√ESS_inner plus the outer one; 0.01 is > 4 sd.
  CoinModel coin(coin_flips());
  Method m;
  m.name = "importance";
  m.particles = 20000;
  rt::Dist* inner = infer(m, coin, kReal, 10, 1);
  NestedModel outer(inner);
  rt::Dist* post = infer(m, outer, kReal, 11, 2);
  CHECK(std::abs(post->ops->mean(*post) - 72.0 / 103.0) < 0.01);
  // log p(head | data) = log E[p] = log(71/102).
  CHECK(std::abs(log_evidence(*post) - std::log(71.0 / 102.0)) < 0.01);
}
