// Byte-level BPE (tokenizer.ggml.model = "gpt2"): the Unicode classes and
// UTF-8 units, the three pre-tokenizers, the byte-to-unicode map, merging by
// rank, special tokens, and losslessness on arbitrary bytes.
//
// Where the expected outputs come from. tests/llm has llama.cpp goldens only
// for SentencePiece (stories260K); no BPE model or llama.cpp output is stored
// here, so nothing below is a llama.cpp golden. Instead:
//  - every expected tokenisation is derived by hand in the comment beside it:
//    first the pre-tokenizer's pieces (by reading its regex, given in
//    BpePreTokenizer.h), then the merges of the tiny vocabulary below applied
//    to each piece, lowest rank first;
//  - the pre-tokenizers are checked against std::regex running the same
//    regexes on random ASCII text, with \p{L} and \p{N} spelled [A-Za-z] and
//    [0-9] (exact on ASCII), and against Python's `regex` module running them
//    with the real Unicode classes on random text of many scripts
//    (data/bpe_pretokenize_golden.txt, from scripts/gen_bpe_pretokenize_golden.py);
//  - the priority-queue merge loop is checked against a naive reference
//    written here (repeatedly merge the lowest-ranked, leftmost pair) on
//    random text over the vocabulary's alphabet;
//  - the byte-to-unicode map is checked against an independent construction
//    from its definition, and against the well-known "Ġ" (space), "Ċ"
//    (newline), "ĉ" (tab).
#include <doctest/doctest.h>

#include "BpePreTokenizer.h"
#include "BpeTokenizer.h"
#include "Error.h"
#include "GgufReader.h"
#include "GgufWriter.h"
#include "Unicode.h"

#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>

using namespace borel::llm;

