// TestModels.h — hand-written rt::Model implementations for the inference
// tests, written the way compiled Borel code behaves: effects go through the
// handler, a suspension allocates one immutable GC state struct (the
// continuation), and resuming never changes it.
//
// The distributions are test-local DistOps (normal, beta, bernoulli) with
// the stdlib's parameter layout, so these tests depend on inference/ and the
// runtime only.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "runtime/Dist.h"
#include "runtime/Model.h"
#include "runtime/Rng.h"
#include "runtime/TypeDesc.h"
#include "runtime/Value.h"

namespace borel::test {

using rt::Word;
constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- distributions -----------------------------------------------------------

inline bool ok(const rt::Dist&, std::string&) { return true; }
inline bool any_support(const rt::Dist&, Word) { return true; }
inline double nan_moment(const rt::Dist&) { return std::numeric_limits<double>::quiet_NaN(); }

inline Word normal_sample(const rt::Dist& d, rt::Rng& r) { return rt::from_real(d.p[0] + d.p[1] * r.normal()); }
inline double normal_logpdf(const rt::Dist& d, Word x) {
  const double z = (rt::to_real(x) - d.p[0]) / d.p[1];
  return -0.5 * z * z - std::log(d.p[1]) - 0.91893853320467274178;
}
inline const rt::DistOps normal_ops = {"normal", 2, {"mu", "sigma"}, {rt::Kind::Real, rt::Kind::Real},
                                       rt::Kind::Real, "(-inf, inf)", ok, normal_sample, normal_logpdf,
                                       any_support, nan_moment, nan_moment,
                                       rt::Support::Real, nullptr};

inline double gamma_variate(rt::Rng& r, double a) {  // Marsaglia & Tsang, a >= 1
  const double d = a - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = r.normal();
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    if (std::log(r.uniform()) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}
inline Word beta_sample(const rt::Dist& d, rt::Rng& r) {
  const double x = gamma_variate(r, d.p[0]), y = gamma_variate(r, d.p[1]);
  return rt::from_real(x / (x + y));
}
inline double beta_logpdf(const rt::Dist& d, Word w) {
  const double x = rt::to_real(w), a = d.p[0], b = d.p[1];
  if (!(x > 0 && x < 1)) return -kInf;
  return (a - 1) * std::log(x) + (b - 1) * std::log1p(-x) - (std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b));
}
inline const rt::DistOps beta_ops = {"beta", 2, {"a", "b"}, {rt::Kind::Real, rt::Kind::Real}, rt::Kind::Real,
                                     "(0, 1)", ok, beta_sample, beta_logpdf, any_support, nan_moment, nan_moment,
                                     rt::Support::UnitInterval, nullptr};

inline Word bernoulli_sample(const rt::Dist& d, rt::Rng& r) { return r.uniform() < d.p[0] ? 1 : 0; }
inline double bernoulli_logpdf(const rt::Dist& d, Word x) {
  return x == 1 ? std::log(d.p[0]) : x == 0 ? std::log1p(-d.p[0]) : -kInf;
}
inline const rt::DistOps bernoulli_ops = {"bernoulli", 1, {"p"}, {rt::Kind::Real}, rt::Kind::Bool, "{false, true}",
                                          ok, bernoulli_sample, bernoulli_logpdf, any_support, nan_moment,
                                          nan_moment, rt::Support::Discrete, nullptr};

inline rt::Dist normal(double mu, double sigma) { return {&normal_ops, {mu, sigma}, {}}; }
inline rt::Dist beta(double a, double b) { return {&beta_ops, {a, b}, {}}; }
inline rt::Dist bernoulli(double p) { return {&bernoulli_ops, {p}, {}}; }

inline rt::Step done(Word v) { return {rt::Step::Kind::Done, v, nullptr}; }
template <class S> rt::Step suspend(rt::Ctx& ctx, const S& state) {
  ctx.suspend_requested = false;
  auto* s = static_cast<S*>(rt::gc_alloc(sizeof(S)));
  *s = state;
  return {rt::Step::Kind::Suspended, 0, s};
}

// ---- types -------------------------------------------------------------------

inline const rt::TypeDesc kReal{rt::TypeDesc::Tag::Real, nullptr, {}, {}};
inline const rt::TypeDesc kInt{rt::TypeDesc::Tag::Int, nullptr, {}, {}};
inline const rt::TypeDesc kBool{rt::TypeDesc::Tag::Bool, nullptr, {}, {}};

// ---- lgssm: x_1 ~ N(0,1); x_t ~ N(phi x_{t-1}, q); y_t ~ N(x_t, r); returns x_T

class LgssmModel final : public rt::Model {
 public:
  explicit LgssmModel(std::vector<double> ys, double phi = 0.9, double q = 1.0, double r = 0.5)
      : ys_(std::move(ys)), phi_(phi), q_(q), r_(r) {}
  rt::Step start(rt::Ctx& ctx) override { return run(ctx, 0, 0.0); }
  rt::Step resume(rt::Ctx& ctx, rt::Cont* c, Word) override {
    const auto* s = static_cast<const State*>(c);
    return run(ctx, s->t + 1, s->x);
  }
  std::string site_location(rt::SiteId id) const override {
    return id == 0 ? "lgssm.brl:3:11" : "lgssm.brl:4:3";
  }

