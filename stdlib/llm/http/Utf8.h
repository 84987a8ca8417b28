// Utf8.h — the little UTF-8 the HTTP layer needs: counting characters (the
// unit of OpenAI's text offsets) and making token bytes safe to put in JSON.
//
// A token may be part of a character (byte-fallback tokens), so generated
// text can be invalid UTF-8 where it is cut. sanitize_utf8 replaces each byte
// that does not begin a complete, valid sequence by U+FFFD, and char_index
// counts characters in the same way, so offsets computed on the raw bytes
// agree with the sanitised text.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace borel::llm::http {

// Length of the valid UTF-8 sequence starting at s[i] (1 to 4), or 0 when the
// byte there does not start one (overlong forms and surrogates are invalid).
inline size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  return n;
}

inline bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

inline std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

// index[p] = characters of sanitize_utf8(s) that start before byte p, for p in
// [0, s.size()]: a byte offset into s turned into a character offset.
inline std::vector<size_t> char_index(std::string_view s) {
  std::vector<size_t> index(s.size() + 1);
  size_t chars = 0;
  for (size_t i = 0; i < s.size();) {
    const size_t n = std::max<size_t>(1, utf8_sequence_length(s, i));
    for (size_t k = 0; k < n; ++k) index[i + k] = chars + (k > 0);
    ++chars;
    i += n;
  }
  index[s.size()] = chars;
  return index;
}

// Characters in sanitize_utf8(s) (code points, for valid UTF-8).
inline size_t utf8_length(std::string_view s) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++chars) i += std::max<size_t>(1, utf8_sequence_length(s, i));
  return chars;
}

}  // namespace borel::llm::http
