// ContinuousTest.cpp — the real-valued scalar families against Boost.Math:
// lognormal, uniform, exponential, gamma, inv_gamma, beta, student_t, cauchy,
// laplace, half_normal, half_cauchy (normal has its own file, as the template
// for a new family).
#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/cauchy.hpp>
#include <boost/math/distributions/exponential.hpp>
#include <boost/math/distributions/gamma.hpp>
#include <boost/math/distributions/inverse_gamma.hpp>
#include <boost/math/distributions/laplace.hpp>
#include <boost/math/distributions/lognormal.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/distributions/uniform.hpp>

#include "tests/unit/distributions/Rig.h"

using namespace borel::test;
using borel::rt::from_real;

TEST_CASE("lognormal") {
  check_continuous_family("lognormal", {{0, 1}, {1.5, 0.3}, {-2, 2}},
                          [](const auto& p) { return boost::math::lognormal(p[0], p[1]); });
  expect_log_density(make("lognormal", {0, 1}),
                     {{from_real(1), -0.918938533204672741780329736406}, {from_real(0), -kInf}, {from_real(-1), -kInf}});
  expect_invalid("lognormal", {{{0, -1}, {}, "lognormal: sigma is -1, but must be positive"},
                               {{kNaN, 1}, {}, "lognormal: mu is nan, but must be finite"}});
}

TEST_CASE("uniform") {
  check_continuous_family("uniform", {{0, 1}, {-3, 7.5}, {1e6, 1e6 + 1}},
                          [](const auto& p) { return boost::math::uniform(p[0], p[1]); });
  // The interval is closed: both ends have the density.
  expect_log_density(make("uniform", {-1, 3}), {{from_real(-1), -1.38629436111989061883446424292},
                                                {from_real(3), -1.38629436111989061883446424292},
                                                {from_real(std::nextafter(3.0, 4.0)), -kInf},
                                                {from_real(-1.5), -kInf}});
  expect_invalid("uniform", {{{1, 0}, {}, "uniform: hi is 0, but must be greater than lo (1)"},
                             {{1, 1}, {}, "uniform: hi is 1, but must be greater than lo (1)"},
                             {{-kInf, 1}, {}, "uniform: lo is -inf, but must be finite"},
                             {{0, kNaN}, {}, "uniform: hi is nan, but must be finite"},
                             {{-1e308, 1e308}, {}, "uniform: hi - lo is inf, but must be finite"}});
}

TEST_CASE("exponential") {
  check_continuous_family("exponential", {{1}, {0.01}, {250}},
                          [](const auto& p) { return boost::math::exponential(p[0]); });
  expect_log_density(make("exponential", {2}), {{from_real(0), 0.693147180559945309417232121458},
                                                {from_real(1), -1.30685281944005469058276787854},
                                                {from_real(-1e-300), -kInf}});
  expect_invalid("exponential", {{{0}, {}, "exponential: rate is 0, but must be positive"},
                                 {{kInf}, {}, "exponential: rate is inf, but must be finite"}});
}

TEST_CASE("gamma") {
  check_continuous_family("gamma", {{1, 1}, {0.1, 2}, {2.5, 0.5}, {1000, 3}, {0.05, 1}},
                          [](const auto& p) { return boost::math::gamma_distribution<>(p[0], 1 / p[1]); });
  expect_log_density(make("gamma", {2, 3}), {{from_real(0.5), 0.004077396776273955},  // log(9 * 0.5 * e^-1.5)
                                             {from_real(0), -kInf},
                                             {from_real(-1), -kInf}});
  expect_invalid("gamma", {{{-1, 1}, {}, "gamma: shape is -1, but must be positive"},
                           {{1, 0}, {}, "gamma: rate is 0, but must be positive"}});
}

TEST_CASE("inv_gamma") {
  check_continuous_family("inv_gamma", {{3, 2}, {0.5, 1}, {10, 0.1}},
                          [](const auto& p) { return boost::math::inverse_gamma(p[0], p[1]); });
  expect_log_density(make("inv_gamma", {3, 2}), {{from_real(0), -kInf}, {from_real(-2), -kInf}});
  expect_invalid("inv_gamma", {{{0, 1}, {}, "inv_gamma: shape is 0, but must be positive"},
                               {{1, -2}, {}, "inv_gamma: scale is -2, but must be positive"}});
}

TEST_CASE("beta") {
  check_continuous_family("beta", {{1, 1}, {0.5, 0.5}, {2, 5}, {0.1, 0.2}, {200, 300}},
                          [](const auto& p) { return boost::math::beta_distribution<>(p[0], p[1]); });
  // The support is the open interval: 0 and 1 are outside even where the
  // density has a finite limit.
  expect_log_density(make("beta", {2, 5}), {{from_real(0.25), 0.8641747307351411},  // log(30 * 0.25 * 0.75^4)
                                            {from_real(0), -kInf},
                                            {from_real(1), -kInf}});
  expect_invalid("beta", {{{0, 1}, {}, "beta: a is 0, but must be positive"},
                          {{1, kNaN}, {}, "beta: b is nan, but must be finite"}});
}

namespace {

// Boost's students_t is the standard one; this adds location and scale.
ContinuousRef student_t_ref(double nu, double mu, double sigma) {
  const boost::math::students_t t(nu);
  return {[=](double x) { return pdf(t, (x - mu) / sigma) / sigma; },
          [=](double x) { return cdf(t, (x - mu) / sigma); },
          [=](double q) { return mu + sigma * quantile(t, q); },
          nu > 1 ? mu : kNaN,
          nu > 2 ? sigma * sigma * nu / (nu - 2) : kNaN};
}

}  // namespace

