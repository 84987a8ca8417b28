// MakeGgufSeeds.cpp — writes the seed corpus of the GGUF fuzz target
// (GgufFuzzer.cpp) into the directory given: small files that reach every
// part of the reader and the loader, so the fuzzer starts deep instead of
// rediscovering the format. Deterministic (no clock, fixed weights).
//   every_type.gguf  every metadata value type, nested arrays, two tensors;
//   micro_llama.gguf a complete one-layer LLaMA model (32-wide, F32, F16,
//                    Q8_0 and Q4_0 tensors, a SentencePiece vocabulary with
//                    all 256 byte tokens) that loads, tokenizes and runs;
//   micro_llama_bpe.gguf the same model with a byte-level BPE vocabulary
//                    (Llama 3's pre-tokenizer, the 256 byte characters and a
//                    few merges).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "BpeTokenizer.h"
#include "GgmlType.h"
#include "GgufValue.h"
#include "GgufWriter.h"
#include "Half.h"

using namespace borel::llm;

namespace {

// A fixed pseudo-random stream (a linear congruential generator), so the
// seeds are identical on every machine.
struct Lcg {
  uint64_t s = 0x2545F4914F6CDD1Dull;
  float next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<float>(static_cast<int64_t>(s >> 40) - (int64_t{1} << 23)) / static_cast<float>(int64_t{1} << 26);
  }
};

std::vector<std::byte> f32(size_t n, Lcg& r) {
  std::vector<std::byte> b(n * 4);
  for (size_t i = 0; i < n; ++i) {
    float x = r.next();
    std::memcpy(b.data() + 4 * i, &x, 4);
  }
  return b;
}

std::vector<std::byte> ones_f32(size_t n) {
  std::vector<std::byte> b(n * 4);
  const float one = 1.0f;
  for (size_t i = 0; i < n; ++i) std::memcpy(b.data() + 4 * i, &one, 4);
  return b;
}

std::vector<std::byte> f16(size_t n, Lcg& r) {
  std::vector<std::byte> b(n * 2);
  for (size_t i = 0; i < n; ++i) {
    uint16_t h = float_to_half(r.next());
    std::memcpy(b.data() + 2 * i, &h, 2);
  }
  return b;
}

// Blocks of 32 weights: an F16 scale, then 32 int8 (Q8_0) or 16 bytes of
// nibbles (Q4_0).
std::vector<std::byte> quantized(size_t n, size_t block_bytes, Lcg& r) {
  std::vector<std::byte> b(n / 32 * block_bytes);
  for (size_t blk = 0; blk < n / 32; ++blk) {
    uint16_t d = float_to_half(0.01f);
    std::memcpy(b.data() + blk * block_bytes, &d, 2);
    for (size_t i = 2; i < block_bytes; ++i) b[blk * block_bytes + i] = std::byte(static_cast<uint8_t>(static_cast<int>(r.next() * 512)));
  }
  return b;
}

GgufWriter every_type() {
  GgufWriter w(64);  // a non-default alignment (general.alignment)
  w.set("general.architecture", GgufValue::make_string("test"));
  w.set("u8", GgufValue::make_uint(GgufValueType::UINT8, 200));
  w.set("i8", GgufValue::make_int(GgufValueType::INT8, -100));
  w.set("u16", GgufValue::make_uint(GgufValueType::UINT16, 60000));
  w.set("i16", GgufValue::make_int(GgufValueType::INT16, -30000));
  w.set("u32", GgufValue::u32(4000000000u));
  w.set("i32", GgufValue::i32(-2000000000));
  w.set("u64", GgufValue::make_uint(GgufValueType::UINT64, 1ull << 60));
  w.set("i64", GgufValue::make_int(GgufValueType::INT64, -(1ll << 60)));
  w.set("f32", GgufValue::f32(1.5f));
  w.set("f64", GgufValue::make_float(GgufValueType::FLOAT64, 0.1));
  w.set("bool", GgufValue::make_bool(true));
  w.set("nested", GgufValue::make_array(GgufValueType::ARRAY,
                                        {GgufValue::make_array(GgufValueType::STRING, {GgufValue::make_string("a")}),
                                         GgufValue::make_array(GgufValueType::INT32, {GgufValue::i32(7)})}));
  std::vector<std::byte> a(3 * 4), h(5 * 2);
  for (size_t i = 0; i < a.size(); ++i) a[i] = std::byte(i);
  w.add_tensor("a", GgmlType::F32, {3}, a);
  w.add_tensor("h", GgmlType::F16, {5, 1}, h);
  return w;
}

// The tensors of the one-layer model below (shapes from its hyperparameters).
void add_weights(GgufWriter& w, size_t n_vocab, Lcg& r);

