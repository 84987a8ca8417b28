// ParserRobustnessTest.cpp — the front end on broken input: realistic
// programs under thousands of deterministic random mutations (characters and
// tokens deleted, duplicated, swapped, punctuation inserted, truncation) and
// token soup. parse() must always return a Module, throw nothing, finish
// quickly, and leave a tree that dump_ast can print. When no error was
// reported the tree must be complete (no missing required children).
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/unit/compiler/FrontEndTestUtil.h"

using namespace borel;

namespace {

const char* const kPrograms[] = {
    // State-space model with SMC.
    borel::test::kIssueSketch,
    // Bayesian linear regression with records and tuples.
    R"(/* Bayesian linear regression. /* nested */ */
let n_default: int = 1_000;
fn regression(xs: [real], ys: [real]) -> {alpha: real, beta: real, sigma: real} {
  let alpha = sample(normal(0.0, 10.0));
  let beta = sample(normal(0.0, 10.0));
  let sigma = sample(gamma(2.0, 1.0));
  for i in 0..len(xs) {
    let mu = alpha + beta * xs[i];
    observe(normal(mu, sigma), ys[i]);
  }
  {alpha: alpha, beta: beta, sigma: sigma}
}
fn stats(v: [real]) -> (real, real) {
  let m = sum(v) / to_real(len(v));
  let s2 = sum([(x - m) ** 2 for x in v]) / to_real(len(v) - 1);
  (m, sqrt(s2))
}
fn main() {
  let data = read_json("data/regression.json");
  let xs: [real] = data["x"];
  let ys: [real] = data["y"];
  let post = infer(importance(samples = n_default), fn() { regression(xs, ys) });
  let (m, s) = stats(map(samples(post), fn(p) { p.beta }));
  if m > 0.0 && s < 1.0 { print("positive slope") } else if m < 0.0 { print("negative") } else {
    print("unclear: " ++ to_string(m));
  }
}
)",
    // A hidden Markov model with polymorphic helpers and function types.
    R"(fn compose(f: fn('a) -> 'b, g: fn('b) -> 'c) -> fn('a) -> 'c {
  fn(x: 'a) -> 'c { g(f(x)) }
}
fn hmm(obs: [int], trans: [[real]], emit: [[real]]) -> [int] {
  let k = len(trans);
  let z0 = sample(categorical([1.0 / to_real(k) for _i in 0..k]));
  let states = scan(obs[1..], z0, fn(z, o) {
    let z2 = sample(categorical(trans[z]));
    observe(categorical(emit[z2]), o);
    z2
  });
  observe(categorical(emit[z0]), obs[0]);
  [z0] ++ states
}
fn count(xs: [int], v: int) -> int {
  fold(xs, 0, fn(acc, x) { if x == v { acc + 1 } else { acc } })
}
fn main() {
  let obs = [0, 1, 1, 0, 2, 2, 1];
  let trans = [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]];
  let emit = [[0.7, 0.2, 0.1], [0.2, 0.6, 0.2], [0.1, 0.2, 0.7]];
  let d: Dist[[int]] = infer(smc(particles = 500, ess = 0.5), fn() { hmm(obs, trans, emit) });
  let first = compose(fn(s: [int]) { s[0] }, fn(z) { z == 2 });
  print(mean(map(samples(d), fn(s) { if first(s) { 1.0 } else { 0.0 } })));
  let t = ((1, 2), 3);
  print(t.0.1 + t.1 - count(obs[..3], 1) * -1);
  print("tab\tnewline\n quote\" unicode \u{3bb}");
}
)",
    // Recursion, local functions and nested blocks.
    R"(fn fib(n: int) -> int {
  if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}
fn walk(steps: int) -> real {
  fn step(x: real, i: int) -> real {
    if i == 0 { x } else { step(x + sample(normal(0.0, 1.0)), i - 1) }
  }
  step(0.0, steps)
}
fn geometric(p: real) -> int {
  let flip = sample(bernoulli(p));
  if flip { 0 } else { 1 + geometric(p) }
}
fn main() {
  let a = {
    let b = fib(10);
    let c = { b * 2 };
    b + c % 7
  };
  let r = infer(forward(samples = 100), fn() { walk(10) });
  let g = infer(forward(samples = 100), fn() { geometric(0.3) });
  for x in [1, 2, 3] {
    print(x ** 2 >= a || !(x != 2));
  }
  print(summary(r));
  print(summary(g));
  let pair: (int, {name: string, tags: [string]}) = (1, {name: "w", tags: ["a", "b"]});
  print(pair.1.tags[0]);
}
)",
};

