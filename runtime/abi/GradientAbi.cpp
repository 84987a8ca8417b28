// GradientAbi.cpp — the rt_ad_* functions the differentiating twins of a
// program call (Codegen.cpp; runtime/Tape.h explains the twins).
//
// Real operations record on the running thread's tape; effects hand the
// handler a Dist whose parameters may be tape variables (runtime/AdDist.h),
// after checking the parameters' values exactly as rt_sample/rt_observe do,
// so a twin reports the same errors at the same sites as the program. A
// twin never suspends: a handler asking to stop (a zero density) ends the
// run (abi::StopRun).
#include <cmath>
#include <string>

#include "runtime/abi/RuntimeAbi.h"
#include "runtime/AdDist.h"
#include "runtime/Dist.h"
#include "runtime/Tape.h"
#include "stdlib/distributions/Distributions.h"
#include "stdlib/distributions/Kernels.h"

using borel::rt::Ctx;
using borel::rt::Word;
namespace rt = borel::rt;
namespace ad = borel::rt::ad;
namespace abi = borel::abi;

extern "C" {
Word rt_real_to_int(Ctx*, int64_t site, Word x);
Word rt_print(Ctx*, int64_t site, Word v, Word type);
Word rt_to_string(Ctx*, int64_t site, Word v, Word type);
Word rt_format_real(Ctx*, int64_t site, Word x, Word digits);
}

namespace {

rt::Dist make_ad_dist(const rt::DistOps* ops, Word p0, Word p1, Word p2, Word p3, Word a0, Word a1) {
  rt::Dist d{};
  d.ops = ops;
  d.p[0] = rt::to_real(p0);
  d.p[1] = rt::to_real(p1);
  d.p[2] = rt::to_real(p2);
  d.p[3] = rt::to_real(p3);
  d.a[0] = a0;
  d.a[1] = a1;
  return d;
}

// The family's parameter check on the parameters' values. Invalid
// parameters may stop the run as a zero density, if the handler says so.
void check(Ctx* ctx, const rt::Dist& d, int64_t site) {
  thread_local std::string why;
  if (d.ops->check(ad::plain(d), why)) return;
  if (ctx->handler->reject_invalid(*ctx, site, why)) throw abi::StopRun{};
  abi::fail(site, why);
}

const rt::Dist& dist_of(Word w, int64_t site) {
  if (!w) abi::fail(site, "distribution is missing");
  return *rt::to_ptr<const rt::Dist>(w);
}

// Runs a handler method; its errors are located at `site`.
template <class F>
Word handled(Ctx* ctx, int64_t site, F f) {
  Word v = 0;
  try {
    v = f();
  } catch (const rt::RuntimeError& e) {
    ctx->address = -1;
    abi::fail_with(site, e);
  } catch (const std::exception& e) {
    ctx->address = -1;
    abi::fail(site, e.what());
  }
  ctx->address = -1;
  if (ctx->suspend_requested) throw abi::StopRun{};
  return v;
}

Word sample(Ctx* ctx, const rt::Dist& d, int64_t site, int64_t address) {
  ctx->address = address;
  return handled(ctx, site, [&] { return ctx->handler->sample(*ctx, d, site); });
}
Word observe(Ctx* ctx, const rt::Dist& d, Word value, int64_t site) {
  return handled(ctx, site, [&] {
    ctx->handler->observe(*ctx, d, value, site);
    return Word{0};
  });
}

const rt::Array* array(Word a) { return rt::to_ptr<const rt::Array>(a); }

}  // namespace

