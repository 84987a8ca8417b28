// EmbeddedModel.h — a language model run in process by the embedded engine
// (stdlib/llm), as a Borel LM (LanguageModel.h), with a cache of next-token
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
// prefetch(contexts) computes the distributions of many contexts in one
// batched forward call (the particles of SMC advancing together: each
// context's missing tokens are one entry of the batch), so the weights of
// the model are read once for all of them.
//
// Guarantees: the log-probabilities of a context do not depend on what was
// asked before (the decoder's logits depend only on the sequence,
// stdlib/llm/ForwardPass.h), so results are reproducible whatever the order
// of calls and the thread that makes them; calls from several threads are
// serialised. The cache holds at most max_entries contexts; past that it
// is emptied (forgetting is always safe, it only costs recomputation);
// max_entries defaults to what 256 MiB of log-probabilities hold (at least
// 64), so a large vocabulary does not fill the memory.
// Errors: LlmError (bad file, token id out of range, empty context).
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "LanguageModel.h"
#include "Llm.h"

namespace borel::lm {

class EmbeddedModel final : public LanguageModel {
 public:
  // Loads a GGUF file, once per path: the model stays loaded for the process
  // (a program holds it as a plain pointer), and load() returns the same one.
  static std::shared_ptr<EmbeddedModel> load(const std::string& path);
  // max_entries 0: the default above.
  explicit EmbeddedModel(std::shared_ptr<const llm::Model> model, size_t max_entries = 0);

  const llm::Model& model() const { return *model_; }
  const llm::Tokenizer& tokenizer() const override { return model_->tokenizer(); }
  size_t vocab_size() const override { return model_->tokenizer().size(); }
  const std::string& name() const override { return path_; }

  // log p(t | context) for every token id t (shared, immutable).
  std::shared_ptr<const std::vector<double>> next_token_logprobs(std::span<const llm::TokenId> context) override;
  // log p(tokens | context): the context's distribution from the cache (or
  // computed), the rest by one forward pass over the tokens (not one per
  // token); nothing of the pass is cached. Same values as the chain of
  // next_token_logprobs. Token ids are checked.
  double sequence_logprob(std::span<const llm::TokenId> context, std::span<const llm::TokenId> tokens) override;
  // The same for many pairs: the contexts prefetched (one call where any is
  // not cached), then every pair scored by BatchDecoder::score_many (one call).
  std::vector<double> sequence_logprobs(std::span<const TokenPair> pairs) override;
  // One batched call: the contexts (common prefixes) prefetched, then every
  // text scored by BatchDecoder::score_many.
  std::vector<double> text_logprobs(std::span<const TextPair> pairs) override;
  std::string sample_text(const std::string& prompt, int64_t max_tokens, const std::string& stop, uint64_t seed) override;
  // Empties the cache (benchmarks that must not be answered from it).
  void forget();
  // Whether next_token_logprobs(context) would be answered from the cache.
  bool cached(std::span<const llm::TokenId> context) override;
  // Computes the distributions of every context not cached, in one batched
  // forward call (identical contexts once). Same checks as next_token_logprobs.
  void prefetch(std::span<const std::vector<llm::TokenId>> contexts) override;

  // Statistics: tokens decoded, forward calls made (a batched call counts
  // once), and lookups answered from the cache.
  size_t decoded_tokens() const { return decoded_; }
  size_t forward_calls() const { return calls_; }
  size_t cache_hits() const { return hits_; }

 private:
  struct Entry {
    llm::Sequence sequence;
    std::shared_ptr<const std::vector<double>> logprobs;
  };
  static std::string key(std::span<const llm::TokenId> tokens);
  void check(std::span<const llm::TokenId> context) const;
  // The longest cached proper prefix of `context`, forked (or a new
  // sequence), and its length. Needs mutex_.
  std::pair<llm::Sequence, size_t> fork_longest_prefix(std::span<const llm::TokenId> context);
  void insert(std::span<const llm::TokenId> context, llm::Sequence seq, std::span<const float> logits);
  void prefetch_locked(std::span<const std::vector<llm::TokenId>> contexts);
  // texts[i]'s log-probability after contexts[i], all in one
  // BatchDecoder::score_many call (contexts decoded first where not cached).
  std::vector<double> score_all(std::span<const std::vector<llm::TokenId>> contexts,
                                std::span<const std::vector<llm::TokenId>> texts);

  std::shared_ptr<const llm::Model> model_;
  std::string path_;
  size_t max_entries_;
  std::mutex mutex_;
  llm::KvCache cache_;
  llm::BatchDecoder decoder_;
  std::unordered_map<std::string, Entry> entries_;
  size_t decoded_ = 0, calls_ = 0, hits_ = 0;
};

}  // namespace borel::lm
