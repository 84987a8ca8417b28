// BatchDecoder.h — the engine's C++ entry point: runs a Model over
// sequences held in a KvCache, one sequence or many at once.
//
//   auto model = Model::load("stories260K.gguf");
//   KvCache cache(model->config());
//   BatchDecoder dec(model, cache);
//   Sequence s = cache.new_sequence();
//   auto logits = dec.prefill(s, model->tokenizer().encode("Once upon a time"));
//   Sequence t = s.fork();                       // O(1), shares the prompt
//   auto rows = dec.decode({&s, &t}, {tok_a, tok_b});  // one batched step
//
// A BatchDecoder owns its scratch buffers and thread pool; use one per
// thread. The spans it returns point into its buffers and stay valid until
// its next call.
//
// Guarantee: results are independent of batch composition and thread count
// (see ForwardPass.h); decoding N sequences in one call gives the same
// logits as N single calls.
#pragma once

#include "ForwardPass.h"
#include "KvCache.h"
#include "Model.h"
#include "ThreadPool.h"

#include <memory>
#include <span>
#include <vector>

namespace borel::llm {

// Row-major logits: rows() x n_vocab.
class LogitRows {
public:
  LogitRows(const float* data, size_t rows, size_t n_vocab) : data_(data), rows_(rows), n_vocab_(n_vocab) {}
  size_t rows() const { return rows_; }
  std::span<const float> operator[](size_t i) const { return {data_ + i * n_vocab_, n_vocab_}; }

private:
  const float* data_;
  size_t rows_, n_vocab_;
};

struct ScoreResult {
  std::vector<double> token_logprobs;  // log p(continuation[i] | context, continuation[0..i))
  double total = 0;                    // their sum: log p(continuation | context)
};

class BatchDecoder {
public:
  BatchDecoder(std::shared_ptr<const Model> model, KvCache& cache, unsigned n_threads = 1);

  const Model& model() const { return *model_; }
  KvCache& cache() { return cache_; }
  unsigned threads() const { return pool_.size(); }
  // Integer dot products for Q8_0 / Q4_0 matrices (default on; see ForwardPass.h).
  void set_integer_dots(bool on) { forward_.set_integer_dots(on); }
  bool integer_dots() const { return forward_.integer_dots(); }

  // General form: extends every entry's sequence by its tokens; returns the
  // requested logit rows in entry order.
  LogitRows eval(std::span<const BatchEntry> batch);

  // Extends `seq` by `tokens` (at least one) and returns the logits after the last.
  std::span<const float> prefill(Sequence& seq, std::span<const TokenId> tokens);

  // Extends each seqs[i] by tokens[i]; returns one logit row per sequence.
  LogitRows decode(std::span<Sequence* const> seqs, std::span<const TokenId> tokens);
  LogitRows decode(std::initializer_list<Sequence*> seqs, std::initializer_list<TokenId> tokens) {
    return decode(std::span<Sequence* const>(seqs.begin(), seqs.size()), std::span<const TokenId>(tokens.begin(), tokens.size()));
  }

  // log p(continuation | context), token by token, in one batched call.
  // `context` (non-empty, already in the cache) is left unchanged; when
  // `extended` is given it receives context + continuation, ready to decode on.
  ScoreResult score(const Sequence& context, std::span<const TokenId> continuation, Sequence* extended = nullptr);

  // Scores several continuations of (possibly different) contexts in one batch.
  std::vector<ScoreResult> score_many(std::span<const Sequence* const> contexts,
                                      std::span<const std::vector<TokenId>> continuations);

private:
  std::shared_ptr<const Model> model_;
  KvCache& cache_;
  ThreadPool pool_;
  ForwardPass forward_;
  std::vector<float> logits_;
  std::vector<BatchEntry> entries_;
};

}  // namespace borel::llm
