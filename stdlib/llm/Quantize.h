// Quantize.h — Q8_0 and Q4_0 block quantisation (llama.cpp's reference
// formats) and whole-model quantisation to a new GGUF file.
//
// Row quantisers follow ggml's reference implementations, so files written
// here load in llama.cpp and vice versa. Per block of 32 weights with largest
// magnitude a: Q8_0 stores d = a/127 and rounds, so each weight is off by at
// most d/2 = a/254; Q4_0 stores d = -m/8 (m the signed weight of largest
// magnitude) and truncates x/d + 8.5, so each weight is off by at most d/2 =
// a/16. The tests derive their tolerances from these bounds.
#pragma once

#include "GgmlType.h"
#include "GgufReader.h"
#include "GgufWriter.h"

#include <cstddef>
#include <span>
#include <vector>

namespace borel::llm {

// x.size() must be a multiple of 32.
std::vector<std::byte> quantize_row_q8_0(std::span<const float> x);
std::vector<std::byte> quantize_row_q4_0(std::span<const float> x);
// Any tensor type the engine computes with, to floats.
std::vector<float> dequantize(GgmlType type, std::span<const std::byte> data, size_t n_elements);
// Floats to F32, F16, Q8_0 or Q4_0 bytes.
std::vector<std::byte> quantize(GgmlType type, std::span<const float> x);

// A copy of `src` (metadata and tensors) with every 2-D weight matrix whose
// rows are a multiple of 32 stored as `type` (Q8_0 or Q4_0; F16 and F32 also
// accepted). Matrices with other row lengths are stored as F16 (Q-types need
// 32-element blocks), 1-D tensors (norms) stay F32. general.file_type is set.
GgufWriter quantize_model(const GgufReader& src, GgmlType type);

}  // namespace borel::llm
