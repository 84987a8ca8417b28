// ModelGradient.cpp — see ModelGradient.h.
#include "inference/ModelGradient.h"

#include "inference/Errors.h"
#include "inference/Transforms.h"
#include "runtime/AdDist.h"

namespace borel::inference {

namespace {

const char* support_name(rt::Support s) {
  switch (s) {
    case rt::Support::Discrete: return "discrete";
    case rt::Support::Dependent: return "over components with different supports";
    default: return "continuous";
  }
}

constexpr const char* kVaryingHint =
    "gradient-based inference needs the same continuous choices in every run (use mh or smc for models whose "
    "choices depend on the values of others)";

}  // namespace

ModelGradient::ModelGradient(rt::Model& model, std::string method)
    : TwinGradient(model, std::move(method), false) {
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

// The i-th choice takes the next coordinates; the first run records the layout.
bool ModelGradient::choose(const rt::Dist& d, rt::SiteId site, const Address&, size_t index, rt::Word& x,
                           rt::Word& log_jacobian) {
  const rt::Support s = rt::ad::support_of(d);
  if (s == rt::Support::Dependent && d.ops->support_kind == rt::Support::Ordered)
    throw method_error(method_, std::string("a choice from ordered over ") +
                                    rt::to_ptr<const rt::Dist>(d.a[0])->ops->name +
                                    ", a base bounded above: the ordered transform of gradient-based inference "
                                    "covers bases on the reals or on (0, inf) only (use mh or smc, or "
                                    "mh(kernel = \"nuts+single\"), which moves this choice by single-site MH)");
  if (s == rt::Support::Discrete || s == rt::Support::Dependent)
    throw method_error(method_, std::string("a choice from ") + d.ops->name + " is " + support_name(s) +
                                    ": gradient-based inference needs every random choice to be continuous "
                                    "(use mh, smc or enumerate, or sum the discrete choice out with a mixture; "
                                    "mh(kernel = \"nuts+single\") moves the continuous choices by NUTS and the "
                                    "others by single-site MH)");
  const size_t k = unconstrained_size(d, s);
  size_t offset;
  if (discovering_) {
    offset = coordinates_.size();
    choices_.push_back({site, s, offset, k});
    coordinates_.resize(offset + k, rt::from_real(0.0));
  } else {
    check_layout(index, site, s, k);
    offset = choices_[index].offset;
  }
  x = constrain(d, s, coordinates_.data() + offset, log_jacobian);
  return true;
}

// A run that went to the end used every coordinate.
bool ModelGradient::finish(size_t choices) {
  if (!discovering_ && choices < choices_.size()) {
    // Located at the first choice this run left out.
    rt::RuntimeError e = method_error(method_, "this run made " + std::to_string(choices) + " of the first run's " +
                                                   std::to_string(choices_.size()) +
                                                   " random choices, not this one; " + kVaryingHint);
    e.where = model_.site_location(choices_[choices].site);
    throw e;
  }
  return true;
}

void ModelGradient::check_layout(size_t index, rt::SiteId site, rt::Support s, size_t k) const {
  const auto& cs = choices_;
  if (index < cs.size() && cs[index].site == site && cs[index].support == s && cs[index].size == k) return;
  std::string msg = "this run's random choice number " + std::to_string(index + 1);
  if (index < cs.size())
    msg += " differs from the first run's (at " + model_.site_location(cs[index].site) + ")";
  else
    msg += " was not made in the first run";
  throw method_error(method_, msg + "; " + kVaryingHint);
}

std::string ModelGradient::coordinate_name(size_t i) const {
  for (const Choice& c : choices_)
    if (i >= c.offset && i < c.offset + c.size) {
      std::string name = model_.site_location(c.site);
      const size_t t = i - c.offset;
      if (c.support == rt::Support::CholeskyCorr) {
        // The free entries below the diagonal, row by row: [1][0], [2][0], [2][1], ...
        size_t row = 1;
        while (t >= row * (row + 1) / 2) ++row;
        name.append("[").append(std::to_string(row)).append("][");
        name.append(std::to_string(t - row * (row - 1) / 2)).append("]");
      } else if (c.support != rt::Support::Real && c.support != rt::Support::Positive &&
                 c.support != rt::Support::UnitInterval && c.support != rt::Support::Interval) {
        name.append("[").append(std::to_string(t)).append("]");
      }
      return name;
    }
  return "q[" + std::to_string(i) + "]";
}

}  // namespace borel::inference