// splitmix64: a fixed sequence on every platform.
struct Prng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
};

// Byte ranges of the tokens of `src` (trivia between them excluded).
std::vector<std::pair<size_t, size_t>> token_spans(const std::string& src) {
  SourceFile f("t.brl", src);
  Diagnostics d;
  std::vector<std::pair<size_t, size_t>> spans;
  for (const Token& t : lex(f, d)) {
    if (t.kind == TokenKind::Eof) break;
    size_t start = f.line_starts[t.loc.line - 1] + t.loc.col - 1;
    spans.push_back({start, t.text.size()});
  }
  return spans;
}

std::string mutate(const std::string& src, Prng& rng) {
  static const char* const kInserts[] = {"(", ")", "[", "]", "{", "}", ",", ";", ":", ".", "..", "->",
                                         "=", "+", "-", "**", "==", "<", "&&", "||", "!", "++", "'",
                                         "\"", "/*", "*/", "//", "fn", "let", "if", "else", "for", "in",
                                         "import", "_", "0", "1.5", "\\u{", "\n"};
  std::string s = src;
  int edits = 1 + static_cast<int>(rng.below(4));
  for (int e = 0; e < edits && !s.empty(); ++e) {
    size_t at = rng.below(s.size());
    auto spans = token_spans(s);
    size_t ti = rng.below(spans.size());
    switch (rng.below(9)) {
      case 0: s.erase(at, 1); break;                                   // delete a character
      case 1: s.insert(at, 1, s[at]); break;                           // duplicate a character
      case 2: if (at + 1 < s.size()) std::swap(s[at], s[at + 1]); break;  // swap characters
      case 3: s.insert(at, kInserts[rng.below(std::size(kInserts))]); break;  // insert punctuation
      case 4: if (!spans.empty()) s.erase(spans[ti].first, spans[ti].second); break;  // delete a token
      case 5:  // duplicate a token
        if (!spans.empty()) s.insert(spans[ti].first, s.substr(spans[ti].first, spans[ti].second) + " ");
        break;
      case 6:  // swap two tokens
        if (spans.size() > 1) {
          size_t tj = rng.below(spans.size());
          if (ti > tj) std::swap(ti, tj);
          if (ti != tj) {
            std::string a = s.substr(spans[ti].first, spans[ti].second);
            std::string b = s.substr(spans[tj].first, spans[tj].second);
            s.replace(spans[tj].first, spans[tj].second, a);
            s.replace(spans[ti].first, spans[ti].second, b);
          }
        }
        break;
      case 7: s.resize(at); break;  // truncate
      case 8: s[at] = static_cast<char>(rng.below(256)); break;  // any byte
    }
  }
  return s;
}

// Tree invariants: every node has a location in the file; the tree is no
// deeper than the nesting bound allows; and, when `complete`, every
// required child is present.
struct Checker {
  const SourceFile* file;
  bool complete;
  int max_depth = 0;
  int problems = 0;

  void loc(const Loc& l) {
    if (l.file != file || l.line == 0 || l.col == 0) ++problems;
  }
  void need(const void* p) {
    if (complete && !p) ++problems;
  }
  void type(const TypeExpr* t, int depth) {
    if (!t) return;
    max_depth = std::max(max_depth, depth);
    loc(t->loc);
    for (const auto& a : t->args) {
      need(a.get());
      type(a.get(), depth + 1);
    }
  }
  void fn(const FnDecl* f, int depth) {
    need(f);
    if (!f) return;
    loc(f->loc);
    for (const auto& p : f->params) type(p.type.get(), depth + 1);
    type(f->ret_type.get(), depth + 1);
    need(f->body.get());
    expr(f->body.get(), depth + 1);
  }
  void stmt(const Stmt* s, int depth) {
    need(s);
    if (!s) return;
    loc(s->loc);
    if (s->kind == Stmt::Kind::Fn) return fn(s->fn.get(), depth + 1);
    need(s->value.get());
    expr(s->value.get(), depth + 1);
    type(s->type.get(), depth + 1);
  }
  void expr(const Expr* e, int depth) {
    if (!e) return;
    max_depth = std::max(max_depth, depth);
    loc(e->loc);
    size_t required = 0;  // kids that must be non-null
    switch (e->kind) {
      case Expr::Kind::Call: required = e->kids.size(); if (complete && e->arg_names.size() + 1 != e->kids.size()) ++problems; break;
      case Expr::Kind::Lambda: case Expr::Kind::Unary: required = 1; break;
      case Expr::Kind::Binary: case Expr::Kind::Index: case Expr::Kind::Range: case Expr::Kind::For: required = 2; break;
      case Expr::Kind::If: required = 2; if (complete && e->kids.size() != 3) ++problems; break;
      case Expr::Kind::Slice: required = 1; if (complete && e->kids.size() != 3) ++problems; break;
      case Expr::Kind::Comprehension: required = 2; if (complete && e->kids.size() != 3) ++problems; break;
      case Expr::Kind::Block: if (complete && e->kids.size() != 1) ++problems; break;
      case Expr::Kind::Field: required = 1; if (complete && e->name.empty()) ++problems; break;
      case Expr::Kind::ArrayLit: case Expr::Kind::TupleLit: required = e->kids.size(); break;
      case Expr::Kind::RecordLit: required = e->kids.size(); if (complete && e->fields.size() != e->kids.size()) ++problems; break;
      default: break;
    }
    if (complete && e->kids.size() < required) ++problems;
    for (size_t i = 0; i < e->kids.size(); ++i) {
      if (i < required) need(e->kids[i].get());
      expr(e->kids[i].get(), depth + 1);
    }
    for (const auto& s : e->stmts) stmt(s.get(), depth + 1);
    for (const auto& p : e->params) type(p.type.get(), depth + 1);
    type(e->ret_type.get(), depth + 1);
  }
  void module(const Module& m) {
    if (m.file != file) ++problems;
    for (const auto& s : m.lets) stmt(s.get(), 1);
    for (const auto& f : m.fns) fn(f.get(), 1);
  }
};

