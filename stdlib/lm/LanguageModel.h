// LanguageModel.h — a language model as a value of the Borel language (an
// `LM`): the interface the builtins and the token distributions use. Two
// implementations: EmbeddedModel (a GGUF file run by the engine in
// stdlib/llm: exact, token by token) and ServerModel (an OpenAI-compatible
// HTTP server: text in, log-probabilities of text out).
//
// Token-level operations (the tokenizer, next-token distributions) need the
// model's whole next-token distribution. Only the embedded engine has it: a
// server answers with the log-probabilities of at most a few alternatives,
// so on a server these throw LlmError saying what to use instead. The
// text-level operations work on both, with the same numbers for the same
// model (the server computes them as BatchDecoder::score does).
//
// Values live for the whole process (a program holds an LM as a plain
// pointer). Calls from several threads are safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "Llm.h"

namespace borel::lm {

class LanguageModel {
 public:
  virtual ~LanguageModel() = default;
  // The GGUF path or the server's URL, for messages.
  virtual const std::string& name() const = 0;

  // --- Token level (embedded only) -------------------------------------
  virtual const llm::Tokenizer& tokenizer() const { token_level("a tokenizer"); }
  // Text to token ids with BOS (as llama.cpp): the tokenizer's; a server's
  // own POST /tokenize where it has one (ServerModel).
  virtual std::vector<llm::TokenId> tokenize(const std::string& text);
  virtual size_t vocab_size() const { token_level("a vocabulary"); }
  // log p(t | context) for every token id t (shared, immutable).
  virtual std::shared_ptr<const std::vector<double>> next_token_logprobs(std::span<const llm::TokenId>) {
    token_level("next-token distributions");
  }
  // Whether next_token_logprobs(context) would be answered from a cache.
  virtual bool cached(std::span<const llm::TokenId>) { token_level("next-token distributions"); }
  // Computes the distributions of many contexts together (one batched call).
  virtual void prefetch(std::span<const std::vector<llm::TokenId>>) { token_level("next-token distributions"); }
  // log p(tokens | context).
  virtual double sequence_logprob(std::span<const llm::TokenId>, std::span<const llm::TokenId>) {
    token_level("token log-probabilities");
  }
  struct TokenPair {
    std::vector<llm::TokenId> context, tokens;
  };
  // log p(tokens | context) of each pair, computed together (the embedded
  // model: one batched call, after the contexts in one more where they are
  // not cached); each the same bits as sequence_logprob. Default: one by one.
  virtual std::vector<double> sequence_logprobs(std::span<const TokenPair> pairs) {
    std::vector<double> out;
    for (const TokenPair& p : pairs) out.push_back(sequence_logprob(p.context, p.tokens));
    return out;
  }

  // --- Text level -------------------------------------------------------
  struct TextPair {
    std::string prompt, text;
  };
  // log p(text | prompt) of each pair, computed together (one batched
  // forward call embedded, concurrent requests on a server). The text's
  // tokens are those of prompt + text after the longest common prefix with
  // the prompt's own tokens (a token across the join counts as the text's),
  // as `borel lm score` and OpenAiClient::score count them.
  virtual std::vector<double> text_logprobs(std::span<const TextPair> pairs) = 0;
  // A continuation of `prompt` drawn from the model (temperature 1, no cut of
  // the distribution), at most max_tokens tokens, ending at the end-of-text
  // token (not included) or just before the first occurrence of `stop`
  // (empty: none). `seed` makes the draw reproducible.
  virtual std::string sample_text(const std::string& prompt, int64_t max_tokens, const std::string& stop,
                                  uint64_t seed) = 0;

 protected:
  [[noreturn]] void token_level(const char* what) const;
};

}  // namespace borel::lm
