// RegexMask.h — the value of `regex(pattern)` in the language: a compiled
// regular expression (Regex.h) with the token masks it has computed, so
// that `regex_allowed(lm, r, text)` — the ids that keep `text` a viable
// prefix of the pattern — costs a walk over `text` and a lookup once the
// text's DFA state has been seen.
//
// Why a handle rather than regex_allowed(lm, pattern, text) on a string:
// the memo (DFA states, the allowed ids of each state per model) must be
// shared by every particle and every step, and a Borel value is immutable.
// The handle is immutable as far as a program can see — every answer is a
// function of (pattern, model, text) — while the automaton and the masks
// behind it grow as states are visited. The pattern is compiled where the
// program writes `regex(...)`, so a syntax error is reported there, and
// handles are interned by pattern: `regex(p)` called inside a model (once
// per particle) still finds the masks computed before.
//
// Guarantees: allowed() is TokenIndex::allowed of the text's state, as a
// sorted Borel [int] array made once per (pattern, model, state) and never
// freed (uncollectable, like the handle itself and the models: they live for
// the process), so `masked` keeps it without copying. A text that is not a
// viable prefix gives the empty array. Calls from several threads are
// serialised by one lock per handle.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "LanguageModel.h"
#include "Regex.h"
#include "TokenIndex.h"
#include "runtime/Value.h"

namespace borel::lm {

class RegexMask {
 public:
  // The handle of `pattern`, compiled on first use. Throws RegexError.
  static RegexMask* get(const std::string& pattern);

  const std::string& pattern() const { return re_.pattern(); }
  // The ids allowed after `text` (LanguageModel errors as LlmError).
  const rt::Array* allowed(LanguageModel& lm, std::string_view text);
  bool matches(std::string_view text);
  bool viable(std::string_view text);
  // Vocabulary scans made so far (one per model and state visited).
  size_t scans();

 private:
  explicit RegexMask(const std::string& pattern) : re_(pattern) {}
  struct PerModel {
    std::shared_ptr<const TokenIndex> index;
    std::vector<const rt::Array*> by_state;  // null: not computed yet
  };

  std::mutex mutex_;
  Regex re_;
  std::unordered_map<const LanguageModel*, PerModel> models_;
  size_t scans_ = 0;
};

}  // namespace borel::lm
