// ParserTest.cpp — AST dumps for every construct, operator precedence and
// associativity, statement rules, and syntax errors with their exact
// line:col (several per file).
#include <doctest/doctest.h>

#include "tests/unit/compiler/FrontEndTestUtil.h"

using namespace borel;
using borel::test::expr_ast;
using borel::test::parse_text;

namespace {

// A compact rendering for precedence tests: `(+ a (* b c))`.
std::string sexpr(const Expr* e) {
  if (!e) return "_";
  auto k = [&](size_t i) { return sexpr(i < e->kids.size() ? e->kids[i].get() : nullptr); };
  switch (e->kind) {
    case Expr::Kind::IntLit: return std::to_string(e->int_value);
    case Expr::Kind::RealLit: return "r" + std::to_string(e->real_value);
    case Expr::Kind::BoolLit: return e->bool_value ? "true" : "false";
    case Expr::Kind::Var: return e->name;
    case Expr::Kind::Unary: return std::string("(") + op_text(e->uop) + " " + k(0) + ")";
    case Expr::Kind::Binary: return std::string("(") + op_text(e->bop) + " " + k(0) + " " + k(1) + ")";
    case Expr::Kind::Range: return "(.. " + k(0) + " " + k(1) + ")";
    case Expr::Kind::Call: {
      std::string s = "(call " + k(0);
      for (size_t i = 1; i < e->kids.size(); ++i) s += " " + k(i);
      return s + ")";
    }
    case Expr::Kind::Index: return "(index " + k(0) + " " + k(1) + ")";
    case Expr::Kind::Slice: return "(slice " + k(0) + " " + k(1) + " " + k(2) + ")";
    case Expr::Kind::Field: return "(. " + k(0) + " " + e->name + ")";
    default: return "?";
  }
}

std::string prec(const std::string& src, std::string* errors = nullptr) {
  SourceFile f("test.brl", "let _e = " + src + ";");
  Diagnostics d;
  auto m = parse(f, d);
  if (errors) *errors = borel::test::errors_of(d);
  else CHECK_MESSAGE(!d.has_errors(), d.render());
  if (m->lets.size() != 1 || !m->lets[0]->value) return "<no expression>";
  return sexpr(m->lets[0]->value.get());
}

}  // namespace

TEST_CASE("parser: the example program") {
  auto r = parse_text(borel::test::kIssueSketch);
  CHECK(r.errors == "");
  CHECK(r.text == R"(Module
  Import "lib/util.brl"
  Fn lgssm(ys: [real]) -> real
    Block
      Let x1
        Call
          Var sample
          Call
            Var normal
            Real 0.0
            Real 1.0
      ExprStmt
        Call
          Var observe
          Call
            Var normal
            Var x1
            Real 0.5
          Index
            Var ys
            Int 0
      result: Call
        Var fold
        Slice
          Var ys
          lo: Int 1
        Var x1
        Lambda(x, y)
          Block
            Let x2
              Call
                Var sample
                Call
                  Var normal
                  Binary *
                    Real 0.9
                    Var x
                  Real 1.0
            ExprStmt
              Call
                Var observe
                Call
                  Var normal
                  Var x2
                  Real 0.5
                Var y
            result: Var x2
  Fn main()
    Block
      Let ys: [real]
        Index
          Call
            Var read_json
            String "data/lgssm_T100.json"
          String "y"
      Let post
        Call
          Var infer
          Call
            Var smc
            particles = Int 1000
          Lambda()
            Block
              result: Call
                Var lgssm
                Var ys
      ExprStmt
        For i
          in: Range
            Int 0
            Int 3
          Block
            ExprStmt
              Call
                Var print
                Var i
      LetTuple (a, _)
        Tuple
          Int 1
          Real 2.5
      Let r
        Record
          mu: Real 1.0
          k: Int 2
      ExprStmt
        Call
          Var print
          Call
            Var summary
            Var post
      ExprStmt
        Call
          Var print
          Binary +
            Unary -
              Binary **
                Field mu
                  Var r
                Int 2
            Index
              Comprehension x
                in: Range
                  Int 0
                  Int 10
                elem: Binary *
                  Var x
                  Int 2
                if: Binary ==
                  Binary %
                    Var x
                    Int 2
                  Int 0
              Int 1
)");
}

