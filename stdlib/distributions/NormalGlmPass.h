// NormalGlmPass.h — normal_glm's pass over the observations with one
// predictor (a simple regression: most of its density's and gradient's
// time), by instruction set. The portable pass and, on x86-64 CPUs with
// AVX2 (picked at run time; no -march, the build runs on any x86-64), a
// wider one compute the same arithmetic (NormalGlm.cpp: eight chains of
// sums combined in one order), so a seeded run gives the same bits on any
// of them. Declared here for the tests that check so.
#pragma once

#include <cstdint>

namespace borel::dist {

enum class GlmIsa { Portable, Avx2 };

bool glm_isa_supported(GlmIsa isa);
// The fastest supported on this CPU (decided once).
GlmIsa best_glm_isa();

struct GlmPassSums {
  double z = 0, zz = 0, zx = 0;
};
// With z_i = (y_i - (alpha + x_i b)) / sigma (multiplied by 1 / sigma where
// that is finite): sum z_i, sum z_i^2, sum z_i x_i, and z_i into z[i] when
// z is given. Requires glm_isa_supported(isa).
GlmPassSums normal_glm_pass_1(GlmIsa isa, const double* x, const double* y, int64_t n, double alpha, double b,
                              double sigma, double* z);

}  // namespace borel::dist
