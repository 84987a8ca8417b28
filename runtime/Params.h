// Params.h — the variational parameters a guide reads with `param(name,
// init)` (programmable variational inference, inference/Vi.h).
//
// A parameter is a named real that an optimiser moves. The program does
// not own it: whoever runs the guide installs a ParamSource for the thread
// (ParamScope), which answers each `param` call — the VI engine with tape
// variables while it fits, a fitted guide (inference/FittedGuide.h) with its
// fitted values when it is sampled. With no source installed, `param`
// returns its initial value, so a guide is also an ordinary program.
//
// Constrained parameters are optimised unconstrained: positive ones as
// u = log x, unit-interval ones as u = logit x. `constrain` maps u to x with
// tape operations, so gradients flow through the transform.
//
// Guarantees: `check_init` rejects an initial value outside the
// constraint's support (infinite, NaN, <= 0 for positive, outside (0, 1)
// for unit) with a message naming the parameter; a source is per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/Value.h"

namespace borel::rt {

enum class ParamConstraint { Real, Positive, Unit };

// "param", "param_positive", "param_unit": the builtin that reads one.
const char* param_builtin(ParamConstraint c);

// Throws rt::RuntimeError (no location) when `init` is not a valid value.
void check_init(const std::string& name, double init, ParamConstraint c);
// The unconstrained coordinate of a valid constrained value, and back
// (tape-aware: u may be a tape variable).
double unconstrain(double x, ParamConstraint c);
Word constrain(Word u, ParamConstraint c);

class ParamSource {
 public:
  virtual ~ParamSource() = default;
  // The value of parameter `name` (constrained), creating it from `init` if
  // it is new. May be a tape variable. Throws rt::RuntimeError (no
  // location) when `name` was declared before with another constraint.
  virtual Word param(const std::string& name, double init, ParamConstraint c) = 0;
  // The same, asked by the `param` call at program site `site`: a source may
  // remember which parameter a site named last (a guide reads the same
  // parameters at every run), but the name decides, so a site whose name
  // varies (a name built in a loop) reads the right one.
  virtual Word param_at(int64_t site, std::string_view name, double init, ParamConstraint c) {
    (void)site;
    return param(std::string(name), init, c);
  }
};

ParamSource* current_param_source();

// Installs a source for the thread for its lifetime, and puts the previous one back.
class ParamScope {
 public:
  explicit ParamScope(ParamSource* s);
  ~ParamScope();
  ParamScope(const ParamScope&) = delete;
  ParamScope& operator=(const ParamScope&) = delete;

 private:
  ParamSource* saved_;
};

}  // namespace borel::rt
