// LexerTest.cpp — token streams for tricky inputs and lexical errors with
// their exact line:col.
#include <doctest/doctest.h>

#include "tests/unit/compiler/FrontEndTestUtil.h"

using namespace borel;
using borel::test::lex_text;

namespace {

std::vector<Token> tokens(const std::string& src, std::string* errors = nullptr) {
  static std::vector<std::unique_ptr<SourceFile>> files;  // keep Locs valid
  files.push_back(std::make_unique<SourceFile>("test.brl", src));
  Diagnostics d;
  auto toks = lex(*files.back(), d);
  if (errors) *errors = borel::test::errors_of(d);
  return toks;
}

}  // namespace

TEST_CASE("lexer: keywords, identifiers, type variables and punctuation") {
  auto r = lex_text("fn let if else for in import true false\n"
                    "foo _x _ x1 Dist real 'a 'elem\n"
                    "( ) [ ] { } , ; : . .. -> = + - * / % ** == != < <= > >= && || ! ++");
  CHECK(r.errors == "");
  CHECK(r.text ==
        "1:1 FN fn\n1:4 LET let\n1:8 IF if\n1:11 ELSE else\n1:16 FOR for\n1:20 IN in\n"
        "1:23 IMPORT import\n1:30 TRUE true\n1:35 FALSE false\n"
        "2:1 IDENT foo\n2:5 IDENT _x\n2:8 IDENT _\n2:10 IDENT x1\n2:13 IDENT Dist\n2:18 IDENT real\n"
        "2:23 TYVAR 'a\n2:26 TYVAR 'elem\n"
        "3:1 LPAREN (\n3:3 RPAREN )\n3:5 LBRACKET [\n3:7 RBRACKET ]\n3:9 LBRACE {\n3:11 RBRACE }\n"
        "3:13 COMMA ,\n3:15 SEMI ;\n3:17 COLON :\n3:19 DOT .\n3:21 DOTDOT ..\n3:24 ARROW ->\n"
        "3:27 ASSIGN =\n3:29 PLUS +\n3:31 MINUS -\n3:33 STAR *\n3:35 SLASH /\n3:37 PERCENT %\n"
        "3:39 STARSTAR **\n3:42 EQEQ ==\n3:45 NE !=\n3:48 LT <\n3:50 LE <=\n3:53 GT >\n3:55 GE >=\n"
        "3:58 ANDAND &&\n3:61 OROR ||\n3:64 BANG !\n3:66 PLUSPLUS ++\n3:68 EOF\n");
}

TEST_CASE("lexer: maximal munch without spaces") {
  auto r = lex_text("a**-b!=c<=d->e++f..g&&!h");
  CHECK(r.errors == "");
  CHECK(r.text ==
        "1:1 IDENT a\n1:2 STARSTAR **\n1:4 MINUS -\n1:5 IDENT b\n1:6 NE !=\n1:8 IDENT c\n1:9 LE <=\n"
        "1:11 IDENT d\n1:12 ARROW ->\n1:14 IDENT e\n1:15 PLUSPLUS ++\n1:17 IDENT f\n1:18 DOTDOT ..\n"
        "1:20 IDENT g\n1:21 ANDAND &&\n1:23 BANG !\n1:24 IDENT h\n1:25 EOF\n");
}

TEST_CASE("lexer: integer literals") {
  std::string err;
  auto t = tokens("0 42 1_000_000 9223372036854775807", &err);
  CHECK(err == "");
  REQUIRE(t.size() == 5);
  CHECK(t[0].int_value == 0);
  CHECK(t[1].int_value == 42);
  CHECK(t[2].kind == TokenKind::Int);
  CHECK(t[2].text == "1_000_000");
  CHECK(t[2].int_value == 1000000);
  CHECK(t[3].int_value == 9223372036854775807ull);

  // 2^63 is left to the parser (valid only negated); beyond that is an error.
  tokens("9223372036854775808", &err);
  CHECK(err == "");
  tokens("x = 99999999999999999999;", &err);
  CHECK(err == "1:5: integer literal is too large (the largest int is 9223372036854775807)\n");
  tokens("18446744073709551617", &err);
  CHECK(err == "1:1: integer literal is too large (the largest int is 9223372036854775807)\n");
}

TEST_CASE("lexer: real literals") {
  std::string err;
  auto t = tokens("1.5 1e-3 2. 1.5e+10 3E2 1_000.25 0.0", &err);
  CHECK(err == "");
  REQUIRE(t.size() == 8);
  for (int i = 0; i < 7; ++i) CHECK(t[i].kind == TokenKind::Real);
  CHECK(t[0].real_value == 1.5);
  CHECK(t[1].real_value == 1e-3);
  CHECK(t[2].real_value == 2.0);
  CHECK(t[2].text == "2.");
  CHECK(t[3].real_value == 1.5e10);
  CHECK(t[4].real_value == 300.0);
  CHECK(t[5].real_value == 1000.25);
  CHECK(t[6].real_value == 0.0);
}

