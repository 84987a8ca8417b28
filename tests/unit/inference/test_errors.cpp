// test_errors.cpp — failures of the user's model reach the user as
// rt::RuntimeError naming the method and the source site.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "TestModels.h"
#include "inference/Infer.h"

using namespace borel;
using namespace borel::inference;
using namespace borel::test;

namespace {

rt::RuntimeError run_and_catch(const char* method, rt::Model& model, int threads = 1) {
  Method m;
  m.name = method;
  m.particles = 100;
  try {
    infer(m, model, kReal, 1, threads);
  } catch (const rt::RuntimeError& e) {
    return e;
  }
  FAIL("no RuntimeError raised by " << method);
  return {};
}

double impossible(double) { return -std::numeric_limits<double>::infinity(); }
double not_a_number(double x) { return x > 1e300 ? 0.0 : std::nan(""); }
double plus_infinity(double) { return std::numeric_limits<double>::infinity(); }
double sometimes_impossible(double x) { return x > 0 ? 0.0 : -std::numeric_limits<double>::infinity(); }

}  // namespace

TEST_CASE("every particle with zero weight names the factor's site") {
  FactorModel model(impossible);
  for (const char* method : {"smc", "importance"}) {
    const auto e = run_and_catch(method, model);
    CHECK(e.where == "bad.brl:2:3");
    CHECK(e.message.find(std::string(method) + ": every one of the 100 particles has zero weight") == 0);
  }
  const auto e = run_and_catch("smc", model, 2);
  CHECK(e.where == "bad.brl:2:3");
}

TEST_CASE("NaN and +inf weights name the site and the method") {
  FactorModel nan_model(not_a_number);
  for (const char* method : {"smc", "importance"}) {
    const auto e = run_and_catch(method, nan_model);
    CHECK(e.where == "bad.brl:2:3");
    CHECK(e.message == std::string(method) + ": the factor's log-weight is NaN");
  }
  FactorModel inf_model(plus_infinity);
  const auto e = run_and_catch("smc", inf_model, 2);
  CHECK(e.where == "bad.brl:2:3");
  CHECK(e.message.find("+infinity") != std::string::npos);
}

TEST_CASE("a NaN log-density at an observe names the observe") {
  // lgssm observing NaN data: the test-local normal's log-density is NaN.
  LgssmModel model({0.5, std::nan(""), 1.0});
  const auto e = run_and_catch("smc", model);
  CHECK(e.where == "lgssm.brl:4:3");
  CHECK(e.message == "smc: the log-density of the observed value is NaN");
}

TEST_CASE("some zero weights are fine; forward sampling ignores factors") {
  FactorModel model(sometimes_impossible);
  Method m;
  m.particles = 1000;
  rt::Dist* d = infer(m, model, kReal, 3, 1);
  CHECK(d->ops->mean(*d) > 0);
  m.name = "prior";
  FactorModel bad(impossible);
  CHECK_NOTHROW(infer(m, bad, kReal, 3, 1));
}

TEST_CASE("invalid settings") {
  FactorModel model(sometimes_impossible);
  Method m;
  m.particles = 0;
  CHECK_THROWS_AS(infer(m, model, kReal, 1, 1), rt::RuntimeError);
  m.particles = 10;
  m.name = "mcmc-please";
  try {
    infer(m, model, kReal, 1, 1);
    FAIL("no error");
  } catch (const rt::RuntimeError& e) {
    CHECK(e.message.find("unknown method 'mcmc-please'") != std::string::npos);
  }
  m.name = "smc";
  m.ess_threshold = std::nan("");
  CHECK_THROWS_AS(infer(m, model, kReal, 1, 1), rt::RuntimeError);
}
