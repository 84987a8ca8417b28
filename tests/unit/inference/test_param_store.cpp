// test_param_store.cpp — ParamStore::param_at, the site-remembering read of
// a guide's parameters (inference/ParamStore.h): the name decides which
// parameter a read gets, whatever the site read last, and the errors are
// those of param.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "inference/ParamStore.h"
#include "runtime/Model.h"
#include "runtime/Tape.h"

using namespace borel;
using borel::inference::ParamStore;

TEST_CASE("param store: a site whose name varies reads each name's parameter") {
  ParamStore s;
  s.begin_evaluation(nullptr);
  // One site (7) reads "w0", "w1", "w2" in turn, as a loop building names does.
  const char* names[] = {"w0", "w1", "w2"};
  for (int k = 0; k < 3; ++k)
    CHECK(rt::to_real(s.param_at(7, names[k], 10.0 + k, rt::ParamConstraint::Real)) == 10.0 + k);
  REQUIRE(s.params().size() == 3);
  s.params()[0].u = 1.5;
  s.params()[2].u = -2.5;
  // The site last read "w2"; reading "w0" there again gets w0, not w2.
  CHECK(rt::to_real(s.param_at(7, "w0", 0.0, rt::ParamConstraint::Real)) == 1.5);
  CHECK(rt::to_real(s.param_at(7, "w2", 0.0, rt::ParamConstraint::Real)) == -2.5);
  CHECK(rt::to_real(s.param_at(7, "w2", 0.0, rt::ParamConstraint::Real)) == -2.5);
  // Another site naming an existing parameter shares it; a name of another
  // length with a common prefix is another parameter.
  CHECK(rt::to_real(s.param_at(8, "w0", 0.0, rt::ParamConstraint::Real)) == 1.5);
  CHECK(rt::to_real(s.param_at(7, "w", 4.0, rt::ParamConstraint::Real)) == 4.0);
  CHECK(s.params().size() == 4);
  // A site beyond the remembered range, or none (-1), reads by name.
  CHECK(rt::to_real(s.param_at(int64_t{1} << 40, "w2", 0.0, rt::ParamConstraint::Real)) == -2.5);
  CHECK(rt::to_real(s.param_at(-1, "w0", 0.0, rt::ParamConstraint::Real)) == 1.5);
}

TEST_CASE("param store: param_at's values are param's, constrained and on the tape") {
  ParamStore s;
  rt::ad::Tape tape;
  rt::ad::TapeScope scope(&tape);
  s.begin_evaluation(&tape);
  const rt::Word a = s.param_at(3, "sd", 2.0, rt::ParamConstraint::Positive);
  CHECK(rt::ad::is_var(a));
  CHECK(rt::ad::value(a) == doctest::Approx(2.0).epsilon(1e-15));
  // The second read of the same parameter in one evaluation is the same leaf's transform.
  const rt::Word b = s.param_at(3, "sd", 2.0, rt::ParamConstraint::Positive);
  tape.backward(rt::ad::add(a, b));
  std::vector<double> g;
  s.gradient(g);
  REQUIRE(g.size() == 1);
  // d(2 e^u)/du at u = log 2.
  CHECK(g[0] == doctest::Approx(4.0).epsilon(1e-15));
}

TEST_CASE("param store: param_at's errors are param's") {
  ParamStore s;
  s.begin_evaluation(nullptr);
  CHECK_THROWS_AS(s.param_at(1, "p", -1.0, rt::ParamConstraint::Positive), rt::RuntimeError);
  s.param_at(1, "p", 0.5, rt::ParamConstraint::Unit);
  // The remembered site, read with another builtin: the error names both.
  try {
    s.param_at(1, "p", 0.5, rt::ParamConstraint::Real);
    FAIL("no error for a parameter read by two builtins");
  } catch (const rt::RuntimeError& e) {
    CHECK(e.message == "param(\"p\"): the parameter was declared by param_unit before; one name, one constraint");
  }
}
