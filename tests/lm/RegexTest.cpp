// RegexTest.cpp — the regular-expression engine of token masks
// (stdlib/lm/Regex.h) and the token index over it (TokenIndex.h):
//   * full matches agree with std::regex (ECMAScript) on random patterns of
//     the subset and on strings drawn both from the patterns and at random;
//   * "viable prefix" (a live DFA state) agrees with a brute-force search for
//     a completion, over an alphabet and up to a length that provably
//     suffice (see completion_bound);
//   * parse errors name their column;
//   * TokenIndex::allowed is exactly {t : text ++ bytes(t) viable} plus EOS
//     when text matches, on random vocabularies; special and empty tokens
//     never allowed;
//   * a 128k-token synthetic vocabulary: one scan per state, timed;
//   * with stories260K (skipped without it): the handle's memo (one scan per
//     state, the same array back) and agreement with token_piece.
// None of the engine cases need a model.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "EmbeddedModel.h"
#include "Regex.h"
#include "RegexMask.h"
#include "TokenIndex.h"

using borel::lm::Regex;
using borel::lm::RegexError;
using borel::lm::TokenIndex;
using borel::llm::TokenId;

namespace {

// A random pattern of the subset, kept as a tree so that it can also be
// sampled from (strings that match) and its completion bound computed.
struct Pat {
  enum Kind { Atom, Concat, Alt, Repeat } kind = Atom;
  std::string text;                   // Atom: its pattern text
  std::vector<std::string> examples;  // Atom: bytes it matches (a few)
  std::vector<Pat> kids;
  int min = 0, max = -1;
};

struct AtomSpec {
  std::string text;
  std::vector<std::string> examples;
};

// Atoms for the comparison with std::regex: any byte behaviour, including
// '.' against line breaks and bytes above 0x7F.
const std::vector<AtomSpec> kAllAtoms = {
    {"a", {"a"}},       {"b", {"b"}},          {"1", {"1"}},         {" ", {" "}},
    {"\\.", {"."}},     {".", {"a", ".", "\xC3"}}, {"[ab]", {"a", "b"}}, {"[^a]", {"b", "\n", "\xA9"}},
    {"[a-b1]", {"1", "b"}}, {"\\d", {"1"}},    {"\\w", {"a", "1"}},  {"\\s", {" ", "\n", "\r"}},
    {"\\D", {"a", "\xC3"}}, {"\\W", {" ", "."}}, {"\\S", {"a", "."}}, {"[\\d ]", {"1", " "}},
    {"[^\\s]", {"b"}},  {"\\n", {"\n"}},       {"é", {"é"}},         {"[.a-]", {".", "-", "a"}},
    {"\\x61", {"a"}},
};
// Atoms whose sets all meet {a, b, 1, ' '}: a completion over that alphabet
// exists whenever one exists at all.
const std::vector<AtomSpec> kSmallAtoms = {
    {"a", {"a"}},   {"b", {"b"}},     {"1", {"1"}},       {" ", {" "}},    {".", {"a"}},   {"[ab]", {"a", "b"}},
    {"[^a]", {"b"}}, {"[a-b1]", {"1"}}, {"\\d", {"1"}},   {"\\w", {"a"}},  {"\\s", {" "}}, {"\\D", {"a"}},
    {"\\W", {" "}}, {"\\S", {"b"}},
};

bool nullable(const Pat& p) {
  switch (p.kind) {
    case Pat::Atom: return false;
    case Pat::Concat: return std::all_of(p.kids.begin(), p.kids.end(), nullable);
    case Pat::Alt: return nullable(p.kids[0]) || nullable(p.kids[1]);
    case Pat::Repeat: return p.min == 0 || nullable(p.kids[0]);
  }
  return false;
}
bool has_repeat(const Pat& p) {
  return p.kind == Pat::Repeat || std::any_of(p.kids.begin(), p.kids.end(), has_repeat);
}

Pat random_pat(std::mt19937_64& rng, const std::vector<AtomSpec>& atoms, int depth) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  Pat p;
  const int k = depth <= 0 ? 0 : pick(10);
  if (k < 4) {
    const AtomSpec& a = atoms[static_cast<size_t>(pick(static_cast<int>(atoms.size())))];
    p.text = a.text;
    p.examples = a.examples;
  } else if (k < 7) {
    p.kind = Pat::Concat;
    const int n = 2 + pick(2);
    for (int i = 0; i < n; ++i) p.kids.push_back(random_pat(rng, atoms, depth - 1));
  } else if (k < 8) {
    p.kind = Pat::Alt;
    p.kids.push_back(random_pat(rng, atoms, depth - 1));
    if (pick(5) == 0) {
      Pat empty;  // an empty side
      empty.kind = Pat::Concat;
      p.kids.push_back(empty);
    } else {
      p.kids.push_back(random_pat(rng, atoms, depth - 1));
    }
  } else {
    p.kind = Pat::Repeat;
    p.kids.push_back(random_pat(rng, atoms, depth - 1));
    switch (pick(6)) {
      case 0: p.min = 0, p.max = -1; break;
      case 1: p.min = 1, p.max = -1; break;
      case 2: p.min = 0, p.max = 1; break;
      case 3: p.min = p.max = pick(3); break;
      case 4: p.min = pick(3), p.max = -1; break;
      default: p.min = pick(3), p.max = p.min + pick(3); break;
    }
    // A repetition of a repetition that can match the empty text, like
    // ((a|)+){2,}, sends std::regex's backtracking into exponential time
    // (minutes on 8 bytes): make the outer one a plain '?'. A nullable kid
    // without repetitions inside, (a|)*, stays.
    if (nullable(p.kids[0]) && has_repeat(p.kids[0])) p.min = 0, p.max = 1;
  }
  return p;
}

