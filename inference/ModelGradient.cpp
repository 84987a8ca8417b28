// ModelGradient.cpp — see ModelGradient.h.
#include "inference/ModelGradient.h"

#include <cmath>
#include <limits>
#include <vector>

#include "inference/Errors.h"
#include "inference/Transforms.h"
#include "runtime/AdDist.h"
#include "runtime/Rng.h"

namespace borel::inference {

namespace ad = rt::ad;
using rt::Word;

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

const char* support_name(rt::Support s) {
  switch (s) {
    case rt::Support::Discrete: return "discrete";
    case rt::Support::Dependent: return "over components with different supports";
    default: return "continuous";
  }
}

// Makes `t` the thread's tape for one run, and puts the previous one back.
class TapeScope {
 public:
  explicit TapeScope(ad::Tape* t) : saved_(ad::current_tape()) { ad::set_current_tape(t); }
  ~TapeScope() { ad::set_current_tape(saved_); }
  TapeScope(const TapeScope&) = delete;
  TapeScope& operator=(const TapeScope&) = delete;

 private:
  ad::Tape* saved_;
};

}  // namespace

// The handler of a differentiating run: takes each choice's value from the
// coordinates, and sums the log density as a word on the tape.
class GradientHandler final : public rt::Handler {
 public:
  explicit GradientHandler(ModelGradient& g) : g_(g) { inline_effects = rt::kInlineObserve; }

  Word sample(rt::Ctx& ctx, const rt::Dist& d, rt::SiteId site) override {
    const rt::Support s = ad::support_of(d);
    if (s == rt::Support::Discrete || s == rt::Support::Dependent)
      throw method_error(g_.method_, std::string("a choice from ") + d.ops->name + " is " + support_name(s) +
                                         ": gradient-based inference needs every random choice to be continuous "
                                         "(use mh, smc or enumerate, or sum the discrete choice out with a mixture)");
    const size_t k = unconstrained_size(d, s);
    if (g_.discovering_) {
      g_.choices_.push_back({site, s, pos_, k});
      g_.coordinates_.resize(pos_ + k, rt::from_real(0.0));
    } else {
      check_layout(site, s, k);
    }
    Word log_jacobian = rt::from_real(0.0);
    const Word x = constrain(d, s, g_.coordinates_.data() + pos_, log_jacobian);
    pos_ += k;
    ++index_;
    add(ctx, ad::add(log_jacobian, ad::log_density(d, x)));
    return x;
  }

  void observe(rt::Ctx& ctx, const rt::Dist& d, Word v, rt::SiteId) override { add(ctx, ad::log_density(d, v)); }

  // A twin passes factor's word as the bits of a double (GradientAbi.cpp).
  void factor(rt::Ctx& ctx, double log_w, rt::SiteId) override { add(ctx, rt::from_real(log_w)); }

  bool reject_invalid(rt::Ctx&, rt::SiteId site, const std::string& why) override {
    if (g_.discovering_) return false;
    rejected_ = true;
    if (g_.rejections_++ == 0) {
      const std::string where = g_.model_.site_location(site);
      g_.first_rejection_ = where.empty() ? why : where + ": " + why;
    }
    return true;
  }

  // After the run: a run that went to the end used every coordinate.
  void finish(bool stopped) const {
    if (!stopped && !g_.discovering_ && index_ != g_.choices_.size())
      throw method_error(g_.method_, "the model made " + std::to_string(index_) + " random choices at this point but " +
                                         std::to_string(g_.choices_.size()) + " at the first one; " + kVaryingHint);
  }


  bool rejected() const { return rejected_; }

 private:
  static constexpr const char* kVaryingHint =
      "gradient-based inference needs the same continuous choices in every run (use mh or smc for models whose "
      "choices depend on the values of others)";

  void check_layout(rt::SiteId site, rt::Support s, size_t k) const {
    const auto& cs = g_.choices_;
    if (index_ < cs.size() && cs[index_].site == site && cs[index_].support == s && cs[index_].size == k) return;
    std::string msg = "this run's random choice number " + std::to_string(index_ + 1);
    if (index_ < cs.size())
      msg += " differs from the first run's (at " + g_.model_.site_location(cs[index_].site) + ")";
    else
      msg += " was not made in the first run";
    throw method_error(g_.method_, msg + "; " + kVaryingHint);
  }

  // The density's value is summed in ctx.log_weight and its variable terms
  // on the tape, as the twins' inline effects do (GradientAbi.cpp).
  void add(rt::Ctx& ctx, Word term) {
    ctx.log_weight += ad::value(term);
    if (ad::Tape* t = ad::current_tape()) t->add_term(term);
    // A zero density ends the run, except while discovering the choices.
    if (!g_.discovering_ && !(ctx.log_weight > kNegInf)) ctx.suspend_requested = true;
  }

  ModelGradient& g_;
  size_t pos_ = 0, index_ = 0;
  bool rejected_ = false;

};

ModelGradient::ModelGradient(rt::Model& model, std::string method) : model_(model), method_(std::move(method)) {
  discovering_ = true;
  try {
    run(nullptr, false, nullptr);
  } catch (...) {
    discovering_ = false;
    throw;
  }
  discovering_ = false;
  dimension_ = coordinates_.size();
}

double ModelGradient::run(const double* q, bool taped, Word* result) {
  rt::Rng rng;  // a twin draws nothing itself: every sample is the handler's
  GradientHandler h(*this);
  rt::Ctx& ctx = ctx_[0];
  ctx.handler = &h;
  ctx.rng = &rng;
  ctx.log_weight = 0;
  ctx.suspend_requested = false;
  TapeScope scope(taped ? &tape_ : nullptr);
  if (taped) tape_.clear();
  if (!discovering_)
    for (size_t i = 0; i < dimension_; ++i) coordinates_[i] = taped ? tape_.leaf(q[i]) : rt::from_real(q[i]);
  rt::Step step;
  bool stopped = false;
  try {
    step = model_.start_twin(ctx);
    // start_twin clears suspend_requested: a stop is a density of zero or a rejection.
    stopped = !(ctx.log_weight > kNegInf) || h.rejected();
  } catch (...) {
    ctx.handler = nullptr;
    throw;
  }
  ctx.handler = nullptr;
  ctx.suspend_requested = false;
  h.finish(stopped);
  if (result) *result = step.value;
  if (stopped) return kNegInf;
  if (taped) tape_.backward(tape_.sum_terms(ctx.log_weight));
  return ctx.log_weight;
}

double ModelGradient::log_density_gradient(const double* q, double* grad) {
  const double lp = run(q, true, nullptr);
  if (lp > kNegInf)
    for (size_t i = 0; i < dimension_; ++i) grad[i] = tape_.adjoint(coordinates_[i]);
  return lp;
}

double ModelGradient::log_density(const double* q) { return run(q, false, nullptr); }

Word ModelGradient::result(const double* q) {
  Word v = 0;
  run(q, false, &v);
  return v;
}

std::string ModelGradient::coordinate_name(size_t i) const {
  for (const Choice& c : choices_)
    if (i >= c.offset && i < c.offset + c.size) {
      std::string name = model_.site_location(c.site);
      if (c.support == rt::Support::Simplex || c.support == rt::Support::RealVector)
        name.append("[").append(std::to_string(i - c.offset)).append("]");
      return name;
    }
  return "q[" + std::to_string(i) + "]";
}

}  // namespace borel::inference
