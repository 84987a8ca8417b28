// Parser.cpp — recursive descent with precedence climbing.
//
// Error recovery: a syntax error throws ParseFail (private to this file),
// which unwinds to the innermost statement (inside a block) or item (at the
// top level); that loop skips tokens to a synchronisation point and goes on.
// Two errors are never reported at the same token, which stops cascades such
// as one "expected '}'" per unclosed block at end of file.
#include "compiler/frontend/Parser.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>

#include "compiler/frontend/Lexer.h"
#include "compiler/frontend/Token.h"
#include "compiler/frontend/Types.h"

namespace borel {
namespace {

struct ParseFail {};

using TK = TokenKind;

// Binary precedence levels, lowest first (docs/grammar.md). Unary minus and
// `**` are handled by parse_unary/parse_pow above kPrecMul.
enum Prec : int { kPrecOr = 1, kPrecAnd, kPrecCmp, kPrecRange, kPrecConcat, kPrecAdd, kPrecMul };

struct BinInfo {
  int prec;
  bool is_range;  // `..` builds a Range node, not a Binary
  BinaryOp op;
};

std::optional<BinInfo> binary_info(TK k) {
  switch (k) {
    case TK::OrOr: return BinInfo{kPrecOr, false, BinaryOp::Or};
    case TK::AndAnd: return BinInfo{kPrecAnd, false, BinaryOp::And};
    case TK::EqEq: return BinInfo{kPrecCmp, false, BinaryOp::Eq};
    case TK::NotEq: return BinInfo{kPrecCmp, false, BinaryOp::Ne};
    case TK::Lt: return BinInfo{kPrecCmp, false, BinaryOp::Lt};
    case TK::Le: return BinInfo{kPrecCmp, false, BinaryOp::Le};
    case TK::Gt: return BinInfo{kPrecCmp, false, BinaryOp::Gt};
    case TK::Ge: return BinInfo{kPrecCmp, false, BinaryOp::Ge};
    case TK::DotDot: return BinInfo{kPrecRange, true, BinaryOp::Add};
    case TK::PlusPlus: return BinInfo{kPrecConcat, false, BinaryOp::Concat};
    case TK::Plus: return BinInfo{kPrecAdd, false, BinaryOp::Add};
    case TK::Minus: return BinInfo{kPrecAdd, false, BinaryOp::Sub};
    case TK::Star: return BinInfo{kPrecMul, false, BinaryOp::Mul};
    case TK::Slash: return BinInfo{kPrecMul, false, BinaryOp::Div};
    case TK::Percent: return BinInfo{kPrecMul, false, BinaryOp::Mod};
    default: return std::nullopt;
  }
}

bool is_non_associative(int prec) { return prec == kPrecCmp || prec == kPrecRange; }

// After a statement-position `if`/`for`/block, these tokens continue the
// expression (`if c {a} else {b} * 2`); anything else ends the statement, as
// in Rust. `-`, `(` and `[` are not among them: they can start a new
// statement.
bool continues_expression(TK k) {
  return k == TK::Dot || k == TK::StarStar || (k != TK::Minus && binary_info(k).has_value());
}

class Parser {
 public:
  Parser(const SourceFile& file, Diagnostics& diags) : file_(file), diags_(diags), toks_(lex(file, diags)) {}

  std::unique_ptr<Module> run() {
    auto m = std::make_unique<Module>();
    m->file = &file_;
    while (!at(TK::Eof)) {
      size_t start = pos_;
      try {
        parse_item(*m);
      } catch (const ParseFail&) {
        sync(start, true);
      }
      if (pos_ == start) advance();
    }
    return m;
  }

 private:
  const SourceFile& file_;
  Diagnostics& diags_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  size_t last_error_tok_ = SIZE_MAX;

  // ---- Token access -------------------------------------------------------

  const Token& peek(size_t ahead = 0) const {
    size_t i = pos_ + ahead;
    return i < toks_.size() ? toks_[i] : toks_.back();
  }
  bool at(TK k) const { return peek().kind == k; }
  // Never moves past the final Eof token.
  const Token& advance() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  bool accept(TK k) {
    if (!at(k)) return false;
    advance();
    return true;
  }

  // ---- Errors -------------------------------------------------------------