std::string render(const Pat& p);
// A pattern that a quantifier or a concatenation can follow as one unit.
std::string as_unit(const Pat& p) {
  const std::string s = render(p);
  const bool single = p.kind == Pat::Atom && p.text != "é";
  return single ? s : "(" + s + ")";
}
std::string render(const Pat& p) {
  switch (p.kind) {
    case Pat::Atom: return p.text;
    case Pat::Concat: {
      std::string s;
      for (const Pat& k : p.kids) s += k.kind == Pat::Alt ? "(" + render(k) + ")" : render(k);
      return s;
    }
    case Pat::Alt: return render(p.kids[0]) + "|" + render(p.kids[1]);
    case Pat::Repeat: {
      std::string q;
      if (p.min == 0 && p.max < 0) q = "*";
      else if (p.min == 1 && p.max < 0) q = "+";
      else if (p.min == 0 && p.max == 1) q = "?";
      else if (p.max < 0) q = "{" + std::to_string(p.min) + ",}";
      else if (p.min == p.max) q = "{" + std::to_string(p.min) + "}";
      else q = "{" + std::to_string(p.min) + "," + std::to_string(p.max) + "}";
      return as_unit(p.kids[0]) + q;
    }
  }
  return "";
}

// A string the pattern matches.
std::string sample(const Pat& p, std::mt19937_64& rng) {
  switch (p.kind) {
    case Pat::Atom: return p.examples[rng() % p.examples.size()];
    case Pat::Concat: {
      std::string s;
      for (const Pat& k : p.kids) s += sample(k, rng);
      return s;
    }
    case Pat::Alt: return sample(p.kids[rng() % 2], rng);
    case Pat::Repeat: {
      const int hi = p.max < 0 ? p.min + 3 : p.max;
      const int n = p.min + static_cast<int>(rng() % static_cast<uint64_t>(hi - p.min + 1));
      std::string s;
      for (int i = 0; i < n; ++i) s += sample(p.kids[0], rng);
      return s;
    }
  }
  return "";
}