namespace {

using Pieces = std::vector<std::string>;
using Ids = std::vector<TokenId>;

// GPT-2's byte-to-unicode map built the way its definition reads: the
// printable bytes keep their code point; the remaining bytes, in increasing
// order, take 256, 257, ... Returns the UTF-8 of a byte string so mapped.
std::string bl(std::string_view raw) {
  static const std::vector<uint32_t> map = [] {
    std::vector<uint32_t> m(256);
    std::set<int> printable;
    for (int b = '!'; b <= '~'; ++b) printable.insert(b);
    for (int b = 0xA1; b <= 0xAC; ++b) printable.insert(b);
    for (int b = 0xAE; b <= 0xFF; ++b) printable.insert(b);
    uint32_t n = 0;
    for (int b = 0; b < 256; ++b) m[b] = printable.count(b) ? uint32_t(b) : 256 + n++;
    return m;
  }();
  std::string out;
  for (char c : raw) {
    uint32_t cp = map[static_cast<uint8_t>(c)];
    if (cp < 0x80) {
      out += char(cp);
    } else {  // all mapped code points are below U+0800: two bytes
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    }
  }
  return out;
}

// The tiny vocabulary every test uses, by id:
//   0..255   the 256 byte characters, id = byte value (so a lone byte b is id b);
//   256..    the results of the merges below, in rank order (one token each,
//            except merge 21 "x y", whose result "xy" is deliberately absent);
//   then     " hello" (no merge builds it: for Llama 3's ignore-merges rule),
//            "!!" (a control token whose text a piece can be), "<|bos|>" and
//            "<|eos|>" (control), "<tool>" (user-defined).
// Merges, rank: left right -> result (raw bytes; "␣" is a space, "⏎" newline):
//    0 t h      -> th        11 ' T      -> 'T
//    1 th e     -> the       12 u p      -> up
//    2 ␣ c      -> ␣c        13 3 4      -> 34
//    3 a t      -> at        14 1 2      -> 12
//    4 ␣c at    -> ␣cat      15 12 3     -> 123
//    5 b c      -> bc        16 ␣ b      -> ␣b
//    6 a b      -> ab        17 ␣ ␣      -> ␣␣
//    7 a a      -> aa        18 ⏎ ⏎      -> ⏎⏎
//    8 aa aa    -> aaaa      19 C3 A9    -> é
//    9 i t      -> it        20 h e      -> he
//   10 ' s      -> 's        21 x y      -> (xy is not a token: merge ignored)
const std::vector<std::pair<std::string, std::string>> kMerges = {
    {"t", "h"},   {"th", "e"}, {" ", "c"},   {"a", "t"},       {" c", "at"}, {"b", "c"}, {"a", "b"}, {"a", "a"},
    {"aa", "aa"}, {"i", "t"},  {"'", "s"},   {"'", "T"},       {"u", "p"},   {"3", "4"}, {"1", "2"}, {"12", "3"},
    {" ", "b"},   {" ", " "},  {"\n", "\n"}, {"\xC3", "\xA9"}, {"h", "e"},   {"x", "y"}};
const std::string kNoResult = "xy";
// After the normal tokens; BOS and EOS are the 3rd and 2nd last ids.
const std::vector<std::pair<std::string, TokenType>> kSpecials = {{"!!", TokenType::Control},
                                                                  {"<|bos|>", TokenType::Control},
                                                                  {"<|eos|>", TokenType::Control},
                                                                  {"<tool>", TokenType::UserDefined}};

struct Options {
  std::string pre = "gpt2";
  std::optional<bool> add_bos, add_eos;
  bool with_merges = true;
  bool with_bos_eos_ids = true;
  std::vector<std::string> extra_merges;  // raw GGUF merge strings appended after kMerges
};

std::vector<std::string> vocab_texts() {  // raw bytes of each token, by id
  std::vector<std::string> t;
  for (int b = 0; b < 256; ++b) t.push_back(std::string(1, char(b)));
  for (const auto& [l, r] : kMerges)
    if (l + r != kNoResult) t.push_back(l + r);
  t.push_back(" hello");
  return t;
}

GgufReader tiny_gguf(const Options& o) {
  std::vector<GgufValue> tokens, types, merges;
  for (const auto& t : vocab_texts()) {
    tokens.push_back(GgufValue::make_string(bl(t)));
    types.push_back(GgufValue::i32(int32_t(TokenType::Normal)));
  }
  for (const auto& [text, type] : kSpecials) {
    tokens.push_back(GgufValue::make_string(text));
    types.push_back(GgufValue::i32(int32_t(type)));
  }
  if (o.with_merges)
    for (const auto& [l, r] : kMerges) merges.push_back(GgufValue::make_string(bl(l) + " " + bl(r)));
  for (const auto& m : o.extra_merges) merges.push_back(GgufValue::make_string(m));
  const uint32_t n = uint32_t(tokens.size());
  GgufWriter w;
  w.set("tokenizer.ggml.model", GgufValue::make_string("gpt2"));
  if (!o.pre.empty()) w.set("tokenizer.ggml.pre", GgufValue::make_string(o.pre));
  w.set("tokenizer.ggml.tokens", GgufValue::make_array(GgufValueType::STRING, std::move(tokens)));
  w.set("tokenizer.ggml.token_type", GgufValue::make_array(GgufValueType::INT32, std::move(types)));
  w.set("tokenizer.ggml.merges", GgufValue::make_array(GgufValueType::STRING, std::move(merges)));
  if (o.with_bos_eos_ids) {
    w.set("tokenizer.ggml.bos_token_id", GgufValue::u32(n - 3));
    w.set("tokenizer.ggml.eos_token_id", GgufValue::u32(n - 2));
  }
  if (o.add_bos) w.set("tokenizer.ggml.add_bos_token", GgufValue::make_bool(*o.add_bos));
  if (o.add_eos) w.set("tokenizer.ggml.add_eos_token", GgufValue::make_bool(*o.add_eos));
  return GgufReader::from_bytes(w.to_bytes());
}

std::unique_ptr<Tokenizer> tiny(const Options& o = {}) { return Tokenizer::from_vocab(Vocab::from_gguf(tiny_gguf(o))); }
std::unique_ptr<Tokenizer> tiny(const std::string& pre) {
  Options o;
  o.pre = pre;
  return tiny(o);
}

// The ids of tokens given by their raw text (a plain vocabulary lookup).
Ids ids_of(const Tokenizer& tok, const Pieces& raw) {
  Ids out;
  for (const auto& r : raw) {
    auto id = tok.vocab().text_to_id(bl(r));
    REQUIRE_MESSAGE(id.has_value(), "not a token: " << r);
    out.push_back(*id);
  }
  return out;
}

std::string errmsg(const Options& o) {
  try {
    tiny(o);
  } catch (const LlmError& e) {
    return e.what();
  }
  return "";
}

Pieces split(BpePreTokenizer k, std::string_view text) {
  Pieces out;
  for (auto p : pre_tokenize(k, text)) out.emplace_back(p);
  return out;
}

}  // namespace