TEST_CASE("parser: type annotations of every form") {
  auto r = parse_text(
      "fn f(a: real, b: int, c: bool, d: string, e: unit, g: (), h: 'a, i: [[real]],\n"
      "     j: (real, [int]), k: {mu: real, sigma: real}, l: fn(real, int) -> bool,\n"
      "     m: fn() -> unit, n: Dist[(real, real)], o: (int), p: (real, int,), q,) -> Dist['a] { q }\n"
      "let top: {x: fn(fn(int) -> int) -> [Dist[real]]} = 0;\n");
  CHECK(r.errors == "");
  CHECK(r.text ==
        "Module\n"
        "  Let top: {x: fn(fn(int) -> int) -> [Dist[real]]}\n"
        "    Int 0\n"
        "  Fn f(a: real, b: int, c: bool, d: string, e: unit, g: unit, h: 'a, i: [[real]], "
        "j: (real, [int]), k: {mu: real, sigma: real}, l: fn(real, int) -> bool, m: fn() -> unit, "
        "n: Dist[(real, real)], o: int, p: (real, int), q) -> Dist['a]\n"
        "    Block\n"
        "      result: Var q\n");
}

TEST_CASE("parser: type annotation details in the tree") {
  SourceFile f("test.brl", "let x: {b: [int], a: 't} = 0;\nlet y: fn(real) -> Dist[bool] = 0;");
  Diagnostics d;
  auto m = parse(f, d);
  REQUIRE(!d.has_errors());
  REQUIRE(m->lets.size() == 2);
  const TypeExpr& t = *m->lets[0]->type;
  CHECK(t.kind == TypeExpr::Kind::Record);
  CHECK(t.fields == std::vector<std::string>{"b", "a"});
  REQUIRE(t.args.size() == 2);
  CHECK(t.args[0]->kind == TypeExpr::Kind::Array);
  CHECK(t.args[0]->args[0]->name == "int");
  CHECK(t.args[1]->kind == TypeExpr::Kind::Var);
  CHECK(t.args[1]->name == "t");
  CHECK(t.args[1]->loc.col == 22);
  const TypeExpr& g = *m->lets[1]->type;
  CHECK(g.kind == TypeExpr::Kind::Func);
  REQUIRE(g.args.size() == 2);  // params..., result last
  CHECK(g.args[0]->name == "real");
  CHECK(g.args[1]->kind == TypeExpr::Kind::Dist);
  CHECK(g.loc.line == 2);
  CHECK(g.loc.col == 8);
}

TEST_CASE("parser: literals") {
  CHECK(expr_ast("42") == "Int 42\n");
  CHECK(expr_ast("1_000") == "Int 1000\n");
  CHECK(expr_ast("2.") == "Real 2.0\n");
  CHECK(expr_ast("1e-3") == "Real 0.001\n");
  CHECK(expr_ast("1.5e+10") == "Real 1.5e+10\n");
  CHECK(expr_ast("1e300") == "Real 1e+300\n");
  CHECK(expr_ast("true") == "Bool true\n");
  CHECK(expr_ast("false") == "Bool false\n");
  CHECK(expr_ast(R"("a\tb\n\"\\\u{7}")") == "String \"a\\tb\\n\\\"\\\\\\u{7}\"\n");
  CHECK(expr_ast("()") == "Unit\n");
  CHECK(expr_ast("[]") == "Array\n");
  CHECK(expr_ast("{}") == "Block\n");
  // The most negative int is written as a negated literal.
  CHECK(expr_ast("-9223372036854775808") == "Int -9223372036854775808\n");
  std::string err;
  expr_ast("9223372036854775808", &err);
  CHECK(err == "1:10: integer literal is too large (the largest int is 9223372036854775807)\n");
  expr_ast("-9223372036854775808 ** 2", &err);
  CHECK(err == "1:11: integer literal is too large (the largest int is 9223372036854775807)\n");
}

