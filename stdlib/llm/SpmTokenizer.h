// SpmTokenizer.h — SentencePiece-style tokenizer (llama.cpp's "SPM"
// vocabulary): spaces become U+2581 "▁", a "▁" is prefixed to the text,
// adjacent symbols are merged greedily by the score of the merged piece
// (highest first, leftmost on ties), and characters that end up in no piece
// fall back to byte tokens <0xNN>.
//
// Guarantee: encode and decode reproduce llama.cpp's llama_tokenize
// (parse_special = false) and llama_detokenize exactly; the golden tests in
// tests/llm check this, including the empty string and non-ASCII text.
#pragma once

#include "Tokenizer.h"

namespace borel::llm {

class SpmTokenizer final : public Tokenizer {
public:
  explicit SpmTokenizer(Vocab vocab);

  std::vector<TokenId> encode(std::string_view text, bool add_special = true) const override;
  std::string decode(std::span<const TokenId> ids, bool remove_special = true,
                     bool unparse_special = false) const override;
  std::string token_to_piece(TokenId id, bool special = true) const override;

private:
  void encode_fragment(const std::string& escaped, std::vector<TokenId>& out) const;
};

}  // namespace borel::llm
