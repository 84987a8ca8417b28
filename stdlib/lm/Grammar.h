// Grammar.h — a context-free grammar over bytes, in a GBNF-like notation
// (llama.cpp's), recognised by a pushdown automaton whose configurations are
// interned as states, for token masks: besides "is this text a sentence", it
// answers "is this text a prefix of some sentence" (a viable prefix).
//
// The notation (the grammar's sentences are those of the rule `root`):
//   name ::= alternatives      a rule; names are [A-Za-z0-9_-]+; a rule ends
//                              where the next `name ::=` begins, so rules may
//                              span lines; each name is defined once
//   a b c                      a sequence; `a | b` alternatives (an empty
//                              side is the empty text)
//   "..."                      a literal: its bytes (UTF-8 as written);
//                              escapes \n \t \r \\ \" \xHH, and \ before any
//                              other ASCII punctuation is that character
//   [a-z_] [^...]              one byte of a set: ASCII characters, ranges,
//                              the same escapes; [^...] is the complement
//                              over all 256 bytes (non-ASCII characters in a
//                              set are an error: the grammar is byte-level)
//   .                          any one byte
//   ( ... )                    grouping
//   x* x+ x? x{m} x{m,} x{m,n} repetition (n <= 1000)
//   # ...                      a comment to the end of the line
//
// Parsing keeps a set of stacks of positions in the rules (the stacks of a
// nondeterministic pushdown automaton, as llama.cpp's grammar sampler): the
// top of a stack is the terminal that the next byte must match, the rest are
// where to continue after the rules being parsed end; a rule that ends an
// alternative leaves nothing behind (a tail call), so right recursion and
// repetition do not deepen the stacks. Each distinct set of stacks is
// interned as a State and its transitions memoised, so the automaton is a
// DFA built lazily over these configurations — finite for a regular
// language, growing with the nesting depth the texts reach otherwise.
//
// Guarantees: matches(s) and viable(s) are exactly membership and "some
// extension (possibly empty) of s is a sentence" (tests/lm/GrammarTest.cpp
// checks both against a span recogniser on random grammars). Alternatives
// that cannot derive any finite text are dropped when the grammar is built,
// so every stack can be completed and a state is dead exactly when it holds
// no stack. Left recursion (a rule that can reach itself without consuming a
// byte, which includes repeating something that can match the empty text) is
// refused with an error naming the cycle, as is a grammar whose root derives
// no text. Errors are GrammarError naming the line and column in the grammar
// text. A state with more than kMaxStacks stacks (an extremely ambiguous
// grammar) is an error rather than a process that exhausts memory; when more
// than kMaxStates states have been interned, clear() may be called between
// walks to start over (the answers do not change).
//
// A grammar larger than kMaxSize after expansion, or nested deeper than
// kMaxNesting parentheses, is an error too.
//
// Not thread-safe: step() grows the automaton (GrammarMask holds a lock).
#pragma once

#include <bitset>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace borel::lm {

class GrammarError : public std::runtime_error {
 public:
  // line, column: 1-based position in the grammar text (0: not tied to one).
  GrammarError(const std::string& message, size_t line, size_t column);
  size_t line() const { return line_; }
  size_t column() const { return column_; }

 private:
  size_t line_, column_;
};

class Grammar {
 public:
  using State = int32_t;
  static constexpr State kDead = 0;
  static constexpr size_t kMaxStacks = 100000;
  static constexpr size_t kMaxStates = 200000;
  static constexpr int kMaxRepeat = 1000;
  // Limits on the grammar text: rules plus elements once repetitions are
  // expanded, and parentheses open at once (the parser recurses on them).
  static constexpr size_t kMaxSize = 200000;
  static constexpr int kMaxNesting = 200;

  // Throws GrammarError.
  explicit Grammar(std::string_view text);

  const std::string& text() const { return text_; }
  State start() const { return start_; }
  // The state after one more byte (built and memoised on first use).
  State step(State s, uint8_t byte);
  // The state after `bytes`; stops early at the dead state.
  State walk(State s, std::string_view bytes);
  bool dead(State s) const { return s == kDead; }
  bool accepting(State s) const { return accepting_[static_cast<size_t>(s)]; }

  bool matches(std::string_view text) { return accepting(walk(start_, text)); }
  bool viable(std::string_view text) { return !dead(walk(start_, text)); }

  size_t states() const { return sets_.size(); }
  size_t rules() const { return rules_.size(); }
  // Forgets every state but the dead and start ones (their numbers stay).
  void clear();

 private:
  struct Elem {
    enum class Kind : uint8_t { Term, Ref, End } kind;
    int32_t arg = -1;  // Term: index into byte_sets_; Ref: rule
  };
  using Stack = std::vector<int32_t>;
  struct Rule;
  friend class GrammarParser;

  void expand(Stack& s, std::vector<Stack>& out) const;
  State intern(std::vector<Stack> set);

  std::string text_;
  std::vector<Elem> elems_;                  // alternatives, each closed by End
  std::vector<std::vector<int32_t>> rules_;  // per rule: its alternatives' first positions
  std::vector<std::bitset<256>> byte_sets_;
  int32_t root_ = -1;

  std::vector<std::vector<Stack>> sets_;
  std::vector<char> accepting_;
  std::unordered_map<std::string, State> index_;
  std::unordered_map<uint64_t, State> trans_;
  State start_ = kDead;
};

}  // namespace borel::lm
