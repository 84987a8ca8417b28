// Repl.h — `borel repl`: an interactive session.
//
// Definitions (`fn`, `let`, `import`) accumulate; any other input is an
// expression, compiled with the definitions and printed. Each input is
// compiled through the whole pipeline (a few milliseconds), so what the REPL
// accepts is exactly what `borel run` accepts. Commands: :type EXPR,
// :defs, :reset, :help, :quit.
#pragma once

#include <cstdint>
#include <istream>
#include <ostream>

namespace borel::tools {

// Runs a session reading `in`; prompts only when `interactive`. Returns the
// exit code (0).
int run_repl(std::istream& in, std::ostream& out, std::ostream& err, bool interactive, uint64_t seed);

}  // namespace borel::tools
