// test_gmm_rj.cpp — the reversible-jump kernel "gmm_rj" (GmmRj.h) on a small
// mixture with an unknown number of components whose posterior over K is
// computed exactly, and random-walk MH on a non-flat prior (the regression
// test for the stale-density bug described in Trace.h).
//
// Model (the benchmark's gmm_unknown_k, shrunk): K − 1 ~ Poisson(2);
// g_k ~ Gamma(1, 1), w = g / Σg (so w ~ Dirichlet(1, …, 1)); mu_k ~ N(0, 3);
// y_i ~ Σ_k w_k N(mu_k, 1), i = 1..3. Exact p(y | K) sums over the K^3
// allocations z: p(z | K) = Γ(K) Π_k Γ(1 + n_k) / Γ(K + n) (Dirichlet-
// multinomial), and each group's means integrate out in closed form.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "TestModels.h"
#include "inference/Mcmc.h"

using namespace borel;
using namespace borel::inference;
using namespace borel::test;

namespace {

Word gamma1_sample(const rt::Dist& d, rt::Rng& r) { return rt::from_real(-std::log(r.uniform()) / d.p[1]); }
double gamma1_logpdf(const rt::Dist& d, Word w) {  // shape 1 only
  const double x = rt::to_real(w);
  return x > 0 ? std::log(d.p[1]) - d.p[1] * x : -kInf;
}
bool positive(const rt::Dist&, Word w) { return rt::to_real(w) > 0; }
const rt::DistOps gamma1_ops = {"gamma", 2, {"shape", "rate"}, {rt::Kind::Real, rt::Kind::Real}, rt::Kind::Real,
                                "(0, inf)", ok, gamma1_sample, gamma1_logpdf, positive, nan_moment, nan_moment,
                                rt::Support::Positive, nullptr};

Word poisson_sample(const rt::Dist& d, rt::Rng& r) {
  int64_t k = 0;
  for (double p = r.uniform(), l = std::exp(-d.p[0]); p > l; p *= r.uniform()) ++k;
  return k;
}
double poisson_logpdf(const rt::Dist& d, Word k) {
  return k < 0 ? -kInf : static_cast<double>(k) * std::log(d.p[0]) - d.p[0] - std::lgamma(static_cast<double>(k) + 1);
}
bool nonnegative(const rt::Dist&, Word k) { return k >= 0; }
const rt::DistOps poisson_ops = {"poisson", 1, {"rate"}, {rt::Kind::Real}, rt::Kind::Int, "0, 1, ...",
                                 ok, poisson_sample, poisson_logpdf, nonnegative, nan_moment, nan_moment,
                                 rt::Support::Discrete, nullptr};

constexpr double kLambda = 2.0, kMuSd = 3.0;
const std::vector<double> kYs = {-2.5, 0.3, 2.8};

// Runs to the end without suspending (MH never asks it to); returns K.
class SmallGmm final : public rt::Model {
 public:
  rt::Step start(rt::Ctx& ctx) override {
    const int64_t k = 1 + ctx.handler->sample(ctx, {&poisson_ops, {kLambda}, {}}, 0);
    std::vector<double> g(static_cast<size_t>(k)), mu(static_cast<size_t>(k));
    double total = 0;
    for (auto& x : g) total += x = rt::to_real(ctx.handler->sample(ctx, {&gamma1_ops, {1.0, 1.0}, {}}, 1));
    for (auto& x : mu) x = rt::to_real(ctx.handler->sample(ctx, normal(0.0, kMuSd), 2));
    for (double y : kYs) {
      double p = 0;
      for (size_t j = 0; j < g.size(); ++j) p += g[j] / total * std::exp(normal_logpdf(normal(mu[j], 1.0), rt::from_real(y)));
      ctx.handler->factor(ctx, std::log(p), 3);
    }
    return done(k);
  }
  rt::Step resume(rt::Ctx&, rt::Cont*, Word) override { return done(0); }
  std::string site_location(rt::SiteId id) const override { return "gmm.brl:" + std::to_string(id + 1) + ":1"; }
};

// log ∫ Π_{i∈group} N(y_i; mu, 1) N(mu; 0, s²) dmu.
double log_group(const std::vector<double>& ys) {
  const double m = static_cast<double>(ys.size()), s2 = kMuSd * kMuSd;
  double sum = 0, sq = 0;
  for (double y : ys) sum += y, sq += y * y;
  return -0.5 * m * 1.83787706640934548356 - 0.5 * std::log1p(m * s2) - 0.5 * (sq - s2 * sum * sum / (1 + m * s2));
}

// Exact p(K | y) for K = 1..kmax (the Poisson tail beyond is below 1e-12).
std::vector<double> exact_posterior(int kmax) {
  const size_t n = kYs.size();
  std::vector<double> post(static_cast<size_t>(kmax) + 1, 0.0);
  double z = 0;
  for (int k = 1; k <= kmax; ++k) {
    double like = 0;
    std::vector<int> alloc(n, 0);
    for (;;) {
      double lp = std::lgamma(k) - std::lgamma(k + static_cast<double>(n));
      for (int j = 0; j < k; ++j) {
        std::vector<double> grp;
        for (size_t i = 0; i < n; ++i)
          if (alloc[i] == j) grp.push_back(kYs[i]);
        lp += std::lgamma(1.0 + static_cast<double>(grp.size()));
        if (!grp.empty()) lp += log_group(grp);
      }
      like += std::exp(lp);
      size_t i = 0;
      while (i < n && ++alloc[i] == k) alloc[i++] = 0;
      if (i == n) break;
    }
    post[static_cast<size_t>(k)] = like * std::exp(poisson_logpdf({&poisson_ops, {kLambda}, {}}, k - 1));
    z += post[static_cast<size_t>(k)];
  }
  for (double& p : post) p /= z;
  return post;
}

// Monte Carlo standard error of the mean of f over chain-major draws, from
// batch means (20 batches per chain), never below the i.i.d. value.
template <class F> double batch_se(const Population& pop, int64_t chains, F f, double* mean) {
  const int64_t per = pop.size() / chains, batches = 20, len = per / batches;
  std::vector<double> bm;
  double s = 0;
  for (int64_t c = 0; c < chains; ++c)
    for (int64_t b = 0; b < batches; ++b) {
      double m = 0;
      for (int64_t i = 0; i < len; ++i) m += f(pop.slots()[c * per + b * len + i]);
      bm.push_back(m / static_cast<double>(len));
      s += m;
    }
  *mean = s / static_cast<double>(chains * batches * len);
  double v = 0;
  for (double m : bm) v += (m - *mean) * (m - *mean);
  v /= static_cast<double>(bm.size() - 1);
  const double iid = *mean * (1 - *mean) / static_cast<double>(pop.size());
  return std::sqrt(std::max(v / static_cast<double>(bm.size()), iid));
}

}  // namespace

