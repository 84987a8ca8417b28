// Params.cpp — see Params.h.
#include "runtime/Params.h"

#include <cmath>

#include "runtime/Model.h"
#include "runtime/Tape.h"

namespace borel::rt {

namespace {
thread_local ParamSource* tls_source = nullptr;
}

const char* param_builtin(ParamConstraint c) {
  switch (c) {
    case ParamConstraint::Real: return "param";
    case ParamConstraint::Positive: return "param_positive";
    case ParamConstraint::Unit: return "param_unit";
  }
  return "param";
}

void check_init(const std::string& name, double init, ParamConstraint c) {
  const char* must = nullptr;
  if (!std::isfinite(init)) must = "finite";
  else if (c == ParamConstraint::Positive && !(init > 0)) must = "positive";
  else if (c == ParamConstraint::Unit && !(init > 0 && init < 1)) must = "in (0, 1)";
  if (!must) return;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", init);
  throw RuntimeError{"", std::string(param_builtin(c)) + "(\"" + name + "\"): the initial value is " + buf +
                             ", but must be " + must};
}

double unconstrain(double x, ParamConstraint c) {
  switch (c) {
    case ParamConstraint::Real: return x;
    case ParamConstraint::Positive: return std::log(x);
    case ParamConstraint::Unit: return std::log(x) - std::log1p(-x);
  }
  return x;
}

Word constrain(Word u, ParamConstraint c) {
  switch (c) {
    case ParamConstraint::Real: return u;
    case ParamConstraint::Positive: return ad::exp(u);
    case ParamConstraint::Unit: return ad::sigmoid(u);
  }
  return u;
}

ParamSource* current_param_source() { return tls_source; }

ParamScope::ParamScope(ParamSource* s) : saved_(tls_source) { tls_source = s; }
ParamScope::~ParamScope() { tls_source = saved_; }

}  // namespace borel::rt
