// Token.h — the tokens the lexer produces and the parser consumes.
//
// A token keeps its source spelling (`text`) and its decoded value: an
// integer literal's value, a real literal's value, a string literal's
// contents after escapes. The last token of every stream is `Eof`.
#pragma once

#include <cstdint>
#include <string>

#include "compiler/frontend/Source.h"

namespace borel {

enum class TokenKind : uint8_t {
  Eof,
  Ident,   // foo, _x, _
  TyVar,   // 'a  (text includes the quote)
  Int,     // 42, 1_000
  Real,    // 1.5, 2., 1e-3, 1.5e+10
  String,  // "a\n"  (text is the source spelling, str_value the contents)
  // Keywords.
  Fn, Let, If, Else, For, In, Import, True, False,
  // Punctuation and operators.
  LParen, RParen, LBracket, RBracket, LBrace, RBrace,
  Comma, Semi, Colon, Dot, DotDot, Arrow, Assign,
  Plus, Minus, Star, Slash, Percent, StarStar,
  EqEq, NotEq, Lt, Le, Gt, Ge, AndAnd, OrOr, Bang, PlusPlus,
};

// The kind's name in `--emit=tokens` output: "IDENT", "LPAREN", "FN", ...
const char* token_kind_name(TokenKind);
// The fixed spelling of a keyword or punctuation kind ("fn", "("); for the
// kinds with variable spelling a description ("identifier", "end of file").
const char* token_kind_spelling(TokenKind);

struct Token {
  TokenKind kind = TokenKind::Eof;
  Loc loc;
  std::string text;        // exactly as written in the source
  uint64_t int_value = 0;  // Int: at most 2^63 (only valid as the operand of unary minus)
  double real_value = 0;   // Real
  std::string str_value;   // String: decoded contents; TyVar: the name without the quote
};

}  // namespace borel
