// HalfArray.h — whole arrays converted between IEEE binary16 and binary32,
// for the F16 KV cache.
//
// Guarantees: every value converts exactly as Half.h's scalar functions do
// (half -> float is exact; float -> half rounds to nearest even, overflow to
// infinity, NaN stays NaN), checked for all 65,536 halves by the tests. The
// half -> float direction is the hot one (attention reads every cached key
// and value): it is written with generic 8-lane vectors and integer bit
// operations, compiled for AVX2 and for baseline x86-64 and picked at load
// time (target_clones), so it needs neither F16C nor a -march flag.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace borel::llm {

// Eight halves to eight floats, exactly, with integer bit operations on
// generic vectors (the building block of halves_to_floats, inlined by the
// attention kernels): normal numbers move exponent and mantissa into place
// and rebias the exponent (+112 << 23); infinities and NaNs get the float's
// all-ones exponent (a further +112 << 23); zeros and subnormals are their
// 10-bit mantissa times 2^-24, computed exactly in float.
typedef float HalfV8f __attribute__((vector_size(32)));
inline void halves8_to_floats(const uint16_t* p, HalfV8f& out) {
  typedef uint32_t v8u __attribute__((vector_size(32)));
  typedef int32_t v8i __attribute__((vector_size(32)));
  v8u h;
  for (int j = 0; j < 8; ++j) h[j] = p[j];
  const v8u em = h & 0x7fffu;
  v8u normal = (em << 13) + (112u << 23);
  normal = (em >= 0x7c00u) ? normal + (112u << 23) : normal;
  const HalfV8f small = __builtin_convertvector(v8i(em), HalfV8f) * 0x1p-24f;
  v8u small_bits;
  std::memcpy(&small_bits, &small, sizeof small_bits);
  const v8u bits = ((em < 0x400u) ? small_bits : normal) | ((h & 0x8000u) << 16);
  std::memcpy(&out, &bits, sizeof out);
}

void halves_to_floats(const uint16_t* h, float* out, size_t n);
// `rows` rows of `cols` halves, `stride` halves apart, into contiguous floats.
void halves_to_floats(const uint16_t* h, size_t stride, size_t rows, size_t cols, float* out);
void floats_to_halves(const float* x, uint16_t* out, size_t n);

}  // namespace borel::llm
