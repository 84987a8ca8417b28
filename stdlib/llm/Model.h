// Model.h — a LLaMA-architecture model loaded from a GGUF file: its
// hyperparameters, its weights (views into the file mapping, never copied
// except 1-D norm vectors stored as F16), and its tokenizer.
//
// Guarantees: loading checks the architecture, every hyperparameter (present,
// positive, consistent: n_embd divisible by n_head, n_head by n_head_kv, an
// even rotary dimension no larger than the head), and every tensor (present,
// of the exact shape the hyperparameters imply, of a supported type), and
// throws LlmError naming the first problem. A loaded Model is immutable and
// may be shared by any number of decoders and threads.
#pragma once

#include "GgufReader.h"
#include "Tokenizer.h"
#include "WeightMatrix.h"

#include <memory>
#include <string>
#include <vector>

namespace borel::llm {

struct ModelConfig {
  std::string architecture;  // "llama"
  size_t n_vocab = 0;
  size_t n_embd = 0;
  size_t n_layer = 0;
  size_t n_head = 0;
  size_t n_head_kv = 0;
  size_t n_ff = 0;
  size_t n_ctx_train = 0;
  size_t n_rot = 0;  // rotary dimensions per head (the first n_rot of each head)
  float rms_eps = 1e-5f;
  float rope_freq_base = 10000.0f;

  size_t head_dim() const { return n_embd / n_head; }
  size_t kv_dim() const { return head_dim() * n_head_kv; }
};

struct LayerWeights {
  std::vector<float> attn_norm;  // [n_embd]
  WeightMatrix wq, wk, wv, wo;   // [n_embd -> n_embd], [n_embd -> kv_dim] x2, [n_embd -> n_embd]
  std::vector<float> ffn_norm;   // [n_embd]
  WeightMatrix w_gate, w_up;     // [n_embd -> n_ff]
  WeightMatrix w_down;           // [n_ff -> n_embd]
};

class Model {
public:
  static std::shared_ptr<const Model> load(const std::string& path);
  static std::shared_ptr<const Model> from_gguf(GgufReader gguf);

  const ModelConfig& config() const { return config_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const GgufReader& gguf() const { return gguf_; }

  const WeightMatrix& token_embd() const { return token_embd_; }  // rows are token embeddings
  const WeightMatrix& output() const { return output_; }          // tied to token_embd when absent
  const std::vector<float>& output_norm() const { return output_norm_; }
  const std::vector<LayerWeights>& layers() const { return layers_; }

  // Bytes of weight data the model refers to.
  size_t weight_bytes() const;

  // A one-line summary: architecture, sizes, tensor types.
  std::string describe() const;

private:
  explicit Model(GgufReader gguf) : gguf_(std::move(gguf)) {}
  void load_config();
  void load_weights();
  WeightMatrix matrix(const std::string& name, size_t cols, size_t rows) const;
  std::vector<float> vector(const std::string& name, size_t n) const;

  GgufReader gguf_;
  ModelConfig config_;
  std::unique_ptr<Tokenizer> tokenizer_;
  WeightMatrix token_embd_, output_;
  std::vector<float> output_norm_;
  std::vector<LayerWeights> layers_;
};

}  // namespace borel::llm
