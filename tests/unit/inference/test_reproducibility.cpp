// test_reproducibility.cpp — a run is a pure function of its seed, bitwise
// identical for any number of threads (DESIGN.md, decision 5).
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "TestModels.h"
#include "inference/Empirical.h"
#include "inference/Infer.h"

using namespace borel;
using namespace borel::inference;
using namespace borel::test;

namespace {

std::vector<double> synthetic_y(int T) {
  rt::Rng rng(99, 0);
  std::vector<double> y;
  double x = rng.normal();
  for (int t = 0; t < T; ++t) {
    if (t) x = 0.9 * x + rng.normal();
    y.push_back(x + 0.5 * rng.normal());
  }
  return y;
}

// The bits of every value and weight, and the evidence.
std::vector<int64_t> fingerprint(const rt::Dist& d) {
  const EmpiricalData* e = empirical_data(d);
  std::vector<int64_t> f;
  for (int64_t i = 0; i < e->particles; ++i) {
    f.push_back(e->values->data[i]);
    f.push_back(e->weights->data[i]);
  }
  f.push_back(rt::from_real(e->log_evidence));
  f.push_back(e->resamplings);
  return f;
}

}  // namespace

TEST_CASE("SMC and importance sampling give identical results on 1, 2 and 3 threads") {
  LgssmModel model(synthetic_y(50));
  for (const char* name : {"smc", "importance"}) {
    Method m;
    m.name = name;
    m.particles = 2001;  // not a multiple of the thread count
    m.resampling = "multinomial";
    const auto one = fingerprint(*infer(m, model, kReal, 11, 1));
    CHECK(one == fingerprint(*infer(m, model, kReal, 11, 2)));
    CHECK(one == fingerprint(*infer(m, model, kReal, 11, 3)));
    CHECK(one != fingerprint(*infer(m, model, kReal, 12, 2)));  // the seed matters
  }
}

TEST_CASE("a collection during a threaded run keeps every particle alive") {
  // Enough particles and steps that the collector runs many times while
  // continuations live only in the population and on worker stacks.
  LgssmModel model(synthetic_y(200));
  Method m;
  m.particles = 5000;
  m.ess_threshold = 1.0;
  const double a = log_evidence(*infer(m, model, kReal, 5, 2));
  const double b = log_evidence(*infer(m, model, kReal, 5, 1));
  CHECK(std::memcmp(&a, &b, sizeof a) == 0);
  CHECK(std::isfinite(a));
}