  static std::string describe(const Token& t) {
    auto clip = [](const std::string& s) { return s.size() > 24 ? s.substr(0, 21) + "..." : s; };
    switch (t.kind) {
      case TK::Eof: return "end of file";
      case TK::String: return "string " + clip(t.text);
      default: return "'" + clip(t.text) + "'";
    }
  }
  static std::string expected_text(TK k) {
    switch (k) {
      case TK::Eof: case TK::Ident: case TK::TyVar: case TK::Int: case TK::Real: case TK::String:
        return token_kind_spelling(k);
      default: return std::string("'") + token_kind_spelling(k) + "'";
    }
  }

  // Reports unless an error was already reported at this token.
  bool report(const Token& t, const std::string& message) {
    size_t index = static_cast<size_t>(&t - toks_.data());
    if (index == last_error_tok_) return false;
    last_error_tok_ = index;
    diags_.error(t.loc, message);
    return true;
  }
  [[noreturn]] void fail(const std::string& expected) {
    report(peek(), "expected " + expected + ", found " + describe(peek()));
    throw ParseFail{};
  }
  // `expect(TK::RParen, "after arguments")`:
  //   "expected ')' after arguments, found 'let'"
  const Token& expect(TK k, const char* context) {
    if (at(k)) return advance();
    fail(expected_text(k) + " " + context);
  }
  // `expect_ident("parameter name")`: "expected parameter name, found ')'"
  const Token& expect_ident(const char* what) {
    if (at(TK::Ident)) return advance();
    fail(what);
  }

  // Bounds the nesting of the tree: each `enter` is one level, undone when
  // the guard goes out of scope (also when a ParseFail unwinds through it).
  class Nest {
   public:
    explicit Nest(Parser& p) : p_(p) {}
    ~Nest() { p_.depth_ -= n_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;
    void enter() {
      ++p_.depth_;
      ++n_;
      if (p_.depth_ > kMaxNesting) {
        p_.report(p_.peek(), "expression nested too deeply");
        throw ParseFail{};
      }
    }

   private:
    Parser& p_;
    int n_ = 0;
  };

  // ---- Recovery -----------------------------------------------------------

  // After a ParseFail in the statement or item that began at token `start`:
  // skip to where the next one can begin. The brackets the failed statement
  // opened are tracked (from its tokens so far, then while skipping), so
  // that a `}` or `;` inside them is not mistaken for the end of the
  // statement. Outside blocks it stops just after a `;`, or before `let`, a
  // local `fn NAME`, `import` (top level) or the `}` of the enclosing block.
  void sync(size_t start, bool top_level) {
    // '(' '[' '{' (block) or 'r' (record brace), innermost last.
    std::string open;
    auto track = [&](size_t i) {
      switch (toks_[i].kind) {
        case TK::LParen: open += '('; break;
        case TK::LBracket: open += '['; break;
        case TK::LBrace:
          open += (toks_[i + 1].kind == TK::Ident && i + 2 < toks_.size() && toks_[i + 2].kind == TK::Colon) ? 'r' : '{';
          break;
        case TK::RParen: close(open, "("); break;
        case TK::RBracket: close(open, "["); break;
        case TK::RBrace: close(open, "{r"); break;
        default: break;
      }
    };
    for (size_t i = start; i < pos_; ++i) track(i);
    while (!at(TK::Eof)) {
      TK k = peek().kind;
      bool shallow = open.empty() || open.back() != '{';  // not inside a nested block
      if (shallow) {
        if (k == TK::Let || (k == TK::Fn && peek(1).kind == TK::Ident) || (top_level && k == TK::Import))
          return;
        if (k == TK::Semi) {
          advance();
          return;
        }
      }
      if (k == TK::RBrace && open.find_first_of("{r") == std::string::npos) {
        if (!top_level) return;  // the enclosing block's `}`
        advance();               // a stray `}` at the top level
        continue;
      }
      track(pos_);
      advance();
    }
  }

  // Pops `open` down to and including the innermost of `openers`; a closer
  // with no matching opener is ignored.
  static void close(std::string& open, const char* openers) {
    size_t at = open.find_last_of(openers);
    if (at != std::string::npos) open.resize(at);
  }

  // ---- Items and statements -----------------------------------------------

