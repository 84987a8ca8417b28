// TwinGradient.h — a log density on R^n computed by running a compiled
// model's differentiating version (Model::start_twin) with a handler that
// gives its random choices values made from the coordinates q, with the
// gradient by one reverse sweep of the tape. The machinery shared by
// ModelGradient (every choice continuous, taken in order) and TraceGradient
// (a trace's continuous choices by address, its other choices held).
//
// A subclass decides, at each `sample`, what the choice's value is (choose)
// and, after a run that reached the end, whether that run is a point of the
// target at all (finish). The density of a run is
//   Σ_samples [log p(x) + log |∂x/∂q|] + Σ_observes log p(y) + Σ_factors w,
// accumulated on a tape.
//
// A run may be cut short (stop_after_ = s ≥ 0): it then ends right after
// its s-th observe/factor, as TraceHandler with suspend_at = s stops the
// program (resample-move's target at step s: Kernels.h), and its density
// has only the terms made up to there. Such a run counts every observe: it
// turns the twins' inline observe (rt::kInlineObserve, compiler/
// GradientAbi.cpp), which would add a term without the handler seeing it,
// off. A run that ends before its s-th observe/factor is whole.
//
// Guarantees:
//   * the same q gives the same answer, bit for bit, taped or not;
//   * a run that leaves the support (a zero density), a choice the subclass
//     refuses (choose returns false), or a run the subclass rejects after
//     the end (finish returns false) gives log density -infinity;
//   * invalid parameters met by a run (a scale that underflowed to 0 at an
//     extreme point) give -infinity too (a rejection, counted in
//     rejections(), the first reason kept), except while `discovering_`,
//     when they are an error; every other error of the program is raised
//     with its location.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inference/Contexts.h"
#include "inference/GradientTarget.h"
#include "inference/Trace.h"
#include "runtime/Dist.h"
#include "runtime/Model.h"
#include "runtime/Tape.h"

namespace borel::inference {

class TwinGradient : public GradientTarget {
 public:
  size_t dimension() const override { return dimension_; }
  double log_density_gradient(const double* q, double* grad) override;
  // The same log density, without the tape.
  double log_density(const double* q);
  // The program's result at q (the values are plain).
  rt::Word result(const double* q);

  // Runs stopped at invalid parameters (Handler::reject_invalid), and the first reason.
  int64_t rejections() const { return rejections_; }
  const std::string& first_rejection() const { return first_rejection_; }

 protected:
  // `addresses`: compute each choice's address (as TraceHandler does) for choose.
  TwinGradient(rt::Model& model, std::string method, bool addresses);
  ~TwinGradient() override;

  // The value of the `index`-th choice of this run (0-based), at `site` and
  // address `a` (only when constructed with `addresses`), drawn from `d`
  // (whose reals may be tape variables): a value made from coordinates_
  // (which hold q, as tape leaves in a taped run), adding its log-Jacobian
  // to `log_jacobian`. False: the point has density zero (the run stops).
  // Throws rt::RuntimeError for a choice that can never be differentiated.
  virtual bool choose(const rt::Dist& d, rt::SiteId site, const Address& a, size_t index,
                      rt::Word& x, rt::Word& log_jacobian) = 0;
  // After a run that was not stopped, which made `choices` choices: false
  // when it is no point of the target (density zero). May throw.
  virtual bool finish(size_t choices) = 0;

  // Runs the twin at q (nullptr: coordinates_ as they are, untaped); returns
  // log p(q) (-inf when it stopped) and, when result is non-null, the
  // program's value.
  double run(const double* q, bool taped, rt::Word* result);

  rt::Model& model_;
  std::string method_;
  size_t dimension_ = 0;
  // The coordinates of the current run (tape leaves or plain reals); a
  // subclass sizes it to dimension_.
  std::vector<rt::Word> coordinates_;
  // A run that finds the layout: invalid parameters are errors and a zero
  // density does not stop it.
  bool discovering_ = false;
  // Runs stop right after this many observes/factors (-1: run to the end;
  // see the top of the file). The program's result of a run stopped there
  // is 0.
  int64_t stop_after_ = -1;

 private:
  friend class TwinHandler;
  bool addresses_;
  rt::ad::Tape tape_;
  Contexts ctx_{1};
  int64_t rejections_ = 0;
  std::string first_rejection_;
};

}  // namespace borel::inference