TEST_CASE("gmm_rj: posterior over the number of components against the exact p(K | y)") {
  const std::vector<double> exact = exact_posterior(30);
  SmallGmm model;
  // "single" alone also jumps (a prior redraw of the count): the regression
  // test for sweeps whose length followed |T| (Kernels.cpp, SweepLength).
  for (const char* kernel : {"rw+gmm_rj", "gmm_rj", "single"}) {
    McmcSettings s;
    s.samples = 20000;
    s.warmup = 1000;
    s.chains = 4;
    s.kernel = kernel;
    Diagnostics d;
    const Population pop = mcmc(model, s, 11, 2, &d);
    double tv = 0;
    for (int k = 1; k <= 6; ++k) {
      double p = 0;
      const double se = batch_se(pop, s.chains, [k](Word v) { return v == k ? 1.0 : 0.0; }, &p);
      INFO(kernel << ", K = " << k << ": exact " << exact[static_cast<size_t>(k)] << ", chains " << p << " ± " << se);
      CHECK(std::abs(p - exact[static_cast<size_t>(k)]) < 4 * se);
      tv += 0.5 * std::abs(p - exact[static_cast<size_t>(k)]);
    }
    MESSAGE(std::string(kernel) << ": TV distance to the exact p(K | y), K ≤ 6: " << tv);
    // Every kind of jump is accepted sometimes.
    for (const auto& [name, rate] : d.acceptance) {
      INFO(kernel << ": " << name);
      CHECK(rate > 0.01);
    }
  }
}