  void parse_item(Module& m) {
    switch (peek().kind) {
      case TK::Import: {
        const Token& kw = advance();
        const Token& path = expect(TK::String, "after 'import'");
        expect(TK::Semi, "after import");
        m.imports.push_back(Import{path.str_value, kw.loc});
        return;
      }
      case TK::Fn:
        m.fns.push_back(parse_fndecl());
        return;
      case TK::Let: {
        StmtPtr s = parse_let();
        expect(TK::Semi, "after let statement");
        m.lets.push_back(std::move(s));
        return;
      }
      default:
        fail("'fn', 'let' or 'import' at top level");
    }
  }

  FnDeclPtr parse_fndecl() {
    auto fn = std::make_unique<FnDecl>();
    fn->loc = advance().loc;  // fn
    fn->name = expect_ident("function name after 'fn'").text;
    parse_params(fn->params);
    if (accept(TK::Arrow)) fn->ret_type = parse_type();
    fn->body = parse_block("to begin the function body");
    return fn;
  }

  // '(' (param (',' param)* ','?)? ')'
  void parse_params(std::vector<Param>& params) {
    expect(TK::LParen, "before parameters");
    std::unordered_set<std::string> seen;
    while (!at(TK::RParen)) {
      const Token& name = expect_ident("parameter name");
      if (name.text != "_" && !seen.insert(name.text).second)
        report(name, "duplicate parameter '" + name.text + "'");
      Param p{name.text, nullptr, name.loc};
      if (accept(TK::Colon)) p.type = parse_type();
      params.push_back(std::move(p));
      if (!accept(TK::Comma)) break;
    }
    expect(TK::RParen, "after parameters");
  }

  // 'let' already current.
  StmtPtr parse_let() {
    const Token& kw = advance();
    if (accept(TK::LParen)) {
      auto s = std::make_unique<Stmt>(Stmt::Kind::LetTuple, kw.loc);
      const Token& first = peek();
      while (!at(TK::RParen)) {
        s->names.push_back(expect_ident("variable name or '_' in tuple pattern").text);
        if (!accept(TK::Comma)) break;
      }
      expect(TK::RParen, "after tuple pattern");
      if (s->names.size() < 2) report(first, "a tuple pattern needs at least two names");
      expect(TK::Assign, "after tuple pattern");
      s->value = parse_expr();
      return s;
    }
    auto s = std::make_unique<Stmt>(Stmt::Kind::Let, kw.loc);
    s->names.push_back(expect_ident("variable name or '(' after 'let'").text);
    if (accept(TK::Colon)) s->type = parse_type();
    expect(TK::Assign, "in let statement");
    s->value = parse_expr();
    return s;
  }

  bool at_record_start() const {
    return at(TK::LBrace) && peek(1).kind == TK::Ident && peek(2).kind == TK::Colon;
  }

  // '{' stmt* expr? '}'
  ExprPtr parse_block(const char* context) {
    Nest nest(*this);
    nest.enter();
    const Token& open = expect(TK::LBrace, context);
    auto block = std::make_unique<Expr>(Expr::Kind::Block, open.loc);
    block->kids.emplace_back();  // result: null is unit
    for (;;) {
      if (accept(TK::RBrace)) break;
      if (at(TK::Eof)) {
        if (report(peek(), "expected '}' to close the block, found end of file"))
          diags_.note(open.loc, "the block opened here");
        break;
      }
      if (accept(TK::Semi)) continue;  // an empty statement
      size_t start = pos_;
      try {
        parse_stmt(*block);
      } catch (const ParseFail&) {
        sync(start, false);
        if (pos_ == start && !at(TK::RBrace)) advance();
      }
    }
    return block;
  }

  // One statement into `block`, or its result expression when it ends the block.
  void parse_stmt(Expr& block) {
    const Token& first = peek();
    switch (first.kind) {
      case TK::Let: {
        StmtPtr s = parse_let();
        expect(TK::Semi, "after let statement");
        block.stmts.push_back(std::move(s));
        return;
      }
      case TK::Fn:
        if (peek(1).kind == TK::Ident) {
          auto s = std::make_unique<Stmt>(Stmt::Kind::Fn, first.loc);
          s->fn = parse_fndecl();
          block.stmts.push_back(std::move(s));
          return;
        }
        break;
      case TK::Import:
        report(first, "'import' is only allowed at the top level of a file");
        throw ParseFail{};
      default:
        break;
    }
    ExprPtr e;
    if (at(TK::If) || at(TK::For) || (at(TK::LBrace) && !at_record_start())) {
      // A block-like expression statement needs no ';' (Rust's rule).
      e = parse_primary(false);
      if (!at(TK::RBrace) && !at(TK::Semi) && !continues_expression(peek().kind)) {
        auto s = std::make_unique<Stmt>(Stmt::Kind::Expr, first.loc);
        s->value = std::move(e);
        block.stmts.push_back(std::move(s));
        return;
      }
      e = continue_expr(std::move(e), first.loc);
    } else {
      e = parse_expr();
    }
    if (at(TK::RBrace)) {
      block.kids[0] = std::move(e);
      return;
    }
    if (!at(TK::Semi)) fail("';' or '}' after expression");
    advance();
    auto s = std::make_unique<Stmt>(Stmt::Kind::Expr, first.loc);
    s->value = std::move(e);
    block.stmts.push_back(std::move(s));
  }

