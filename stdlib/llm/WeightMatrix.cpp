#include "WeightMatrix.h"

#include "Half.h"

#include <cstring>

namespace borel::llm {

namespace {

// GCC/Clang generic vectors: 8 floats. On baseline x86-64 each operation is
// two SSE instructions; no -march flag is needed, and the order of the
// arithmetic is the same on every machine.
typedef float v8 __attribute__((vector_size(32)));

inline v8 load8(const float* p) {
  v8 r;
  std::memcpy(&r, p, sizeof r);
  return r;
}

inline float hsum(v8 v) {
  return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

// The same arithmetic as one lane of dot4.
inline float dot1(const float* w, const float* x, size_t n) {
  v8 acc = {};
  size_t k = 0;
  for (; k + 8 <= n; k += 8) acc += load8(w + k) * load8(x + k);
  float t = 0;
  for (; k < n; ++k) t += w[k] * x[k];
  return hsum(acc) + t;
}

// Dots of one weight row with 4 activation rows at once: the weight vector is
// loaded once for 4 products.
inline void dot4(const float* w, const float* x0, const float* x1, const float* x2, const float* x3, size_t n,
                 float out[4]) {
  v8 a0 = {}, a1 = {}, a2 = {}, a3 = {};
  size_t k = 0;
  for (; k + 8 <= n; k += 8) {
    v8 wv = load8(w + k);
    a0 += wv * load8(x0 + k);
    a1 += wv * load8(x1 + k);
    a2 += wv * load8(x2 + k);
    a3 += wv * load8(x3 + k);
  }
  float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  for (; k < n; ++k) {
    t0 += w[k] * x0[k];
    t1 += w[k] * x1[k];
    t2 += w[k] * x2[k];
    t3 += w[k] * x3[k];
  }
  out[0] = hsum(a0) + t0;
  out[1] = hsum(a1) + t1;
  out[2] = hsum(a2) + t2;
  out[3] = hsum(a3) + t3;
}

// y[i * ldy + r] = dot(W row r, x row i) for rows [r0, r1) of a row-major F32
// matrix. Compiled twice (AVX2 and baseline x86-64) and picked at load time by
// the CPU: the same lane-wise IEEE operations in the same order either way
// (and -ffp-contract=off), so both give bit-identical results.
__attribute__((target_clones("arch=x86-64-v3", "default"))) void f32_rows(const float* w, size_t row_stride, size_t cols,
                                                                           const float* x, size_t ldx, size_t n, float* y,
                                                                           size_t ldy, size_t r0, size_t r1) {
  for (size_t r = r0; r < r1; ++r) {
    const float* wr = w + r * row_stride;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
      float out[4];
      dot4(wr, x + i * ldx, x + (i + 1) * ldx, x + (i + 2) * ldx, x + (i + 3) * ldx, cols, out);
      y[i * ldy + r] = out[0];
      y[(i + 1) * ldy + r] = out[1];
      y[(i + 2) * ldy + r] = out[2];
      y[(i + 3) * ldy + r] = out[3];
    }
    for (; i < n; ++i) y[i * ldy + r] = dot1(wr, x + i * ldx, cols);
  }
}

}  // namespace

float dot_f32(const float* a, const float* b, size_t n) { return dot1(a, b, n); }

void WeightMatrix::row_to_f32(size_t r, float* out) const {
  const std::byte* p = data + r * row_bytes;
  switch (type) {
    case GgmlType::F32: std::memcpy(out, p, cols * sizeof(float)); return;
    case GgmlType::F16: {
      for (size_t k = 0; k < cols; ++k) {
        uint16_t h;
        std::memcpy(&h, p + 2 * k, 2);
        out[k] = half_to_float(h);
      }
      return;
    }
    case GgmlType::Q8_0: {
      for (size_t b = 0; b < cols / 32; ++b) {
        BlockQ8_0 blk;
        std::memcpy(&blk, p + b * sizeof(BlockQ8_0), sizeof blk);
        const float d = half_to_float(blk.d);
        for (int j = 0; j < 32; ++j) out[b * 32 + j] = d * float(blk.qs[j]);
      }
      return;
    }
    case GgmlType::Q4_0: {
      for (size_t b = 0; b < cols / 32; ++b) {
        BlockQ4_0 blk;
        std::memcpy(&blk, p + b * sizeof(BlockQ4_0), sizeof blk);
        const float d = half_to_float(blk.d);
        for (int j = 0; j < 16; ++j) {
          out[b * 32 + j] = d * float(int(blk.qs[j] & 0x0F) - 8);
          out[b * 32 + j + 16] = d * float(int(blk.qs[j] >> 4) - 8);
        }
      }
      return;
    }
    default: break;
  }
  // Model loading rejects other types, so this is unreachable from valid use.
  std::memset(out, 0, cols * sizeof(float));
}

const float* WeightMatrix::row_f32(size_t r, float* scratch) const {
  if (type == GgmlType::F32) return reinterpret_cast<const float*>(data + r * row_bytes);
  row_to_f32(r, scratch);
  return scratch;
}

void WeightMatrix::matmul(const float* x, size_t ldx, size_t n, float* y, size_t ldy, size_t r0, size_t r1,
                          float* scratch) const {
  if (type == GgmlType::F32) {
    f32_rows(reinterpret_cast<const float*>(data), row_bytes / sizeof(float), cols, x, ldx, n, y, ldy, r0, r1);
    return;
  }
  // Other types: expand one row at a time, then the same F32 kernel (as a
  // one-row matrix whose output column is r).
  for (size_t r = r0; r < r1; ++r) {
    row_to_f32(r, scratch);
    f32_rows(scratch, cols, cols, x, ldx, n, y + r, ldy, 0, 1);
  }
}

}  // namespace borel::llm
