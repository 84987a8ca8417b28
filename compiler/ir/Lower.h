// Lower.h — from the typed AST to the core IR.
//
// Produces A-normal form with closures converted (each lambda and local
// function becomes an IrFunction with an explicit capture list), operators
// resolved to typed primitives (int/real promotion inserted), `sample(d(...))`
// and `observe(d(...), v)` fused so the distribution is passed unboxed, and
// self tail calls turned into jumps (TailSelf), so a recursive loop such as
// the prelude's `fold` runs in constant stack space. Adds `__main`, which
// evaluates the top-level lets and then calls the user's `main`.
#pragma once

#include "compiler/frontend/Diagnostics.h"
#include "compiler/ir/IR.h"
#include "compiler/frontend/TypeCheck.h"

namespace borel {

IrModule lower(const CheckedProgram& program, Diagnostics& diags);

// The runtime description of a type. A variable left undecided after type
// checking constrains nothing, so its values are never inspected: it is
// described as unit when `undecided_as_unit` (printing `[]` shows `[]`), and
// otherwise the result is nullptr (reading data needs the real type).
const rt::TypeDesc* type_desc(IrModule& m, Type* t, bool undecided_as_unit = false);

}  // namespace borel
