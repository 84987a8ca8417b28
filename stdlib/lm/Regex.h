// Regex.h — a byte-level regular expression as a lazily built DFA, for token
// masks: besides "does this text match", it answers "can this text still be
// extended to a match" (a viable prefix), which std::regex cannot.
//
// The subset (the whole text must match: the anchors are implicit):
//   literals       any byte but the metacharacters . [ ] { } ( ) * + ? | \ ^ $;
//                  a UTF-8 multi-byte character is one atom (a quantifier
//                  after it repeats the whole character)
//   escapes        \ before any ASCII punctuation is that character (\. \\ \[ ...);
//                  \n \t \r \f \v; \xHH (one byte); \d \w \s and their
//                  negations \D \W \S (\d = [0-9], \w = [A-Za-z0-9_],
//                  \s = [ \t\n\v\f\r], as ECMAScript in the C locale)
//   .              any byte but \n and \r (as ECMAScript)
//   [...] [^...]   sets of bytes: single ASCII characters, ranges a-z,
//                  escapes (\d \w \s \D \W \S, \n ..., \xHH, \] \- \\ ...);
//                  a '-' first or last is literal; [^...] is the complement
//                  over all 256 bytes
//   (...) (?:...)  grouping (nothing is captured)
//   a|b            alternation (an empty side matches the empty text)
//   * + ? {m} {m,} {m,n}   repetition (m <= n <= 1000), one per atom
//   ^ $            allowed only as the pattern's first / last character,
//                  where they change nothing
// Everything matches bytes: `.` and classes match one byte, so non-ASCII text
// is matched by literal characters, or byte by byte by `.` and [^...].
// Not supported (an error, not a different meaning): backreferences, lookaround,
// lazy quantifiers, word boundaries, named classes ([:alpha:]), flags.
//
// Guarantees: matches(s) agrees with std::regex_match(s, std::regex(pattern))
// (ECMAScript) on every pattern of the subset (tests/lm/RegexTest.cpp checks
// random patterns against it); a state is dead exactly when no continuation
// of the bytes that led to it matches, so dead(walk(start(), s)) is "s is not a
// viable prefix". Errors are RegexError naming the 1-based column in the
// pattern; patterns whose automaton would exceed kMaxNfaStates (when the
// repetitions are expanded) or kMaxDfaStates are errors rather than a
// process that exhausts memory.
//
// The DFA is built on demand (subset construction one transition at a time,
// states memoised by their set of NFA states), so a pattern costs only the
// states its inputs visit. Not thread-safe: step() grows the automaton, so
// a Regex shared between threads needs a lock (RegexMask does that).
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace borel::lm {

namespace detail {
struct RegexNode;
}

class RegexError : public std::runtime_error {
 public:
  // column: 1-based byte position in the pattern (0: not tied to a position).
  RegexError(const std::string& message, size_t column);
  size_t column() const { return column_; }

 private:
  size_t column_;
};

class Regex {
 public:
  using State = int32_t;
  // The dead state: no match is reachable. Every dead set of NFA states is
  // this one state.
  static constexpr State kDead = 0;
  static constexpr size_t kMaxNfaStates = 200000;
  static constexpr size_t kMaxDfaStates = 50000;
  static constexpr int kMaxRepeat = 1000;

  // Throws RegexError.
  explicit Regex(std::string_view pattern);

  const std::string& pattern() const { return pattern_; }
  State start() const { return start_; }
  // The state after one more byte (built and memoised on first use). Throws
  // RegexError when the automaton would exceed kMaxDfaStates.
  State step(State s, uint8_t byte);
  // The state after `bytes`; stops early at the dead state.
  State walk(State s, std::string_view bytes);
  bool dead(State s) const { return s == kDead; }
  bool accepting(State s) const { return accepting_[static_cast<size_t>(s)]; }

  bool matches(std::string_view text) { return accepting(walk(start_, text)); }
  // Whether some extension of `text` (possibly empty) matches.
  bool viable(std::string_view text) { return !dead(walk(start_, text)); }

  size_t nfa_states() const { return nfa_.size(); }
  size_t dfa_states() const { return sets_.size(); }

 private:
  // Thompson NFA: a Byte state moves on a byte of its set to `out`; Split
  // and Eps move without input (Split to `out` and `out1`); Match accepts.
  struct NState {
    enum class Kind : uint8_t { Byte, Split, Eps, Match } kind;
    int32_t out = -1, out1 = -1;
    int32_t set = -1;  // index into sets of bytes, for Byte
  };
  struct Frag {
    int32_t start, end;  // `end` is an Eps state whose `out` is patched
  };

  int32_t add(NState s, size_t column);
  Frag build(const detail::RegexNode& n);
  Frag empty();
  Frag concat(Frag a, Frag b);
  void prune();
  // The Byte and Match states reachable without input from `seeds`, that
  // can still reach Match, sorted.
  std::vector<int32_t> closure(const std::vector<int32_t>& seeds);
  State intern(std::vector<int32_t> set);

  std::string pattern_;
  std::vector<NState> nfa_;
  std::vector<std::bitset<256>> byte_sets_;
  std::vector<char> live_;  // NFA state can reach Match
  int32_t nfa_start_ = -1, match_ = -1;

  // DFA: per state its NFA states, its transitions (-1: not built yet), and
  // whether it accepts.
  std::vector<std::vector<int32_t>> sets_;
  std::vector<std::array<State, 256>> trans_;
  std::vector<char> accepting_;
  std::unordered_map<std::string, State> index_;
  State start_ = kDead;
  std::vector<int32_t> stack_;   // scratch for closure()
  std::vector<uint32_t> mark_;   // scratch: visit marks by NFA state
  uint32_t epoch_ = 0;
};

}  // namespace borel::lm
