#include "Model.h"

#include "Error.h"
#include "Half.h"

#include <cmath>
#include <cstring>
#include <map>
#include <sstream>

namespace borel::llm {

namespace {

std::string shape_str(const std::vector<uint64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

}  // namespace

std::shared_ptr<const Model> Model::load(const std::string& path) { return from_gguf(GgufReader::open(path)); }

std::shared_ptr<const Model> Model::from_gguf(GgufReader gguf) {
  std::shared_ptr<Model> m(new Model(std::move(gguf)));
  m->load_config();
  m->tokenizer_ = Tokenizer::from_vocab(Vocab::from_gguf(m->gguf_));
  m->load_weights();
  if (m->tokenizer_->size() != m->config_.n_vocab)
    throw LlmError("model: the tokenizer has " + std::to_string(m->tokenizer_->size()) +
                   " tokens, but the embedding has " + std::to_string(m->config_.n_vocab) + " rows");
  return m;
}

void Model::load_config() {
  const auto& g = gguf_;
  auto& c = config_;
  c.architecture = g.get("general.architecture").as_string("general.architecture");
  if (c.architecture != "llama")
    throw LlmError("model: unsupported architecture \"" + c.architecture + "\" (supported: \"llama\")");
  const std::string a = c.architecture + ".";
  auto count = [&](const std::string& key, uint64_t max) -> size_t {
    uint64_t v = g.get(a + key).as_u64(a + key);
    if (v == 0 || v > max)
      throw LlmError("model: " + a + key + " is " + std::to_string(v) + ", but must be in 1.." + std::to_string(max));
    return static_cast<size_t>(v);
  };
  c.n_layer = count("block_count", 1024);
  c.n_embd = count("embedding_length", 1 << 16);
  c.n_ff = count("feed_forward_length", 1 << 20);
  c.n_head = count("attention.head_count", 1024);
  c.n_head_kv = g.find(a + "attention.head_count_kv") ? count("attention.head_count_kv", 1024) : c.n_head;
  c.n_ctx_train = g.find(a + "context_length") ? count("context_length", uint64_t(1) << 24) : 2048;
  if (c.n_embd % c.n_head)
    throw LlmError("model: embedding_length " + std::to_string(c.n_embd) + " is not divisible by head_count " +
                   std::to_string(c.n_head));
  if (c.n_head % c.n_head_kv)
    throw LlmError("model: head_count " + std::to_string(c.n_head) + " is not divisible by head_count_kv " +
                   std::to_string(c.n_head_kv));
  c.n_rot = g.find(a + "rope.dimension_count") ? count("rope.dimension_count", 1 << 16) : c.head_dim();
  if (c.n_rot > c.head_dim() || c.n_rot % 2)
    throw LlmError("model: rope.dimension_count " + std::to_string(c.n_rot) +
                   " must be even and at most the head dimension " + std::to_string(c.head_dim()));
  if (const GgufValue* v = g.find(a + "attention.layer_norm_rms_epsilon"))
    c.rms_eps = static_cast<float>(v->as_f64(a + "attention.layer_norm_rms_epsilon"));
  if (const GgufValue* v = g.find(a + "rope.freq_base")) c.rope_freq_base = static_cast<float>(v->as_f64(a + "rope.freq_base"));
  if (!(c.rms_eps >= 0 && c.rms_eps < 1))
    throw LlmError("model: layer_norm_rms_epsilon " + std::to_string(c.rms_eps) + " must be in [0, 1)");
  if (!(c.rope_freq_base > 0 && std::isfinite(c.rope_freq_base)))
    throw LlmError("model: rope.freq_base " + std::to_string(c.rope_freq_base) + " must be positive and finite");
  if (const GgufValue* v = g.find(a + "rope.scaling.type")) {
    const std::string& s = v->as_string(a + "rope.scaling.type");
    if (s != "none") throw LlmError("model: rope scaling \"" + s + "\" is not supported");
  }
}

WeightMatrix Model::matrix(const std::string& name, size_t cols, size_t rows) const {
  const GgufTensorInfo* t = gguf_.find_tensor(name);
  if (!t) throw LlmError("model: missing tensor " + name);
  if (t->dims.size() != 2 || t->dims[0] != cols || t->dims[1] != rows)
    throw LlmError("model: tensor " + name + " has shape " + shape_str(t->dims) + ", but must be [" + std::to_string(cols) +
                   ", " + std::to_string(rows) + "]");
  if (!is_supported_for_compute(t->type))
    throw LlmError("model: tensor " + name + " has type " + ggml_type_name(t->type) +
                   ", which is not supported (supported: F32, F16, Q8_0, Q4_0)");
  WeightMatrix w;
  w.type = t->type;
  w.rows = rows;
  w.cols = cols;
  w.row_bytes = t->n_bytes / rows;
  w.data = t->data;
  if (t->type == GgmlType::F32 && reinterpret_cast<uintptr_t>(t->data) % alignof(float))
    throw LlmError("model: tensor " + name + " is not aligned for F32 access");
  return w;
}

std::vector<float> Model::vector(const std::string& name, size_t n) const {
  const GgufTensorInfo* t = gguf_.find_tensor(name);
  if (!t) throw LlmError("model: missing tensor " + name);
  if (t->dims.size() != 1 || t->dims[0] != n)
    throw LlmError("model: tensor " + name + " has shape " + shape_str(t->dims) + ", but must be [" + std::to_string(n) + "]");
  std::vector<float> v(n);
  if (t->type == GgmlType::F32) {
    std::memcpy(v.data(), t->data, n * sizeof(float));
  } else if (t->type == GgmlType::F16) {
    for (size_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, t->data + 2 * i, 2);
      v[i] = half_to_float(h);
    }
  } else {
    throw LlmError("model: tensor " + name + " has type " + ggml_type_name(t->type) + ", but a norm must be F32 or F16");
  }
  return v;
}

void Model::load_weights() {
  const auto& c = config_;
  const GgufTensorInfo* emb = gguf_.find_tensor("token_embd.weight");
  if (!emb) throw LlmError("model: missing tensor token_embd.weight");
  if (emb->dims.size() != 2) throw LlmError("model: tensor token_embd.weight must be 2-dimensional");
  config_.n_vocab = static_cast<size_t>(emb->dims[1]);
  token_embd_ = matrix("token_embd.weight", c.n_embd, config_.n_vocab);
  output_ = gguf_.find_tensor("output.weight") ? matrix("output.weight", c.n_embd, c.n_vocab) : token_embd_;
  output_norm_ = vector("output_norm.weight", c.n_embd);
  layers_.resize(c.n_layer);
  for (size_t l = 0; l < c.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    LayerWeights& L = layers_[l];
    L.attn_norm = vector(p + "attn_norm.weight", c.n_embd);
    L.wq = matrix(p + "attn_q.weight", c.n_embd, c.n_embd);
    L.wk = matrix(p + "attn_k.weight", c.n_embd, c.kv_dim());
    L.wv = matrix(p + "attn_v.weight", c.n_embd, c.kv_dim());
    L.wo = matrix(p + "attn_output.weight", c.n_embd, c.n_embd);
    L.ffn_norm = vector(p + "ffn_norm.weight", c.n_embd);
    L.w_gate = matrix(p + "ffn_gate.weight", c.n_embd, c.n_ff);
    L.w_up = matrix(p + "ffn_up.weight", c.n_embd, c.n_ff);
    L.w_down = matrix(p + "ffn_down.weight", c.n_ff, c.n_embd);
  }
}

size_t Model::weight_bytes() const {
  size_t n = 0;
  for (const auto& t : gguf_.tensors()) n += t.n_bytes;
  return n;
}

std::string Model::describe() const {
  const auto& c = config_;
  std::map<std::string, int> types;
  for (const auto& t : gguf_.tensors()) types[ggml_type_name(t.type)]++;
  std::ostringstream s;
  s << c.architecture << ": " << c.n_layer << " layers, n_embd " << c.n_embd << ", " << c.n_head << " heads (" << c.n_head_kv
    << " kv), n_ff " << c.n_ff << ", vocab " << c.n_vocab << ", tensors:";
  for (const auto& [name, n] : types) s << " " << n << "x" << name;
  s << ", " << weight_bytes() << " bytes of weights";
  return s.str();
}

}  // namespace borel::llm
