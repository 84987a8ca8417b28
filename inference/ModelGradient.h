// ModelGradient.h — a compiled model's log joint density over its continuous
// random choices, mapped to R^n (Transforms.h), with its gradient by
// reverse-mode AD: the GradientTarget that NUTS and ADVI run on.
//
// A point q of R^n is a run of the model's differentiating version
// (Model::start_twin) in which the i-th `sample` takes the next coordinates
// of q, constrained to its support; the density is
//   Σ_samples [log p(x) + log |∂x/∂q|] + Σ_observes log p(y) + Σ_factors w,
// accumulated on a tape and differentiated in one reverse sweep.
//
// Guarantees:
//   * every continuous choice is differentiated through everything that
//     depends on it, including the bounds of later supports (a uniform(0, x)
//     after x): dependent supports are handled by construction;
//   * a model whose choices are not all continuous, or whose sequence of
//     choices changes with their values, is refused with an error naming the
//     site — never sampled wrongly;
//   * a run that leaves the support (a zero density) or meets invalid
//     parameters (a scale that underflowed to 0 at an extreme point) gives
//     log density -infinity, as in Stan (a rejection, counted in
//     rejections(), the first reason kept) — except in the first run (at
//     q = 0), where they are an error; every other error of the program is
//     raised with its location.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inference/TwinGradient.h"
#include "runtime/Dist.h"
#include "runtime/Model.h"

namespace borel::inference {

class ModelGradient final : public TwinGradient {
 public:
  // One continuous random choice: its site, support and coordinates q[offset, offset + size).
  struct Choice {
    rt::SiteId site;
    rt::Support support;
    size_t offset, size;
  };

  // Finds the model's continuous choices by a run at q = 0. `method` names
  // the algorithm in messages. Throws rt::RuntimeError for a discrete choice.
  ModelGradient(rt::Model& model, std::string method);

  const std::vector<Choice>& choices() const { return choices_; }
  // "model.brl:3:11" or "model.brl:3:11[2]" for the coordinates of a vector choice.
  std::string coordinate_name(size_t i) const;

 private:
  bool choose(const rt::Dist& d, rt::SiteId site, const Address& a, size_t index, rt::Word& x,
              rt::Word& log_jacobian) override;
  bool finish(size_t choices) override;
  void check_layout(size_t index, rt::SiteId site, rt::Support s, size_t k) const;

  std::vector<Choice> choices_;
};

}  // namespace borel::inference