TEST_CASE("unicode: classes of code points") {
  CHECK(char_class('a') == CharClass::Letter);
  CHECK(char_class('Z') == CharClass::Letter);
  CHECK(char_class('7') == CharClass::Number);
  CHECK(char_class('\'') == CharClass::Other);
  CHECK(char_class('_') == CharClass::Other);
  CHECK(char_class(0x00) == CharClass::Other);
  CHECK(char_class(0x7F) == CharClass::Other);
  for (uint32_t ws : {0x09u, 0x0Au, 0x0Bu, 0x0Cu, 0x0Du, 0x20u, 0x85u, 0xA0u, 0x1680u, 0x2000u, 0x200Au, 0x2028u,
                      0x2029u, 0x202Fu, 0x205Fu, 0x3000u})
    CHECK(char_class(ws) == CharClass::Whitespace);
  CHECK(char_class(0x1C) == CharClass::Other);     // a control that Python's isspace() counts, White_Space does not
  CHECK(char_class(0x200B) == CharClass::Other);   // zero width space: not White_Space
  CHECK(char_class(0xE9) == CharClass::Letter);    // é (Ll)
  CHECK(char_class(0xAA) == CharClass::Letter);    // ª (Lo)
  CHECK(char_class(0xB2) == CharClass::Number);    // ² (No)
  CHECK(char_class(0xBD) == CharClass::Number);    // ½ (No)
  CHECK(char_class(0xD7) == CharClass::Other);     // × (Sm), between letter ranges
  CHECK(char_class(0x416) == CharClass::Letter);   // Ж
  CHECK(char_class(0x3A9) == CharClass::Letter);   // Ω
  CHECK(char_class(0x663) == CharClass::Number);   // ٣ arabic-indic three (Nd)
  CHECK(char_class(0x216B) == CharClass::Number);  // Ⅻ (Nl)
  CHECK(char_class(0x4E2D) == CharClass::Letter);  // 中 (Lo)
  CHECK(char_class(0x3042) == CharClass::Letter);  // あ (Lo)
  CHECK(char_class(0xAC00) == CharClass::Letter);  // 가 (Lo)
  CHECK(char_class(0x301) == CharClass::Other);    // combining acute (Mn): marks are not letters
  CHECK(char_class(0x1F600) == CharClass::Other);  // 😀 (So)
  CHECK(char_class(0xFFFD) == CharClass::Other);
  CHECK(char_class(0x1D7CE) == CharClass::Number);  // mathematical bold digit zero
  CHECK(char_class(0x10FFFF) == CharClass::Other);
  CHECK(char_class(kInvalidCodePoint) == CharClass::Other);

  // The generated table is sorted and disjoint, so the binary search is exact.
  using namespace unicode_detail;
  CHECK(std::string(kUnicodeVersion) == "14.0.0");
  for (size_t i = 0; i < kLetterNumberRangeCount; ++i) {
    REQUIRE(kLetterNumberRanges[i].first <= kLetterNumberRanges[i].last);
    if (i) REQUIRE(kLetterNumberRanges[i - 1].last < kLetterNumberRanges[i].first);
  }
}

TEST_CASE("unicode: UTF-8 units, invalid bytes one by one") {
  auto units = [](std::string_view s) {
    std::vector<std::pair<uint32_t, size_t>> u;
    for (size_t p = 0; p < s.size();) {
      CodePoint c = next_code_point(s, p);
      u.push_back({c.cp, c.len});
      p += c.len;
    }
    return u;
  };
  using U = std::vector<std::pair<uint32_t, size_t>>;
  const uint32_t X = kInvalidCodePoint;
  CHECK(units("a\xC3\xA9") == U{{'a', 1}, {0xE9, 2}});
  CHECK(units("\xE2\x82\xAC") == U{{0x20AC, 3}});
  CHECK(units("\xF0\x9F\x98\x80") == U{{0x1F600, 4}});
  CHECK(units("\xF4\x8F\xBF\xBF") == U{{0x10FFFF, 4}});
  CHECK(units("\xC0\x80") == U{{X, 1}, {X, 1}});                          // overlong NUL
  CHECK(units("\xE0\x80\x80") == U{{X, 1}, {X, 1}, {X, 1}});              // overlong
  CHECK(units("\xED\xA0\x80") == U{{X, 1}, {X, 1}, {X, 1}});              // surrogate D800
  CHECK(units("\xF4\x90\x80\x80") == U{{X, 1}, {X, 1}, {X, 1}, {X, 1}});  // above U+10FFFF
  CHECK(units("\xE2\x82") == U{{X, 1}, {X, 1}});                          // truncated
  CHECK(units("\xE2(") == U{{X, 1}, {'(', 1}});                           // continuation missing
  CHECK(units("\x80\xFF\xFE") == U{{X, 1}, {X, 1}, {X, 1}});
  std::string s;
  append_utf8(0x1F600, s);
  append_utf8(0x7FF, s);
  append_utf8(0x800, s);
  CHECK(s == "\xF0\x9F\x98\x80\xDF\xBF\xE0\xA0\x80");
}

TEST_CASE("bpe: the byte-to-unicode map") {
  CHECK(byte_to_unicode(' ') == 0x120);   // Ġ
  CHECK(byte_to_unicode('\n') == 0x10A);  // Ċ
  CHECK(byte_to_unicode('\t') == 0x109);  // ĉ
  CHECK(byte_to_unicode(0) == 0x100);
  CHECK(byte_to_unicode('!') == '!');
  CHECK(byte_to_unicode(0x7F) == 0x121);
  CHECK(byte_to_unicode(0xA0) == 0x142);
  CHECK(byte_to_unicode(0xAD) == 0x143);  // the last of the 68 remapped bytes
  CHECK(byte_to_unicode(0xE9) == 0xE9);
  std::set<uint32_t> seen;
  for (int b = 0; b < 256; ++b) {
    seen.insert(byte_to_unicode(uint8_t(b)));
    CHECK(byte_level_encode(std::string(1, char(b))) == bl(std::string(1, char(b))));
  }
  CHECK(seen.size() == 256);
  CHECK(byte_level_encode(" the\n") == "\xC4\xA0the\xC4\x8A");  // "Ġthe" "Ċ"
}

