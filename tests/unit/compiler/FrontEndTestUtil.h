// FrontEndTestUtil.h — helpers shared by the lexer and parser tests: run a
// stage on a string and render its tokens, tree or errors as text.
#pragma once

#include <string>

#include "compiler/frontend/AST.h"
#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/Lexer.h"
#include "compiler/frontend/Parser.h"
#include "compiler/frontend/Source.h"

namespace borel::test {

// The program sketched in the foundation issue: every construct in a few lines.
inline const char* const kIssueSketch = R"(import "lib/util.brl";
fn lgssm(ys: [real]) -> real {
  let x1 = sample(normal(0.0, 1.0));
  observe(normal(x1, 0.5), ys[0]);
  fold(ys[1..], x1, fn(x, y) {
    let x2 = sample(normal(0.9 * x, 1.0));
    observe(normal(x2, 0.5), y);
    x2
  })
}
fn main() {
  let ys: [real] = read_json("data/lgssm_T100.json")["y"];
  let post = infer(smc(particles = 1000), fn() { lgssm(ys) });
  for i in 0..3 { print(i); }
  let (a, _) = (1, 2.5);
  let r = {mu: 1.0, k: 2};
  print(summary(post));
  print(-r.mu ** 2 + [x * 2 for x in 0..10 if x % 2 == 0][1]);
}
)";

// "line:col: message", one error per line (notes and warnings left out).
inline std::string errors_of(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d.all())
    if (x.severity == Diagnostic::Severity::Error)
      out += std::to_string(x.loc.line) + ":" + std::to_string(x.loc.col) + ": " + x.message + "\n";
  return out;
}

struct FrontEndResult {
  std::string text;    // token dump or AST dump
  std::string errors;  // errors_of
};

inline FrontEndResult lex_text(const std::string& src) {
  SourceFile f("test.brl", src);
  Diagnostics d;
  auto toks = lex(f, d);
  return {dump_tokens(toks), errors_of(d)};
}

inline FrontEndResult parse_text(const std::string& src) {
  SourceFile f("test.brl", src);
  Diagnostics d;
  auto m = parse(f, d);
  return {dump_ast(*m), errors_of(d)};
}

// The dump of a single expression, parsed as `let _e = <src>;`, without the
// Module/Let header lines and with the indentation of the value removed.
inline std::string expr_ast(const std::string& src, std::string* errors = nullptr) {
  FrontEndResult r = parse_text("let _e = " + src + ";");
  if (errors) *errors = r.errors;
  std::string out;
  size_t pos = 0;
  int lineno = 0;
  while (pos < r.text.size()) {
    size_t end = r.text.find('\n', pos);
    if (end == std::string::npos) end = r.text.size();
    std::string line = r.text.substr(pos, end - pos);
    pos = end + 1;
    if (lineno++ < 2) continue;  // "Module", "  Let _e"
    out += (line.size() >= 4 ? line.substr(4) : line) + "\n";
  }
  return out;
}

}  // namespace borel::test
