// TokenIndex.h — a vocabulary as the byte strings its tokens add to a text,
// and, for a state of a Regex's DFA (or a Grammar's automaton), the tokens that keep the text a viable
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

#include <algorithm>
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
  // The ids a mask may allow besides EOS (text tokens with some bytes), sorted.
  std::vector<llm::TokenId> text_ids() const;

  // The ids t such that the text that led to s, followed by bytes(t), is a
  // viable prefix of re; plus EOS when s accepts. Sorted. Grows re's DFA.
  std::vector<llm::TokenId> allowed(Regex& re, Regex::State s) const { return allowed_in(re, s); }
  // The same for any automaton over bytes with State, step, dead and
  // accepting as Regex's (Grammar.h): one step per byte of every token not
  // ruled out by a dead prefix shared with the previous token.
  template <class Automaton>
  std::vector<llm::TokenId> allowed_in(Automaton& a, typename Automaton::State s) const;

 private:
  std::vector<std::string> bytes_;
  std::vector<llm::TokenId> order_;  // the text tokens, sorted by bytes
  std::vector<uint32_t> shared_;     // common prefix of order_[i] with order_[i - 1]
  llm::TokenId eos_;
};

template <class Automaton>
std::vector<llm::TokenId> TokenIndex::allowed_in(Automaton& a, typename Automaton::State s) const {
  std::vector<llm::TokenId> out;
  if (a.dead(s)) return out;
  // path[k]: the state after the first k bytes of the previous token; it
  // ends at the first dead state, so a token sharing a dead prefix is
  // rejected without a step.
  std::vector<typename Automaton::State> path{s};
  for (size_t i = 0; i < order_.size(); ++i) {
    const std::string& b = bytes(order_[i]);
    const size_t keep = std::min<size_t>(shared_[i], path.size() - 1);
    path.resize(keep + 1);
    auto x = path.back();
    for (size_t k = keep; k < b.size() && !a.dead(x); ++k) {
      x = a.step(x, static_cast<uint8_t>(b[k]));
      path.push_back(x);
    }
    if (!a.dead(x)) out.push_back(order_[i]);
  }
  if (a.accepting(s) && eos_ != llm::kNoToken) out.push_back(eos_);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace borel::lm