// An upper bound on the length of the shortest completion from any point
// inside p to its end: an atom 1; a sequence the sum; an alternation the
// largest side; a repetition max(m, 1) copies (finish the current copy, then
// the rest of the m required). Every set meets the small alphabet, so a
// shortest completion can be spelled in it.
int completion_bound(const Pat& p) {
  switch (p.kind) {
    case Pat::Atom: return 1;
    case Pat::Concat: {
      int s = 0;
      for (const Pat& k : p.kids) s += completion_bound(k);
      return s;
    }
    case Pat::Alt: return std::max(completion_bound(p.kids[0]), completion_bound(p.kids[1]));
    case Pat::Repeat: return std::max(p.min, 1) * completion_bound(p.kids[0]);
  }
  return 0;
}

std::string random_string(std::mt19937_64& rng, const std::string& alphabet, size_t max_len) {
  const size_t n = rng() % (max_len + 1);
  std::string s;
  for (size_t i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
  return s;
}

// Whether some extension of s by at most k letters of the alphabet matches.
bool completes(Regex& re, Regex::State s, const std::string& alphabet, int k) {
  if (re.accepting(s)) return true;
  if (k == 0) return false;
  for (char c : alphabet)
    if (completes(re, re.step(s, static_cast<uint8_t>(c)), alphabet, k - 1)) return true;
  return false;
}

size_t error_column(const std::string& pattern, const std::string& fragment) {
  try {
    Regex re(pattern);
  } catch (const RegexError& e) {
    INFO(pattern << ": " << e.what());
    CHECK(std::string(e.what()).find(fragment) != std::string::npos);
    return e.column();
  }
  FAIL("no error for " << pattern);
  return 0;
}

}  // namespace

TEST_CASE("regex: full matches agree with std::regex (ECMAScript) on random patterns") {
  std::mt19937_64 rng(20261207);
  const std::string alphabet = std::string("ab1 .\n\r") + "\xC3\xA9-";
  size_t strings = 0, positives = 0;
  for (int n = 0; n < 400; ++n) {
    const Pat p = random_pat(rng, kAllAtoms, 3);
    const std::string text = render(p);
    INFO("pattern " << text);
    Regex re(text);
    const std::regex ref(text, std::regex::ECMAScript);
    for (int i = 0; i < 25; ++i) {
      std::string s = i < 10 ? sample(p, rng) : random_string(rng, alphabet, 8);
      if (i >= 10 && i < 15 && !s.empty()) s = sample(p, rng) + s.substr(0, 1);  // near misses
      INFO("string \"" << s << "\"");
      const bool want = std::regex_match(s, ref);
      CHECK(re.matches(s) == want);
      if (re.matches(s)) CHECK(re.viable(s));
      ++strings;
      positives += want;
    }
  }
  // Both answers are well represented (the samples match, most random strings do not).
  CHECK(strings == 10000);
  CHECK(positives > 4000);
  CHECK(strings - positives > 3000);
}

TEST_CASE("regex: a live state is exactly a viable prefix (brute force over completions)") {
  std::mt19937_64 rng(77);
  const std::string alphabet = "ab1 ";
  int patterns = 0, viable = 0, not_viable = 0;
  while (patterns < 300) {
    const Pat p = random_pat(rng, kSmallAtoms, 3);
    const int k = completion_bound(p);
    if (k > 5) continue;
    ++patterns;
    const std::string text = render(p);
    INFO("pattern " << text << ", completions up to " << k);
    Regex re(text);
    for (int i = 0; i < 40; ++i) {
      const std::string s = i < 15 ? sample(p, rng).substr(0, rng() % 6) : random_string(rng, alphabet, 5);
      INFO("prefix \"" << s << "\"");
      const Regex::State st = re.walk(re.start(), s);
      const bool brute = completes(re, st, alphabet, k);
      CHECK(!re.dead(st) == brute);
      CHECK(re.viable(s) == brute);
      (brute ? viable : not_viable)++;
    }
  }
  CHECK(viable > 3000);
  CHECK(not_viable > 1500);
}

