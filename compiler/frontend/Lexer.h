// Lexer.h — source text to tokens.
//
// `lex` never stops at an error: it reports each bad character, literal or
// comment to `diags` with its file:line:col and carries on, so one run shows
// every lexical error. A malformed literal still yields a token (an Int of 0,
// the partially decoded String) so the parser does not add a second error for
// the same text; a stray character yields no token. The stream always ends
// with an Eof token.
//
// Lexical rules (docs/grammar.md):
//   identifiers  [A-Za-z_][A-Za-z0-9_]*, minus the keywords
//                fn let if else for in import true false
//   type vars    'name
//   int          decimal digits with optional `_` separators, at most 2^63-1
//                (2^63 is accepted only so that the parser can read
//                -9223372036854775808)
//   real         digits '.' digits* exponent? | digits exponent, where
//                exponent = [eE][+-]?digits. `.5` is not a literal; `2.` is
//                unless a `.` or a letter follows (`0..n`, `x.0.1`); after a
//                `.` token digits are always an Int (tuple fields: `t.0.1`).
//   string       "..." on one line, escapes \n \t \\ \" \u{X..} (1-6 hex digits)
//   comments     // to end of line, /* ... */ (nestable)
#pragma once

#include <string>
#include <vector>

#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/Source.h"
#include "compiler/frontend/Token.h"

namespace borel {

std::vector<Token> lex(const SourceFile& file, Diagnostics& diags);

// `borel --emit=tokens`: one token per line, `line:col KIND text`.
std::string dump_tokens(const std::vector<Token>& tokens);

}  // namespace borel