extern "C" {

double rt_ad_value(Word w) { return ad::value(w); }
Word rt_ad_add(Word a, Word b) { return ad::add(a, b); }
Word rt_ad_sub(Word a, Word b) { return ad::sub(a, b); }
Word rt_ad_mul(Word a, Word b) { return ad::mul(a, b); }
Word rt_ad_div(Word a, Word b) { return ad::div(a, b); }
Word rt_ad_neg(Word a) { return ad::neg(a); }
Word rt_ad_fmod(Word a, Word b) { return ad::fmod(a, b); }
Word rt_ad_pow(Word a, Word b) { return ad::pow(a, b); }
Word rt_ad_exp(Word a) { return ad::exp(a); }
Word rt_ad_log(Word a) { return ad::log(a); }
Word rt_ad_log1p(Word a) { return ad::log1p(a); }
Word rt_ad_expm1(Word a) { return ad::expm1(a); }
Word rt_ad_sqrt(Word a) { return ad::sqrt(a); }
Word rt_ad_sin(Word a) { return ad::sin(a); }
Word rt_ad_cos(Word a) { return ad::cos(a); }
Word rt_ad_tan(Word a) { return ad::tan(a); }
Word rt_ad_atan(Word a) { return ad::atan(a); }
Word rt_ad_tanh(Word a) { return ad::tanh(a); }
Word rt_ad_lgamma(Word a) { return ad::lgamma(a); }
Word rt_ad_digamma(Word a) { return ad::digamma(a); }
Word rt_ad_sigmoid(Word a) { return ad::sigmoid(a); }
Word rt_ad_logit(Word a) { return ad::logit(a); }
Word rt_ad_atan2(Word y, Word x) { return ad::atan2(y, x); }
Word rt_ad_abs(Word a) { return ad::abs(a); }
Word rt_ad_min(Word a, Word b) { return ad::min(a, b); }
Word rt_ad_max(Word a, Word b) { return ad::max(a, b); }

// A closure called from a twin runs the callee's twin.
void* rt_ad_twin(Ctx*, Word closure, int64_t site) {
  const auto* c = rt::to_ptr<const rt::Closure>(closure);
  if (!c->twin) abi::fail(site, "internal error: a function without a differentiating version was called");
  return c->twin;
}

Word rt_ad_sample_unboxed(Ctx* ctx, const rt::DistOps* ops, int64_t site, Word p0, Word p1, Word p2, Word p3, Word a0,
                          Word a1, int64_t address) {
  const rt::Dist d = make_ad_dist(ops, p0, p1, p2, p3, a0, a1);
  check(ctx, d, site);
  return sample(ctx, d, site, address);
}

Word rt_ad_observe_unboxed(Ctx* ctx, const rt::DistOps* ops, int64_t site, Word p0, Word p1, Word p2, Word p3,
                           Word a0, Word a1, Word value) {
  const rt::Dist d = make_ad_dist(ops, p0, p1, p2, p3, a0, a1);
  check(ctx, d, site);
  return observe(ctx, d, value, site);
}

Word rt_ad_sample(Ctx* ctx, Word dist, int64_t site, int64_t address) {
  return sample(ctx, dist_of(dist, site), site, address);
}

// observe(normal(mu, sigma), x) done here when the handler allows it (as the
// plain program's inline observe does): the log-density with the formula of
// stdlib/distributions/Kernels.h and its three partials in one tape node;
// anything unusual takes the general path, where the handler sees it.
Word rt_ad_observe_normal(Ctx* ctx, int64_t site, Word mu, Word sigma, Word x) {
  if (ctx->handler->inline_effects & rt::kInlineObserve) {
    const double m = ad::value(mu), s = ad::value(sigma), xv = ad::value(x);
    if (std::isfinite(m) && s > 0 && std::isfinite(s) && std::isfinite(xv)) {
      const double z = (xv - m) / s;
      const double lw = -0.5 * z * z - borel::dist::normal_log_sigma.log(s) - borel::dist::kHalfLog2Pi;
      if (std::isfinite(lw)) {
        ctx->log_weight += lw;
        if (ad::Tape* t = ad::current_tape()) t->add_term(t->record(lw, {{mu, z / s}, {sigma, (z * z - 1) / s}, {x, -z / s}}));
        return 0;
      }
    }
  }
  return rt_ad_observe_unboxed(ctx, &borel::dist::normal_ops, site, mu, sigma, 0, 0, 0, 0, x);
}

// observe(normal(a + b * c, sigma), x) where the mean's temporaries serve
// this observe alone (compiler/passes/AffineObserves.h): one tape node, its
// partials with respect to a, b and c the chain rule's products formed as
// the sweep would form them through the nodes b·c and a + · (so the
// adjoints are the same bits when this node's adjoint is 1, and agree to
// rounding otherwise), its edges in the order the sweep would reach them
// (sigma, x, then a, then b and c). The mean's value is the plain
// program's, a + (b * c). Anything unusual records the two nodes and takes
// rt_ad_observe_normal's path, as the unfused twin would.
Word rt_ad_observe_normal_affine(Ctx* ctx, int64_t site, Word a, Word b, Word c, Word sigma, Word x) {
  ad::Tape* const t = ad::current_tape();  // (read once: a variable implies a tape)
  const auto value = [t](Word w) { return ad::is_var(w) ? t->value(w) : rt::to_real(w); };
  const double va = value(a), vb = value(b), vc = value(c);
  if (ctx->handler->inline_effects & rt::kInlineObserve) {
    const double m = va + vb * vc, s = value(sigma), xv = value(x);
    if (std::isfinite(m) && s > 0 && std::isfinite(s) && std::isfinite(xv)) {
      const double z = (xv - m) / s;
      const double lw = -0.5 * z * z - borel::dist::normal_log_sigma.log(s) - borel::dist::kHalfLog2Pi;
      if (std::isfinite(lw)) {
        ctx->log_weight += lw;
        if (t) {
          const double dm = z / s;
          t->add_term(t->record(lw, {{sigma, (z * z - 1) / s}, {x, -z / s}, {a, dm}, {b, dm * vc}, {c, dm * vb}}));
        }
        return 0;
      }
    }
  }
  // The unfused twin's nodes: b * c (none for the identity c = 1), then a + · (none for a = -0).
  const Word bc = c == rt::from_real(1.0) ? b : ad::mul(b, c);
  const Word mean = a == rt::from_real(-0.0) ? bc : ad::add(a, bc);
  return rt_ad_observe_normal(ctx, site, mean, sigma, x);
}

Word rt_ad_observe(Ctx* ctx, Word dist, Word value, int64_t site) {
  return observe(ctx, dist_of(dist, site), value, site);
}

Word rt_ad_factor(Ctx* ctx, Word w, int64_t site) {
  if (std::isnan(ad::value(w))) abi::fail(site, "factor: the log-weight is NaN");
  return handled(ctx, site, [&] {
    ctx->handler->factor(*ctx, rt::to_real(w), site);
    return Word{0};
  });
}

Word rt_ad_dist_new(Ctx* ctx, const rt::DistOps* ops, int64_t site, Word p0, Word p1, Word p2, Word p3, Word a0, Word a1) {
  const rt::Dist d = make_ad_dist(ops, p0, p1, p2, p3, a0, a1);
  check(ctx, d, site);
  return rt::from_ptr(rt::dist_box(d));
}

// sum, logsumexp, softmax: one tape node per result, its partials exact.
Word rt_ad_sum_real(Ctx*, int64_t, Word a) {
  const rt::Array* x = array(a);
  thread_local std::vector<double> ones;
  double s = 0;
  for (int64_t i = 0; i < x->len; ++i) s += ad::value(x->data[i]);
  ones.assign(static_cast<size_t>(x->len), 1.0);
  if (!ad::current_tape()) return rt::from_real(s);
  return ad::current_tape()->record(s, x->data, ones.data(), static_cast<size_t>(x->len));
}

Word rt_ad_logsumexp(Ctx*, int64_t, Word a) {
  const rt::Array* x = array(a);
  double m = -INFINITY;
  for (int64_t i = 0; i < x->len; ++i) m = std::max(m, ad::value(x->data[i]));
  if (!std::isfinite(m)) return rt::from_real(m);
  double s = 0;
  for (int64_t i = 0; i < x->len; ++i) s += std::exp(ad::value(x->data[i]) - m);
  const double lse = m + std::log(s);
  thread_local std::vector<double> weights;
  weights.resize(static_cast<size_t>(x->len));
  for (int64_t i = 0; i < x->len; ++i) weights[static_cast<size_t>(i)] = std::exp(ad::value(x->data[i]) - lse);
  if (!ad::current_tape()) return rt::from_real(lse);
  return ad::current_tape()->record(lse, x->data, weights.data(), static_cast<size_t>(x->len));
}

Word rt_ad_softmax(Ctx* ctx, int64_t site, Word a) {
  const rt::Array* x = array(a);
  const Word lse = rt_ad_logsumexp(ctx, site, a);
  rt::Array* r = rt::array_new_atomic(x->len);
  for (int64_t i = 0; i < x->len; ++i) r->data[i] = ad::exp(ad::sub(x->data[i], lse));
  return rt::from_ptr(r);
}

Word rt_ad_real_to_int(Ctx* ctx, int64_t site, Word x) { return rt_real_to_int(ctx, site, rt::from_real(ad::value(x))); }

Word rt_ad_print(Ctx* ctx, int64_t site, Word v, Word type) {
  return rt_print(ctx, site, ad::plain_value(v, *rt::to_ptr<const rt::TypeDesc>(type)), type);
}
Word rt_ad_to_string(Ctx* ctx, int64_t site, Word v, Word type) {
  return rt_to_string(ctx, site, ad::plain_value(v, *rt::to_ptr<const rt::TypeDesc>(type)), type);
}
Word rt_ad_format_real(Ctx* ctx, int64_t site, Word x, Word digits) {
  return rt_format_real(ctx, site, rt::from_real(ad::value(x)), digits);
}

Word rt_ad_log_density(Ctx*, int64_t site, Word d, Word v) {
  try {
    return ad::log_density(dist_of(d, site), v);
  } catch (const rt::RuntimeError& e) {
    abi::fail_with(site, e);
  }
}

Word rt_ad_infer(Ctx*, int64_t site, Word, Word, Word) {
  abi::fail(site, "infer inside a model run by gradient-based inference: nested inference is not differentiable");
}

}  // extern "C"