  // ---- Expressions ----------------------------------------------------------
  //
  // `no_record` is set in `if`/`for` heads: a bare record literal there is
  // reported (write it in parentheses); parentheses, brackets, arguments and
  // blocks clear it again.

  ExprPtr parse_expr(bool no_record = false) { return parse_binary(kPrecOr, no_record); }

  ExprPtr parse_binary(int min_prec, bool no_record) {
    return binary_rest(parse_unary(no_record), min_prec, no_record);
  }

  // Precedence climbing with `lhs` already parsed.
  ExprPtr binary_rest(ExprPtr lhs, int min_prec, bool no_record) {
    Nest nest(*this);  // a left-leaning chain `a + b + c ...` nests too
    int last_prec = 0;
    for (;;) {
      auto info = binary_info(peek().kind);
      if (!info || info->prec < min_prec) return lhs;
      const Token& op = advance();
      if (last_prec == info->prec && is_non_associative(info->prec))
        report(op, info->is_range ? "'..' cannot be chained; add parentheses"
                                  : "comparison operators cannot be chained; use '&&' or parentheses");
      last_prec = info->prec;
      nest.enter();
      ExprPtr rhs = parse_binary(info->prec + 1, no_record);
      auto e = std::make_unique<Expr>(info->is_range ? Expr::Kind::Range : Expr::Kind::Binary, op.loc);
      if (!info->is_range) e->bop = info->op;
      e->kids.push_back(std::move(lhs));
      e->kids.push_back(std::move(rhs));
      lhs = std::move(e);
    }
  }

  ExprPtr parse_unary(bool no_record) {
    if (!at(TK::Minus) && !at(TK::Bang)) return parse_pow(no_record);
    Nest nest(*this);
    nest.enter();
    const Token& op = advance();
    // -9223372036854775808: the one literal that is only valid negated.
    if (op.kind == TK::Minus && at(TK::Int) && peek().int_value == (uint64_t(1) << 63)) {
      TK next = peek(1).kind;
      if (next != TK::StarStar && next != TK::LParen && next != TK::LBracket && next != TK::Dot) {
        advance();
        auto e = std::make_unique<Expr>(Expr::Kind::IntLit, op.loc);
        e->int_value = INT64_MIN;
        return e;
      }
    }
    auto e = std::make_unique<Expr>(Expr::Kind::Unary, op.loc);
    e->uop = op.kind == TK::Minus ? UnaryOp::Neg : UnaryOp::Not;
    e->kids.push_back(parse_unary(no_record));
    return e;
  }

  // postfix ('**' unary)?   — right-associative, tighter than a unary on its left.
  ExprPtr parse_pow(bool no_record) {
    Loc first = peek().loc;
    ExprPtr base = parse_postfix(parse_primary(no_record), first);
    return pow_rest(std::move(base), no_record);
  }

  ExprPtr pow_rest(ExprPtr base, bool no_record) {
    if (!at(TK::StarStar)) return base;
    Nest nest(*this);
    nest.enter();
    const Token& op = advance();
    auto e = std::make_unique<Expr>(Expr::Kind::Binary, op.loc);
    e->bop = BinaryOp::Pow;
    e->kids.push_back(std::move(base));
    e->kids.push_back(parse_unary(no_record));
    return e;
  }

  // Continues an expression whose first primary is already parsed.
  ExprPtr continue_expr(ExprPtr primary, Loc first) {
    ExprPtr e = pow_rest(parse_postfix(std::move(primary), first), false);
    return binary_rest(std::move(e), kPrecOr, false);
  }

