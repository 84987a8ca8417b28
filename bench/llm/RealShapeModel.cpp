// RealShapeModel.cpp — see RealShapeModel.h.
#include "RealShapeModel.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <vector>

#include <unistd.h>

#include "GgufWriter.h"
#include "Half.h"
#include "GgmlType.h"

namespace borel::bench {

using namespace borel::llm;

uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// A cols x rows Q8_0 matrix of uniform random weights with standard deviation
// `sd`: each block's 32 values uniform in [-127, 127] (sd 73.3) times d.
std::vector<std::byte> random_q8(size_t cols, size_t rows, float sd, uint64_t& rng) {
  const size_t nb = cols * rows / 32;
  std::vector<std::byte> out(nb * sizeof(BlockQ8_0));
  const uint16_t d = float_to_half(sd / 73.3f);
  for (size_t b = 0; b < nb; ++b) {
    std::byte* p = out.data() + b * sizeof(BlockQ8_0);
    std::memcpy(p, &d, 2);
    for (int k = 0; k < 4; ++k) {
      uint64_t r = splitmix(rng);
      for (int j = 0; j < 8; ++j, r >>= 8) {
        int8_t q = int8_t(uint8_t(r));
        p[2 + 8 * k + j] = std::byte(uint8_t(q == -128 ? int8_t(-127) : q));
      }
    }
  }
  return out;
}

namespace {

std::vector<std::byte> ones_f32(size_t n) {
  std::vector<float> v(n, 1.0f);
  std::vector<std::byte> out(n * 4);
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

}  // namespace

void write_real_shape_model(const std::string& path) {
  GgufWriter w;
  w.set("general.architecture", GgufValue::make_string("llama"));
  w.set("general.name", GgufValue::make_string("random weights at Llama-3.2-1B dimensions"));
  w.set("llama.block_count", GgufValue::u32(kShapeLayers));
  w.set("llama.embedding_length", GgufValue::u32(kShapeEmbd));
  w.set("llama.feed_forward_length", GgufValue::u32(kShapeFf));
  w.set("llama.attention.head_count", GgufValue::u32(kShapeHeads));
  w.set("llama.attention.head_count_kv", GgufValue::u32(kShapeKvHeads));
  w.set("llama.context_length", GgufValue::u32(131072));
  w.set("llama.rope.dimension_count", GgufValue::u32(kShapeEmbd / kShapeHeads));
  w.set("llama.rope.freq_base", GgufValue::f32(500000.0f));
  w.set("llama.attention.layer_norm_rms_epsilon", GgufValue::f32(1e-5f));
  // A SentencePiece-style vocabulary of the right size (the benchmarks feed token ids).
  std::vector<GgufValue> tokens, types;
  tokens.reserve(kShapeVocab);
  for (size_t i = 0; i < kShapeVocab; ++i) {
    std::string t = i == 0 ? "<unk>" : i == 1 ? "<s>" : i == 2 ? "</s>" : "\xe2\x96\x81t" + std::to_string(i);
    tokens.push_back(GgufValue::make_string(std::move(t)));
    types.push_back(GgufValue::i32(i == 0 ? 2 : i < 3 ? 3 : 1));
  }
  w.set("tokenizer.ggml.model", GgufValue::make_string("llama"));
  w.set("tokenizer.ggml.tokens", GgufValue::make_array(GgufValueType::STRING, std::move(tokens)));
  w.set("tokenizer.ggml.token_type", GgufValue::make_array(GgufValueType::INT32, std::move(types)));
  uint64_t rng = 2025;
  const size_t kvd = kShapeEmbd / kShapeHeads * kShapeKvHeads;
  // Token embeddings of standard deviation 1 (a real model's are of order 1
  // after the first norm); projections 1/sqrt(fan-in), so activations keep
  // their scale through the layers.
  w.add_tensor("token_embd.weight", GgmlType::Q8_0, {kShapeEmbd, kShapeVocab}, random_q8(kShapeEmbd, kShapeVocab, 1.0f, rng));
  w.add_tensor("output_norm.weight", GgmlType::F32, {kShapeEmbd}, ones_f32(kShapeEmbd));
  const float se = 1.0f / std::sqrt(float(kShapeEmbd)), sf = 1.0f / std::sqrt(float(kShapeFf));
  for (size_t l = 0; l < kShapeLayers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    w.add_tensor(p + "attn_norm.weight", GgmlType::F32, {kShapeEmbd}, ones_f32(kShapeEmbd));
    w.add_tensor(p + "attn_q.weight", GgmlType::Q8_0, {kShapeEmbd, kShapeEmbd}, random_q8(kShapeEmbd, kShapeEmbd, se, rng));
    w.add_tensor(p + "attn_k.weight", GgmlType::Q8_0, {kShapeEmbd, kvd}, random_q8(kShapeEmbd, kvd, se, rng));
    w.add_tensor(p + "attn_v.weight", GgmlType::Q8_0, {kShapeEmbd, kvd}, random_q8(kShapeEmbd, kvd, se, rng));
    w.add_tensor(p + "attn_output.weight", GgmlType::Q8_0, {kShapeEmbd, kShapeEmbd}, random_q8(kShapeEmbd, kShapeEmbd, se, rng));
    w.add_tensor(p + "ffn_norm.weight", GgmlType::F32, {kShapeEmbd}, ones_f32(kShapeEmbd));
    w.add_tensor(p + "ffn_gate.weight", GgmlType::Q8_0, {kShapeEmbd, kShapeFf}, random_q8(kShapeEmbd, kShapeFf, se, rng));
    w.add_tensor(p + "ffn_up.weight", GgmlType::Q8_0, {kShapeEmbd, kShapeFf}, random_q8(kShapeEmbd, kShapeFf, se, rng));
    w.add_tensor(p + "ffn_down.weight", GgmlType::Q8_0, {kShapeFf, kShapeEmbd}, random_q8(kShapeFf, kShapeEmbd, sf, rng));
  }
  w.write(path);
}


std::string real_shape_model_path() {
  return (std::filesystem::temp_directory_path() / ("borel-llm-bench-" + std::to_string(::getpid()) + ".gguf")).string();
}

}  // namespace borel::bench
