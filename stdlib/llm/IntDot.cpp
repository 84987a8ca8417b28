#include "IntDot.h"

#include "Half.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#if defined(__x86_64__) || defined(__i386__)
// GCC 12's AVX-512 intrinsics build their "undefined" pass-through operands
// from self-initialised variables, which -Wmaybe-uninitialized reports.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#define BOREL_INTDOT_X86 1
#else
#define BOREL_INTDOT_X86 0
#endif

namespace borel::llm {

void Q8Rows::quantize(const float* x, size_t ldx, size_t n_rows, size_t n_cols) {
  n_ = n_rows;
  cols_ = n_cols;
  blocks_ = n_cols / 32;
  if (q_.size() < n_ * cols_) q_.resize(n_ * cols_);
  if (d_.size() < n_ * blocks_) {
    d_.resize(n_ * blocks_);
    corr_.resize(n_ * blocks_);
  }
  for (size_t i = 0; i < n_; ++i) {
    const float* xr = x + i * ldx;
    int8_t* qr = q_.data() + i * cols_;
    for (size_t b = 0; b < blocks_; ++b) {
      const float* v = xr + 32 * b;
      float amax = 0;
      bool finite = true;
      for (int j = 0; j < 32; ++j) {
        amax = std::max(amax, std::fabs(v[j]));
        finite = finite && std::isfinite(v[j]);
      }
      if (!finite) [[unlikely]] {
        // A NaN or infinite activation (a broken model, a fuzzed file): the
        // block's dots are NaN, as the float path's would be; the quants
        // are 0 (converting NaN to an integer is undefined behaviour).
        std::memset(qr + 32 * b, 0, 32);
        d_[i * blocks_ + b] = std::numeric_limits<float>::quiet_NaN();
        corr_[i * blocks_ + b] = 0;
        continue;
      }
      const float db = amax / 127.0f;
      // 1/db overflows for a block of subnormal activations: those quantise
      // to 0 (their dots are below 1e-36 anyway), not to NaN (0 * inf).
      const float inv = db != 0 ? 1.0f / db : 0.0f;
      const float id = std::isfinite(inv) ? inv : 0.0f;
      int32_t sum = 0;
      // Adding and subtracting 1.5 * 2^23 rounds a float of magnitude below
      // 2^22 to an integer, half to even (as nearbyint does in the default
      // rounding mode, without a library call); |v * id| <= 127 up to rounding.
      for (int j = 0; j < 32; ++j) {
        const float magic = 12582912.0f;
        qr[32 * b + j] = static_cast<int8_t>(int((v[j] * id + magic) - magic));
        sum += qr[32 * b + j];
      }
      d_[i * blocks_ + b] = db;
      corr_[i * blocks_ + b] = -128 * sum;
    }
  }
}

namespace {

// --- Portable: the definition, as plain C++. ---------------------------------

// Row r of w as int8 values and float scales.
inline void unpack_row(const WeightMatrix& w, size_t r, int8_t* q, float* d) {
  const std::byte* p = w.data + r * w.row_bytes;
  const size_t nb = w.cols / 32;
  for (size_t b = 0; b < nb; ++b) {
    if (w.type == GgmlType::Q8_0) {
      BlockQ8_0 blk;
      std::memcpy(&blk, p + b * sizeof blk, sizeof blk);
      d[b] = half_to_float(blk.d);
      std::memcpy(q + 32 * b, blk.qs, 32);
    } else {
      BlockQ4_0 blk;
      std::memcpy(&blk, p + b * sizeof blk, sizeof blk);
      d[b] = half_to_float(blk.d);
      for (int j = 0; j < 16; ++j) {
        q[32 * b + j] = static_cast<int8_t>(int(blk.qs[j] & 0x0F) - 8);
        q[32 * b + 16 + j] = static_cast<int8_t>(int(blk.qs[j] >> 4) - 8);
      }
    }
  }
}

inline int32_t dot32(const int8_t* a, const int8_t* b) {
  int32_t sum = 0;
  for (int k = 0; k < 32; ++k) sum += int32_t(a[k]) * int32_t(b[k]);
  return sum;
}

// Four activation rows at a time, so that four independent chains of fmas
// overlap. std::fma is exact whether it is an instruction or a library call.
inline void generic_body(const WeightMatrix& w, const Q8Rows& x, float* y, size_t ldy, size_t r0, size_t r1, int8_t* wq,
                         float* wd) {
  const size_t nb = w.cols / 32;
  for (size_t r = r0; r < r1; ++r) {
    unpack_row(w, r, wq, wd);
    size_t t = 0;
    for (; t + 4 <= x.n(); t += 4) {
      const int8_t *x0 = x.q(t), *x1 = x.q(t + 1), *x2 = x.q(t + 2), *x3 = x.q(t + 3);
      const float *d0 = x.d(t), *d1 = x.d(t + 1), *d2 = x.d(t + 2), *d3 = x.d(t + 3);
      float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (size_t b = 0; b < nb; ++b) {
        const int8_t* wb = wq + 32 * b;
        a0 = std::fma(float(dot32(wb, x0 + 32 * b)), wd[b] * d0[b], a0);
        a1 = std::fma(float(dot32(wb, x1 + 32 * b)), wd[b] * d1[b], a1);
        a2 = std::fma(float(dot32(wb, x2 + 32 * b)), wd[b] * d2[b], a2);
        a3 = std::fma(float(dot32(wb, x3 + 32 * b)), wd[b] * d3[b], a3);
      }
      y[t * ldy + r] = a0;
      y[(t + 1) * ldy + r] = a1;
      y[(t + 2) * ldy + r] = a2;
      y[(t + 3) * ldy + r] = a3;
    }
    for (; t < x.n(); ++t) {
      const int8_t* xq = x.q(t);
      const float* xd = x.d(t);
      float acc = 0;
      for (size_t b = 0; b < nb; ++b) acc = std::fma(float(dot32(wq + 32 * b, xq + 32 * b)), wd[b] * xd[b], acc);
      y[t * ldy + r] = acc;
    }
  }
}

struct Scratch {
  std::vector<int8_t> bytes;
  std::vector<float> floats;
};

Scratch& scratch(size_t cols) {
  thread_local Scratch s;
  // Room for a row (generic) or a transposed 16-row tile (VNNI): 16 bytes and 1/2 float per column.
  if (s.bytes.size() < 16 * cols) s.bytes.resize(16 * cols);
  if (s.floats.size() < cols) s.floats.resize(cols);
  return s;
}

void matmul_generic(const WeightMatrix& w, const Q8Rows& x, float* y, size_t ldy, size_t r0, size_t r1) {
  Scratch& s = scratch(w.cols);
  generic_body(w, x, y, ldy, r0, r1, s.bytes.data(), s.floats.data());
}

#if BOREL_INTDOT_X86

// --- AVX2: 8 rows in the lanes, 16-bit products. ---------------------------------
// The same idea as the VNNI kernel below, with vpmaddwd: weights and
// activations widened to int16, a tile of 8 rows transposed so that each
// 32-bit lane holds 2 weights of one row; one instruction multiplies them by 2
// activations, broadcast, and adds the pairs (|w x| <= 128 * 127, so int32
// sums of 32 products are exact).

#define BOREL_AVX2 __attribute__((target("avx2,fma,f16c")))

// Block b of one row as 32 signed values, widened to int16 (values 0-15, 16-31).
BOREL_AVX2 inline void row_block_i16(const std::byte* row, bool q8, size_t b, __m256i& lo, __m256i& hi) {
  __m128i a, c;
  if (q8) {
    const std::byte* p = row + b * sizeof(BlockQ8_0) + 2;
    a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
  } else {
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + b * sizeof(BlockQ4_0) + 2));
    const __m128i m4 = _mm_set1_epi8(0x0F), eight = _mm_set1_epi8(8);
    a = _mm_sub_epi8(_mm_and_si128(q, m4), eight);
    c = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(q, 4), m4), eight);
  }
  lo = _mm256_cvtepi8_epi16(a);
  hi = _mm256_cvtepi8_epi16(c);
}