TEST_CASE("parser: compound expressions") {
  CHECK(expr_ast("(1, x, \"s\",)") == "Tuple\n  Int 1\n  Var x\n  String \"s\"\n");
  CHECK(expr_ast("(x)") == "Var x\n");
  CHECK(expr_ast("[1, 2, 3,]") == "Array\n  Int 1\n  Int 2\n  Int 3\n");
  CHECK(expr_ast("[[1], []]") == "Array\n  Array\n    Int 1\n  Array\n");
  CHECK(expr_ast("{a: 1, b: {c: true},}") == "Record\n  a: Int 1\n  b: Record\n    c: Bool true\n");
  CHECK(expr_ast("[f(x) for x in xs]") ==
        "Comprehension x\n  in: Var xs\n  elem: Call\n    Var f\n    Var x\n");
  CHECK(expr_ast("f()") == "Call\n  Var f\n");
  CHECK(expr_ast("f(1, k = 2, 3,)") == "Call\n  Var f\n  Int 1\n  k = Int 2\n  Int 3\n");
  CHECK(expr_ast("f(a == b)") == "Call\n  Var f\n  Binary ==\n    Var a\n    Var b\n");
  CHECK(expr_ast("f(x)(y)") == "Call\n  Call\n    Var f\n    Var x\n  Var y\n");
  CHECK(expr_ast("fn(x: real, y) -> real { x }") ==
        "Lambda(x: real, y) -> real\n  Block\n    result: Var x\n");
  CHECK(expr_ast("fn() {}") == "Lambda()\n  Block\n");
}

TEST_CASE("parser: named and positional argument names") {
  SourceFile f("test.brl", "let c = smc(model, particles = 10, ess = 0.5);");
  Diagnostics d;
  auto m = parse(f, d);
  REQUIRE(!d.has_errors());
  const Expr& call = *m->lets[0]->value;
  REQUIRE(call.kind == Expr::Kind::Call);
  CHECK(call.kids.size() == 4);
  CHECK(call.arg_names == std::vector<std::string>{"", "particles", "ess"});
}

TEST_CASE("parser: indexing, slices, fields and tuple fields") {
  CHECK(expr_ast("a[i + 1]") == "Index\n  Var a\n  Binary +\n    Var i\n    Int 1\n");
  CHECK(expr_ast("a[lo..hi]") == "Slice\n  Var a\n  lo: Var lo\n  hi: Var hi\n");
  CHECK(expr_ast("a[1..]") == "Slice\n  Var a\n  lo: Int 1\n");
  CHECK(expr_ast("a[..n - 1]") == "Slice\n  Var a\n  hi: Binary -\n    Var n\n    Int 1\n");
  CHECK(expr_ast("a[..]") == "Slice\n  Var a\n");
  CHECK(expr_ast("a[(0..3)]") == "Index\n  Var a\n  Range\n    Int 0\n    Int 3\n");
  CHECK(expr_ast("r.mu") == "Field mu\n  Var r\n");
  CHECK(expr_ast("t.0") == "Field 0\n  Var t\n");
  CHECK(expr_ast("t.0.1") == "Field 1\n  Field 0\n    Var t\n");
  CHECK(expr_ast("f(x).1.name[2]") == "Index\n  Field name\n    Field 1\n      Call\n        Var f\n"
                                      "        Var x\n  Int 2\n");
  CHECK(expr_ast("0..n") == "Range\n  Int 0\n  Var n\n");
}