TEST_CASE("regex: the subset's meaning") {
  Regex a("a");
  CHECK(a.matches("a"));
  CHECK_FALSE(a.matches("ab"));  // implicit anchors
  CHECK_FALSE(a.matches(""));
  CHECK(a.viable(""));
  CHECK_FALSE(a.viable("b"));
  CHECK(Regex("^a+$").matches("aaa"));
  CHECK(Regex("a\\$").matches("a$"));
  CHECK(Regex("a\\\\$").matches("a\\"));  // escaped backslash, then the anchor
  CHECK(Regex("é+").matches("ééé"));       // a UTF-8 character is one atom
  CHECK_FALSE(Regex("é+").matches("é\xA9"));
  CHECK(Regex("(?:ab)+").matches("abab"));
  CHECK(Regex("\\x41\\x7e").matches("A~"));
  CHECK(Regex("[\\]\\-x]+").matches("]-x"));
  CHECK(Regex("[^a]").matches("\xFF"));   // negation over all 256 bytes
  CHECK_FALSE(Regex(".").matches("\n"));
  CHECK(Regex("a{2,3}").matches("aaa"));
  CHECK_FALSE(Regex("a{2,3}").matches("aaaa"));
  CHECK(Regex("a{0}").matches(""));
  CHECK(Regex("").matches(""));
  CHECK(Regex("a|").matches(""));
  // Dead and accepting states.
  Regex r(" [a-z]+( [a-z]+)*\\.");
  const Regex::State s = r.walk(r.start(), " the cat");
  CHECK_FALSE(r.dead(s));
  CHECK_FALSE(r.accepting(s));
  CHECK(r.accepting(r.step(s, '.')));
  CHECK(r.dead(r.step(r.step(s, '.'), ' ')));
  CHECK(r.dead(r.walk(r.start(), "  ")));
  CHECK(r.dead(Regex::kDead) == true);
  // A pattern whose only continuation is impossible is dead at once: [^\s\S] matches nothing.
  Regex never("a[^\\s\\S]");
  CHECK(never.dead(never.start()));
}

TEST_CASE("regex: parse errors name their column") {
  CHECK(error_column("ab(c", "missing ')'") == 3);
  CHECK(error_column("ab)c", "unmatched ')'") == 3);
  CHECK(error_column("*a", "nothing to repeat") == 1);
  CHECK(error_column("a|+", "nothing to repeat") == 3);
  CHECK(error_column("a**", "cannot follow") == 3);
  CHECK(error_column("a+?", "lazy") == 3);
  CHECK(error_column("[abc", "missing ']'") == 1);
  CHECK(error_column("x[]", "empty class") == 2);
  CHECK(error_column("[z-a]", "out of order") == 2);
  CHECK(error_column("[\\d-z]", "class escape") == 2);
  CHECK(error_column("a{3,2}", "below the minimum") == 2);
  CHECK(error_column("a{x}", "malformed repetition") == 2);
  CHECK(error_column("a{2", "malformed repetition") == 2);
  CHECK(error_column("a{1001}", "above 1000") == 3);
  CHECK(error_column("ab\\q", "unknown escape") == 3);
  CHECK(error_column("ab\\", "ends with a backslash") == 3);
  CHECK(error_column("\\xG1", "two hex digits") == 1);
  CHECK(error_column("a^b", "anchors") == 2);
  CHECK(error_column("a$b", "anchors") == 2);
  CHECK(error_column("(?=a)", "only (?:") == 2);
  CHECK(error_column("a]", "unescaped ']'") == 2);
  CHECK(error_column("[é]", "non-ASCII") == 2);
  CHECK(error_column("[[:alpha:]]", "named classes") == 2);
  // Too large when copied out: 1000 × 1000 copies of a byte.
  CHECK(error_column("(a{1000}){1000}", "automaton states") > 0);
  const std::string what = [] {
    try {
      Regex("ab(c");
    } catch (const RegexError& e) {
      return std::string(e.what());
    }
    return std::string();
  }();
  CHECK(what == "regex: missing ')' for this '(' (column 3)");
}

