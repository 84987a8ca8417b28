// Pipeline.h — the compiler's stages, in order, as one list.
//
//   load (file + imports) → lex → parse → type check → lower to IR
//   → effect analysis → dead functions → LLVM IR → optimise → JIT
//
// `emit` stops after a stage and returns its rendering (`borel --emit=...`).
// Each stage's time is recorded (`borel run --time`), so compile latency is
// measured where it is spent.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "compiler/frontend/Diagnostics.h"
#include "compiler/ir/IR.h"
#include "compiler/backend/Jit.h"
#include "runtime/Value.h"

namespace borel {

// Object: write a native object file for `borel build` (compiler/backend/Aot.h) to
// CompileOptions' object path instead of JIT-compiling.
enum class Emit { None, Tokens, Ast, Typed, Ir, Llvm, Check, Object };

struct StageTime {
  std::string stage;
  double seconds;
};

// A compiled, runnable program. Keep it alive while its values are in use.
struct CompiledProgram {
  CompiledProgram() = default;
  CompiledProgram(const CompiledProgram&) = delete;
  CompiledProgram& operator=(const CompiledProgram&) = delete;
  ~CompiledProgram();
  std::unique_ptr<Jit> jit;
  IrModule ir;               // owns the runtime type descriptions
  rt::Word entry = 0;        // closure of `__main`
  std::vector<StageTime> times;
  std::map<std::string, const rt::TypeDesc*> export_types;  // result type of each export
  bool globals_set = false;  // the top-level lets were evaluated (Program::run_main)
  // The closure of an exported top-level function (see compile's `exports`).
  rt::Word closure(const std::string& name);
};

struct CompileResult {
  bool ok = false;
  std::string diagnostics;   // rendered errors and warnings
  std::string emitted;       // for Emit modes
  std::unique_ptr<CompiledProgram> program;  // when Emit::None and ok
};

// Compiles the file at `path` (or `source` when non-empty, shown as `path`).
// `exports` names top-level functions an embedding host will look up as
// closures (`CompiledProgram::closure`); they must exist.
// `object_path`: where Emit::Object writes.
CompileResult compile(const std::string& path, const std::string& source, Emit emit,
                      const std::vector<std::string>& exports = {}, const std::string& object_path = "");

}  // namespace borel