TEST_CASE("parser: if, for and blocks") {
  CHECK(expr_ast("if c { 1 } else { 2 }") ==
        "If\n  Var c\n  then: Block\n    result: Int 1\n  else: Block\n    result: Int 2\n");
  CHECK(expr_ast("if a { 1 } else if b { 2 } else { 3 }") ==
        "If\n  Var a\n  then: Block\n    result: Int 1\n  else: If\n    Var b\n    then: Block\n"
        "      result: Int 2\n    else: Block\n      result: Int 3\n");
  CHECK(expr_ast("if x { f(); }") == "If\n  Var x\n  then: Block\n    ExprStmt\n      Call\n        Var f\n");
  CHECK(expr_ast("if x == y {}") == "If\n  Binary ==\n    Var x\n    Var y\n  then: Block\n");
  CHECK(expr_ast("for i in 0..n { s }") ==
        "For i\n  in: Range\n    Int 0\n    Var n\n  Block\n    result: Var s\n");
  CHECK(expr_ast("{ let x = 1; x }") == "Block\n  Let x\n    Int 1\n  result: Var x\n");
}

TEST_CASE("parser: statements") {
  auto r = parse_text(
      "fn f() {\n"
      "  let x: int = 1;\n"
      "  let (a, _, c) = t;\n"
      "  fn helper(n) { n }\n"
      "  fn other(n) -> int { helper(n) }\n"
      "  if c { a } else { b }\n"   // block-like statement, no ';' needed
      "  for i in xs { g(i); }\n"
      "  { h(); }\n"
      "  ;;\n"                      // empty statements
      "  if c { a } else { b } - 1\n"  // a statement, then the result `-1`
      "}\n"
      "fn g() { if c { 1 } else { 2 } * 3 }\n"  // `*` continues the expression
      "fn h() { for i in xs {} }\n"
      "fn k() { {a: 1}.a }\n");
  CHECK(r.errors == "");
  CHECK(r.text ==
        "Module\n"
        "  Fn f()\n"
        "    Block\n"
        "      Let x: int\n"
        "        Int 1\n"
        "      LetTuple (a, _, c)\n"
        "        Var t\n"
        "      Fn helper(n)\n"
        "        Block\n"
        "          result: Var n\n"
        "      Fn other(n) -> int\n"
        "        Block\n"
        "          result: Call\n"
        "            Var helper\n"
        "            Var n\n"
        "      ExprStmt\n"
        "        If\n"
        "          Var c\n"
        "          then: Block\n"
        "            result: Var a\n"
        "          else: Block\n"
        "            result: Var b\n"
        "      ExprStmt\n"
        "        For i\n"
        "          in: Var xs\n"
        "          Block\n"
        "            ExprStmt\n"
        "              Call\n"
        "                Var g\n"
        "                Var i\n"
        "      ExprStmt\n"
        "        Block\n"
        "          ExprStmt\n"
        "            Call\n"
        "              Var h\n"
        "      ExprStmt\n"
        "        If\n"
        "          Var c\n"
        "          then: Block\n"
        "            result: Var a\n"
        "          else: Block\n"
        "            result: Var b\n"
        "      result: Unary -\n"
        "        Int 1\n"
        "  Fn g()\n"
        "    Block\n"
        "      result: Binary *\n"
        "        If\n"
        "          Var c\n"
        "          then: Block\n"
        "            result: Int 1\n"
        "          else: Block\n"
        "            result: Int 2\n"
        "        Int 3\n"
        "  Fn h()\n"
        "    Block\n"
        "      result: For i\n"
        "        in: Var xs\n"
        "        Block\n"
        "  Fn k()\n"
        "    Block\n"
        "      result: Field a\n"
        "        Record\n"
        "          a: Int 1\n");
}