TEST_CASE("regex: the DFA has a bound on its states") {
  // (a|b)*a(a|b){k} needs 2^(k+1) states: past the bound, an error, not a
  // process that runs out of memory.
  Regex r("(a|b)*a(a|b){16}");
  std::mt19937_64 rng(3);
  bool threw = false;
  try {
    for (int i = 0; i < 2000000; ++i) r.step(r.walk(r.start(), random_string(rng, "ab", 40)), 'a');
  } catch (const RegexError& e) {
    threw = std::string(e.what()).find("grew past") != std::string::npos;
  }
  CHECK(threw);
  CHECK(r.dfa_states() == Regex::kMaxDfaStates);
}

TEST_CASE("token index: allowed ids are exactly the viable continuations, EOS when matching") {
  // A hand vocabulary: 0 <unk>, 1 <s>, 2 </s> (control/unknown, not text),
  // 3 "" (empty: never allowed), then text tokens.
  const std::vector<std::string> bytes = {"<unk>", "<s>", "</s>", "", " the", " cat", ".", "the", " ", "..", " t", "a."};
  std::vector<bool> text(bytes.size(), true);
  text[0] = text[1] = text[2] = false;
  TokenIndex v(bytes, text, 2);
  Regex r(" [a-z]+( [a-z]+)*\\.");
  CHECK(v.allowed(r, r.start()) == std::vector<TokenId>{4, 5, 8, 10});
  CHECK(v.allowed(r, r.walk(r.start(), " the")) == std::vector<TokenId>{4, 5, 6, 7, 8, 10, 11});
  CHECK(v.allowed(r, r.walk(r.start(), " the.")) == std::vector<TokenId>{2});  // only EOS
  CHECK(v.allowed(r, r.walk(r.start(), " the ")) == std::vector<TokenId>{7, 11});
  CHECK(v.allowed(r, Regex::kDead).empty());

  // Random vocabularies and patterns against the definition.
  std::mt19937_64 rng(11);
  const std::string alphabet = "ab1 .";
  for (int n = 0; n < 100; ++n) {
    std::vector<std::string> bs(60);
    std::vector<bool> tx(bs.size(), true);
    for (size_t i = 0; i < bs.size(); ++i) bs[i] = random_string(rng, alphabet, 4);
    tx[0] = false;  // a control token with text that would otherwise fit
    bs[0] = std::string(1, 'a');  // (not = "a": a GCC 12 -Wrestrict false positive)
    const auto eos = static_cast<TokenId>(1 + rng() % 59);
    TokenIndex idx(bs, tx, eos);
    const Pat p = random_pat(rng, kSmallAtoms, 3);
    Regex re(render(p));
    INFO("pattern " << render(p));
    for (int i = 0; i < 10; ++i) {
      const std::string s = i < 5 ? sample(p, rng).substr(0, rng() % 5) : random_string(rng, alphabet, 3);
      std::vector<TokenId> want;
      if (re.viable(s))
        for (size_t t = 1; t < bs.size(); ++t)
          if (static_cast<TokenId>(t) == eos ? re.matches(s) : !bs[t].empty() && re.viable(s + bs[t]))
            want.push_back(static_cast<TokenId>(t));
      CHECK(idx.allowed(re, re.walk(re.start(), s)) == want);
    }
  }
}

