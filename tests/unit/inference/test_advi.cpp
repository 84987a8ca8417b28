// scratch
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "AdviTargets.h"
#include "inference/Advi.h"
#include "inference/Optimiser.h"
#include "inference/ParetoK.h"

using namespace borel;
using namespace borel::inference;

TEST_CASE("advi scratch") {
  std::vector<double> m{1, -2, 0.5, 3, -1}, s{0.5, 1, 2, 1.5, 0.8};
  test::DiagGaussian target(m, s);
  for (int eta_mode = 0; eta_mode < 2; ++eta_mode)
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    rt::Rng rng(seed);
    AdviSettings st;
    st.grad_samples = 40;
    st.max_iterations = 10000;
    st.tol_rel_obj = 1e-9;
    st.eta = eta_mode ? 1.0 : -1;
    std::vector<double> init(5, 0.0);
    auto r = advi(target, rng, init, st);
    double bound = std::sqrt(r.step_size / (st.grad_samples * std::sqrt(r.iterations)));
    printf("seed %lu eta %g it %d conv %d k %.3f evals %ld bound %.4f\n", seed, r.step_size, r.iterations, r.converged, r.pareto_k, r.gradient_evaluations, bound);
    for (int i = 0; i < 5; ++i) printf("  mu err/bound %.2f  logsd err/bound %.2f\n", (r.mean[i]-m[i])/bound, std::log(r.scale[i]/s[i])/bound);
    printf("  elbo last %.4f logZ %.4f first %.3f\n", r.elbo_trace.back(), target.log_normaliser(), r.elbo_trace.front());
  }
}

TEST_CASE("pareto scratch") {
  for (double xi : {-0.3, 0.2, 0.5, 0.9}) {
    rt::Rng rng(7);
    double sum = 0; int R = 20;
    for (int rep = 0; rep < R; ++rep) {
      std::vector<double> lw(20000);
      for (double& v : lw) v = std::log((std::pow(rng.uniform(), -xi) - 1) / xi);
      sum += pareto_k(lw);
    }
    printf("xi %.2f mean khat %.4f expected %.4f\n", xi, sum / R, (xi*425+5)/435);
  }
  for (double sq : {1.5, 1.2, 0.5, 1.0/3}) {
    rt::Rng rng(3);
    for (int n : {1000, 10000}) {
    std::vector<double> lw(n);
    for (double& v : lw) { double x = sq * rng.normal(); v = -0.5*x*x + 0.5*(x/sq)*(x/sq) + std::log(sq); }
    printf("sq %.3f n %d khat %.3f true %.3f\n", sq, n, pareto_k(lw), 1 - sq*sq);
    }
  }
}