namespace borel::abi {

const std::map<std::string, void*>& gradient_symbols() {
#define SYM(name) {#name, reinterpret_cast<void*>(&name)}
  static const std::map<std::string, void*> table = {
      SYM(rt_ad_value),   SYM(rt_ad_add),      SYM(rt_ad_sub),          SYM(rt_ad_mul),
      SYM(rt_ad_div),     SYM(rt_ad_neg),      SYM(rt_ad_fmod),         SYM(rt_ad_pow),
      SYM(rt_ad_exp),     SYM(rt_ad_log),      SYM(rt_ad_log1p),        SYM(rt_ad_expm1),
      SYM(rt_ad_sqrt),    SYM(rt_ad_sin),      SYM(rt_ad_cos),          SYM(rt_ad_tan),
      SYM(rt_ad_atan),    SYM(rt_ad_tanh),     SYM(rt_ad_lgamma),       SYM(rt_ad_digamma),
      SYM(rt_ad_sigmoid), SYM(rt_ad_logit),    SYM(rt_ad_atan2),        SYM(rt_ad_abs),
      SYM(rt_ad_min),     SYM(rt_ad_max),      SYM(rt_ad_twin),         SYM(rt_ad_sample_unboxed),
      SYM(rt_ad_observe_unboxed), SYM(rt_ad_observe_normal), SYM(rt_ad_observe_normal_affine), SYM(rt_ad_sample), SYM(rt_ad_observe), SYM(rt_ad_factor),
      SYM(rt_ad_dist_new), SYM(rt_ad_sum_real), SYM(rt_ad_logsumexp), SYM(rt_ad_softmax),
      SYM(rt_ad_real_to_int), SYM(rt_ad_print), SYM(rt_ad_to_string), SYM(rt_ad_format_real),
      SYM(rt_ad_log_density), SYM(rt_ad_infer),
  };
#undef SYM
  return table;
}

}  // namespace borel::abi