TEST_CASE("token index: a 128k-token vocabulary (timing)") {
  // Pieces like a byte-level BPE vocabulary's: 1-12 bytes, words with and
  // without a leading space, punctuation, digits, some non-ASCII bytes.
  std::mt19937_64 rng(5);
  const size_t n = 128000;
  std::vector<std::string> bytes(n);
  std::vector<bool> text(n, true);
  const std::string letters = "abcdefghijklmnopqrstuvwxyz";
  const std::string other = ".,;:!?0123456789\n\xC3\xA9\xE2\x80\x99" "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  size_t total_bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    std::string s = rng() % 2 ? " " : "";
    const size_t len = 1 + rng() % 11;
    for (size_t k = 0; k < len; ++k) s += rng() % 5 ? letters[rng() % letters.size()] : other[rng() % other.size()];
    bytes[i] = s;
    total_bytes += s.size();
  }
  TokenIndex v(bytes, text, 0);
  Regex r(" [a-z]+( [a-z]+)*\\.");
  const std::vector<std::string> texts = {"", " the", " the cat", " the cat ", " the cat sat."};
  double worst = 0;
  for (const std::string& t : texts) {
    const Regex::State s = r.walk(r.start(), t);
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<TokenId> ids = v.allowed(r, s);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    worst = std::max(worst, ms);
    MESSAGE("128k vocabulary (" << total_bytes << " bytes), after \"" << t << "\": " << ids.size() << " allowed, "
                                << ms << " ms");
    // Spot-check the set against the definition.
    std::set<TokenId> in(ids.begin(), ids.end());
    for (int k = 0; k < 2000; ++k) {
      const auto id = static_cast<TokenId>(rng() % n);
      CHECK(in.count(id) == (id == 0 ? r.matches(t) : r.viable(t + bytes[static_cast<size_t>(id)])));
    }
  }
  MESSAGE("worst scan " << worst << " ms; DFA states " << r.dfa_states());
}

namespace {
std::string model_path() {
  const char* e = std::getenv("BOREL_TEST_MODELS");
  return std::string(e && *e ? e : BOREL_TEST_MODELS_DEFAULT) + "/stories260K.gguf";
}
}  // namespace

TEST_CASE("regex mask on stories260K: one scan per state, the same array back, pieces as token_piece") {
  if (!std::ifstream(model_path(), std::ios::binary).good()) return;  // main() reports the skip
  auto lm = borel::lm::EmbeddedModel::load(model_path());
  auto* mask = borel::lm::RegexMask::get(" [a-z]+( [a-z]+)*\\. test");
  CHECK(borel::lm::RegexMask::get(" [a-z]+( [a-z]+)*\\. test") == mask);  // interned
  mask->allowed(*lm, "");  // loads the token index
  const size_t before = mask->scans();
  auto t0 = std::chrono::steady_clock::now();
  const borel::rt::Array* a = mask->allowed(*lm, " the");
  const double scan_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  t0 = std::chrono::steady_clock::now();
  const borel::rt::Array* b = mask->allowed(*lm, " cat");  // the same DFA state
  const double lookup_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("stories260K: first scan of a state " << scan_us << " us, a memoised lookup " << lookup_us << " us");
  CHECK(a == b);
  CHECK(mask->scans() == before + 1);
  // Against the definition, with the tokenizer's pieces: every id.
  const auto& tok = lm->tokenizer();
  Regex re(" [a-z]+( [a-z]+)*\\. test");
  size_t n_allowed = 0;
  for (size_t t = 0; t < lm->vocab_size(); ++t) {
    const auto id = static_cast<TokenId>(t);
    const borel::llm::TokenType type = tok.vocab().types[t];
    const bool text = type == borel::llm::TokenType::Normal || type == borel::llm::TokenType::UserDefined ||
                      type == borel::llm::TokenType::Byte;
    const bool want = text && !tok.token_to_piece(id, true).empty() && re.viable(" the" + tok.token_to_piece(id, true));
    CHECK(std::binary_search(a->data, a->data + a->len, static_cast<borel::rt::Word>(t)) == want);
    n_allowed += want;
  }
  CHECK(n_allowed == static_cast<size_t>(a->len));
  CHECK(n_allowed > 100);  // most word pieces and " " fit
  // Not a viable prefix: empty.
  CHECK(mask->allowed(*lm, "x")->len == 0);
  // A full match: EOS only (nothing can follow " test").
  const borel::rt::Array* end = mask->allowed(*lm, " the cat. test");
  REQUIRE(end->len == 1);
  CHECK(end->data[0] == tok.vocab().eos);
  CHECK_THROWS_AS(borel::lm::RegexMask::get("a("), RegexError);
}
