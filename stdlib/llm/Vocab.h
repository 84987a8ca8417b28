// Vocab.h — the vocabulary stored in a GGUF file (tokenizer.ggml.*): token
// strings, scores, token types, the special ids and (byte-level BPE) the
// merges and pre-tokenizer name, shared by every tokenizer algorithm.
//
// Guarantees: after construction every special id is either kNoToken or a
// valid index, the arrays have the same length, and text_to_id is exact.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace borel::llm {

class GgufReader;

using TokenId = int32_t;
inline constexpr TokenId kNoToken = -1;

// As in llama.cpp's llama_token_type.
enum class TokenType : int32_t {
  Undefined = 0,
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

struct Vocab {
  std::string model;  // tokenizer.ggml.model: "llama" (SentencePiece), "gpt2" (byte-level BPE), ...
  std::string pre;    // tokenizer.ggml.pre: the byte-level BPE pre-tokenizer ("llama-bpe", "qwen2", ...); may be empty
  std::vector<std::string> merges;  // tokenizer.ggml.merges: "left right" pairs, by rank (byte-level BPE)
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<TokenType> types;
  TokenId bos = kNoToken, eos = kNoToken, unk = kNoToken, pad = kNoToken;
  bool add_bos = true;
  bool add_eos = false;
  bool add_space_prefix = true;

  size_t size() const { return tokens.size(); }
  std::optional<TokenId> text_to_id(std::string_view text) const;
  // Tokens of type Byte named "<0xNN>", indexed by byte; kNoToken when absent.
  TokenId byte_token(uint8_t byte) const { return byte_tokens_[byte]; }
  bool is_control_or_unknown(TokenId id) const {
    return types[id] == TokenType::Control || types[id] == TokenType::Unknown;
  }

  static Vocab from_gguf(const GgufReader& gguf);
  // Builds the index; called by from_gguf, and by code that fills a Vocab by hand.
  void finalize();

private:
  std::unordered_map<std::string, TokenId> index_;
  TokenId byte_tokens_[256];
};

}  // namespace borel::llm