  // Calls, indexing, slicing and field access; `first` is the Loc of the
  // operand's first token, which the postfix nodes take.
  ExprPtr parse_postfix(ExprPtr e, Loc first) {
    Nest nest(*this);
    for (;;) {
      switch (peek().kind) {
        case TK::LParen: {
          nest.enter();
          advance();
          auto call = std::make_unique<Expr>(Expr::Kind::Call, first);
          call->kids.push_back(std::move(e));
          while (!at(TK::RParen)) {
            if (at(TK::Ident) && peek(1).kind == TK::Assign) {
              call->arg_names.push_back(advance().text);
              advance();  // =
            } else {
              call->arg_names.emplace_back();
            }
            call->kids.push_back(parse_expr());
            if (!accept(TK::Comma)) break;
          }
          expect(TK::RParen, "after arguments");
          e = std::move(call);
          break;
        }
        case TK::LBracket: {
          nest.enter();
          advance();
          e = parse_index(std::move(e), first);
          break;
        }
        case TK::Dot: {
          nest.enter();
          advance();
          auto field = std::make_unique<Expr>(Expr::Kind::Field, first);
          if (at(TK::Ident)) {
            field->name = advance().text;
          } else if (at(TK::Int)) {
            field->name = std::to_string(advance().int_value);
          } else {
            fail("field name or tuple index after '.'");
          }
          field->kids.push_back(std::move(e));
          e = std::move(field);
          break;
        }
        default:
          return e;
      }
    }
  }

  // After `a[`: an index `a[i]` or a slice `a[lo..hi]`, `a[lo..]`, `a[..hi]`, `a[..]`.
  ExprPtr parse_index(ExprPtr array, Loc first) {
    ExprPtr lo;
    if (!at(TK::DotDot)) {
      lo = parse_binary(kPrecConcat, false);  // an operand of `..`
      if (!at(TK::DotDot)) {
        auto index = std::make_unique<Expr>(Expr::Kind::Index, first);
        index->kids.push_back(std::move(array));
        index->kids.push_back(binary_rest(std::move(lo), kPrecOr, false));
        expect(TK::RBracket, "after index");
        return index;
      }
    }
    advance();  // ..
    ExprPtr hi;
    if (!at(TK::RBracket)) hi = parse_binary(kPrecConcat, false);
    expect(TK::RBracket, "after slice");
    auto slice = std::make_unique<Expr>(Expr::Kind::Slice, first);
    slice->kids.push_back(std::move(array));
    slice->kids.push_back(std::move(lo));
    slice->kids.push_back(std::move(hi));
    return slice;
  }

  ExprPtr parse_primary(bool no_record) {
    const Token& t = peek();
    switch (t.kind) {
      case TK::Int: {
        advance();
        if (t.int_value > uint64_t(INT64_MAX))
          report(t, "integer literal is too large (the largest int is 9223372036854775807)");
        auto e = std::make_unique<Expr>(Expr::Kind::IntLit, t.loc);
        e->int_value = t.int_value > uint64_t(INT64_MAX) ? 0 : static_cast<int64_t>(t.int_value);
        return e;
      }
      case TK::Real: {
        advance();
        auto e = std::make_unique<Expr>(Expr::Kind::RealLit, t.loc);
        e->real_value = t.real_value;
        return e;
      }
      case TK::String: {
        advance();
        auto e = std::make_unique<Expr>(Expr::Kind::StringLit, t.loc);
        e->name = t.str_value;
        return e;
      }
      case TK::True:
      case TK::False: {
        advance();
        auto e = std::make_unique<Expr>(Expr::Kind::BoolLit, t.loc);
        e->bool_value = t.kind == TK::True;
        return e;
      }
      case TK::Ident: {
        advance();
        if (t.text == "_") report(t, "'_' is not a value; it can only name an ignored variable");
        auto e = std::make_unique<Expr>(Expr::Kind::Var, t.loc);
        e->name = t.text;
        return e;
      }
      case TK::LParen: return parse_paren();
      case TK::LBracket: return parse_array();
      case TK::LBrace:
        if (at_record_start()) {
          if (no_record) report(t, "a record literal here must be in parentheses");
          return parse_record();
        }
        return parse_block("to begin a block");
      case TK::If: return parse_if();
      case TK::For: return parse_for();
      case TK::Fn: return parse_lambda();
      default:
        fail("expression");
    }
  }