TEST_CASE("parser: module items keep their kinds and locations") {
  SourceFile f("test.brl", "import \"a.brl\";\nlet n = 3;\nlet (p, q) = (1, 2);\n  fn main() { n }\n");
  Diagnostics d;
  auto m = parse(f, d);
  REQUIRE(!d.has_errors());
  CHECK(m->file == &f);
  REQUIRE(m->imports.size() == 1);
  CHECK(m->imports[0].path == "a.brl");
  CHECK(m->imports[0].loc.str() == "test.brl:1:1");
  REQUIRE(m->lets.size() == 2);
  CHECK(m->lets[0]->kind == Stmt::Kind::Let);
  CHECK(m->lets[0]->names == std::vector<std::string>{"n"});
  CHECK(m->lets[1]->kind == Stmt::Kind::LetTuple);
  CHECK(m->lets[1]->names == std::vector<std::string>{"p", "q"});
  REQUIRE(m->fns.size() == 1);
  CHECK(m->fns[0]->name == "main");
  CHECK(m->fns[0]->loc.str() == "test.brl:4:3");
  CHECK(m->fns[0]->body->kind == Expr::Kind::Block);
  // Binary nodes carry the operator's Loc; postfix nodes their first token's.
  SourceFile g("test.brl", "let z = (a + b)(c)[d] * e;");
  Diagnostics d2;
  auto m2 = parse(g, d2);
  REQUIRE(!d2.has_errors());
  const Expr& mul = *m2->lets[0]->value;
  CHECK(mul.loc.col == 23);
  CHECK(mul.kids[0]->kind == Expr::Kind::Index);
  CHECK(mul.kids[0]->loc.col == 9);
  CHECK(mul.kids[0]->kids[0]->loc.col == 9);  // the call
  CHECK(mul.kids[0]->kids[0]->kids[0]->loc.col == 12);  // a + b: the '+'
}

TEST_CASE("parser: precedence and associativity") {
  CHECK(prec("a || b && c") == "(|| a (&& b c))");
  CHECK(prec("a && b || c && d") == "(|| (&& a b) (&& c d))");
  CHECK(prec("a == b && c != d") == "(&& (== a b) (!= c d))");
  CHECK(prec("a < b + c") == "(< a (+ b c))");
  CHECK(prec("0..n + 1") == "(.. 0 (+ n 1))");
  CHECK(prec("a..b == c") == "(== (.. a b) c)");
  CHECK(prec("a ++ b ++ c") == "(++ (++ a b) c)");
  CHECK(prec("a + b ++ c") == "(++ (+ a b) c)");
  CHECK(prec("a - b - c") == "(- (- a b) c)");
  CHECK(prec("a + b * c") == "(+ a (* b c))");
  CHECK(prec("a * b / c % d") == "(% (/ (* a b) c) d)");
  CHECK(prec("-a * b") == "(* (- a) b)");
  CHECK(prec("-x ** 2") == "(- (** x 2))");
  CHECK(prec("a ** b ** c") == "(** a (** b c))");
  CHECK(prec("2 ** -x") == "(** 2 (- x))");
  CHECK(prec("-a ** -b ** c") == "(- (** a (- (** b c))))");
  CHECK(prec("!a && !b") == "(&& (! a) (! b))");
  CHECK(prec("!f(x)[0].y") == "(! (. (index (call f x) 0) y))");
  CHECK(prec("- - a") == "(- (- a))");
  CHECK(prec("a.b ** 2") == "(** (. a b) 2)");
  CHECK(prec("(a + b) * c") == "(* (+ a b) c)");
  CHECK(prec("a[i..j]") == "(slice a i j)");
  CHECK(prec("a[i + 1..n ++ m]") == "(slice a (+ i 1) (++ n m))");
  CHECK(prec("f(x) - g(y) * 2 ** 3") == "(- (call f x) (* (call g y) (** 2 3)))");
}

TEST_CASE("parser: comparison and range operators do not chain") {
  std::string err;
  prec("a < b < c", &err);
  CHECK(err == "1:16: comparison operators cannot be chained; use '&&' or parentheses\n");
  prec("a == b != c", &err);
  CHECK(err == "1:17: comparison operators cannot be chained; use '&&' or parentheses\n");
  prec("a..b..c", &err);
  CHECK(err == "1:14: '..' cannot be chained; add parentheses\n");
  CHECK(prec("(a < b) == c") == "(== (< a b) c)");
}

