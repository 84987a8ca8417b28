// ForwardPass.h — the LLaMA transformer forward pass over a batch of tokens
// from any number of sequences: token embedding, RMSNorm, rotary position
// embeddings (adjacent-pair "NORM" layout), grouped-query causal attention
// over each sequence's KV cache, SwiGLU feed-forward, output head; all
// accumulation in F32 (norm and softmax sums in double), as llama.cpp's CPU
// backend does.
//
// Every weight matrix is applied once to all tokens of the batch (a
// matrix-matrix product), so advancing N sequences by one token costs one
// pass over the weights, not N. Buffers grow to the largest batch seen and
// are reused: steady-state decoding allocates nothing.
//
// Guarantee: the logits of a token depend only on its sequence's tokens, not
// on the batch it was computed in or the number of threads (each output is
// computed by the same arithmetic in the same order).
#pragma once

#include "IntDot.h"
#include "KvCache.h"
#include "Model.h"
#include "ThreadPool.h"

#include <span>
#include <vector>

namespace borel::llm {

enum class LogitsMode {
  None,  // only extend the cache
  Last,  // logits after the last token of the entry
  All,   // logits after every token of the entry
};

struct BatchEntry {
  Sequence* seq = nullptr;
  std::span<const TokenId> tokens;
  LogitsMode logits = LogitsMode::Last;
};

class ForwardPass {
public:
  ForwardPass(const Model& model, ThreadPool& pool);

  // Appends each entry's tokens to its sequence and writes the requested
  // logit rows to `logits` (n_rows x n_vocab, rows in entry order). Checks
  // every token id and sequence before touching any cache.
  void run(std::span<const BatchEntry> batch, KvCache& cache, std::vector<float>& logits);

  // Q8_0 / Q4_0 matrices: integer dot products on activations quantised to
  // 8-bit blocks (IntDot.h; the default), or the weights expanded to F32 and
  // multiplied in F32 (WeightMatrix::matmul; slower, no activation rounding).
  void set_integer_dots(bool on) { integer_dots_ = on; }
  bool integer_dots() const { return integer_dots_; }

private:
  // An activation matrix (n rows, ldx apart), quantised the first time an
  // integer-dot product needs it: several matrices often share one input.
  struct Input {
    const float* x;
    size_t ldx, n;
    uint64_t serial;  // which input quantised_ holds
  };
  Input input(const float* x, size_t ldx, size_t n) { return {x, ldx, n, ++serial_}; }
  void attention(size_t layer, size_t t0, size_t t1, unsigned worker, const KvCache& cache);
  template <class Load, class Kv>
  void attention_body(size_t layer, size_t t0, size_t t1, unsigned worker, const KvCache& cache);
  void attention_f32(size_t layer, size_t t0, size_t t1, unsigned worker, const KvCache& cache);
  void attention_f16(size_t layer, size_t t0, size_t t1, unsigned worker, const KvCache& cache);
  void attention_f16c(size_t layer, size_t t0, size_t t1, unsigned worker, const KvCache& cache);
  void matmul(const WeightMatrix& w, const Input& in, float* y, size_t ldy);

  const Model& model_;
  ThreadPool& pool_;
  // Per-token bookkeeping.
  std::vector<uint32_t> tok_entry_, tok_pos_;
  std::vector<size_t> start_len_;
  std::vector<TokenId> tok_id_;
  std::vector<KvCache::Slot> tok_slot_;
  std::vector<std::vector<const detail::KvBlock*>> entry_blocks_;
  // Activations, n_tokens rows each.
  std::vector<float> x_, xn_, q_, k_, v_, att_, gate_, up_, rope_;
  // Per-worker scratch: attention scores, 1 / (sum of exponentials) per
  // head of a group, one block's keys or values of one KV head converted
  // from F16, and one dequantised weight row.
  std::vector<std::vector<float>> scores_, inv_, kv_chunk_, row_scratch_;
  bool integer_dots_ = true;
  Q8Rows quantised_;  // the quantised form of the Input numbered quantised_serial_
  uint64_t serial_ = 0, quantised_serial_ = 0;
};

}  // namespace borel::llm
