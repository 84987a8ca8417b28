#include "Unicode.h"

#include <algorithm>

namespace borel::llm {

CodePoint next_code_point(std::string_view text, size_t pos) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t b0 = byte(pos);
  if (b0 < 0x80) return {b0, 1};
  // Length and the allowed range of the second byte, per Unicode's table 3-7
  // of well-formed sequences (the ranges rule out overlong forms, surrogates
  // and code points above U+10FFFF).
  size_t len;
  uint8_t lo = 0x80, hi = 0xBF;
  uint32_t cp;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {kInvalidCodePoint, 1};  // a continuation byte, C0, C1 or F5..FF
  }
  if (text.size() - pos < len) return {kInvalidCodePoint, 1};
  for (size_t i = 1; i < len; ++i) {
    const uint8_t b = byte(pos + i);
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) return {kInvalidCodePoint, 1};
    cp = (cp << 6) | (b & 0x3F);
  }
  return {cp, len};
}

CharClass char_class(uint32_t cp) {
  // White_Space (PropList.txt).
  if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
      (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000)
    return CharClass::Whitespace;
  using unicode_detail::kLetterNumberRangeCount;
  using unicode_detail::kLetterNumberRanges;
  const auto* end = kLetterNumberRanges + kLetterNumberRangeCount;
  // The first range whose last code point is >= cp; cp is in it or in none.
  const auto* it = std::lower_bound(kLetterNumberRanges, end, cp,
                                    [](const unicode_detail::CodePointRange& r, uint32_t c) { return r.last < c; });
  if (it != end && it->first <= cp) return it->cls;
  return CharClass::Other;
}

void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace borel::llm
