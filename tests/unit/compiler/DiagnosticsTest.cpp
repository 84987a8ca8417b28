// DiagnosticsTest.cpp — the source excerpt under a message: whole short
// lines, a window around the caret on long ones, the caret under the
// character the location names.
#include <doctest/doctest.h>

#include <string>

#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/Source.h"

using namespace borel;

namespace {
// The column of the caret in the excerpt's second line, and the first line.
struct Excerpt {
  std::string text, caret;
};
Excerpt split(const std::string& e) {
  size_t nl = e.find('\n');
  return {e.substr(2, nl - 2), e.substr(nl + 3, e.size() - nl - 4)};
}
}  // namespace

TEST_CASE("a short line is shown whole, the caret under the column") {
  Excerpt e = split(source_excerpt("let x = 1 + true;", 13));
  CHECK(e.text == "let x = 1 + true;");
  CHECK(e.caret == "            ^");
  CHECK(e.text[e.caret.size() - 1] == 't');
}

TEST_CASE("regression: an error on a 1 MB line showed the whole line") {
  std::string line(1000000, 'a');
  line.replace(500000, 4, "true");
  Excerpt e = split(source_excerpt(line, 500001));
  CHECK(e.text.size() == 3 + 2 * kExcerptContext + 3);
  CHECK(e.text.substr(0, 3) == "...");
  CHECK(e.text.substr(e.text.size() - 3) == "...");
  REQUIRE(e.caret.size() <= e.text.size());
  CHECK(e.text.substr(e.caret.size() - 1, 4) == "true");
}

TEST_CASE("near the start or the end of a long line, only the cut side has dots") {
  std::string line = "x" + std::string(10000, ' ') + "y";
  Excerpt start = split(source_excerpt(line, 1));
  CHECK(start.text.substr(0, 1) == "x");
  CHECK(start.text.substr(start.text.size() - 3) == "...");
  CHECK(start.caret == "^");
  Excerpt end = split(source_excerpt(line, static_cast<uint32_t>(line.size())));
  CHECK(end.text.substr(0, 3) == "...");
  CHECK(end.text.back() == 'y');
  CHECK(end.text[end.caret.size() - 1] == 'y');
  // One past the end: the caret just after the last character.
  Excerpt past = split(source_excerpt(line, static_cast<uint32_t>(line.size() + 1)));
  CHECK(past.caret.size() == past.text.size() + 1);
}

TEST_CASE("the window never cuts a UTF-8 character, the caret counts characters") {
  std::string line;
  for (int i = 0; i < 200; ++i) line += "\xC3\xA9";  // é, two bytes
  line += "z";
  const uint32_t col = static_cast<uint32_t>(line.size());  // the z
  std::string ex = source_excerpt(line, col);
  Excerpt e = split(ex);
  CHECK(e.text.substr(0, 3) == "...");
  CHECK((static_cast<unsigned char>(e.text[3]) & 0xC0) != 0x80);  // starts on a character
  CHECK(e.text.back() == 'z');
  // Characters before the z in the excerpt: the caret is that many columns in.
  size_t chars = 0;
  for (char c : e.text.substr(0, e.text.size() - 1))
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;
  CHECK(e.caret.size() == chars + 1);
}

TEST_CASE("a rendered diagnostic uses the excerpt") {
  SourceFile f("long.brl", "fn main() { let x = " + std::string(5000, '1') + " + true; }\n");
  Diagnostic d{Diagnostic::Severity::Error, Loc{&f, 1, 5024}, "operator + needs numbers"};
  std::string r = d.render();
  CHECK(r.size() < 400);
  CHECK(r.find("long.brl:1:5024: error: operator + needs numbers\n") == 0);
}