GgufWriter micro_llama(bool bpe) {
  const size_t n_embd = 32, n_head = 4, n_head_kv = 2, n_ff = 64;
  Lcg r;
  GgufWriter w;
  w.set("general.architecture", GgufValue::make_string("llama"));
  w.set("llama.block_count", GgufValue::u32(1));
  w.set("llama.embedding_length", GgufValue::u32(n_embd));
  w.set("llama.feed_forward_length", GgufValue::u32(n_ff));
  w.set("llama.attention.head_count", GgufValue::u32(n_head));
  w.set("llama.attention.head_count_kv", GgufValue::u32(n_head_kv));
  w.set("llama.context_length", GgufValue::u32(64));
  w.set("llama.rope.dimension_count", GgufValue::u32(n_embd / n_head));
  w.set("llama.attention.layer_norm_rms_epsilon", GgufValue::f32(1e-5f));
  w.set("llama.rope.freq_base", GgufValue::f32(10000.0f));
  std::vector<GgufValue> tokens, scores, types;
  auto add = [&](const std::string& t, float score, int32_t type) {
    tokens.push_back(GgufValue::make_string(t));
    scores.push_back(GgufValue::f32(score));
    types.push_back(GgufValue::i32(type));
  };
  if (bpe) {
    // The 256 byte characters, a few merges and their results, <|end|>.
    for (int b = 0; b < 256; ++b) add(byte_level_encode(std::string(1, char(b))), 0, 1);
    const std::pair<const char*, const char*> merges[] = {{" ", "t"}, {"h", "e"}, {" t", "he"}, {"o", "n"}, {"c", "e"}};
    std::vector<GgufValue> m;
    for (const auto& [a, b] : merges) {
      add(byte_level_encode(std::string(a) + b), 0, 1);
      m.push_back(GgufValue::make_string(byte_level_encode(a) + " " + byte_level_encode(b)));
    }
    add("<|end|>", 0, 3);
    const size_t n_vocab = tokens.size();
    w.set("tokenizer.ggml.model", GgufValue::make_string("gpt2"));
    w.set("tokenizer.ggml.pre", GgufValue::make_string("llama-bpe"));
    w.set("tokenizer.ggml.tokens", GgufValue::make_array(GgufValueType::STRING, std::move(tokens)));
    w.set("tokenizer.ggml.token_type", GgufValue::make_array(GgufValueType::INT32, std::move(types)));
    w.set("tokenizer.ggml.merges", GgufValue::make_array(GgufValueType::STRING, std::move(m)));
    w.set("tokenizer.ggml.bos_token_id", GgufValue::u32(uint32_t(n_vocab - 1)));
    w.set("tokenizer.ggml.eos_token_id", GgufValue::u32(uint32_t(n_vocab - 1)));
    add_weights(w, n_vocab, r);
    return w;
  }
  // Vocabulary: <unk>, <s>, </s>, the 256 byte tokens, then a few pieces.
  add("<unk>", 0, 2);
  add("<s>", 0, 3);
  add("</s>", 0, 3);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    add(name, 0, 6);
  }
  const char* pieces[] = {"\xe2\x96\x81", "\xe2\x96\x81t", "he", "\xe2\x96\x81the", "e", "a", "\xe2\x96\x81" "a", "n", "\xe2\x96\x81on", "ce"};
  float score = -1;
  for (const char* p : pieces) add(p, score--, 1);
  const size_t n_vocab = tokens.size();
  w.set("tokenizer.ggml.model", GgufValue::make_string("llama"));
  w.set("tokenizer.ggml.tokens", GgufValue::make_array(GgufValueType::STRING, std::move(tokens)));
  w.set("tokenizer.ggml.scores", GgufValue::make_array(GgufValueType::FLOAT32, std::move(scores)));
  w.set("tokenizer.ggml.token_type", GgufValue::make_array(GgufValueType::INT32, std::move(types)));
  w.set("tokenizer.ggml.bos_token_id", GgufValue::u32(1));
  w.set("tokenizer.ggml.eos_token_id", GgufValue::u32(2));
  w.set("tokenizer.ggml.add_bos_token", GgufValue::make_bool(true));
  add_weights(w, n_vocab, r);
  return w;
}

void add_weights(GgufWriter& w, size_t n_vocab, Lcg& r) {
  const size_t n_embd = 32, n_head = 4, n_head_kv = 2, n_ff = 64;
  const size_t kv_dim = n_embd / n_head * n_head_kv;
  w.add_tensor("token_embd.weight", GgmlType::F16, {n_embd, n_vocab}, f16(n_embd * n_vocab, r));
  w.add_tensor("output_norm.weight", GgmlType::F32, {n_embd}, ones_f32(n_embd));
  w.add_tensor("output.weight", GgmlType::Q8_0, {n_embd, n_vocab}, quantized(n_embd * n_vocab, 34, r));
  w.add_tensor("blk.0.attn_norm.weight", GgmlType::F32, {n_embd}, ones_f32(n_embd));
  w.add_tensor("blk.0.attn_q.weight", GgmlType::F32, {n_embd, n_embd}, f32(n_embd * n_embd, r));
  w.add_tensor("blk.0.attn_k.weight", GgmlType::F16, {n_embd, kv_dim}, f16(n_embd * kv_dim, r));
  w.add_tensor("blk.0.attn_v.weight", GgmlType::Q8_0, {n_embd, kv_dim}, quantized(n_embd * kv_dim, 34, r));
  w.add_tensor("blk.0.attn_output.weight", GgmlType::Q4_0, {n_embd, n_embd}, quantized(n_embd * n_embd, 18, r));
  w.add_tensor("blk.0.ffn_norm.weight", GgmlType::F16, {n_embd}, f16(n_embd, r));
  w.add_tensor("blk.0.ffn_gate.weight", GgmlType::F32, {n_embd, n_ff}, f32(n_embd * n_ff, r));
  w.add_tensor("blk.0.ffn_up.weight", GgmlType::Q4_0, {n_embd, n_ff}, quantized(n_embd * n_ff, 18, r));
  w.add_tensor("blk.0.ffn_down.weight", GgmlType::Q8_0, {n_ff, n_embd}, quantized(n_ff * n_embd, 34, r));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  std::filesystem::path dir(argv[1]);
  std::filesystem::create_directories(dir);
  every_type().write((dir / "every_type.gguf").string());
  micro_llama(false).write((dir / "micro_llama.gguf").string());
  micro_llama(true).write((dir / "micro_llama_bpe.gguf").string());
  return 0;
}