TEST_CASE("parser: several syntax errors in one file, each with its line:col") {
  auto r = parse_text(
      "fn f(x: real) -> real {\n"      // 1
      "  let a = g(x, 1 let b = 2;\n"  // 2: missing ')'
      "  let c = (a + ;\n"             // 3: missing operand
      "  let d = [1, 2;\n"             // 4: missing ']'
      "  c\n"                          // 5
      "}\n"                            // 6
      "fn g(a b) { a }\n"              // 7: missing ','
      "let = 3;\n"                     // 8: missing name
      "fn h() { let z = 1 }\n"         // 9: missing ';'
      "fn k() { x.; y }\n"             // 10: missing field
      "}\n"                            // 11: stray '}'
      "fn m() -> { 1 }\n"              // 12: missing type
      "fn n() { if x 1 }\n"            // 13: missing block
      "import lib;\n"                  // 14: path must be a string
      "fn p() { import \"x\"; }\n"     // 15: import in a block
      "fn q() { f(x y) }\n");          // 16
  CHECK(r.errors ==
        "2:18: expected ')' after arguments, found 'let'\n"
        "3:16: expected expression, found ';'\n"
        "4:16: expected ']' after array elements, found ';'\n"
        "7:8: expected ')' after parameters, found 'b'\n"
        "8:5: expected variable name or '(' after 'let', found '='\n"
        "9:20: expected ';' after let statement, found '}'\n"
        "10:12: expected field name or tuple index after '.', found ';'\n"
        "11:1: expected 'fn', 'let' or 'import' at top level, found '}'\n"
        "12:11: expected a type, found '{'\n"
        "13:15: expected '{' after 'if' condition, found '1'\n"
        "14:8: expected string literal after 'import', found 'lib'\n"
        "15:10: 'import' is only allowed at the top level of a file\n"
        "16:14: expected ')' after arguments, found 'y'\n");
  // Recovery keeps the well-formed parts.
  CHECK(r.text.find("Fn f(x: real) -> real") != std::string::npos);
  CHECK(r.text.find("      result: Var c\n") != std::string::npos);
  CHECK(r.text.find("Fn k()") != std::string::npos);
  CHECK(r.text.find("Fn q()") != std::string::npos);
}

TEST_CASE("parser: recovery skips the brackets a broken statement opened") {
  auto r = parse_text(
      "fn f() {\n"
      "  let b = {x: 1, y: };\n"          // the record's '}' does not end the block
      "  let c = [1, 2;\n"
      "  let d = g(fn() { 1; }, 2 3);\n"   // the lambda's '{ 1; }' is skipped whole
      "  let e = h(1,\n"
      "  let f = 1 +;\n"
      "  c\n"
      "}\n"
      "fn g() { 1 }\n");
  CHECK(r.errors ==
        "2:21: expected expression, found '}'\n"
        "3:16: expected ']' after array elements, found ';'\n"
        "4:28: expected ')' after arguments, found '3'\n"
        "6:3: expected expression, found 'let'\n"
        "6:14: expected expression, found ';'\n");
  CHECK(r.text ==
        "Module\n"
        "  Fn f()\n"
        "    Block\n"
        "      result: Var c\n"
        "  Fn g()\n"
        "    Block\n"
        "      result: Int 1\n");
}

