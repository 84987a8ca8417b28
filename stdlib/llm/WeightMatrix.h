// WeightMatrix.h — a read-only view of one weight matrix inside a GGUF
// mapping, in any supported storage type, and the kernel that multiplies a
// batch of activation rows by it.
//
// The matrix has `rows` output rows of `cols` inputs; row r is contiguous
// (ggml's dims[0] = cols). Quantised rows are expanded one at a time into a
// small scratch buffer, so the model is never expanded to F32 as a whole.
//
// Guarantee: each output element is computed by the same sequence of float
// operations whatever the thread split and batch size, so results do not
// depend on the number of threads and a batch of N equals N single calls.
#pragma once

#include "GgmlType.h"

#include <cstddef>
#include <cstdint>

namespace borel::llm {

struct WeightMatrix {
  GgmlType type = GgmlType::F32;
  size_t rows = 0;
  size_t cols = 0;
  size_t row_bytes = 0;
  const std::byte* data = nullptr;

  // Writes row r as floats into out[0..cols).
  void row_to_f32(size_t r, float* out) const;
  // A pointer to row r as floats: the row itself when stored as F32, else
  // `scratch` filled by row_to_f32.
  const float* row_f32(size_t r, float* scratch) const;

  // y[i * ldy + r] = dot(x[i * ldx .. + cols], row r) for i < n, r in [r0, r1).
  // `scratch` holds at least `cols` floats.
  void matmul(const float* x, size_t ldx, size_t n, float* y, size_t ldy, size_t r0, size_t r1, float* scratch) const;
};

// Dot product of two float arrays with a fixed summation order (8 lanes,
// then a fixed tree), the building block of every kernel.
float dot_f32(const float* a, const float* b, size_t n);

}  // namespace borel::llm
