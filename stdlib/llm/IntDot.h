// IntDot.h — integer dot products for Q8_0 and Q4_0 weight matrices, as
// ggml's CPU backend does them: the activation rows are quantised once per
// matrix product to 8-bit blocks of 32 (one float scale per block), and each
// weight block times activation block is an exact int8 x int8 -> int32 sum,
// scaled by the product of the two block scales.
//
// Arithmetic (the same on every CPU, bit for bit). An activation block has
// d = amax / 127 and q = round-half-even(x * (1 / d)), so |x - d q| is about
// d / 2 at most. Output y = W row . x row is
//   acc = 0;  for each block b in order:  acc = fma(float(I_b), dw_b * dx_b, acc)
// with I_b = sum_k w_k q_k over the block's 32 values (exact in int32, and
// in float: |I_b| <= 32 * 128 * 127 < 2^24). Three implementations compute
// exactly this: a portable one (plain C++), AVX2 and AVX-512 VNNI; the
// fastest the CPU supports is chosen at run time (__builtin_cpu_supports), so
// the build needs no -march flag and the results do not depend on the
// machine. Each output is computed by the same operations whatever the batch
// size and thread split, so a batch of N equals N single calls.
//
// Speed: the vector kernels put weight rows, not the 32 weights of one row,
// in the vector lanes. A tile of rows (16 for AVX-512, 8 for AVX2) is first
// transposed into scratch so that, for each block, a vector holds the same
// 4 (VNNI: vpdpbusd, bytes) or 2 (AVX2: vpmaddwd, int16) positions of every
// row of the tile; one instruction multiplies it by that many activations of
// one token, broadcast. A block of 32 for 16 rows is 8 VNNI instructions
// with no horizontal sums, and the per-block scaling (convert, multiply,
// add) is paid once per tile, not once per row. The transposed tile stays in
// cache while every activation row of the batch passes over it, so a batch
// reads the weights once. The portable kernel (plain C++) is used only on
// CPUs without AVX2.
#pragma once

#include "WeightMatrix.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace borel::llm {

// Activation rows quantised to 8-bit blocks of 32.
class Q8Rows {
public:
  // Quantises x[i * ldx + k], i < n, k < cols; cols must be a multiple of 32.
  void quantize(const float* x, size_t ldx, size_t n, size_t cols);

  size_t n() const { return n_; }
  size_t cols() const { return cols_; }
  size_t blocks() const { return blocks_; }

  const int8_t* q(size_t i) const { return q_.data() + i * cols_; }   // row i's quantised values
  const float* d(size_t i) const { return d_.data() + i * blocks_; }  // row i's block scales
  // Row i's -128 * (sum of q over each block): the kernels multiply weights
  // + 128 (unsigned bytes) by q and add this to get sum of w q.
  const int32_t* corr(size_t i) const { return corr_.data() + i * blocks_; }
  // The value the quantised block represents: d * q (exact in double).
  double value(size_t i, size_t k) const { return double(d(i)[k / 32]) * q(i)[k]; }

private:
  size_t n_ = 0, cols_ = 0, blocks_ = 0;
  std::vector<int8_t> q_;
  std::vector<float> d_;
  std::vector<int32_t> corr_;
};

enum class DotIsa { Portable, Avx2, Avx512Vnni };

const char* dot_isa_name(DotIsa isa);
bool dot_isa_supported(DotIsa isa);
// The fastest supported on this CPU (decided once).
DotIsa best_dot_isa();

// Whether integer dots apply to a matrix: Q8_0 or Q4_0 (rows of whole blocks).
inline bool int_dot_applies(const WeightMatrix& w) {
  return (w.type == GgmlType::Q8_0 || w.type == GgmlType::Q4_0) && w.cols % 32 == 0;
}

// y[i * ldy + r] = W row r . x row i (the arithmetic above) for i < x.n()
// and r in [r0, r1). Requires int_dot_applies(w), x.cols() == w.cols and a
// supported isa. Thread-safe (scratch is per thread).
void matmul_int(const WeightMatrix& w, const Q8Rows& x, float* y, size_t ldy, size_t r0, size_t r1,
                DotIsa isa = best_dot_isa());

}  // namespace borel::llm