TEST_CASE("lexer: numbers next to dots: ranges, tuple fields, `2.`") {
  CHECK(lex_text("0..3").text == "1:1 INT 0\n1:2 DOTDOT ..\n1:4 INT 3\n1:5 EOF\n");
  CHECK(lex_text("a[1..]").text ==
        "1:1 IDENT a\n1:2 LBRACKET [\n1:3 INT 1\n1:4 DOTDOT ..\n1:6 RBRACKET ]\n1:7 EOF\n");
  // After a '.', digits are a tuple index, so `t.0.1` is two field accesses.
  CHECK(lex_text("t.0.1").text ==
        "1:1 IDENT t\n1:2 DOT .\n1:3 INT 0\n1:4 DOT .\n1:5 INT 1\n1:6 EOF\n");
  CHECK(lex_text("f(x).1").text ==
        "1:1 IDENT f\n1:2 LPAREN (\n1:3 IDENT x\n1:4 RPAREN )\n1:5 DOT .\n1:6 INT 1\n1:7 EOF\n");
  // A letter after `2.` makes it a field access, not a real.
  CHECK(lex_text("2.x").text == "1:1 INT 2\n1:2 DOT .\n1:3 IDENT x\n1:4 EOF\n");
  CHECK(lex_text("(2.)").text == "1:1 LPAREN (\n1:2 REAL 2.\n1:4 RPAREN )\n1:5 EOF\n");
  CHECK(lex_text("1.5..2").text == "1:1 REAL 1.5\n1:4 DOTDOT ..\n1:6 INT 2\n1:7 EOF\n");
}

TEST_CASE("lexer: malformed numbers are errors with a location, and lexing goes on") {
  auto r = lex_text("let a = .5;\nlet b = 1.5e;\nlet c = 12abc;\nlet d = 1e999;\nlet e = 1e;");
  CHECK(r.errors ==
        "1:9: a real literal needs a digit before the '.': write 0.5\n"
        "2:9: missing digits in the exponent of '1.5e'\n"
        "3:9: invalid numeric literal '12abc'\n"
        "4:9: real literal '1e999' is too large\n"
        "5:9: missing digits in the exponent of '1e'\n");
  // Each bad literal still yields one operand token.
  CHECK(r.text.find("1:9 REAL .5\n") != std::string::npos);
  CHECK(r.text.find("3:9 INT 12abc\n") != std::string::npos);
  std::string err;
  auto t = tokens("1e-400", &err);  // underflow is not an error
  CHECK(err == "");
  CHECK(t[0].real_value == 0.0);
}

TEST_CASE("lexer: string literals and escapes") {
  std::string err;
  auto t = tokens(R"("plain" "a\nb\tc" "q\"q\\" "\u{41}\u{e9}\u{1F600}" "")", &err);
  CHECK(err == "");
  REQUIRE(t.size() == 6);
  CHECK(t[0].str_value == "plain");
  CHECK(t[0].text == "\"plain\"");
  CHECK(t[1].str_value == "a\nb\tc");
  CHECK(t[2].str_value == "q\"q\\");
  CHECK(t[3].str_value == "A\xC3\xA9\xF0\x9F\x98\x80");
  CHECK(t[4].str_value == "");
  CHECK(lex_text(R"(f("a\"b"))").text ==
        "1:1 IDENT f\n1:2 LPAREN (\n1:3 STRING \"a\\\"b\"\n1:9 RPAREN )\n1:10 EOF\n");
}

TEST_CASE("lexer: bad escapes and unterminated strings") {
  auto r = lex_text("let s = \"a\\qb\\u{D800}\\u{110000}\\u{}\\u41\";\n"
                    "let t = \"no end\nlet u = 1;\n"
                    "  \"at eof");
  CHECK(r.errors ==
        "1:11: unknown escape sequence '\\q' (known: \\n \\t \\\\ \\\" \\u{XXXX})\n"
        "1:14: invalid unicode scalar value U+D800 in escape\n"
        "1:22: invalid unicode scalar value U+110000 in escape\n"
        "1:32: a unicode escape needs 1 to 6 hex digits\n"
        "1:36: expected '{' after '\\u' (write \\u{XXXX})\n"
        "2:9: unterminated string literal\n"
        "4:3: unterminated string literal\n");
  // The line after an unterminated string lexes normally.
  CHECK(r.text.find("3:1 LET let\n3:5 IDENT u\n") != std::string::npos);
}

TEST_CASE("lexer: comments, nested block comments") {
  auto r = lex_text("a // line comment ** \"\nb /* block /* nested */ still comment */ c\n/* multi\nline */ d");
  CHECK(r.errors == "");
  CHECK(r.text == "1:1 IDENT a\n2:1 IDENT b\n2:42 IDENT c\n4:9 IDENT d\n4:10 EOF\n");
  auto u = lex_text("x /* open /* inner */ never closed\n y");
  CHECK(u.errors == "1:3: unterminated block comment\n");
  CHECK(u.text == "1:1 IDENT x\n2:3 EOF\n");
}

TEST_CASE("lexer: stray characters are reported and skipped") {
  auto r = lex_text("a @ b & c | d\n$ \xC3\xA9 ' \x01 \xFF");
  CHECK(r.errors ==
        "1:3: unexpected character '@'\n"
        "1:7: unexpected character '&' (did you mean '&&'?)\n"
        "1:11: unexpected character '|' (did you mean '||'?)\n"
        "2:1: unexpected character '$'\n"
        "2:3: unexpected character U+00E9\n"
        "2:6: expected a type variable name after '''\n"
        "2:8: unexpected character 0x01\n"
        "2:10: invalid UTF-8 byte 0xFF\n");
  CHECK(r.text == "1:1 IDENT a\n1:5 IDENT b\n1:9 IDENT c\n1:13 IDENT d\n2:11 EOF\n");
}

TEST_CASE("lexer: empty input and CRLF line endings") {
  CHECK(lex_text("").text == "1:1 EOF\n");
  CHECK(lex_text("a\r\nb").text == "1:1 IDENT a\n2:1 IDENT b\n2:2 EOF\n");
}
