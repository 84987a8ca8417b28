// BpePreTokenizer.h — the pre-tokenizers of byte-level BPE vocabularies
// (GGUF tokenizer.ggml.pre): they cut text into the pieces BPE merges within,
// as the tokenizers' regexes do, written as hand scanners over code points
// (std::regex has no \p{L}). Supported, with the regex each one implements:
//
//   Gpt2   ("gpt2", "gpt-2"; GPT-2):
//     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   Llama3 ("llama-bpe", "llama3", "llama-v3"; Llama 3):
//     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//     ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   Qwen2  ("qwen2", "deepseek-r1-qwen"; Qwen 2 / 2.5): as Llama3 but \p{N}
//     (one digit per piece).
//
// The contractions' case-insensitivity is ASCII only, as in llama.cpp. The
// classes are those of Unicode.h (complete L* and N* of Unicode 14.0; an
// invalid UTF-8 byte is Other).
//
// Guarantee: the pieces are non-empty, in order, and their concatenation is
// the text, for any byte string; each is the regex's leftmost-first match at
// that point (tests/llm/BpeTokenizerTest.cpp checks this against std::regex
// on ASCII text, where the classes can be spelled out).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace borel::llm {

enum class BpePreTokenizer { Gpt2, Llama3, Qwen2 };

// What a tokenizer.ggml.pre name implies (llama.cpp's defaults for it).
struct BpePreTokenizerInfo {
  BpePreTokenizer kind;
  bool ignore_merges;  // a piece that is itself a token is emitted whole, without merging (Llama 3)
  bool add_bos;        // default of tokenizer.ggml.add_bos_token
};

// Nullopt for names not listed above.
std::optional<BpePreTokenizerInfo> find_bpe_pre_tokenizer(std::string_view name);

// The names accepted, for error messages.
const char* bpe_pre_tokenizer_names();

std::vector<std::string_view> pre_tokenize(BpePreTokenizer kind, std::string_view text);

}  // namespace borel::llm
