#include "HalfArray.h"

#include "Half.h"

#include <cstring>

namespace borel::llm {

namespace {

inline void convert_row(const uint16_t* h, float* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    HalfV8f f;
    halves8_to_floats(h + i, f);
    std::memcpy(out + i, &f, sizeof f);
  }
  for (; i < n; ++i) out[i] = half_to_float(h[i]);
}

}  // namespace

__attribute__((target_clones("arch=x86-64-v3", "default"))) void halves_to_floats(const uint16_t* h, float* out,
                                                                                  size_t n) {
  convert_row(h, out, n);
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) void halves_to_floats(const uint16_t* h, size_t stride,
                                                                                  size_t rows, size_t cols,
                                                                                  float* out) {
  for (size_t r = 0; r < rows; ++r) convert_row(h + r * stride, out + r * cols, cols);
}

void floats_to_halves(const float* x, uint16_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = float_to_half(x[i]);
}

}  // namespace borel::llm