// Pieces derived by reading each regex (BpePreTokenizer.h) left to right:
// at each point the first alternative that matches wins.
TEST_CASE("bpe pre-tokenizer: golden pieces") {
  using K = BpePreTokenizer;
  // GPT-2: contractions are case-sensitive and split from the word; the
  // optional space joins the following word/number/punctuation; a run of
  // spaces before a word leaves its last space to the word; numbers stay whole.
  CHECK(split(K::Gpt2, "Hello world") == Pieces{"Hello", " world"});
  CHECK(split(K::Gpt2, "it's") == Pieces{"it", "'s"});
  CHECK(split(K::Gpt2, "we'll've") == Pieces{"we", "'ll", "'ve"});
  CHECK(split(K::Gpt2, "DON'T") == Pieces{"DON", "'", "T"});  // 'T is not a contraction: "'" is punctuation
  CHECK(split(K::Gpt2, "'sup") == Pieces{"'s", "up"});
  CHECK(split(K::Gpt2, " 's") == Pieces{" '", "s"});  // " ?[^\s\p{L}\p{N}]+" takes the space and the apostrophe
  CHECK(split(K::Gpt2, "12345 678") == Pieces{"12345", " 678"});
  CHECK(split(K::Gpt2, "a1b") == Pieces{"a", "1", "b"});
  CHECK(split(K::Gpt2, "a  b") == Pieces{"a", " ", " b"});
  CHECK(split(K::Gpt2, "a   b") == Pieces{"a", "  ", " b"});
  CHECK(split(K::Gpt2, "a  ") == Pieces{"a", "  "});  // at the end, \s+(?!\S) takes the whole run
  CHECK(split(K::Gpt2, " ") == Pieces{" "});
  CHECK(split(K::Gpt2, "a\n\nb") == Pieces{"a", "\n", "\n", "b"});  // \s+(?!\S) then \s+
  CHECK(split(K::Gpt2, "a \nb") == Pieces{"a", " ", "\n", "b"});
  CHECK(split(K::Gpt2, "a\tb") == Pieces{"a", "\t", "b"});  // only U+0020 is the optional space
  CHECK(split(K::Gpt2, "(hello)!!") == Pieces{"(", "hello", ")!!"});
  CHECK(split(K::Gpt2, "caf\xC3\xA9 na\xC3\xAFve") == Pieces{"caf\xC3\xA9", " na\xC3\xAFve"});
  CHECK(split(K::Gpt2, "x\xD9\xA3") == Pieces{"x", "\xD9\xA3"});        // ٣ is a number
  CHECK(split(K::Gpt2, "e\xCC\x81t") == Pieces{"e", "\xCC\x81", "t"});  // a combining mark is not a letter
  CHECK(split(K::Gpt2, "\xE4\xB8\xAD\xE6\x96\x87 ok") == Pieces{"\xE4\xB8\xAD\xE6\x96\x87", " ok"});  // 中文
  CHECK(split(K::Gpt2, "hi \xF0\x9F\x98\x80!") == Pieces{"hi", " \xF0\x9F\x98\x80!"});                // 😀 is "other"
  CHECK(split(K::Gpt2,
              "a\xFF\xFE"
              "b") == Pieces{"a", "\xFF\xFE", "b"});  // invalid bytes are "other"
  CHECK(split(K::Gpt2,
              "a\xC2\xA0"
              "b") == Pieces{"a", "\xC2\xA0", "b"});  // NBSP is whitespace
  CHECK(split(K::Gpt2, "").empty());

  // Llama 3: contractions in any case; one non-letter, non-digit, non-newline
  // character may prefix a word; digits in groups of at most three; a
  // punctuation run takes the newlines after it; whitespace up to and
  // including its last newline is one piece.
  CHECK(split(K::Llama3, "Hello world") == Pieces{"Hello", " world"});
  CHECK(split(K::Llama3, "DON'T") == Pieces{"DON", "'T"});
  CHECK(split(K::Llama3, "it'S") == Pieces{"it", "'S"});
  CHECK(split(K::Llama3, "we'LL") == Pieces{"we", "'LL"});
  CHECK(split(K::Llama3, "'sup") == Pieces{"'s", "up"});
  CHECK(split(K::Llama3, "'x") == Pieces{"'x"});  // not a contraction: the apostrophe prefixes the word
  CHECK(split(K::Llama3, "(hello)") == Pieces{"(hello", ")"});
  CHECK(split(K::Llama3, "\thello") == Pieces{"\thello"});
  CHECK(split(K::Llama3, "\nhello") == Pieces{"\n", "hello"});  // a newline never prefixes a word
  CHECK(split(K::Llama3, "1234567") == Pieces{"123", "456", "7"});
  CHECK(split(K::Llama3, " 1234") == Pieces{" ", "123", "4"});  // the space does not join digits
  CHECK(split(K::Llama3, "x12") == Pieces{"x", "12"});
  CHECK(split(K::Llama3, "a  b") == Pieces{"a", " ", " b"});
  CHECK(split(K::Llama3, "a\n\nb") == Pieces{"a", "\n\n", "b"});
  CHECK(split(K::Llama3, "a \nb") == Pieces{"a", " \n", "b"});
  CHECK(split(K::Llama3, "a\n  b") == Pieces{"a", "\n", " ", " b"});  // the newline ends the piece
  CHECK(split(K::Llama3, "a \n \n  b") == Pieces{"a", " \n \n", " ", " b"});
  CHECK(split(K::Llama3, "!\n\nx") == Pieces{"!\n\n", "x"});
  CHECK(split(K::Llama3, " !!\r\n") == Pieces{" !!\r\n"});
  CHECK(split(K::Llama3, "a\r\n") == Pieces{"a", "\r\n"});
  CHECK(split(K::Llama3,
              "\xFF"
              "abc") == Pieces{"\xFF"
                               "abc"});  // an invalid byte prefixes a word, as U+FFFD would
  CHECK(split(K::Llama3,
              "a\xFF\xFE"
              "b") == Pieces{"a", "\xFF\xFE", "b"});
  CHECK(split(K::Llama3, "\xF0\x9F\x98\x80x") == Pieces{"\xF0\x9F\x98\x80x"});

  // Qwen2: as Llama 3, one digit per piece.
  CHECK(split(K::Qwen2, "1234") == Pieces{"1", "2", "3", "4"});
  CHECK(split(K::Qwen2, " 12 ab") == Pieces{" ", "1", "2", " ab"});
  CHECK(split(K::Qwen2, "DON'T") == Pieces{"DON", "'T"});
  CHECK(split(K::Qwen2, "a\n\nb") == Pieces{"a", "\n\n", "b"});
}