// 8 x 8 transpose of 32-bit elements.
BOREL_AVX2 inline void transpose8(__m256i v[8]) {
  __m256i t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_epi32(v[i], v[i + 1]);
    t[i + 1] = _mm256_unpackhi_epi32(v[i], v[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
    u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
    u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
    u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  for (int k = 0; k < 4; ++k) {
    v[k] = _mm256_permute2x128_si256(u[k], u[k + 4], 0x20);
    v[k + 4] = _mm256_permute2x128_si256(u[k], u[k + 4], 0x31);
  }
}

// Rows [r, r + rows) (rows <= 8; missing rows are zeros) into
//   wt[b * 128 + 8 m + lane] = values 2m, 2m + 1 of row `lane`'s block b (int16 pair),
//   wd[b * 8 + lane] = row `lane`'s scale of block b.
BOREL_AVX2 void transpose_tile8(const WeightMatrix& w, size_t r, int rows, int32_t* wt, float* wd) {
  const size_t nb = w.cols / 32;
  const bool q8 = w.type == GgmlType::Q8_0;
  const size_t bsize = q8 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0);
  for (size_t b = 0; b < nb; ++b) {
    __m256i lo[8], hi[8];
    for (int i = 0; i < 8; ++i) {
      if (i < rows) {
        const std::byte* row = w.data + (r + i) * w.row_bytes;
        row_block_i16(row, q8, b, lo[i], hi[i]);
        uint16_t h;
        std::memcpy(&h, row + b * bsize, 2);
        wd[8 * b + i] = _cvtsh_ss(h);
      } else {
        lo[i] = hi[i] = _mm256_setzero_si256();
        wd[8 * b + i] = 0;
      }
    }
    transpose8(lo);
    transpose8(hi);
    for (int m = 0; m < 8; ++m) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(wt + 128 * b + 8 * m), lo[m]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(wt + 128 * b + 8 * (m + 8)), hi[m]);
    }
  }
}

