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
//   * a run that leaves the support (a zero density) or meets non-finite
//     parameters, or invalid ones computed from the choices (a scale that
//     underflowed to 0), at an extreme point gives log density -infinity (a
//     rejection, counted in rejections()); every other error of the program
//     is raised with its location.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inference/Contexts.h"
#include "inference/GradientTarget.h"
#include "runtime/Dist.h"
#include "runtime/Model.h"
#include "runtime/Tape.h"

namespace borel::inference {

class ModelGradient final : public GradientTarget {
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

  size_t dimension() const override { return dimension_; }
  double log_density_gradient(const double* q, double* grad) override;
  // The same log density, without the tape.
  double log_density(const double* q);
  // The program's result at q (the values are plain).
  rt::Word result(const double* q);

  const std::vector<Choice>& choices() const { return choices_; }
  // "model.brl:3:11" or "model.brl:3:11[2]" for the coordinates of a vector choice.
  std::string coordinate_name(size_t i) const;
  // Runs stopped at non-finite or invalid parameters (Handler::reject_nonfinite), and the first reason.
  int64_t rejections() const { return rejections_; }
  const std::string& first_rejection() const { return first_rejection_; }

 private:
  friend class GradientHandler;
  // Runs the twin at q; returns log p(q) (-inf when it stopped) and, when
  // result is non-null, the program's value.
  double run(const double* q, bool taped, rt::Word* result);

  rt::Model& model_;
  std::string method_;
  std::vector<Choice> choices_;
  size_t dimension_ = 0;
  bool discovering_ = false;
  rt::ad::Tape tape_;
  std::vector<rt::Word> coordinates_;
  Contexts ctx_{1};
  int64_t rejections_ = 0;
  std::string first_rejection_;
};

}  // namespace borel::inference
