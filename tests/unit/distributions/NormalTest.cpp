// NormalTest.cpp — normal(mu, sigma), and its kernels.
#include <boost/math/distributions/normal.hpp>

#include "stdlib/distributions/Kernels.h"
#include "tests/unit/distributions/Rig.h"

using namespace borel::test;

TEST_CASE("normal") {
  check_continuous_family("normal", {{0, 1}, {-3, 0.25}, {1e3, 1e2}, {0, 1e-8}},
                          [](const auto& p) { return boost::math::normal(p[0], p[1]); });

  expect_log_density(make("normal", {0, 1}),
                     {{borel::rt::from_real(0), -0.918938533204672741780329736406},
                      {borel::rt::from_real(3), -5.418938533204672741780329736406},
                      {borel::rt::from_real(40), -800.9189385332046727417803297364}});

  expect_invalid("normal", {{{0, -1}, {}, "normal: sigma is -1, but must be positive"},
                            {{0, 0}, {}, "normal: sigma is 0, but must be positive"},
                            {{0, kInf}, {}, "normal: sigma is inf, but must be finite"},
                            {{kNaN, 1}, {}, "normal: mu is nan, but must be finite"},
                            {{-kInf, 1}, {}, "normal: mu is -inf, but must be finite"}});
}

TEST_CASE("normal: kernels agree with the DistOps") {
  const auto d = make("normal", {1.5, 2});
  for (double x : {-10.0, 0.0, 1.5, 7.25})
    CHECK(borel::dist::normal_log_density(x, 1.5, 2) == d.ops->log_density(d, borel::rt::from_real(x)));
  borel::rt::Rng a(5, 1), b(5, 1);
  for (int i = 0; i < 100; ++i)
    CHECK(borel::dist::normal_sample(a, 1.5, 2) == borel::rt::to_real(d.ops->sample(d, b)));
}
