// LanguageModel.h — a language model as a value of the Borel language: the
// embedded engine's model (stdlib/llm) with a cache of next-token
// distributions by context, so that a particle that extends its context by
// one token costs one decoded token, not a pass over the whole context.
//
// next_token_logprobs(context) returns log p(· | context) over the whole
// vocabulary (the raw softmax: temperature 1, every id, EOS an ordinary
// token), computed by extending the longest cached prefix of `context`
// (its KV sequence forked in O(1), then the missing tokens decoded) — the
// prefix sharing of resampled particles (DESIGN.md, decision 6). The KV
// cache is F32, not the engine's F16 default, so that these are the model's
// F32 log-probabilities.
//
// Guarantees: the log-probabilities of a context do not depend on what was
// asked before (the decoder's logits depend only on the sequence,
// stdlib/llm/ForwardPass.h), so results are reproducible whatever the order
// of calls and the thread that makes them; calls from several threads are
// serialised. The cache holds at most max_entries contexts; past that it
// is emptied (forgetting is always safe, it only costs recomputation).
// Errors: LlmError (bad file, token id out of range, empty context).
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "Llm.h"

namespace borel::lm {

class LanguageModel {
 public:
  // Loads a GGUF file, once per path: the model stays loaded for the process
  // (a program holds it as a plain pointer), and load() returns the same one.
  static std::shared_ptr<LanguageModel> load(const std::string& path);
  explicit LanguageModel(std::shared_ptr<const llm::Model> model, size_t max_entries = 1 << 16);

  const llm::Model& model() const { return *model_; }
  const llm::Tokenizer& tokenizer() const { return model_->tokenizer(); }
  size_t vocab_size() const { return model_->tokenizer().size(); }
  const std::string& path() const { return path_; }

  // log p(t | context) for every token id t (shared, immutable).
  std::shared_ptr<const std::vector<double>> next_token_logprobs(std::span<const llm::TokenId> context);

  // Statistics: tokens decoded, and lookups answered from the cache.
  size_t decoded_tokens() const { return decoded_; }
  size_t cache_hits() const { return hits_; }

 private:
  struct Entry {
    llm::Sequence sequence;
    std::shared_ptr<const std::vector<double>> logprobs;
  };
  static std::string key(std::span<const llm::TokenId> tokens);

  std::shared_ptr<const llm::Model> model_;
  std::string path_;
  size_t max_entries_;
  std::mutex mutex_;
  llm::KvCache cache_;
  llm::BatchDecoder decoder_;
  std::unordered_map<std::string, Entry> entries_;
  size_t decoded_ = 0, hits_ = 0;
};

}  // namespace borel::lm
