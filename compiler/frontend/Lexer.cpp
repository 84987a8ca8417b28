// Lexer.cpp — a hand-written scanner over the bytes of one SourceFile.
#include "compiler/frontend/Lexer.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "Unicode.h"  // stdlib/llm: UTF-8 encoding of code points

namespace borel {

const char* token_kind_name(TokenKind k) {
  switch (k) {
    case TokenKind::Eof: return "EOF";
    case TokenKind::Ident: return "IDENT";
    case TokenKind::TyVar: return "TYVAR";
    case TokenKind::Int: return "INT";
    case TokenKind::Real: return "REAL";
    case TokenKind::String: return "STRING";
    case TokenKind::Fn: return "FN";
    case TokenKind::Let: return "LET";
    case TokenKind::If: return "IF";
    case TokenKind::Else: return "ELSE";
    case TokenKind::For: return "FOR";
    case TokenKind::In: return "IN";
    case TokenKind::Import: return "IMPORT";
    case TokenKind::True: return "TRUE";
    case TokenKind::False: return "FALSE";
    case TokenKind::LParen: return "LPAREN";
    case TokenKind::RParen: return "RPAREN";
    case TokenKind::LBracket: return "LBRACKET";
    case TokenKind::RBracket: return "RBRACKET";
    case TokenKind::LBrace: return "LBRACE";
    case TokenKind::RBrace: return "RBRACE";
    case TokenKind::Comma: return "COMMA";
    case TokenKind::Semi: return "SEMI";
    case TokenKind::Colon: return "COLON";
    case TokenKind::Dot: return "DOT";
    case TokenKind::DotDot: return "DOTDOT";
    case TokenKind::Arrow: return "ARROW";
    case TokenKind::Assign: return "ASSIGN";
    case TokenKind::Plus: return "PLUS";
    case TokenKind::Minus: return "MINUS";
    case TokenKind::Star: return "STAR";
    case TokenKind::Slash: return "SLASH";
    case TokenKind::Percent: return "PERCENT";
    case TokenKind::StarStar: return "STARSTAR";
    case TokenKind::EqEq: return "EQEQ";
    case TokenKind::NotEq: return "NE";
    case TokenKind::Lt: return "LT";
    case TokenKind::Le: return "LE";
    case TokenKind::Gt: return "GT";
    case TokenKind::Ge: return "GE";
    case TokenKind::AndAnd: return "ANDAND";
    case TokenKind::OrOr: return "OROR";
    case TokenKind::Bang: return "BANG";
    case TokenKind::PlusPlus: return "PLUSPLUS";
  }
  return "?";
}

const char* token_kind_spelling(TokenKind k) {
  switch (k) {
    case TokenKind::Eof: return "end of file";
    case TokenKind::Ident: return "identifier";
    case TokenKind::TyVar: return "type variable";
    case TokenKind::Int: return "integer literal";
    case TokenKind::Real: return "real literal";
    case TokenKind::String: return "string literal";
    case TokenKind::Fn: return "fn";
    case TokenKind::Let: return "let";
    case TokenKind::If: return "if";
    case TokenKind::Else: return "else";
    case TokenKind::For: return "for";
    case TokenKind::In: return "in";
    case TokenKind::Import: return "import";
    case TokenKind::True: return "true";
    case TokenKind::False: return "false";
    case TokenKind::LParen: return "(";
    case TokenKind::RParen: return ")";
    case TokenKind::LBracket: return "[";
    case TokenKind::RBracket: return "]";
    case TokenKind::LBrace: return "{";
    case TokenKind::RBrace: return "}";
    case TokenKind::Comma: return ",";
    case TokenKind::Semi: return ";";
    case TokenKind::Colon: return ":";
    case TokenKind::Dot: return ".";
    case TokenKind::DotDot: return "..";
    case TokenKind::Arrow: return "->";
    case TokenKind::Assign: return "=";
    case TokenKind::Plus: return "+";
    case TokenKind::Minus: return "-";
    case TokenKind::Star: return "*";
    case TokenKind::Slash: return "/";
    case TokenKind::Percent: return "%";
    case TokenKind::StarStar: return "**";
    case TokenKind::EqEq: return "==";
    case TokenKind::NotEq: return "!=";
    case TokenKind::Lt: return "<";
    case TokenKind::Le: return "<=";
    case TokenKind::Gt: return ">";
    case TokenKind::Ge: return ">=";
    case TokenKind::AndAnd: return "&&";
    case TokenKind::OrOr: return "||";
    case TokenKind::Bang: return "!";
    case TokenKind::PlusPlus: return "++";
  }
  return "?";
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct Keyword {
  std::string_view text;
  TokenKind kind;
};
constexpr Keyword kKeywords[] = {
    {"fn", TokenKind::Fn},       {"let", TokenKind::Let},   {"if", TokenKind::If},
    {"else", TokenKind::Else},   {"for", TokenKind::For},   {"in", TokenKind::In},
    {"import", TokenKind::Import}, {"true", TokenKind::True}, {"false", TokenKind::False},
};

class Lexer {
 public:
  Lexer(const SourceFile& file, Diagnostics& diags) : file_(file), src_(file.text), diags_(diags) {}

  std::vector<Token> run() {
    for (;;) {
      skip_trivia();
      if (pos_ >= src_.size()) break;
      lex_token();
    }
    Token eof;
    eof.kind = TokenKind::Eof;
    eof.loc = here();
    out_.push_back(std::move(eof));
    return std::move(out_);
  }

 private:
  const SourceFile& file_;
  std::string_view src_;
  Diagnostics& diags_;
  std::vector<Token> out_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  size_t line_start_ = 0;  // byte offset where the current line begins

  char peek(size_t ahead = 0) const { return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0'; }
  bool at_end(size_t ahead = 0) const { return pos_ + ahead >= src_.size(); }
  Loc here() const { return loc_at(pos_); }
  Loc loc_at(size_t offset) const {
    // Only offsets on the current line are asked for, except string starts,
    // which never span lines.
    return Loc{&file_, line_, static_cast<uint32_t>(offset - line_start_ + 1)};
  }
  void advance() {
    if (src_[pos_] == '\n') {
      ++line_;
      line_start_ = pos_ + 1;
    }
    ++pos_;
  }

  void skip_trivia() {
    while (!at_end()) {
      char c = peek();
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
        advance();
      } else if (c == '/' && peek(1) == '/') {
        while (!at_end() && peek() != '\n') advance();
      } else if (c == '/' && peek(1) == '*') {
        skip_block_comment();
      } else {
        break;
      }
    }
  }

  void skip_block_comment() {
    Loc start = here();
    advance();
    advance();
    int depth = 1;
    while (!at_end()) {
      if (peek() == '/' && peek(1) == '*') {
        advance();
        advance();
        ++depth;
      } else if (peek() == '*' && peek(1) == '/') {
        advance();
        advance();
        if (--depth == 0) return;
      } else {
        advance();
      }
    }
    diags_.error(start, "unterminated block comment");
  }

  Token& emit(TokenKind kind, size_t start, Loc loc) {
    Token t;
    t.kind = kind;
    t.loc = loc;
    t.text = std::string(src_.substr(start, pos_ - start));
    out_.push_back(std::move(t));
    return out_.back();
  }

  void lex_token() {
    size_t start = pos_;
    Loc loc = here();
    char c = peek();
    if (is_ident_start(c)) return lex_ident(start, loc);
    if (is_digit(c)) return lex_number(start, loc);
    if (c == '"') return lex_string(start, loc);
    if (c == '\'') return lex_tyvar(start, loc);

    auto op = [&](size_t len, TokenKind k) {
      for (size_t i = 0; i < len; ++i) advance();
      emit(k, start, loc);
    };
    char n = peek(1);
    switch (c) {
      case '(': return op(1, TokenKind::LParen);
      case ')': return op(1, TokenKind::RParen);
      case '[': return op(1, TokenKind::LBracket);
      case ']': return op(1, TokenKind::RBracket);
      case '{': return op(1, TokenKind::LBrace);
      case '}': return op(1, TokenKind::RBrace);
      case ',': return op(1, TokenKind::Comma);
      case ';': return op(1, TokenKind::Semi);
      case ':': return op(1, TokenKind::Colon);
      case '.':
        if (n == '.') return op(2, TokenKind::DotDot);
        if (is_digit(n) && !prev_is_postfix_operand()) {
          // `.5`: lex it as the real 0.5 so that the parser sees an operand.
          advance();
          lex_number(pos_, here());
          Token& t = out_.back();
          t.kind = TokenKind::Real;
          t.loc = loc;
          t.real_value = std::strtod(("0." + t.text).c_str(), nullptr);
          diags_.error(loc, "a real literal needs a digit before the '.': write 0." + t.text);
          t.text = "." + t.text;
          return;
        }
        return op(1, TokenKind::Dot);
      case '-': return n == '>' ? op(2, TokenKind::Arrow) : op(1, TokenKind::Minus);
      case '=': return n == '=' ? op(2, TokenKind::EqEq) : op(1, TokenKind::Assign);
      case '+': return n == '+' ? op(2, TokenKind::PlusPlus) : op(1, TokenKind::Plus);
      case '*': return n == '*' ? op(2, TokenKind::StarStar) : op(1, TokenKind::Star);
      case '/': return op(1, TokenKind::Slash);
      case '%': return op(1, TokenKind::Percent);
      case '!': return n == '=' ? op(2, TokenKind::NotEq) : op(1, TokenKind::Bang);
      case '<': return n == '=' ? op(2, TokenKind::Le) : op(1, TokenKind::Lt);
      case '>': return n == '=' ? op(2, TokenKind::Ge) : op(1, TokenKind::Gt);
      case '&':
        if (n == '&') return op(2, TokenKind::AndAnd);
        advance();
        diags_.error(loc, "unexpected character '&' (did you mean '&&'?)");
        return;
      case '|':
        if (n == '|') return op(2, TokenKind::OrOr);
        advance();
        diags_.error(loc, "unexpected character '|' (did you mean '||'?)");
        return;
      default: break;
    }
    stray_character(loc);
  }

  // True when the previous token ends an operand, so that a following `.`
  // starts a field access (`t.0`) rather than a malformed real (`.5`).
  bool prev_is_postfix_operand() const {
    if (out_.empty()) return false;
    switch (out_.back().kind) {
      case TokenKind::Ident: case TokenKind::Int: case TokenKind::Real: case TokenKind::String:
      case TokenKind::RParen: case TokenKind::RBracket: case TokenKind::RBrace:
        return true;
      default:
        return false;
    }
  }

  void stray_character(Loc loc) {
    unsigned char b = static_cast<unsigned char>(peek());
    char buf[64];
    if (b >= 0x80) {
      // Skip a whole UTF-8 sequence so that one character gives one error.
      size_t len = (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 1;
      uint32_t cp = len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : len == 4 ? (b & 0x07) : b;
      bool valid = len > 1;
      for (size_t i = 1; i < len; ++i) {
        unsigned char cb = static_cast<unsigned char>(peek(i));
        if (at_end(i) || (cb & 0xC0) != 0x80) {
          valid = false;
          len = i;
          break;
        }
        cp = (cp << 6) | (cb & 0x3F);
      }
      for (size_t i = 0; i < len; ++i) advance();
      if (valid)
        std::snprintf(buf, sizeof buf, "unexpected character U+%04X", static_cast<unsigned>(cp));
      else
        std::snprintf(buf, sizeof buf, "invalid UTF-8 byte 0x%02X", static_cast<unsigned>(b));
    } else {
      advance();
      if (b >= 0x21 && b < 0x7F)
        std::snprintf(buf, sizeof buf, "unexpected character '%c'", static_cast<char>(b));
      else
        std::snprintf(buf, sizeof buf, "unexpected character 0x%02X", static_cast<unsigned>(b));
    }
    diags_.error(loc, buf);
  }

  void lex_ident(size_t start, Loc loc) {
    while (!at_end() && is_ident_char(peek())) advance();
    std::string_view text = src_.substr(start, pos_ - start);
    TokenKind kind = TokenKind::Ident;
    for (const auto& kw : kKeywords)
      if (kw.text == text) kind = kw.kind;
    emit(kind, start, loc);
  }

  void lex_tyvar(size_t start, Loc loc) {
    advance();  // '
    if (!is_ident_start(peek())) {
      diags_.error(loc, "expected a type variable name after '''");
      return;
    }
    while (!at_end() && is_ident_char(peek())) advance();
    Token& t = emit(TokenKind::TyVar, start, loc);
    t.str_value = t.text.substr(1);
  }

  // Digits and `_` separators from the current position; returns the digits.
  std::string digits() {
    std::string d;
    while (!at_end() && (is_digit(peek()) || peek() == '_')) {
      if (peek() != '_') d += peek();
      advance();
    }
    return d;
  }

  void lex_number(size_t start, Loc loc) {
    // After a `.` token, digits are a tuple field index: `t.0.1` is t . 0 . 1.
    if (!out_.empty() && out_.back().kind == TokenKind::Dot) {
      while (!at_end() && is_digit(peek())) advance();
      Token& t = emit(TokenKind::Int, start, loc);
      t.int_value = parse_int(t.text, loc);
      return;
    }
    std::string mantissa = digits();
    bool is_real = false;
    // `2.` is a real unless `..` (a range) or a field name follows.
    if (peek() == '.' && peek(1) != '.' && !is_ident_start(peek(1))) {
      is_real = true;
      mantissa += '.';
      advance();
      mantissa += digits();
    }
    bool bad_exponent = false;
    if ((peek() == 'e' || peek() == 'E') &&
        (is_digit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && is_digit(peek(2))))) {
      is_real = true;
      mantissa += 'e';
      advance();
      if (peek() == '+' || peek() == '-') {
        mantissa += peek();
        advance();
      }
      mantissa += digits();
    } else if (is_real && (peek() == 'e' || peek() == 'E')) {
      // `1.5e` or `1.5e+`: an exponent without digits.
      advance();
      if (peek() == '+' || peek() == '-') advance();
      bad_exponent = true;
    }
    // A number running straight into letters (`12abc`, `1e`) is one bad token.
    bool junk = false;
    while (!at_end() && is_ident_char(peek())) {
      junk = true;
      advance();
    }
    Token& t = emit(is_real ? TokenKind::Real : TokenKind::Int, start, loc);
    if (bad_exponent || (junk && !is_real && (t.text.back() == 'e' || t.text.back() == 'E'))) {
      diags_.error(loc, "missing digits in the exponent of '" + t.text + "'");
    } else if (junk) {
      diags_.error(loc, "invalid numeric literal '" + t.text + "'");
    } else if (is_real) {
      double v = 0;
      auto r = std::from_chars(mantissa.data(), mantissa.data() + mantissa.size(), v);
      if (r.ec == std::errc::result_out_of_range) {
        // from_chars also reports underflow as out of range; only overflow is an error.
        if (!std::isfinite(std::strtod(mantissa.c_str(), nullptr)))
          diags_.error(loc, "real literal '" + t.text + "' is too large");
        else
          v = 0;  // underflows to zero
      }
      t.real_value = v;
    } else {
      t.int_value = parse_int(mantissa, loc);
    }
  }

  uint64_t parse_int(const std::string& d, Loc loc) {
    constexpr uint64_t kLimit = uint64_t(1) << 63;  // -2^63 is representable
    uint64_t v = 0;
    for (char c : d) {
      if (!is_digit(c)) continue;
      uint64_t digit = static_cast<uint64_t>(c - '0');
      if (v > (kLimit - digit) / 10) {
        diags_.error(loc, "integer literal is too large (the largest int is 9223372036854775807)");
        return 0;
      }
      v = v * 10 + digit;
    }
    return v;
  }

  void lex_string(size_t start, Loc loc) {
    advance();  // opening quote
    std::string value;
    bool terminated = false;
    while (!at_end()) {
      char c = peek();
      if (c == '"') {
        advance();
        terminated = true;
        break;
      }
      if (c == '\n') break;
      if (c != '\\') {
        value += c;
        advance();
        continue;
      }
      Loc esc = here();
      advance();  // backslash
      char e = peek();
      if (at_end() || e == '\n') break;
      advance();
      switch (e) {
        case 'n': value += '\n'; break;
        case 't': value += '\t'; break;
        case '\\': value += '\\'; break;
        case '"': value += '"'; break;
        case 'u': lex_unicode_escape(esc, value); break;
        default: {
          std::string shown = (static_cast<unsigned char>(e) >= 0x21 && static_cast<unsigned char>(e) < 0x7F)
                                  ? std::string(1, e)
                                  : std::string("?");
          diags_.error(esc, "unknown escape sequence '\\" + shown +
                                "' (known: \\n \\t \\\\ \\\" \\u{XXXX})");
        }
      }
    }
    if (!terminated) diags_.error(loc, "unterminated string literal");
    Token& t = emit(TokenKind::String, start, loc);
    t.str_value = std::move(value);
  }

  // After `\u`: `{` 1-6 hex digits `}`, a Unicode scalar value.
  void lex_unicode_escape(Loc esc, std::string& value) {
    if (peek() != '{') {
      diags_.error(esc, "expected '{' after '\\u' (write \\u{XXXX})");
      return;
    }
    advance();
    uint32_t cp = 0;
    int n = 0;
    while (!at_end() && hex_value(peek()) >= 0) {
      if (n < 7) cp = cp * 16 + static_cast<uint32_t>(hex_value(peek()));
      ++n;
      advance();
    }
    if (peek() != '}') {
      diags_.error(esc, "unterminated unicode escape (write \\u{XXXX})");
      return;
    }
    advance();
    if (n == 0 || n > 6) {
      diags_.error(esc, "a unicode escape needs 1 to 6 hex digits");
    } else if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      char buf[80];
      std::snprintf(buf, sizeof buf, "invalid unicode scalar value U+%X in escape", static_cast<unsigned>(cp));
      diags_.error(esc, buf);
    } else {
      llm::append_utf8(cp, value);
    }
  }
};

}  // namespace

std::vector<Token> lex(const SourceFile& file, Diagnostics& diags) { return Lexer(file, diags).run(); }

std::string dump_tokens(const std::vector<Token>& tokens) {
  std::string out;
  for (const Token& t : tokens) {
    out += std::to_string(t.loc.line) + ":" + std::to_string(t.loc.col) + " " + token_kind_name(t.kind);
    if (!t.text.empty()) {
      out += ' ';
      out += t.text;
    }
    out += '\n';
  }
  return out;
}

}  // namespace borel