// Rows [r, r + 8) (lanes past `rows` not stored) times activation rows [t0, t0 + T);
// x16 holds the activation rows widened to int16.
template <int T>
BOREL_AVX2 void rows8(const int32_t* wt, const float* wd, size_t nb, const int16_t* x16, size_t cols, const Q8Rows& x,
                      size_t t0, float* y, size_t ldy, size_t r, int rows) {
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (size_t b = 0; b < nb; ++b) {
    __m256i a[T];
    for (int t = 0; t < T; ++t) a[t] = _mm256_setzero_si256();
    for (int m = 0; m < 16; ++m) {
      const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wt + 128 * b + 8 * m));
      for (int t = 0; t < T; ++t) {
        int32_t pair;
        std::memcpy(&pair, x16 + (t0 + t) * cols + 32 * b + 2 * m, 4);
        a[t] = _mm256_add_epi32(a[t], _mm256_madd_epi16(wv, _mm256_set1_epi32(pair)));
      }
    }
    const __m256 dw = _mm256_loadu_ps(wd + 8 * b);
    for (int t = 0; t < T; ++t)
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(a[t]), _mm256_mul_ps(dw, _mm256_set1_ps(x.d(t0 + t)[b])), acc[t]);
  }
  for (int t = 0; t < T; ++t) {
    if (rows == 8) {
      _mm256_storeu_ps(y + (t0 + t) * ldy + r, acc[t]);
    } else {
      float out[8];
      _mm256_storeu_ps(out, acc[t]);
      std::copy(out, out + rows, y + (t0 + t) * ldy + r);
    }
  }
}

BOREL_AVX2 void matmul_avx2(const WeightMatrix& w, const Q8Rows& x, float* y, size_t ldy, size_t r0, size_t r1) {
  const size_t nb = w.cols / 32, cols = w.cols;
  Scratch& s = scratch(cols);
  // 8 rows of int16 pairs: 16 bytes per column; the activations as int16 after them.
  thread_local std::vector<int16_t> x16;
  if (x16.size() < x.n() * cols) x16.resize(x.n() * cols);
  for (size_t t = 0; t < x.n(); ++t)
    for (size_t k = 0; k < cols; ++k) x16[t * cols + k] = x.q(t)[k];
  int32_t* wt = reinterpret_cast<int32_t*>(s.bytes.data());
  float* wd = s.floats.data();
  for (size_t r = r0; r < r1; r += 8) {
    const int rows = int(std::min<size_t>(8, r1 - r));
    transpose_tile8(w, r, rows, wt, wd);
    size_t t = 0;
    for (; t + 4 <= x.n(); t += 4) rows8<4>(wt, wd, nb, x16.data(), cols, x, t, y, ldy, r, rows);
    for (; t + 2 <= x.n(); t += 2) rows8<2>(wt, wd, nb, x16.data(), cols, x, t, y, ldy, r, rows);
    for (; t < x.n(); ++t) rows8<1>(wt, wd, nb, x16.data(), cols, x, t, y, ldy, r, rows);
  }
}

// --- AVX-512 VNNI: 16 rows in the lanes. -----------------------------------------