  // '(' ')' | '(' expr ')' | '(' expr ',' expr (',' expr)* ','? ')'
  ExprPtr parse_paren() {
    Nest nest(*this);
    nest.enter();
    const Token& open = advance();
    if (accept(TK::RParen)) return std::make_unique<Expr>(Expr::Kind::UnitLit, open.loc);
    ExprPtr first = parse_expr();
    if (!at(TK::Comma)) {
      expect(TK::RParen, "after parenthesized expression");
      return first;
    }
    auto tuple = std::make_unique<Expr>(Expr::Kind::TupleLit, open.loc);
    tuple->kids.push_back(std::move(first));
    while (accept(TK::Comma) && !at(TK::RParen)) tuple->kids.push_back(parse_expr());
    expect(TK::RParen, "after tuple elements");
    if (tuple->kids.size() < 2) {
      report(open, "a tuple needs at least two elements");
      return std::move(tuple->kids[0]);
    }
    return tuple;
  }

  // '[' ']' | '[' expr (',' expr)* ','? ']' | '[' expr 'for' IDENT 'in' expr ('if' expr)? ']'
  ExprPtr parse_array() {
    Nest nest(*this);
    nest.enter();
    const Token& open = advance();
    if (accept(TK::RBracket)) return std::make_unique<Expr>(Expr::Kind::ArrayLit, open.loc);
    ExprPtr first = parse_expr();
    if (accept(TK::For)) {
      auto c = std::make_unique<Expr>(Expr::Kind::Comprehension, open.loc);
      c->name = expect_ident("variable name after 'for'").text;
      expect(TK::In, "after the comprehension variable");
      c->kids.push_back(parse_expr());
      c->kids.push_back(std::move(first));
      c->kids.push_back(accept(TK::If) ? parse_expr() : nullptr);
      expect(TK::RBracket, "after comprehension");
      return c;
    }
    auto array = std::make_unique<Expr>(Expr::Kind::ArrayLit, open.loc);
    array->kids.push_back(std::move(first));
    while (accept(TK::Comma) && !at(TK::RBracket)) array->kids.push_back(parse_expr());
    expect(TK::RBracket, "after array elements");
    return array;
  }

  // '{' IDENT ':' expr (',' IDENT ':' expr)* ','? '}'
  ExprPtr parse_record() {
    Nest nest(*this);
    nest.enter();
    const Token& open = advance();
    auto rec = std::make_unique<Expr>(Expr::Kind::RecordLit, open.loc);
    std::unordered_set<std::string> seen;
    while (!at(TK::RBrace)) {
      const Token& name = expect_ident("field name");
      if (!seen.insert(name.text).second) report(name, "duplicate field '" + name.text + "' in record");
      expect(TK::Colon, "after field name");
      rec->fields.push_back(name.text);
      rec->kids.push_back(parse_expr());
      if (!accept(TK::Comma)) break;
    }
    expect(TK::RBrace, "after record fields");
    return rec;
  }

  // 'if' expr block ('else' (block | if))?
  ExprPtr parse_if() {
    Nest nest(*this);
    nest.enter();
    auto e = std::make_unique<Expr>(Expr::Kind::If, advance().loc);
    e->kids.push_back(parse_expr(true));
    e->kids.push_back(parse_block("after 'if' condition"));
    if (accept(TK::Else))
      e->kids.push_back(at(TK::If) ? parse_if() : parse_block("or 'if' after 'else'"));
    else
      e->kids.emplace_back();
    return e;
  }

  // 'for' IDENT 'in' expr block
  ExprPtr parse_for() {
    Nest nest(*this);
    nest.enter();
    auto e = std::make_unique<Expr>(Expr::Kind::For, advance().loc);
    e->name = expect_ident("loop variable after 'for'").text;
    expect(TK::In, "after loop variable");
    e->kids.push_back(parse_expr(true));
    e->kids.push_back(parse_block("to begin the loop body"));
    return e;
  }

  // 'fn' '(' params? ')' ('->' type)? block
  ExprPtr parse_lambda() {
    Nest nest(*this);
    nest.enter();
    auto e = std::make_unique<Expr>(Expr::Kind::Lambda, advance().loc);
    if (at(TK::Ident)) {
      // Read on as if the name were not there.
      report(advance(), "a named function must be a statement of its own; an anonymous one is 'fn(...) { ... }'");
    }
    parse_params(e->params);
    if (accept(TK::Arrow)) e->ret_type = parse_type();
    e->kids.push_back(parse_block("to begin the function body"));
    return e;
  }

