// GgmlType.h — the tensor element types a GGUF file can declare.
//
// Every type whose block layout is known gets its block size and byte size
// here, so the reader can check that tensor sizes and offsets add up even for
// types the engine cannot compute with. `is_supported_for_compute` says
// which ones the matrix kernels handle (F32, F16, Q8_0, Q4_0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace borel::llm {

enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  BF16 = 30,
};

struct GgmlTypeTraits {
  const char* name;
  uint32_t block_elems;  // elements per block (1 for plain types)
  uint32_t block_bytes;  // bytes per block
};

// Traits of a raw type code, or nothing when the code is unknown.
std::optional<GgmlTypeTraits> ggml_type_traits(uint32_t code);

std::string ggml_type_name(GgmlType t);

inline bool is_supported_for_compute(GgmlType t) {
  return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::Q8_0 || t == GgmlType::Q4_0;
}

// Q8_0: 32 weights share one F16 scale d; w = d * q, q in [-127, 127].
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[32];
};
static_assert(sizeof(BlockQ8_0) == 34);

// Q4_0: 32 weights share one F16 scale d; w = d * (q - 8), q in [0, 15].
// Byte j holds weight j in its low nibble and weight j + 16 in its high one.
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ4_0) == 18);

}  // namespace borel::llm
