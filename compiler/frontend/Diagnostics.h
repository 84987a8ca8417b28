// Diagnostics.h — user errors (bad programs) and internal errors (compiler bugs).
//
// The compiler keeps going after a user error to report as many as it can;
// each stage records errors here and the pipeline stops between stages when
// any were reported. Messages render as
//   file:line:col: error: message
//     source line
//         ^
// A `CompileError` exception stops compilation (exit code 1); an
// `InternalError` is a bug in Borel (exit code 70), never a user's fault.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/frontend/Source.h"

namespace borel {

struct Diagnostic {
  enum class Severity { Error, Warning, Note } severity;
  Loc loc;
  std::string message;
  std::string render() const;
};

class Diagnostics {
 public:
  void error(Loc loc, std::string message);
  void warning(Loc loc, std::string message);
  void note(Loc loc, std::string message);
  bool has_errors() const { return errors_ > 0; }
  int error_count() const { return errors_; }
  const std::vector<Diagnostic>& all() const { return list_; }
  std::string render() const;  // all diagnostics, in order
  // Caps runaway cascades: after this many errors, further ones are dropped.
  static constexpr int kMaxErrors = 50;

 private:
  std::vector<Diagnostic> list_;
  int errors_ = 0;
};

// The source line under a message, with a caret under column `col` (in
// bytes, 1-based): "  <line>\n  <spaces>^\n". A long line (a minified or
// generated file) is cut to kExcerptContext bytes each side of the caret,
// with "..." where it was cut, so a 1 MB line prints as two short lines.
inline constexpr size_t kExcerptContext = 60;
std::string source_excerpt(std::string_view line, uint32_t col);

// Thrown when a stage finished with errors; the diagnostics hold the details.
struct CompileError : std::runtime_error {
  explicit CompileError(std::string rendered) : std::runtime_error(std::move(rendered)) {}
};

// A bug in the compiler. Never thrown for a user's program.
struct InternalError : std::logic_error {
  using std::logic_error::logic_error;
};

}  // namespace borel
