// TokenIndex.h — a vocabulary as the byte strings its tokens add to a text,
// and, for a state of a Regex's DFA, the tokens that keep the text a viable
// prefix: the token mask of a regular-expression constraint.
//
// A token's bytes are what the tokenizer's decode appends for it
// (Tokenizer::token_to_piece without special text: SentencePiece's ▁ as a
// space, a byte-fallback token <0xNN> as its byte, byte-level BPE's
// characters back to bytes). Only tokens that stand for text can be
// allowed: normal, user-defined and byte tokens with at least one byte.
// Control and unknown tokens (BOS, UNK, ...) never are, nor are tokens that
// decode to nothing (they would let a mask loop without making progress) —
// except EOS, which allowed() includes exactly when the state accepts.
//
// allowed(re, s) is sorted. Cost: one DFA step per byte of every token that
// is not already ruled out by a prefix it shares with the previous token in
// byte order (the tokens are sorted once, so a common prefix is walked
// once); measured in tests/lm/RegexTest.cpp on a synthetic 128k vocabulary.
// Callers memoise the result per state (RegexMask).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "Llm.h"
#include "Regex.h"

namespace borel::lm {

class TokenIndex {
 public:
  // bytes[id]: the token's bytes; text[id]: whether it may be allowed.
  TokenIndex(std::vector<std::string> bytes, std::vector<bool> text, llm::TokenId eos);
  static std::shared_ptr<const TokenIndex> of(const llm::Tokenizer& tokenizer);

  size_t size() const { return bytes_.size(); }
  llm::TokenId eos() const { return eos_; }
  const std::string& bytes(llm::TokenId id) const { return bytes_[static_cast<size_t>(id)]; }

  // The ids t such that the text that led to s, followed by bytes(t), is a
  // viable prefix of re; plus EOS when s accepts. Sorted. Grows re's DFA.
  std::vector<llm::TokenId> allowed(Regex& re, Regex::State s) const;

 private:
  std::vector<std::string> bytes_;
  std::vector<llm::TokenId> order_;  // the text tokens, sorted by bytes
  std::vector<uint32_t> shared_;     // common prefix of order_[i] with order_[i - 1]
  llm::TokenId eos_;
};

}  // namespace borel::lm