#define BOREL_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))

// Block b of one row as 32 unsigned bytes w + 128.
BOREL_VNNI inline __m256i row_block_u8(const std::byte* row, bool q8, size_t b) {
  if (q8) {
    const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + b * sizeof(BlockQ8_0) + 2));
    return _mm256_xor_si256(q, _mm256_set1_epi8(char(0x80)));
  }
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + b * sizeof(BlockQ4_0) + 2));
  const __m128i m4 = _mm_set1_epi8(0x0F);
  const __m256i nib = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), m4), _mm_and_si128(q, m4));
  return _mm256_add_epi8(nib, _mm256_set1_epi8(120));  // (nibble - 8) + 128
}

// Rows [r, r + rows) of w (rows <= 16; missing rows read as zeros) into
//   wt[b * 512 + 64 k + 4 lane + c] = byte 4k + c of row `lane`'s block b, plus 128,
//   wd[b * 16 + lane] = row `lane`'s scale of block b.
// Asks for `lines` cache lines from `base` to be brought into L2, spread
// over the `nb` steps of a loop (call at each step b).
struct Prefetch {
  const std::byte* base = nullptr;
  size_t lines = 0;
  BOREL_VNNI void step(size_t b, size_t nb) const {
    for (size_t line = b * lines / nb; line < (b + 1) * lines / nb; ++line)
      _mm_prefetch(reinterpret_cast<const char*>(base + 64 * line), _MM_HINT_T1);
  }
};

BOREL_VNNI void transpose_tile(const WeightMatrix& w, size_t r, int rows, uint8_t* wt, float* wd, const Prefetch& pf) {
  const size_t nb = w.cols / 32;
  const bool q8 = w.type == GgmlType::Q8_0;
  const size_t bsize = q8 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0);
  const std::byte* base = w.data + r * w.row_bytes;
  const __m512i lo_idx = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13),
                hi_idx = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
  for (size_t b = 0; b < nb; ++b) {
    pf.step(b, nb);
    // z[i] = row i's 8 dwords | row i + 8's 8 dwords; then an 8 x 8 dword
    // transpose in each 256-bit half, and the halves' 128-bit pieces put in
    // row order. (Rows first: 16 independent loads, whose cache misses
    // overlap; the scales then come from the same lines.)
    __m512i z[8];
    for (int i = 0; i < 8; ++i) {
      const __m256i a = i < rows ? row_block_u8(base + size_t(i) * w.row_bytes, q8, b) : _mm256_setzero_si256();
      const __m256i c = i + 8 < rows ? row_block_u8(base + size_t(i + 8) * w.row_bytes, q8, b) : _mm256_setzero_si256();
      z[i] = _mm512_inserti64x4(_mm512_zextsi256_si512(a), c, 1);
    }
    alignas(32) uint16_t h[16] = {};
    for (int i = 0; i < rows; ++i) std::memcpy(&h[i], base + size_t(i) * w.row_bytes + b * bsize, 2);
    _mm512_storeu_ps(wd + 16 * b, _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(h))));
    __m512i t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm512_unpacklo_epi32(z[i], z[i + 1]);
      t[i + 1] = _mm512_unpackhi_epi32(z[i], z[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
      u[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);          // dwords 0 / 4 of rows i..i+3 (and +8)
      u[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);      // 1 / 5
      u[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);  // 2 / 6
      u[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);  // 3 / 7
    }
    uint8_t* out = wt + 512 * b;
    for (int k = 0; k < 4; ++k) {
      _mm512_storeu_si512(out + 64 * k, _mm512_permutex2var_epi64(u[k], lo_idx, u[k + 4]));
      _mm512_storeu_si512(out + 64 * (k + 4), _mm512_permutex2var_epi64(u[k], hi_idx, u[k + 4]));
    }
  }
}

