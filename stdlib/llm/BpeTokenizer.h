// BpeTokenizer.h — GPT-2-style byte-level BPE (GGUF tokenizer.ggml.model =
// "gpt2"; GPT-2, Llama 3, Qwen 2.5): the text is cut into pieces by the
// pre-tokenizer tokenizer.ggml.pre names (BpePreTokenizer.h); each piece's
// bytes become one symbol each, written as GPT-2's printable byte-to-unicode
// characters (space as "Ġ", newline as "Ċ"); adjacent symbols are merged by
// the rank of their pair in tokenizer.ggml.merges, lowest rank first and
// leftmost on ties, until no pair has a merge; each symbol is a token.
//
// Guarantees: encode never fails on any byte string and returns valid ids;
// when the vocabulary has a token for each of the 256 byte characters (every
// GPT-2-style vocabulary does), decode(encode(s)) == s for every byte string
// s, invalid UTF-8 included — unlike llama.cpp, which replaces invalid bytes
// by U+FFFD before tokenizing (the pieces are cut at the same places, since
// an invalid byte is classed as U+FFFD is). On valid UTF-8 the ids are
// llama.cpp's llama_tokenize (parse_special = false) for the supported
// pre-tokenizers, Llama 3's "ignore merges" rule included; decode is
// llama_detokenize without its clean_spaces pass (which removes spaces
// before punctuation and so is not lossless).
//
// Loading throws LlmError when tokenizer.ggml.merges is absent or empty, a
// merge is not two tokens separated by a space, or tokenizer.ggml.pre is
// absent or not supported. Merges whose two sides or result are not tokens
// are ignored (they could never produce a token).
#pragma once

#include "BpePreTokenizer.h"
#include "Tokenizer.h"

#include <cstdint>
#include <unordered_map>

namespace borel::llm {

class BpeTokenizer final : public Tokenizer {
public:
  explicit BpeTokenizer(Vocab vocab);

  std::vector<TokenId> encode(std::string_view text, bool add_special = true) const override;
  // Normal tokens map back through byte-to-unicode; control and unknown
  // tokens print as their text only when special; user-defined tokens as
  // their text; byte, unused and undefined tokens as nothing (as llama.cpp
  // does for BPE vocabularies).
  std::string decode(std::span<const TokenId> ids, bool remove_special = true,
                     bool unparse_special = false) const override;
  std::string token_to_piece(TokenId id, bool special = true) const override;

  BpePreTokenizer pre_tokenizer() const { return pre_; }

private:
  struct Merge {
    int32_t rank;
    TokenId result;
  };
  void encode_piece(std::string_view piece, std::vector<TokenId>& out) const;

  BpePreTokenizer pre_;
  bool ignore_merges_;
  TokenId byte_ids_[256];
  std::unordered_map<uint64_t, Merge> merges_;  // key: left id << 32 | right id
};

// GPT-2's byte-to-unicode map: bytes '!'..'~', 0xA1..0xAC and 0xAE..0xFF stand
// for themselves; the other 68 bytes, in order, for U+0100..U+0143.
uint32_t byte_to_unicode(uint8_t byte);
// A byte string written with that map (what vocabularies and merges contain).
std::string byte_level_encode(std::string_view bytes);

}  // namespace borel::llm
