// Unicode.h — UTF-8 code points and the character classes the byte-level BPE
// pre-tokenizers are written in: letter (\p{L}), number (\p{N}), whitespace
// (\s) and everything else.
//
// Coverage: letters and numbers are the complete general categories L*
// (Lu Ll Lt Lm Lo) and N* (Nd Nl No) of Unicode 14.0, as a generated table
// of ranges (UnicodeTable.cpp, written by scripts/gen_unicode_table.py);
// code points assigned after 14.0 fall back to Other. Whitespace is exactly
// the White_Space property (U+0009..000D, 0020, 0085, 00A0, 1680,
// 2000..200A, 2028, 2029, 202F, 205F, 3000), which is what \s means in the
// tokenizers' regexes. Everything else — marks, punctuation, symbols,
// controls, unassigned — is Other.
//
// Guarantee: next_code_point splits any byte string, valid UTF-8 or not, into
// units that cover it exactly. A well-formed UTF-8 sequence (Unicode's table
// 3-7: no overlong forms, no surrogates, nothing above U+10FFFF) is one unit;
// any other byte is a unit of its own with code point kInvalidCodePoint,
// classed Other — the class llama.cpp gives the U+FFFD it substitutes for
// such bytes, so pre-tokenization splits where llama.cpp splits, while the
// original bytes are kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace borel::llm {

enum class CharClass : uint8_t { Other, Letter, Number, Whitespace };

inline constexpr uint32_t kInvalidCodePoint = 0xFFFFFFFF;

struct CodePoint {
  uint32_t cp;  // kInvalidCodePoint for a byte that starts no well-formed sequence
  size_t len;   // bytes consumed, 1..4 (1 for an invalid byte)
};

// The unit starting at text[pos]; pos < text.size().
CodePoint next_code_point(std::string_view text, size_t pos);

CharClass char_class(uint32_t cp);

// Appends the UTF-8 encoding of a scalar value (cp <= 0x10FFFF, no surrogate).
void append_utf8(uint32_t cp, std::string& out);

namespace unicode_detail {
struct CodePointRange {
  uint32_t first, last;
  CharClass cls;
};
extern const char* const kUnicodeVersion;
extern const CodePointRange kLetterNumberRanges[];
extern const size_t kLetterNumberRangeCount;
}  // namespace unicode_detail

}  // namespace borel::llm