struct Outcome {
  bool threw = false;
  bool had_errors = false;
  int problems = 0;
  int depth = 0;
};

Outcome check_parse(const std::string& src) {
  Outcome o;
  SourceFile f("mutant.brl", src);
  Diagnostics d;
  try {
    auto m = parse(f, d);
    if (!m) {
      o.threw = true;
      return o;
    }
    o.had_errors = d.has_errors();
    Checker c{&f, !d.has_errors()};
    c.module(*m);
    o.problems = c.problems;
    o.depth = c.max_depth;
    (void)dump_ast(*m);
    (void)d.render();
  } catch (...) {
    o.threw = true;
  }
  return o;
}

}  // namespace

TEST_CASE("robustness: the sample programs parse cleanly") {
  for (const char* p : kPrograms) {
    SourceFile f("sample.brl", p);
    Diagnostics d;
    auto m = parse(f, d);
    CHECK_MESSAGE(!d.has_errors(), d.render());
    Checker c{&f, true};
    c.module(*m);
    CHECK(c.problems == 0);
  }
}

TEST_CASE("robustness: 3000 random mutations of realistic programs") {
  Prng rng{20240601};
  auto t0 = std::chrono::steady_clock::now();
  double worst_ms = 0;
  int with_errors = 0;
  constexpr int kMutants = 3000;
  for (int i = 0; i < kMutants; ++i) {
    const char* base = kPrograms[i % std::size(kPrograms)];
    std::string src = mutate(base, rng);
    auto s0 = std::chrono::steady_clock::now();
    Outcome o = check_parse(src);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s0).count();
    worst_ms = std::max(worst_ms, ms);
    with_errors += o.had_errors;
    CAPTURE(i);
    CAPTURE(src);
    REQUIRE_FALSE(o.threw);
    REQUIRE(o.problems == 0);
    REQUIRE(o.depth <= 4 * kMaxNesting);
  }
  double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("mutants: ", kMutants, ", with errors: ", with_errors, ", slowest parse: ", worst_ms,
          " ms, total: ", total_s, " s");
  CHECK(with_errors > kMutants / 2);  // the mutations really do break programs
  CHECK(total_s < 60);                // generous: a few seconds normally, slower under sanitizers
}

TEST_CASE("robustness: token soup") {
  static const char* const kTokens[] = {"(", ")", "[", "]", "{", "}", ",", ";", ":", ".", "..", "->", "=",
                                        "+", "-", "*", "/", "%", "**", "==", "!=", "<", "<=", ">", ">=",
                                        "&&", "||", "!", "++", "fn", "let", "if", "else", "for", "in",
                                        "import", "true", "false", "x", "_", "f", "'a", "1", "2.5",
                                        "\"s\"", "real", "Dist", "t.0", "\n"};
  Prng rng{7};
  for (int i = 0; i < 1500; ++i) {
    std::string src;
    size_t n = rng.below(80);
    for (size_t k = 0; k < n; ++k) {
      src += kTokens[rng.below(std::size(kTokens))];
      src += ' ';
    }
    Outcome o = check_parse(src);
    CAPTURE(src);
    REQUIRE_FALSE(o.threw);
    REQUIRE(o.problems == 0);
  }
}
