// GrammarMask.h — the value of `grammar(text)` in the language: a parsed
// context-free grammar (Grammar.h) with the token masks it has computed, so
// that `grammar_allowed(lm, g, text)` — the ids that keep `text` a prefix of
// some sentence — costs a walk over `text` (memoised transitions) and a
// lookup once the text's parser state has been seen.
//
// As RegexMask (whose reasons for a handle apply unchanged): handles are
// interned by grammar text, the grammar is parsed where the program writes
// `grammar(...)` (errors are reported there), and the memo is shared by
// every particle and step. The memo is by parser state (a set of stacks of
// the pushdown automaton), not by text: texts that leave the parser in the
// same configuration share one vocabulary scan.
//
// Guarantees: allowed() is TokenIndex::allowed_in of the text's state, as a
// sorted Borel [int] array made once per (grammar, model, state) and never
// freed; the empty array when the text is not a viable prefix. When the
// automaton has interned more than Grammar::kMaxStates states, it and the
// memo are cleared before the next walk (answers are unchanged; the arrays
// already handed out stay valid). Calls are serialised by one lock per
// handle.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "Grammar.h"
#include "LanguageModel.h"
#include "TokenIndex.h"
#include "runtime/Value.h"

namespace borel::lm {

class GrammarMask {
 public:
  // The handle of `text`, parsed on first use. Throws GrammarError.
  static GrammarMask* get(const std::string& text);

  const rt::Array* allowed(LanguageModel& lm, std::string_view text);
  bool matches(std::string_view text);
  bool viable(std::string_view text);
  // Vocabulary scans made so far (one per model and state visited).
  size_t scans();
  size_t states();

 private:
  explicit GrammarMask(const std::string& text) : g_(text) {}
  Grammar::State walk(std::string_view text);
  struct PerModel {
    std::shared_ptr<const TokenIndex> index;
    std::vector<const rt::Array*> by_state;  // null: not computed yet
  };

  std::mutex mutex_;
  Grammar g_;
  std::unordered_map<const LanguageModel*, PerModel> models_;
  size_t scans_ = 0;
};

}  // namespace borel::lm