TEST_CASE("bpe pre-tokenizer: agrees with std::regex on ASCII text") {
  // The tokenizers' regexes with the Unicode classes spelled for ASCII, where
  // that is exact (\s is [ \t\n\v\f\r] for ASCII in both).
  const std::string gpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+)";
  const std::string llama3_head =
      R"('[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]|[^\r\nA-Za-z0-9]?[A-Za-z]+|)";
  const std::string llama3_tail = R"(| ?[^\sA-Za-z0-9]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  const std::pair<BpePreTokenizer, std::regex> cases[] = {
      {BpePreTokenizer::Gpt2, std::regex(gpt2)},
      {BpePreTokenizer::Llama3, std::regex(llama3_head + "[0-9]{1,3}" + llama3_tail)},
      {BpePreTokenizer::Qwen2, std::regex(llama3_head + "[0-9]" + llama3_tail)},
  };
  const std::vector<std::string> alphabet = {"a",  "b",  "Z",  "s", "t", "S", "T", "l", "L", "r",    "e",
                                             "v",  "d",  "m",  "1", "2", "3", " ", " ", " ", "\n",   "\r",
                                             "\t", "\v", "\f", "'", "'", "!", ".", "(", "_", "\x01", "\x7F"};
  std::mt19937_64 rng(20240611);
  for (const auto& [kind, re] : cases) {
    for (int iter = 0; iter < 3000; ++iter) {
      std::string text;
      const int len = int(rng() % 24);
      for (int i = 0; i < len; ++i) text += alphabet[rng() % alphabet.size()];
      Pieces expected;
      for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) expected.push_back(it->str());
      CAPTURE(text);
      CAPTURE(int(kind));
      REQUIRE(split(kind, text) == expected);
    }
  }
}