namespace {
// The same layout with a third per-component choice, a scale s_k ~
// Gamma(1, 1) after the means, and no data: p(K) is the prior's, K − 1 ~
// Poisson(2). The scale is no part of split/merge's bijection, so a split
// draws the new one fresh and a merge destroys the last one; a ratio that
// dropped those terms gave P(K = 1) = 0.201 against e^-2 = 0.135.
class GmmWithScales final : public rt::Model {
 public:
  rt::Step start(rt::Ctx& ctx) override {
    const int64_t k = 1 + ctx.handler->sample(ctx, {&poisson_ops, {kLambda}, {}}, 0);
    for (int64_t j = 0; j < k; ++j) ctx.handler->sample(ctx, {&gamma1_ops, {1.0, 1.0}, {}}, 1);
    for (int64_t j = 0; j < k; ++j) ctx.handler->sample(ctx, normal(0.0, kMuSd), 2);
    for (int64_t j = 0; j < k; ++j) ctx.handler->sample(ctx, {&gamma1_ops, {1.0, 1.0}, {}}, 3);
    return done(k);
  }
  rt::Step resume(rt::Ctx&, rt::Cont*, Word) override { return done(0); }
};
}  // namespace

TEST_CASE("gmm_rj: a per-component choice outside the bijection (prior only: p(K) is Poisson)") {
  GmmWithScales model;
  McmcSettings s;
  s.samples = 20000;
  s.warmup = 1000;
  s.chains = 4;
  s.kernel = "gmm_rj";  // alone: only its jumps change K, so they alone must get p(K) right
  const Population pop = mcmc(model, s, 3, 2);
  for (int k = 1; k <= 5; ++k) {
    double p = 0;
    const double se = batch_se(pop, s.chains, [k](Word v) { return v == k ? 1.0 : 0.0; }, &p);
    const double exact = std::exp(poisson_logpdf({&poisson_ops, {kLambda}, {}}, k - 1));
    INFO("K = " << k << ": exact " << exact << ", chains " << p << " ± " << se);
    CHECK(std::abs(p - exact) < 4 * se);
  }
}

TEST_CASE("gmm_rj: a program without a count and K weights and means is an error") {
  CoinModel model(coin_flips());
  McmcSettings s;
  s.samples = 10;
  s.warmup = 0;
  s.chains = 1;
  s.kernel = "gmm_rj";
  std::string message;
  try {
    mcmc(model, s, 1, 1);
  } catch (const rt::RuntimeError& e) {
    message = e.message;
  }
  CHECK(message.find("kernel gmm_rj needs an integer count") != std::string::npos);
}

namespace {
// x ~ N(0, 1); y = 1 ~ N(x, 1): the posterior is N(0.5, 1/2).
class NormalNormal final : public rt::Model {
 public:
  rt::Step start(rt::Ctx& ctx) override {
    const Word x = ctx.handler->sample(ctx, normal(0.0, 1.0), 0);
    ctx.handler->observe(ctx, normal(rt::to_real(x), 1.0), rt::from_real(1.0), 1);
    return done(x);
  }
  rt::Step resume(rt::Ctx&, rt::Cont*, Word) override { return done(0); }
};
}  // namespace

TEST_CASE("mh rw: conjugate normal posterior N(0.5, 1/2) (a replaced value is not stale)") {
  NormalNormal model;
  McmcSettings s;
  s.samples = 5000;
  s.warmup = 500;
  s.kernel = "rw";
  const Population pop = mcmc(model, s, 5, 1);
  double m = 0, v = 0;
  for (int64_t i = 0; i < pop.size(); ++i) m += rt::to_real(pop.slots()[i]);
  m /= static_cast<double>(pop.size());
  for (int64_t i = 0; i < pop.size(); ++i) v += std::pow(rt::to_real(pop.slots()[i]) - m, 2);
  v /= static_cast<double>(pop.size());
  // ESS ≥ 2000 of 20000 (RW at acceptance 0.44 on one variable): mean within
  // 4·0.707/√2000 = 0.063, variance within 4·0.5·√(2/2000) = 0.063.
  CHECK(std::abs(m - 0.5) < 0.063);
  CHECK(std::abs(v - 0.5) < 0.063);
}
