#include "Quantize.h"

#include "Error.h"
#include "Half.h"
#include "WeightMatrix.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace borel::llm {

namespace {

void check_blocks(size_t n) {
  if (n % 32) throw LlmError("quantize: " + std::to_string(n) + " values is not a multiple of the block size 32");
}

}  // namespace

std::vector<std::byte> quantize_row_q8_0(std::span<const float> x) {
  check_blocks(x.size());
  std::vector<std::byte> out(x.size() / 32 * sizeof(BlockQ8_0));
  for (size_t b = 0; b < x.size() / 32; ++b) {
    const float* v = x.data() + b * 32;
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(v[j]));
    const float d = amax / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    BlockQ8_0 blk;
    blk.d = float_to_half(d);
    for (int j = 0; j < 32; ++j) blk.qs[j] = static_cast<int8_t>(std::lround(v[j] * id));
    std::memcpy(out.data() + b * sizeof blk, &blk, sizeof blk);
  }
  return out;
}

std::vector<std::byte> quantize_row_q4_0(std::span<const float> x) {
  check_blocks(x.size());
  std::vector<std::byte> out(x.size() / 32 * sizeof(BlockQ4_0));
  for (size_t b = 0; b < x.size() / 32; ++b) {
    const float* v = x.data() + b * 32;
    float amax = 0, max = 0;
    for (int j = 0; j < 32; ++j) {
      if (amax < std::fabs(v[j])) {
        amax = std::fabs(v[j]);
        max = v[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    BlockQ4_0 blk;
    blk.d = float_to_half(d);
    for (int j = 0; j < 16; ++j) {
      const float x0 = v[j] * id, x1 = v[j + 16] * id;
      const uint8_t q0 = static_cast<uint8_t>(std::min(15, static_cast<int>(static_cast<int8_t>(x0 + 8.5f))));
      const uint8_t q1 = static_cast<uint8_t>(std::min(15, static_cast<int>(static_cast<int8_t>(x1 + 8.5f))));
      blk.qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
    std::memcpy(out.data() + b * sizeof blk, &blk, sizeof blk);
  }
  return out;
}

std::vector<float> dequantize(GgmlType type, std::span<const std::byte> data, size_t n) {
  if (!is_supported_for_compute(type)) throw LlmError("dequantize: type " + ggml_type_name(type) + " is not supported");
  auto traits = *ggml_type_traits(static_cast<uint32_t>(type));
  if (n % traits.block_elems || data.size() != n / traits.block_elems * traits.block_bytes)
    throw LlmError("dequantize: " + std::to_string(data.size()) + " bytes do not hold " + std::to_string(n) + " " +
                   traits.name + " values");
  std::vector<float> out(n);
  if (n == 0) return out;
  // One "row" of n values.
  WeightMatrix w{type, 1, n, data.size(), data.data()};
  w.row_to_f32(0, out.data());
  return out;
}

std::vector<std::byte> quantize(GgmlType type, std::span<const float> x) {
  switch (type) {
    case GgmlType::F32: {
      std::vector<std::byte> out(x.size() * 4);
      std::memcpy(out.data(), x.data(), out.size());
      return out;
    }
    case GgmlType::F16: {
      std::vector<std::byte> out(x.size() * 2);
      for (size_t i = 0; i < x.size(); ++i) {
        uint16_t h = float_to_half(x[i]);
        std::memcpy(out.data() + 2 * i, &h, 2);
      }
      return out;
    }
    case GgmlType::Q8_0: return quantize_row_q8_0(x);
    case GgmlType::Q4_0: return quantize_row_q4_0(x);
    default: throw LlmError("quantize: cannot write type " + ggml_type_name(type));
  }
}

GgufWriter quantize_model(const GgufReader& src, GgmlType type) {
  if (!is_supported_for_compute(type)) throw LlmError("quantize: cannot write type " + ggml_type_name(type));
  GgufWriter w(static_cast<uint32_t>(src.alignment()));
  for (const auto& [k, v] : src.metadata()) {
    if (k == "general.alignment") continue;
    w.set(k, v);
  }
  // llama.cpp's llama_ftype: 0 all F32, 1 mostly F16, 2 mostly Q4_0, 7 mostly Q8_0.
  const uint32_t ftype = type == GgmlType::F32 ? 0 : type == GgmlType::F16 ? 1 : type == GgmlType::Q4_0 ? 2 : 7;
  w.set("general.file_type", GgufValue::u32(ftype));
  for (const auto& t : src.tensors()) {
    const uint64_t n = t.n_elements();
    const bool matrix = t.dims.size() == 2;
    GgmlType out = GgmlType::F32;
    if (matrix) out = (t.dims[0] % 32 == 0 || type == GgmlType::F16 || type == GgmlType::F32) ? type : GgmlType::F16;
    if (!is_supported_for_compute(t.type)) {
      throw LlmError("quantize: tensor " + t.name + " has type " + ggml_type_name(t.type) + ", which cannot be converted");
    }
    std::vector<float> x = dequantize(t.type, {t.data, t.n_bytes}, n);
    w.add_tensor(t.name, out, t.dims, quantize(out, x));
  }
  return w;
}

}  // namespace borel::llm
