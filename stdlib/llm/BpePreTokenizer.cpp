#include "BpePreTokenizer.h"

#include "Unicode.h"

namespace borel::llm {

std::optional<BpePreTokenizerInfo> find_bpe_pre_tokenizer(std::string_view name) {
  if (name == "gpt2" || name == "gpt-2") return BpePreTokenizerInfo{BpePreTokenizer::Gpt2, false, false};
  if (name == "llama-bpe" || name == "llama3" || name == "llama-v3")
    return BpePreTokenizerInfo{BpePreTokenizer::Llama3, true, true};
  if (name == "qwen2" || name == "deepseek-r1-qwen") return BpePreTokenizerInfo{BpePreTokenizer::Qwen2, false, false};
  return std::nullopt;
}

const char* bpe_pre_tokenizer_names() {
  return "\"gpt2\", \"gpt-2\", \"llama-bpe\", \"llama3\", \"llama-v3\", \"qwen2\", \"deepseek-r1-qwen\"";
}

namespace {

// The text as code points (invalid bytes as units of their own) with their
// classes; every scanner below returns the end (a unit index) of the match
// that starts at unit i.
class Scanner {
public:
  explicit Scanner(std::string_view text) {
    for (size_t pos = 0; pos < text.size();) {
      CodePoint c = next_code_point(text, pos);
      units_.push_back({c.cp, pos, c.cp == kInvalidCodePoint ? CharClass::Other : char_class(c.cp)});
      pos += c.len;
    }
    end_ = text.size();
  }

  size_t size() const { return units_.size(); }
  size_t byte_offset(size_t i) const { return i < units_.size() ? units_[i].pos : end_; }

  size_t gpt2(size_t i) const {
    if (size_t k = contraction(i, false)) return i + k;
    // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: the classes are disjoint,
    // so the class after the optional space picks the alternative.
    const size_t s = is(i, ' ') && i + 1 < size() ? i + 1 : i;
    const CharClass c = cls(s);
    if (c != CharClass::Whitespace) return run(s, [c](CharClass x) { return x == c; });
    return whitespace(i);
  }

  // Llama 3 (max_digits 3) and Qwen2 (max_digits 1).
  size_t llama3(size_t i, size_t max_digits) const {
    if (size_t k = contraction(i, true)) return i + k;
    const CharClass c = cls(i);
    // `[^\r\n\p{L}\p{N}]?\p{L}+`
    if (c == CharClass::Letter) return run(i, is_letter);
    if (c != CharClass::Number && !is_newline(i) && i + 1 < size() && cls(i + 1) == CharClass::Letter)
      return run(i + 1, is_letter);
    // `\p{N}{1,3}` or `\p{N}`
    if (c == CharClass::Number) {
      size_t j = i;
      while (j < size() && j - i < max_digits && cls(j) == CharClass::Number) ++j;
      return j;
    }
    // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
    const size_t s = is(i, ' ') && i + 1 < size() && cls(i + 1) == CharClass::Other ? i + 1 : i;
    if (cls(s) == CharClass::Other) {
      size_t j = run(s, [](CharClass x) { return x == CharClass::Other; });
      while (j < size() && is_newline(j)) ++j;
      return j;
    }
    // `\s*[\r\n]+`: \s* backs off to the last \r or \n of the whitespace run,
    // and [\r\n]+ ends right after it.
    const size_t j = run(i, [](CharClass x) { return x == CharClass::Whitespace; });
    for (size_t k = j; k > i; --k)
      if (is_newline(k - 1)) return k;
    return whitespace(i);
  }

private:
  struct Unit {
    uint32_t cp;
    size_t pos;
    CharClass cls;
  };

  static bool is_letter(CharClass x) { return x == CharClass::Letter; }
  CharClass cls(size_t i) const { return units_[i].cls; }
  bool is(size_t i, char32_t c) const { return i < size() && units_[i].cp == uint32_t(c); }
  bool is_newline(size_t i) const { return is(i, '\r') || is(i, '\n'); }

  template <class Pred>
  size_t run(size_t i, Pred pred) const {
    while (i < size() && pred(cls(i))) ++i;
    return i;
  }

  // 's 't 're 've 'm 'll 'd: the number of units matched at i, 0 if none.
  size_t contraction(size_t i, bool any_case) const {
    if (!is(i, '\'')) return 0;
    auto at = [&](size_t j) -> uint32_t {
      if (j >= size()) return 0;
      uint32_t c = units_[j].cp;
      return any_case && c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    };
    const uint32_t a = at(i + 1);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    const uint32_t b = at(i + 2);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
  }

  // `\s+(?!\S)|\s+` at a whitespace unit: a run followed by a non-space
  // leaves its last unit to prefix the next piece, unless it is the only one.
  size_t whitespace(size_t i) const {
    const size_t j = run(i, [](CharClass x) { return x == CharClass::Whitespace; });
    return j < size() && j - i >= 2 ? j - 1 : j;
  }

  std::vector<Unit> units_;
  size_t end_ = 0;
};

}  // namespace

std::vector<std::string_view> pre_tokenize(BpePreTokenizer kind, std::string_view text) {
  const Scanner scan(text);
  std::vector<std::string_view> pieces;
  for (size_t i = 0; i < scan.size();) {
    size_t j = kind == BpePreTokenizer::Gpt2 ? scan.gpt2(i) : scan.llama3(i, kind == BpePreTokenizer::Llama3 ? 3 : 1);
    const size_t from = scan.byte_offset(i), to = scan.byte_offset(j);
    pieces.push_back(text.substr(from, to - from));
    i = j;
  }
  return pieces;
}

}  // namespace borel::llm
