// Tokenizer.h — text <-> token ids, the interface every tokenizer algorithm
// implements, and the factory that picks one from a GGUF vocabulary.
//
// Implementations: SentencePiece (tokenizer.ggml.model = "llama") is
// SpmTokenizer.h; GPT-2-style byte-level BPE ("gpt2": GPT-2, Llama 3, Qwen 2.5,
// with the pre-tokenizer tokenizer.ggml.pre names) is BpeTokenizer.h. Another
// algorithm is another subclass plus one line in Tokenizer::from_vocab.
//
// Guarantees (for every implementation): encode never fails on any byte
// string (invalid UTF-8 included); every id encode returns is a valid index;
// decode throws LlmError on an out-of-range id rather than reading past the
// vocabulary.
#pragma once

#include "Vocab.h"

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace borel::llm {

class Tokenizer {
public:
  virtual ~Tokenizer() = default;

  // add_special: prepend BOS (and append EOS) as the vocabulary asks.
  // Special-token text in `text` (e.g. "<s>") is not parsed: it is ordinary text.
  virtual std::vector<TokenId> encode(std::string_view text, bool add_special = true) const = 0;

  // remove_special: drop a leading BOS / trailing EOS the tokenizer would
  // add, and print control tokens as nothing; unparse_special: print control
  // tokens as their text (e.g. "<s>"). Matches llama_detokenize.
  virtual std::string decode(std::span<const TokenId> ids, bool remove_special = true,
                             bool unparse_special = false) const = 0;

  // The bytes one token stands for (control tokens as their text when special).
  virtual std::string token_to_piece(TokenId id, bool special = true) const = 0;

  const Vocab& vocab() const { return vocab_; }
  size_t size() const { return vocab_.size(); }

  // Picks the algorithm from vocab.model; throws LlmError for unsupported ones.
  static std::unique_ptr<Tokenizer> from_vocab(Vocab vocab);

protected:
  explicit Tokenizer(Vocab vocab) : vocab_(std::move(vocab)) {}
  void check_id(TokenId id) const;
  Vocab vocab_;
};

}  // namespace borel::llm