 private:
  struct State {
    int64_t t;
    double x;
  };
  rt::Step run(rt::Ctx& ctx, int64_t t, double x) {
    const int64_t T = static_cast<int64_t>(ys_.size());
    for (; t < T; ++t) {
      const rt::Dist prior = t == 0 ? normal(0.0, 1.0) : normal(phi_ * x, q_);
      x = rt::to_real(ctx.handler->sample(ctx, prior, 0));
      ctx.handler->observe(ctx, normal(x, r_), rt::from_real(ys_[t]), 1);
      if (ctx.suspend_requested) return suspend(ctx, State{t, x});
    }
    return done(rt::from_real(x));
  }
  std::vector<double> ys_;
  double phi_, q_, r_;
};

// ---- coin: p ~ beta(1,1); flips_i ~ bernoulli(p); returns p -------------------

class CoinModel final : public rt::Model {
 public:
  explicit CoinModel(std::vector<int> flips) : flips_(std::move(flips)) {}
  rt::Step start(rt::Ctx& ctx) override {
    const double p = rt::to_real(ctx.handler->sample(ctx, beta(1.0, 1.0), 0));
    return run(ctx, 0, p);
  }
  rt::Step resume(rt::Ctx& ctx, rt::Cont* c, Word) override {
    const auto* s = static_cast<const State*>(c);
    return run(ctx, s->i + 1, s->p);
  }
  std::string site_location(rt::SiteId id) const override { return id == 0 ? "coin.brl:2:11" : "coin.brl:3:22"; }

 private:
  struct State {
    int64_t i;
    double p;
  };
  rt::Step run(rt::Ctx& ctx, int64_t i, double p) {
    for (; i < static_cast<int64_t>(flips_.size()); ++i) {
      ctx.handler->observe(ctx, bernoulli(p), flips_[i], 1);
      if (ctx.suspend_requested) return suspend(ctx, State{i, p});
    }
    return done(rt::from_real(p));
  }
  std::vector<int> flips_;
};

// 70 ones in 100 (the benchmark's counts; order does not matter for the tests).
inline std::vector<int> coin_flips() {
  std::vector<int> f(100, 0);
  for (int i = 0; i < 100; ++i) f[i] = (i * 7) % 10 < 7 ? 1 : 0;
  return f;
}

// ---- branches with different numbers of observes -------------------------------
// b ~ bernoulli(0.3); if b { observe(normal(0, 1), 1.5) }
//                    else { observe(normal(0, 2), 1.5); observe(normal(0, 2), -0.5); observe(normal(0, 2), 1.0) }
// returns b. Exact: Z = 0.3 N(1.5; 0, 1) + 0.7 Π N(y; 0, 2).
class BranchModel final : public rt::Model {
 public:
  rt::Step start(rt::Ctx& ctx) override {
    const Word b = ctx.handler->sample(ctx, bernoulli(0.3), 0);
    return run(ctx, b, 0);
  }
  rt::Step resume(rt::Ctx& ctx, rt::Cont* c, Word) override {
    const auto* s = static_cast<const State*>(c);
    return run(ctx, s->b, s->k + 1);
  }
  std::string site_location(rt::SiteId id) const override { return "branch.brl:" + std::to_string(id + 1) + ":5"; }
  static double log_z() {
    auto lp = [](double y, double s) { return -0.5 * y * y / (s * s) - std::log(s) - 0.91893853320467274178; };
    const double a = std::log(0.3) + lp(1.5, 1);
    const double b = std::log(0.7) + lp(1.5, 2) + lp(-0.5, 2) + lp(1.0, 2);
    const double m = std::max(a, b);
    return m + std::log(std::exp(a - m) + std::exp(b - m));
  }
  static double p_true() {
    auto lp = [](double y, double s) { return -0.5 * y * y / (s * s) - std::log(s) - 0.91893853320467274178; };
    return std::exp(std::log(0.3) + lp(1.5, 1) - log_z());
  }

 private:
  struct State {
    Word b;
    int64_t k;
  };
  rt::Step run(rt::Ctx& ctx, Word b, int64_t k) {
    static const double ys[3] = {1.5, -0.5, 1.0};
    const int64_t n = b ? 1 : 3;
    for (; k < n; ++k) {
      ctx.handler->observe(ctx, normal(0.0, b ? 1.0 : 2.0), rt::from_real(ys[k]), 1 + k);
      if (ctx.suspend_requested) return suspend(ctx, State{b, k});
    }
    return done(b);
  }
};

// ---- errors ------------------------------------------------------------------
// x ~ normal(0, 1) (site 0); factor(w(x)) (site 1, "bad.brl:2:3");
// observe(normal(x, 1), 0.5) (site 2); returns x.
class FactorModel final : public rt::Model {
 public:
  explicit FactorModel(double (*w)(double)) : w_(w) {}
  rt::Step start(rt::Ctx& ctx) override {
    const double x = rt::to_real(ctx.handler->sample(ctx, normal(0.0, 1.0), 0));
    ctx.handler->factor(ctx, w_(x), 1);
    if (ctx.suspend_requested) return suspend(ctx, State{x, 1});
    return run(ctx, State{x, 1});
  }
  rt::Step resume(rt::Ctx& ctx, rt::Cont* c, Word) override { return run(ctx, *static_cast<const State*>(c)); }
  std::string site_location(rt::SiteId id) const override { return "bad.brl:" + std::to_string(id + 1) + ":3"; }

 private:
  struct State {
    double x;
    int64_t stage;  // 1: after the factor, 2: after the observe
  };
  rt::Step run(rt::Ctx& ctx, State s) {
    if (s.stage == 1) {
      ctx.handler->observe(ctx, normal(s.x, 1.0), rt::from_real(0.5), 2);
      if (ctx.suspend_requested) return suspend(ctx, State{s.x, 2});
    }
    return done(rt::from_real(s.x));
  }
  double (*w_)(double);
};

}  // namespace borel::test
