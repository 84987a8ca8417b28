// Parser.h — tokens to the AST (compiler/frontend/AST.h); grammar in docs/grammar.md.
//
// `parse` lexes the file itself and always returns a Module, whatever the
// input: it reports each syntax error to `diags` (file:line:col, e.g.
// "expected ')' after arguments, found 'let'"), skips to the next `;`, `}`
// or item keyword and carries on, so one run reports several errors. When
// `diags` has errors the tree is partial and only fit for `--emit=ast`.
//
// Guarantees on the output: every node has a Loc; no node is nested more
// than about kMaxNesting levels deep (deeper input is reported as "expression
// nested too deeply"), so recursive passes over the tree cannot exhaust the
// stack. It throws nothing but std::bad_alloc.
#pragma once

#include <memory>

#include "compiler/frontend/AST.h"
#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/Source.h"

namespace borel {

// Bound on the nesting of expressions, blocks and types the parser accepts.
inline constexpr int kMaxNesting = 256;

std::unique_ptr<Module> parse(const SourceFile& file, Diagnostics& diags);

}  // namespace borel