// Rows [r, r + 16) (lanes past `valid` are not stored) times activation rows [t0, t0 + T).
template <int T>
BOREL_VNNI void rows16(const uint8_t* wt, const float* wd, size_t nb, const Q8Rows& x, size_t t0, float* y, size_t ldy,
                       size_t r, __mmask16 valid) {
  __m512 acc[T];
  const int8_t* xq[T];
  const float* xd[T];
  const int32_t* xc[T];
  for (int t = 0; t < T; ++t) {
    acc[t] = _mm512_setzero_ps();
    xq[t] = x.q(t0 + t);
    xd[t] = x.d(t0 + t);
    xc[t] = x.corr(t0 + t);
  }
  for (size_t b = 0; b < nb; ++b) {
    __m512i wv[8];
    for (int k = 0; k < 8; ++k) wv[k] = _mm512_loadu_si512(wt + 512 * b + 64 * k);
    const __m512 dw = _mm512_loadu_ps(wd + 16 * b);
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t) {
      __m512i a = _mm512_set1_epi32(xc[t][b]);
#pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) {
        int32_t v;
        std::memcpy(&v, xq[t] + 32 * b + 4 * k, 4);
        a = _mm512_dpbusd_epi32(a, wv[k], _mm512_set1_epi32(v));
      }
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a), _mm512_mul_ps(dw, _mm512_set1_ps(xd[t][b])), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) _mm512_mask_storeu_ps(y + (t0 + t) * ldy + r, valid, acc[t]);
}

void matmul_vnni(const WeightMatrix& w, const Q8Rows& x, float* y, size_t ldy, size_t r0, size_t r1) {
  const size_t nb = w.cols / 32;
  Scratch& s = scratch(w.cols);
  uint8_t* wt = reinterpret_cast<uint8_t*>(s.bytes.data());
  float* wd = s.floats.data();
  for (size_t r = r0; r < r1; r += 16) {
    const int rows = int(std::min<size_t>(16, r1 - r));
    const __mmask16 valid = rows >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << rows) - 1);
    // The transposition reads 16 rows side by side, more streams than the
    // hardware prefetcher follows; so, while it works, it asks for the next
    // tile (the 16 rows after it: one contiguous range) to be brought into
    // L2. (Measured: 1.7x the bandwidth for one token; spreading the requests
    // over the multiplications instead, or two tiles ahead, was no better.)
    const Prefetch next{w.data + (r + 16) * w.row_bytes,
                        std::min<size_t>(16, r1 - std::min(r1, r + 16)) * w.row_bytes / 64};
    transpose_tile(w, r, rows, wt, wd, next);
    for (size_t t = 0; t < x.n();) {
      const size_t left = x.n() - t;
      if (left >= 16) {
        rows16<16>(wt, wd, nb, x, t, y, ldy, r, valid);
        t += 16;
      } else if (left >= 8) {
        rows16<8>(wt, wd, nb, x, t, y, ldy, r, valid);
        t += 8;
      } else if (left >= 4) {
        rows16<4>(wt, wd, nb, x, t, y, ldy, r, valid);
        t += 4;
      } else if (left >= 2) {
        rows16<2>(wt, wd, nb, x, t, y, ldy, r, valid);
        t += 2;
      } else {
        rows16<1>(wt, wd, nb, x, t, y, ldy, r, valid);
        t += 1;
      }
    }
  }
}

#endif  // BOREL_INTDOT_X86

}  // namespace

const char* dot_isa_name(DotIsa isa) {
  switch (isa) {
    case DotIsa::Portable: return "portable";
    case DotIsa::Avx2: return "avx2";
    case DotIsa::Avx512Vnni: return "avx512-vnni";
  }
  return "?";
}

bool dot_isa_supported(DotIsa isa) {
  switch (isa) {
    case DotIsa::Portable: return true;
#if BOREL_INTDOT_X86
    case DotIsa::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    case DotIsa::Avx512Vnni:
      return dot_isa_supported(DotIsa::Avx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512vnni");
#else
    default: return false;
#endif
  }
  return false;
}

DotIsa best_dot_isa() {
  static const DotIsa best = dot_isa_supported(DotIsa::Avx512Vnni) ? DotIsa::Avx512Vnni
                             : dot_isa_supported(DotIsa::Avx2)     ? DotIsa::Avx2
                                                                   : DotIsa::Portable;
  return best;
}

void matmul_int(const WeightMatrix& w, const Q8Rows& x, float* y, size_t ldy, size_t r0, size_t r1, DotIsa isa) {
  if (r0 >= r1 || x.n() == 0) return;
  switch (isa) {
#if BOREL_INTDOT_X86
    case DotIsa::Avx512Vnni: matmul_vnni(w, x, y, ldy, r0, r1); return;
    case DotIsa::Avx2: matmul_avx2(w, x, y, ldy, r0, r1); return;
#endif
    default: matmul_generic(w, x, y, ldy, r0, r1); return;
  }
}

}  // namespace borel::llm