// The same regexes on random Unicode text (letters, digits and whitespace of
// many scripts, marks, emoji), as the Python `regex` module computes them:
// data/bpe_pretokenize_golden.txt, written by
// scripts/gen_bpe_pretokenize_golden.py.
TEST_CASE("bpe pre-tokenizer: agrees with the Python regex module on Unicode text") {
  std::ifstream f(std::string(BOREL_LLM_TEST_DATA) + "/bpe_pretokenize_golden.txt");
  REQUIRE(f.good());
  auto unhex = [](std::string_view h) {
    std::string out;
    for (size_t i = 0; i + 1 < h.size(); i += 2) out += char(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
    return out;
  };
  const std::map<std::string, BpePreTokenizer> kinds = {
      {"gpt2", BpePreTokenizer::Gpt2}, {"llama3", BpePreTokenizer::Llama3}, {"qwen2", BpePreTokenizer::Qwen2}};
  std::map<std::string, int> count;
  std::string line;
  while (std::getline(f, line)) {
    const size_t t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    REQUIRE(t2 != std::string::npos);
    const std::string kind = line.substr(0, t1);
    const std::string text = unhex(std::string_view(line).substr(t1 + 1, t2 - t1 - 1));
    Pieces expected;
    std::stringstream pieces(line.substr(t2 + 1));
    for (std::string p; std::getline(pieces, p, ',');) expected.push_back(unhex(p));
    CAPTURE(kind);
    CAPTURE(line);
    REQUIRE(split(kinds.at(kind), text) == expected);
    ++count[kind];
  }
  CHECK(count == std::map<std::string, int>{{"gpt2", 400}, {"llama3", 400}, {"qwen2", 400}});
}

TEST_CASE("bpe pre-tokenizer: any byte string splits into non-empty pieces that cover it") {
  std::mt19937_64 rng(7);
  for (BpePreTokenizer kind : {BpePreTokenizer::Gpt2, BpePreTokenizer::Llama3, BpePreTokenizer::Qwen2}) {
    for (int iter = 0; iter < 2000; ++iter) {
      std::string text;
      const int len = int(rng() % 48);
      for (int i = 0; i < len; ++i) text += char(rng() >> 56);
      std::string joined;
      for (auto p : pre_tokenize(kind, text)) {
        REQUIRE(!p.empty());
        joined += p;
      }
      REQUIRE(joined == text);
    }
  }
}

TEST_CASE("bpe tokenizer: names, defaults and loading errors") {
  CHECK(find_bpe_pre_tokenizer("gpt-2")->kind == BpePreTokenizer::Gpt2);
  CHECK(find_bpe_pre_tokenizer("llama-bpe")->kind == BpePreTokenizer::Llama3);
  CHECK(find_bpe_pre_tokenizer("qwen2")->kind == BpePreTokenizer::Qwen2);
  CHECK(!find_bpe_pre_tokenizer("falcon"));

  auto g = tiny();
  CHECK(dynamic_cast<const BpeTokenizer*>(g.get()) != nullptr);
  CHECK(g->size() == 256 + 21 + 1 + 4);
  CHECK(!g->vocab().add_bos);  // GPT-2's default: no BOS
  CHECK(!g->vocab().add_space_prefix);
  CHECK(tiny("llama-bpe")->vocab().add_bos);  // Llama 3's default: BOS
  CHECK(!tiny("qwen2")->vocab().add_bos);
  Options o;
  o.pre = "llama-bpe";
  o.add_bos = false;
  CHECK(!tiny(o)->vocab().add_bos);  // the key overrides the default

  o = {};
  o.pre = "falcon";
  CHECK(errmsg(o).find("unsupported tokenizer.ggml.pre \"falcon\"") != std::string::npos);
  o.pre = "";
  CHECK(errmsg(o).find("has no tokenizer.ggml.pre") != std::string::npos);
  o = {};
  o.with_merges = false;
  CHECK(errmsg(o).find("has no tokenizer.ggml.merges") != std::string::npos);
  o.extra_merges = {"ab"};
  CHECK(errmsg(o).find("merge 0 \"ab\" is not two tokens separated by a space") != std::string::npos);
  o.extra_merges = {"a "};
  CHECK(errmsg(o).find("merge 0") != std::string::npos);
  o.extra_merges = {" a"};  // the separator is the first space after the first character
  CHECK(errmsg(o).find("merge 0") != std::string::npos);
}

// Each expectation: the pieces (previous test case), then the merges of the
// tiny vocabulary (see kMerges) applied lowest rank first.
TEST_CASE("bpe tokenizer: golden tokenisations, GPT-2 pre-tokenizer") {
  auto tok = tiny("gpt2");
  const Tokenizer& t = *tok;
  auto enc = [&](std::string_view s) { return t.encode(s, false); };
  // "the": t h e; (t,h) rank 0 -> th; (th,e) rank 1 -> the. The pair (h,e)
  // (rank 20) was queued too and is skipped as stale. " cat": ␣ c a t;
  // (␣,c) 2 -> ␣c; (a,t) 3 -> at; (␣c,at) 4 -> ␣cat.
  CHECK(enc("the cat") == ids_of(t, {"the", " cat"}));
  CHECK(enc("he") == ids_of(t, {"he"}));
  CHECK(enc("abc") == ids_of(t, {"a", "bc"}));  // (b,c) rank 5 beats (a,b) rank 6, though (a,b) is further left
  CHECK(enc("cab") == ids_of(t, {"c", "ab"}));
  CHECK(enc("aaa") == ids_of(t, {"aa", "a"}));  // equal ranks: leftmost first
  CHECK(enc("aaaa") == ids_of(t, {"aaaa"}));    // aa aa, then (aa,aa) rank 8
  CHECK(enc("aaaaa") == ids_of(t, {"aaaa", "a"}));
  CHECK(enc("xy") == ids_of(t, {"x", "y"}));  // merge 21's result is no token: ignored
  // Contractions: "it" "'s" | "'s" "up" | "DON" "'" "T": no (',T) merge across pieces.
  CHECK(enc("it's") == ids_of(t, {"it", "'s"}));
  CHECK(enc("'sup") == ids_of(t, {"'s", "up"}));
  CHECK(enc("DON'T") == ids_of(t, {"D", "O", "N", "'", "T"}));
  // Digits stay one piece: 1 2 3 4 -> (3,4) rank 13 -> 1 2 34 -> (1,2) 14 -> 12 34.
  CHECK(enc("1234") == ids_of(t, {"12", "34"}));
  CHECK(enc(" 1234") == ids_of(t, {" ", "12", "34"}));  // one piece " 1234"; no (␣,1) merge
  // Spaces: "a" "  " " b" -> (␣,␣) 17 and (␣,b) 16.
  CHECK(enc("a   b") == ids_of(t, {"a", "  ", " b"}));
  CHECK(enc("a  b") == ids_of(t, {"a", " ", " b"}));
  CHECK(enc("a  ") == ids_of(t, {"a", "  "}));
  // Newlines: "a" "⏎" "⏎" "b": separate pieces, so (⏎,⏎) never applies.
  CHECK(enc("a\n\nb") == ids_of(t, {"a", "\n", "\n", "b"}));
  // Non-ASCII: "café" is one piece c a f C3 A9 -> (C3,A9) 19 -> é;
  // " café": (␣,c) 2 as well.
  CHECK(enc("caf\xC3\xA9") == ids_of(t, {"c", "a", "f", "\xC3\xA9"}));
  CHECK(enc(" caf\xC3\xA9") == ids_of(t, {" c", "a", "f", "\xC3\xA9"}));
  CHECK(enc("e\xCC\x81") == ids_of(t, {"e", "\xCC", "\x81"}));
  // Emoji and invalid bytes: one byte token each; byte tokens' ids are the bytes.
  CHECK(enc(" \xF0\x9F\x98\x80") == Ids{32, 0xF0, 0x9F, 0x98, 0x80});
  CHECK(enc("a\xFF\xFE"
            "b") == Ids{'a', 0xFF, 0xFE, 'b'});
  CHECK(enc("\xC3") == Ids{0xC3});
  // Not Llama 3: " hello" is merged, not looked up whole.
  CHECK(enc(" hello") == ids_of(t, {" ", "he", "l", "l", "o"}));
  CHECK(enc("").empty());
  CHECK(t.encode("") == Ids{});  // no BOS by default for GPT-2
}

TEST_CASE("bpe tokenizer: golden tokenisations, Llama 3 and Qwen2 pre-tokenizers") {
  auto l3 = tiny("llama-bpe");
  auto qw = tiny("qwen2");
  auto enc = [](const std::unique_ptr<Tokenizer>& t, std::string_view s) { return t->encode(s, false); };
  // Ignore-merges: the piece " hello" is a token, so it is emitted whole; Qwen2 merges it.
  CHECK(enc(l3, " hello") == ids_of(*l3, {" hello"}));
  CHECK(enc(qw, " hello") == ids_of(*qw, {" ", "he", "l", "l", "o"}));
  CHECK(enc(l3, "hello") == ids_of(*l3, {"he", "l", "l", "o"}));  // not a token: merged
  CHECK(enc(l3, "!!") == Ids{'!', '!'});  // the piece "!!" is a control token's text: not emitted as that token
  // "DON" "'T": (',T) rank 11 applies inside the piece.
  CHECK(enc(l3, "DON'T") == ids_of(*l3, {"D", "O", "N", "'T"}));
  CHECK(enc(qw, "DON'T") == ids_of(*qw, {"D", "O", "N", "'T"}));
  // Digits: Llama 3 "123" "4" -> (1,2) 14, (12,3) 15; Qwen2 one digit per piece.
  CHECK(enc(l3, "1234") == ids_of(*l3, {"123", "4"}));
  CHECK(enc(l3, " 1234") == ids_of(*l3, {" ", "123", "4"}));
  CHECK(enc(qw, "1234") == ids_of(*qw, {"1", "2", "3", "4"}));
  // "a" "⏎⏎" "b": the newlines are one piece, merged by rank 18.
  CHECK(enc(l3, "a\n\nb") == ids_of(*l3, {"a", "\n\n", "b"}));
  CHECK(enc(qw, "a\n\nb") == ids_of(*qw, {"a", "\n\n", "b"}));
  // "!⏎⏎" "x": ! ⏎ ⏎ -> (⏎,⏎) 18.
  CHECK(enc(l3, "!\n\nx") == ids_of(*l3, {"!", "\n\n", "x"}));
  // " café" one piece, as for GPT-2.
  CHECK(enc(l3, " caf\xC3\xA9") == ids_of(*l3, {" c", "a", "f", "\xC3\xA9"}));
  // Llama 3 adds BOS by default; decode removes it again.
  const TokenId bos = l3->vocab().bos;
  CHECK(l3->encode("the") == Ids{bos, ids_of(*l3, {"the"})[0]});
  CHECK(l3->encode("") == Ids{bos});
  CHECK(l3->decode(l3->encode("the cat")) == "the cat");
}

TEST_CASE("bpe tokenizer: special tokens and decoding") {
  Options o;
  o.add_bos = true;
  o.add_eos = true;
  auto tok = tiny(o);
  const Tokenizer& t = *tok;
  const TokenId bos = t.vocab().bos, eos = t.vocab().eos, the = ids_of(t, {"the"})[0];
  const TokenId tool = TokenId(t.size() - 1);
  CHECK(t.vocab().tokens[size_t(bos)] == "<|bos|>");
  CHECK(t.encode("the") == Ids{bos, the, eos});
  CHECK(t.encode("the", false) == Ids{the});
  // Special-token text is ordinary text: "<" "|" "bos" "|" ">" pieces, no BOS id.
  for (TokenId id : t.encode("<|bos|>", false)) CHECK(id < 256);
  CHECK(t.decode(Ids{bos, the, eos}) == "the");
  CHECK(t.decode(Ids{bos, the, eos}, false, false) == "the");  // control tokens print as nothing
  CHECK(t.decode(Ids{bos, the, eos}, false, true) == "<|bos|>the<|eos|>");
  CHECK(t.decode(Ids{bos, the, eos}, true, true) == "the");  // the added BOS/EOS are removed first
  CHECK(t.decode(Ids{the, bos, the}, true, true) == "the<|bos|>the");
  CHECK(t.decode(Ids{the, tool}) == "the<tool>");  // user-defined: its text
  CHECK(t.token_to_piece(bos, true) == "<|bos|>");
  CHECK(t.token_to_piece(bos, false) == "");
  CHECK(t.token_to_piece(32) == " ");  // "Ġ"
  CHECK(t.token_to_piece(ids_of(t, {"\n\n"})[0]) == "\n\n");
  CHECK(t.token_to_piece(0xFF) == "\xFF");
  CHECK_THROWS_AS(t.decode(Ids{TokenId(t.size())}), LlmError);
  CHECK_THROWS_AS(t.decode(Ids{-1}), LlmError);
  CHECK_THROWS_AS(t.token_to_piece(-1), LlmError);
  CHECK_THROWS_AS(t.token_to_piece(TokenId(t.size())), LlmError);

  // Without BOS/EOS ids nothing is added, and -1 is still an invalid id
  // (not a BOS to remove).
  o = {};
  o.pre = "llama-bpe";
  o.with_bos_eos_ids = false;
  auto nob = tiny(o);
  CHECK(nob->vocab().add_bos);
  CHECK(nob->encode("the") == ids_of(*nob, {"the"}));
  CHECK_THROWS_AS(nob->decode(Ids{-1}), LlmError);
}

TEST_CASE("bpe tokenizer: the merge loop agrees with a naive reference") {
  // Reference: within each piece, repeatedly merge the adjacent pair with the
  // lowest rank (the leftmost among equals) whose result is a token.
  std::map<std::pair<std::string, std::string>, size_t> rank;
  for (size_t r = 0; r < kMerges.size(); ++r)
    if (kMerges[r].first + kMerges[r].second != kNoResult) rank.emplace(kMerges[r], r);
  auto reference = [&](const Tokenizer& t, BpePreTokenizer kind, bool ignore_merges, const std::string& text) {
    Ids out;
    for (auto piece : pre_tokenize(kind, text)) {
      if (ignore_merges && t.vocab().text_to_id(bl(piece))) {
        out.push_back(*t.vocab().text_to_id(bl(piece)));
        continue;
      }
      Pieces sym;
      for (char c : piece) sym.push_back(std::string(1, c));
      for (;;) {
        size_t best = sym.size(), best_rank = SIZE_MAX;
        for (size_t i = 0; i + 1 < sym.size(); ++i) {
          auto it = rank.find({sym[i], sym[i + 1]});
          if (it != rank.end() && it->second < best_rank) best = i, best_rank = it->second;
        }
        if (best == sym.size()) break;
        sym[best] += sym[best + 1];
        sym.erase(sym.begin() + long(best) + 1);
      }
      for (TokenId id : ids_of(t, sym)) out.push_back(id);
    }
    return out;
  };
  const std::vector<std::string> alphabet = {"a", "a", "b", "c", "t", "h", "e",  "i",    "s",    "'", "T", "u", "p",
                                             "1", "2", "3", "4", " ", " ", "\n", "\xC3", "\xA9", "x", "y", "l", "o"};
  std::mt19937_64 rng(99);
  for (const char* pre : {"gpt2", "llama-bpe", "qwen2"}) {
    auto tok = tiny(pre);
    const auto info = *find_bpe_pre_tokenizer(pre);
    for (int iter = 0; iter < 1500; ++iter) {
      std::string text;
      const int len = int(rng() % 30);
      for (int i = 0; i < len; ++i) text += alphabet[rng() % alphabet.size()];
      CAPTURE(text);
      CAPTURE(pre);
      REQUIRE(tok->encode(text, false) == reference(*tok, info.kind, info.ignore_merges, text));
    }
  }
}

TEST_CASE("bpe tokenizer: random byte strings encode to valid ids and decode back exactly") {
  const std::vector<std::string> fragments = {"the",          " cat",    "  ",   "\n",           "\r\n",
                                              "'s",           "'T",      "1234", "\xC3\xA9",     "\xF0\x9F\x98\x80",
                                              "\xE4\xB8\xAD", "\xFF",    "\xC3", "\xED\xA0\x80", "\t",
                                              " hello",       "<|bos|>", "aaaa"};
  std::mt19937_64 rng(4242);
  for (const char* pre : {"gpt2", "llama-bpe", "qwen2"}) {
    Options o;
    o.pre = pre;
    o.add_bos = true;
    o.add_eos = true;
    auto tok = tiny(o);
    for (int iter = 0; iter < 2000; ++iter) {
      std::string text;
      const int len = int(rng() % 40);
      for (int i = 0; i < len; ++i) {
        if (rng() % 2)
          text += char(rng() >> 56);
        else
          text += fragments[rng() % fragments.size()];
      }
      CAPTURE(pre);
      CAPTURE(text);
      const Ids ids = tok->encode(text);
      for (TokenId id : ids) REQUIRE((id >= 0 && size_t(id) < tok->size()));
      REQUIRE(ids.front() == tok->vocab().bos);
      REQUIRE(ids.back() == tok->vocab().eos);
      REQUIRE(tok->decode(ids) == text);
      REQUIRE(tok->decode(tok->encode(text, false)) == text);
    }
  }
}