  // ---- Types ----------------------------------------------------------------

  TypeExprPtr make_type(TypeExpr::Kind kind, Loc loc) {
    auto t = std::make_unique<TypeExpr>();
    t->kind = kind;
    t->loc = loc;
    return t;
  }

  TypeExprPtr parse_type() {
    Nest nest(*this);
    nest.enter();
    const Token& t = peek();
    switch (t.kind) {
      case TK::Ident: {
        advance();
        if (t.text == "Dist") {
          auto d = make_type(TypeExpr::Kind::Dist, t.loc);
          expect(TK::LBracket, "after 'Dist'");
          d->args.push_back(parse_type());
          expect(TK::RBracket, "after the Dist element type");
          return d;
        }
        static const std::set<std::string> scalars = {"real", "int", "bool", "string", "unit"};
        if (!scalars.count(t.text) && !is_opaque_type_name(t.text)) {
          std::string opaque;
          for (std::string_view o : kOpaqueTypeNames) opaque += (opaque.empty() ? "" : ", ") + std::string(o);
          report(t, "unknown type '" + t.text + "' (types are real, int, bool, string, unit, [T], (T, U), "
                    "{f: T}, fn(T) -> U, Dist[T], 'a, and the opaque " + opaque + ")");
        }
        auto n = make_type(TypeExpr::Kind::Name, t.loc);
        n->name = t.text;
        return n;
      }
      case TK::TyVar: {
        advance();
        auto v = make_type(TypeExpr::Kind::Var, t.loc);
        v->name = t.str_value;
        return v;
      }
      case TK::LBracket: {
        advance();
        auto a = make_type(TypeExpr::Kind::Array, t.loc);
        a->args.push_back(parse_type());
        expect(TK::RBracket, "after array element type");
        return a;
      }
      case TK::LParen: {
        advance();
        if (accept(TK::RParen)) {
          auto u = make_type(TypeExpr::Kind::Name, t.loc);
          u->name = "unit";
          return u;
        }
        TypeExprPtr first = parse_type();
        if (!at(TK::Comma)) {
          expect(TK::RParen, "after type");
          return first;
        }
        auto tup = make_type(TypeExpr::Kind::Tuple, t.loc);
        tup->args.push_back(std::move(first));
        while (accept(TK::Comma) && !at(TK::RParen)) tup->args.push_back(parse_type());
        expect(TK::RParen, "after tuple element types");
        if (tup->args.size() < 2) {
          report(t, "a tuple type needs at least two elements");
          return std::move(tup->args[0]);
        }
        return tup;
      }
      case TK::LBrace: {
        // Only `{ NAME :` starts a record type, so that `fn f() -> { ... }`
        // (a forgotten result type) is reported as such.
        if (peek(1).kind == TK::RBrace) {
          report(t, "a record type needs at least one field");
          advance();
          advance();
          return make_type(TypeExpr::Kind::Record, t.loc);
        }
        if (peek(1).kind != TK::Ident || peek(2).kind != TK::Colon) fail("a type");
        advance();
        auto rec = make_type(TypeExpr::Kind::Record, t.loc);
        std::unordered_set<std::string> seen;
        while (!at(TK::RBrace)) {
          const Token& name = expect_ident("field name in record type");
          if (!seen.insert(name.text).second)
            report(name, "duplicate field '" + name.text + "' in record type");
          expect(TK::Colon, "after field name");
          rec->fields.push_back(name.text);
          rec->args.push_back(parse_type());
          if (!accept(TK::Comma)) break;
        }
        expect(TK::RBrace, "after record field types");
        return rec;
      }
      case TK::Fn: {
        advance();
        auto f = make_type(TypeExpr::Kind::Func, t.loc);
        expect(TK::LParen, "after 'fn' in function type");
        while (!at(TK::RParen)) {
          f->args.push_back(parse_type());
          if (!accept(TK::Comma)) break;
        }
        expect(TK::RParen, "after parameter types");
        expect(TK::Arrow, "after parameter types of a function type");
        f->args.push_back(parse_type());
        return f;
      }
      default:
        fail("a type");
    }
  }
};

}  // namespace

std::unique_ptr<Module> parse(const SourceFile& file, Diagnostics& diags) { return Parser(file, diags).run(); }

}  // namespace borel