TEST_CASE("student_t") {
  uint64_t seed = 1;
  for (const std::vector<double>& p :
       std::vector<std::vector<double>>{{1, 0, 1}, {3.5, -2, 0.5}, {30, 10, 3}, {0.5, 0, 1}, {1.5, 1, 2}, {1e6, 0, 1}}) {
    INFO(describe("student_t", p));
    check_continuous(make("student_t", p), student_t_ref(p[0], p[1], p[2]), seed++);
  }
  expect_invalid("student_t", {{{0, 0, 1}, {}, "student_t: nu is 0, but must be positive"},
                               {{1, kInf, 1}, {}, "student_t: mu is inf, but must be finite"},
                               {{1, 0, -1}, {}, "student_t: sigma is -1, but must be positive"}});
}

TEST_CASE("cauchy") {
  // No mean or variance (Boost's refuse to compile for the Cauchy).
  check_continuous(make("cauchy", {0, 1}), continuous_ref(boost::math::cauchy(0, 1), kNaN, kNaN), 1);
  check_continuous(make("cauchy", {-5, 0.1}), continuous_ref(boost::math::cauchy(-5, 0.1), kNaN, kNaN), 2);
  check_continuous(make("cauchy", {1e3, 50}), continuous_ref(boost::math::cauchy(1e3, 50), kNaN, kNaN), 3);
  // Far out, where (x - loc)^2 overflows, the density is still right.
  expect_log_density(make("cauchy", {0, 1}), {{from_real(1e200), -922.1787670834677},
                                              {from_real(0), -1.14472988584940017414342735135}});
  expect_invalid("cauchy", {{{0, 0}, {}, "cauchy: scale is 0, but must be positive"}});
}

TEST_CASE("laplace") {
  check_continuous_family("laplace", {{0, 1}, {2, 0.3}, {-1e4, 1e3}},
                          [](const auto& p) { return boost::math::laplace(p[0], p[1]); });
  expect_log_density(make("laplace", {1, 2}), {{from_real(1), -1.38629436111989061883446424292},
                                               {from_real(-3), -3.38629436111989061883446424292}});
  expect_invalid("laplace", {{{0, -0.5}, {}, "laplace: b is -0.5, but must be positive"}});
}

namespace {

// Boost has no half-normal or half-Cauchy. The reference folds Boost's
// normal(0, s) or cauchy(0, s) onto [0, inf): the pdf doubles, the cdf is
// F(x) - F(-x), and the q-quantile is the (1 + q)/2 quantile of the unfolded
// one.
template <class B>
ContinuousRef folded_ref(const B& b, double mean, double variance) {
  return {[b](double x) { return x < 0 ? 0.0 : 2 * pdf(b, x); },
          [b](double x) { return x <= 0 ? 0.0 : cdf(b, x) - cdf(b, -x); },
          [b](double q) { return quantile(b, 0.5 + 0.5 * q); }, mean, variance};
}

}  // namespace

TEST_CASE("half_normal") {
  uint64_t seed = 1;
  for (double sigma : {1.0, 0.01, 2.5, 250.0}) {
    INFO(describe("half_normal", {sigma}));
    // Moments from two facts independent of the family's constants:
    // E|X| = 2 sigma^2 phi_sigma(0) for X ~ normal(0, sigma) (integrate
    // x phi(x) over [0, inf)), and E X^2 = sigma^2.
    const boost::math::normal b(0, sigma);
    const double m = 2 * sigma * sigma * pdf(b, 0.0);
    check_continuous(make("half_normal", {sigma}), folded_ref(b, m, sigma * sigma - m * m), seed++);
  }
  // 0 is in the support (as for exponential), with the largest density;
  // -0.0 too (it equals 0); anything below is not.
  expect_log_density(make("half_normal", {2}), {{from_real(0), -0.918938533204672741780329736406},
                                                {from_real(-0.0), -0.918938533204672741780329736406},
                                                {from_real(2), -1.41893853320467274178032973641},
                                                {from_real(-1e-300), -kInf},
                                                {from_real(-2), -kInf}});
  expect_invalid("half_normal", {{{0}, {}, "half_normal: sigma is 0, but must be positive"},
                                 {{-1}, {}, "half_normal: sigma is -1, but must be positive"},
                                 {{kInf}, {}, "half_normal: sigma is inf, but must be finite"},
                                 {{kNaN}, {}, "half_normal: sigma is nan, but must be finite"}});
}

TEST_CASE("half_cauchy") {
  // No mean or variance, as for the Cauchy.
  uint64_t seed = 1;
  for (double scale : {1.0, 0.1, 5.0, 50.0}) {
    INFO(describe("half_cauchy", {scale}));
    check_continuous(make("half_cauchy", {scale}), folded_ref(boost::math::cauchy(0, scale), kNaN, kNaN),
                     seed++);
  }
  // Far out, where (x / scale)^2 overflows, the density is still right:
  // log(2) above the Cauchy's.
  expect_log_density(make("half_cauchy", {1}), {{from_real(1e200), -921.485619902907728},
                                                {from_real(0), -0.451582705289454864726195229895},
                                                {from_real(1), -1.14472988584940017414342735135},
                                                {from_real(-1e-300), -kInf}});
  expect_invalid("half_cauchy", {{{0}, {}, "half_cauchy: scale is 0, but must be positive"},
                                 {{-2}, {}, "half_cauchy: scale is -2, but must be positive"},
                                 {{kNaN}, {}, "half_cauchy: scale is nan, but must be finite"}});
}
