// Sampling: the proposal q is the documented modification of p, every draw
// reports exact log p and log q, importance weights p/q are unbiased, and
// draws follow q (checked with a fixed seed and a tolerance of 5 Monte Carlo
// standard errors).
#include <doctest/doctest.h>

#include "Error.h"
#include "Sampling.h"

#include <algorithm>
#include <cmath>
#include <random>

using namespace borel::llm;

namespace {

std::vector<float> test_logits() {
  std::vector<float> l(50);
  for (size_t i = 0; i < l.size(); ++i) l[i] = float(std::sin(double(i) * 1.7) * 3.0 - 0.05 * double(i));
  return l;
}

double sum_exp(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += std::exp(x);
  return s;
}

}  // namespace

TEST_CASE("sampling: log_softmax and argmax") {
  const auto l = test_logits();
  const auto lp = log_softmax(l);
  CHECK(sum_exp(lp) == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(log_softmax_at(l, 7) == doctest::Approx(lp[7]).epsilon(1e-12));
  const float tie[] = {1, 3, 3, 2};
  CHECK(argmax(tie) == 1);
  CHECK_THROWS_AS(log_softmax_at(l, 50), LlmError);
}

TEST_CASE("sampling: the proposal is the model modified as documented") {
  const auto l = test_logits();
  const auto lp = log_softmax(l);
  SUBCASE("plain: q = p") {
    Proposal q(l, {});
    for (size_t i = 0; i < l.size(); ++i) CHECK(q.logp_proposal(TokenId(i)) == doctest::Approx(lp[i]).epsilon(1e-12));
  }
  SUBCASE("temperature: q = softmax(logits / T)") {
    SamplingParams sp;
    sp.temperature = 0.5;
    Proposal q(l, sp);
    std::vector<float> scaled(l);
    for (auto& v : scaled) v /= 0.5f;
    const auto want = log_softmax(scaled);
    for (size_t i = 0; i < l.size(); ++i) CHECK(q.logp_proposal(TokenId(i)) == doctest::Approx(want[i]).epsilon(1e-6));
    CHECK(q.logp_model(3) == lp[3]);
  }
  SUBCASE("greedy: all mass on the argmax") {
    SamplingParams sp;
    sp.temperature = 0;
    Proposal q(l, sp);
    REQUIRE(q.support().size() == 1);
    CHECK(q.support()[0] == argmax(l));
    auto s = q.sample(0.99);
    CHECK(s.token == argmax(l));
    CHECK(s.logp_proposal == 0.0);
    CHECK(s.logp_model == lp[size_t(argmax(l))]);
  }
  SUBCASE("top-k keeps the k most probable, renormalised") {
    SamplingParams sp;
    sp.top_k = 5;
    Proposal q(l, sp);
    REQUIRE(q.support().size() == 5);
    double kept = 0;
    for (TokenId t : q.support()) kept += std::exp(lp[size_t(t)]);
    for (size_t i = 0; i < l.size(); ++i) {
      const bool in = std::find(q.support().begin(), q.support().end(), TokenId(i)) != q.support().end();
      if (in) {
        CHECK(q.logp_proposal(TokenId(i)) == doctest::Approx(lp[i] - std::log(kept)).epsilon(1e-12));
        for (size_t j = 0; j < l.size(); ++j)
          if (std::find(q.support().begin(), q.support().end(), TokenId(j)) == q.support().end()) CHECK(l[j] <= l[i]);
      } else {
        CHECK(q.logp_proposal(TokenId(i)) == -INFINITY);
      }
    }
  }
  SUBCASE("top-p keeps the smallest prefix reaching p") {
    SamplingParams sp;
    sp.top_p = 0.8;
    Proposal q(l, sp);
    double mass = 0, mass_without_last = 0;
    for (size_t k = 0; k < q.support().size(); ++k) {
      const double pk = std::exp(lp[size_t(q.support()[k])]);
      mass += pk;
      if (k + 1 < q.support().size()) mass_without_last += pk;
    }
    CHECK(mass >= 0.8);
    CHECK(mass_without_last < 0.8);
    CHECK(sum_exp(q.proposal_logprobs()) == doctest::Approx(1.0).epsilon(1e-12));
  }
  SUBCASE("mask: q = p restricted to the allowed set") {
    std::vector<uint8_t> mask(l.size(), 0);
    mask[2] = mask[10] = mask[33] = 1;
    SamplingParams sp;
    sp.mask = mask;
    Proposal q(l, sp);
    const double z = std::exp(lp[2]) + std::exp(lp[10]) + std::exp(lp[33]);
    CHECK(q.logp_proposal(10) == doctest::Approx(lp[10] - std::log(z)).epsilon(1e-12));
    CHECK(q.logp_proposal(11) == -INFINITY);
    // E_q[p/q] = P(allowed) exactly: the importance weight a masked proposal needs.
    double e = 0;
    for (TokenId t : q.support()) e += std::exp(q.logp_proposal(t)) * std::exp(q.logp_model(t) - q.logp_proposal(t));
    CHECK(e == doctest::Approx(z).epsilon(1e-12));
  }
  SUBCASE("invalid settings are errors") {
    SamplingParams sp;
    sp.temperature = -1;
    CHECK_THROWS_AS(Proposal(l, sp), LlmError);
    sp = {};
    sp.top_p = 0;
    CHECK_THROWS_AS(Proposal(l, sp), LlmError);
    std::vector<uint8_t> none(l.size(), 0);
    sp = {};
    sp.mask = none;
    CHECK_THROWS_AS(Proposal(l, sp), LlmError);
    std::vector<uint8_t> short_mask(3, 1);
    sp.mask = short_mask;
    CHECK_THROWS_AS(Proposal(l, sp), LlmError);
    CHECK_THROWS_AS(Proposal(l, {}).sample(1.0), LlmError);
  }
}

TEST_CASE("sampling: draws follow the proposal (fixed seed, 5 standard errors)") {
  const auto l = test_logits();
  SamplingParams sp;
  sp.temperature = 1.3;
  sp.top_k = 8;
  Proposal q(l, sp);
  std::mt19937_64 rng(42);
  const int n = 20000;
  std::vector<int> counts(l.size(), 0);
  double weight_sum = 0;
  for (int i = 0; i < n; ++i) {
    SampledToken s = q.sample(uniform01(rng));
    counts[size_t(s.token)]++;
    CHECK(s.logp_proposal == q.logp_proposal(s.token));
    weight_sum += std::exp(s.logp_model - s.logp_proposal);
  }
  for (TokenId t : q.support()) {
    const double pq = std::exp(q.logp_proposal(t));
    const double se = std::sqrt(pq * (1 - pq) / n);
    CHECK(std::abs(counts[size_t(t)] / double(n) - pq) <= 5 * se);
  }
  // E_q[p/q] = p(support): the self-check a particle filter relies on.
  double p_support = 0;
  for (TokenId t : q.support()) p_support += std::exp(q.logp_model(t));
  CHECK(std::abs(weight_sum / n - p_support) <= 0.05 * p_support);
}
