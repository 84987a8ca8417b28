// TypeCheck.h — name resolution and Hindley–Milner type inference.
//
// Checks every module of a program together (the prelude first, then the
// user's files in import order): all top-level functions share one
// namespace. Functions are checked in strongly connected components of the
// call graph and generalised per component (let-polymorphism); local `let`s
// are generalised too. On success every Expr has its `type` set and every
// type variable that could be decided is decided:
//   * arithmetic on int and real: int op int is int; if either side is real
//     the result is real and the int side is converted (see docs/language.md);
//     operands still undecided at the end of a function default to real, and
//     integer literals default to int;
//   * a value accessed only through fields (`d.y`, `d["y"]`) whose type is
//     otherwise unknown becomes a record of exactly those fields; this is how
//     `read_json` learns the shape of the data it must read.
// Errors are reported to Diagnostics with locations; checking continues.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compiler/frontend/AST.h"
#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/Types.h"

namespace borel {

struct CheckedProgram {
  std::vector<Module*> modules;                 // prelude first
  std::map<std::string, FnDecl*> functions;     // all top-level functions
  std::map<std::string, Type*> function_types;  // their (generalised) types, bodies typed
  std::vector<Stmt*> globals;                   // top-level lets in evaluation order
  bool has_main = false;
};

// `modules[0]` must be the prelude.
CheckedProgram type_check(std::vector<Module*> modules, TypeArena& arena, Diagnostics& diags);

// Renders the typed program for `borel --emit=typed`.
std::string dump_typed(const CheckedProgram& p);

}  // namespace borel