TEST_CASE("parser: more error messages") {
  auto err = [](const std::string& src) { return parse_text(src).errors; };
  CHECK(err("fn f() { 1 2 }") == "1:12: expected ';' or '}' after expression, found '2'\n");
  CHECK(err("fn f() {\n  let x = 1;\n") == "3:1: expected '}' to close the block, found end of file\n");
  CHECK(err("fn f() { { { {") == "1:15: expected '}' to close the block, found end of file\n");
  CHECK(err("let t = (1,);") == "1:9: a tuple needs at least two elements\n");
  CHECK(err("let (a) = t;") == "1:6: a tuple pattern needs at least two names\n");
  CHECK(err("let x: foo = 1;") ==
        "1:8: unknown type 'foo' (types are real, int, bool, string, unit, [T], (T, U), {f: T}, "
        "fn(T) -> U, Dist[T], 'a, and the opaque LM, Regex, Grammar, Method, Objective, Optimiser, RewardServer)\n");
  CHECK(err("let x: {} = 1;") == "1:8: a record type needs at least one field\n");
  CHECK(err("let x: fn(real) = 1;") ==
        "1:17: expected '->' after parameter types of a function type, found '='\n");
  CHECK(err("let x = _ + 1;") == "1:9: '_' is not a value; it can only name an ignored variable\n");
  CHECK(err("fn f(a, a, _, _) {}") == "1:9: duplicate parameter 'a'\n");
  CHECK(err("let r = {a: 1, a: 2};") == "1:16: duplicate field 'a' in record\n");
  CHECK(err("let f = fn g(x) { x };") ==
        "1:12: a named function must be a statement of its own; an anonymous one is 'fn(...) { ... }'\n");
  CHECK(err("fn f() { if {a: 1}.a { } }") == "1:13: a record literal here must be in parentheses\n");
  CHECK(err("fn f() { if ({a: 1}).a { } }") == "");
  CHECK(err("let x = 1") == "1:10: expected ';' after let statement, found end of file\n");
  CHECK(err("fn (x) { x }") == "1:4: expected function name after 'fn', found '('\n");
  CHECK(err("let x = [1 for in xs];") == "1:16: expected variable name after 'for', found 'in'\n");
  CHECK(err("let x = t.\"a\";") == "1:11: expected field name or tuple index after '.', found string \"a\"\n");
  CHECK(err("fn f() { for x xs {} }") == "1:16: expected 'in' after loop variable, found 'xs'\n");
  // Lexical errors are reported once, not again by the parser.
  CHECK(err("let s = \"abc;\nlet t = 1;") == "1:9: unterminated string literal\n2:1: expected ';' after let statement, found 'let'\n");
  CHECK(err("let x = 1 @ 2;") == "1:11: unexpected character '@'\n1:13: expected ';' after let statement, found '2'\n");
}

TEST_CASE("parser: nesting limits") {
  auto nested = [](int n, const std::string& open, const std::string& mid, const std::string& close) {
    std::string s;
    for (int i = 0; i < n; ++i) s += open;
    s += mid;
    for (int i = 0; i < n; ++i) s += close;
    return s;
  };
  // Realistic depths parse.
  std::string err;
  expr_ast(nested(100, "(", "1", ")"), &err);
  CHECK(err == "");
  expr_ast(nested(100, "[", "1", "]"), &err);
  CHECK(err == "");
  // 500 levels are an error, not a crash.
  for (const char* open : {"(", "[", "-", "!", "{", "f(", "if x {"}) {
    std::string close = open[0] == '(' ? ")" : open[0] == '[' ? "]" : open[0] == 'f' ? ")" : "}";
    if (open[0] == '-' || open[0] == '!') close = "";
    auto r = parse_text("let x = " + nested(500, open, "1", close) + ";\nlet y = (;");
    CAPTURE(open);
    CHECK(r.errors.find("expression nested too deeply") != std::string::npos);
    CHECK(r.errors.find("2:10: expected expression, found ';'") != std::string::npos);  // and goes on
  }
  auto types = parse_text("let x: " + nested(500, "[", "int", "]") + " = 0;");
  CHECK(types.errors.find("expression nested too deeply") != std::string::npos);
  // Long operator chains build deep trees too, so they are bounded the same way.
  std::string chain = "1";
  for (int i = 0; i < 5000; ++i) chain += " + 1";
  CHECK(parse_text("let x = " + chain + ";").errors.find("nested too deeply") != std::string::npos);
  std::string pow = "2";
  for (int i = 0; i < 5000; ++i) pow += " ** 2";
  CHECK(parse_text("let x = " + pow + ";").errors.find("nested too deeply") != std::string::npos);
  // Huge unbalanced inputs finish.
  CHECK(parse_text(std::string(100000, '(')).errors != "");
  CHECK(parse_text(std::string(100000, '{')).errors != "");
  CHECK(parse_text("fn f() " + std::string(100000, '{')).errors != "");
  CHECK(parse_text(std::string(100000, '}')).errors != "");
}
