// TwinGradient.cpp — see TwinGradient.h.
#include "inference/TwinGradient.h"

#include <cmath>
#include <limits>

#include "runtime/AdDist.h"
#include "runtime/Rng.h"

namespace borel::inference {

namespace ad = rt::ad;
using rt::Word;

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

}  // namespace

// The handler of a differentiating run: asks the target for each choice's
// value, and sums the log density as a word on the tape.
class TwinHandler final : public rt::Handler {
 public:
  explicit TwinHandler(TwinGradient& g) : g_(g) {
    // A run cut after its s-th observe must see every observe to count it.
    inline_effects = g_.stop_after_ < 0 ? rt::kInlineObserve : 0;
    if (g_.addresses_) addresses_.reset();
  }

  Word sample(rt::Ctx& ctx, const rt::Dist& d, rt::SiteId site) override {
    const Address a = g_.addresses_ ? addresses_.next(ctx, site) : Address{};
    Word x = 0;
    Word log_jacobian = rt::from_real(0.0);
    if (!g_.choose(d, site, a, index_++, x, log_jacobian)) {
      zero(ctx);
      return 0;
    }
    add(ctx, ad::add(log_jacobian, ad::log_density(d, x)));
    return x;
  }

  void observe(rt::Ctx& ctx, const rt::Dist& d, Word v, rt::SiteId) override {
    add(ctx, ad::log_density(d, v));
    event(ctx);
  }

  // A twin passes factor's word as the bits of a double (GradientAbi.cpp).
  void factor(rt::Ctx& ctx, double log_w, rt::SiteId) override {
    add(ctx, rt::from_real(log_w));
    event(ctx);
  }

  bool reject_invalid(rt::Ctx&, rt::SiteId site, const std::string& why) override {
    if (g_.discovering_) return false;
    rejected_ = true;
    if (g_.rejections_++ == 0) {
      const std::string where = g_.model_.site_location(site);
      g_.first_rejection_ = where.empty() ? why : where + ": " + why;
    }
    return true;
  }

  size_t choices() const { return index_; }
  bool rejected() const { return rejected_; }

 private:
  // The density's value is summed in ctx.log_weight and its variable terms
  // on the tape, as the twins' inline effects do (GradientAbi.cpp).
  void add(rt::Ctx& ctx, Word term) {
    ctx.log_weight += ad::value(term);
    if (ad::Tape* t = ad::current_tape()) t->add_term(term);
    // A zero density ends the run, except while discovering the choices.
    if (!g_.discovering_ && !(ctx.log_weight > kNegInf)) ctx.suspend_requested = true;
  }

  // The run ends after its stop_after_-th observe/factor, with the density so
  // far (TraceHandler counts them in the same order: Trace.h).
  void event(rt::Ctx& ctx) {
    if (++events_ == g_.stop_after_) ctx.suspend_requested = true;
  }

  // A point outside the target: the run stops with density zero.
  void zero(rt::Ctx& ctx) {
    ctx.log_weight = kNegInf;
    ctx.suspend_requested = true;
  }

  TwinGradient& g_;
  AddressCounter addresses_;
  size_t index_ = 0;
  int64_t events_ = 0;
  bool rejected_ = false;
};

TwinGradient::TwinGradient(rt::Model& model, std::string method, bool addresses)
    : model_(model), method_(std::move(method)), addresses_(addresses) {}

TwinGradient::~TwinGradient() = default;

double TwinGradient::run(const double* q, bool taped, Word* result) {
  rt::Rng rng;  // a twin draws nothing itself: every sample is the handler's
  TwinHandler h(*this);
  rt::Ctx& ctx = ctx_[0];
  ctx.handler = &h;
  ctx.rng = &rng;
  ctx.log_weight = 0;
  ctx.suspend_requested = false;
  ad::TapeScope scope(taped ? &tape_ : nullptr);
  if (taped) tape_.clear();
  if (q)
    for (size_t i = 0; i < dimension_; ++i)
      coordinates_[i] = taped ? tape_.leaf(q[i]) : rt::from_real(q[i]);
  rt::Step step;
  bool stopped = false;
  try {
    step = model_.start_twin(ctx);
    // start_twin clears suspend_requested: a stop is a density of zero, a
    // rejection, or the end of a cut run (whose density is what it summed).
    stopped = !(ctx.log_weight > kNegInf) || h.rejected();
  } catch (...) {
    ctx.handler = nullptr;
    throw;
  }
  ctx.handler = nullptr;
  ctx.suspend_requested = false;
  if (!stopped && !finish(h.choices())) stopped = true;
  if (result) *result = step.value;
  if (stopped) return kNegInf;
  if (taped) tape_.backward_terms();
  return ctx.log_weight;
}

double TwinGradient::log_density_gradient(const double* q, double* grad) {
  const double lp = run(q, true, nullptr);
  if (lp > kNegInf)
    for (size_t i = 0; i < dimension_; ++i) grad[i] = tape_.adjoint(coordinates_[i]);
  return lp;
}

double TwinGradient::log_density(const double* q) { return run(q, false, nullptr); }

Word TwinGradient::result(const double* q) {
  Word v = 0;
  run(q, false, &v);
  return v;
}

}  // namespace borel::inference
