// Codegen.h — core IR to LLVM IR.
//
// Every Borel function becomes `i64 f(ptr ctx, i64 self, i64 args...)`;
// values are 64-bit words (runtime/Value.h) and every IR variable is a stack
// slot, which LLVM's mem2reg turns into registers.
//
// Suspension (DESIGN.md, decision 1). A function that may suspend (see
// EffectAnalysis.h) checks `ctx->suspending` after each effect and each call
// that may suspend. When it is set, the function saves its variables and the
// number of the call site into a frame (rt_push_frame) and returns; its
// caller does the same, up to the runtime, which copies the frames into one
// immutable GC block: the continuation. So the fast path costs one load and
// a branch per site and the only allocation happens when a program actually
// suspends. To resume, the runtime calls the outermost frame's function with
// `ctx->resuming` set: it restores its variables, jumps to the site and
// resumes the next inner frame the same way; the innermost frame receives the
// handler's value. A continuation is only read, never written, so resuming it
// twice (a resampled particle) is safe.
#pragma once

#include <memory>
#include <string>

#include "compiler/ir/IR.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace borel {

// Generates the module. The entry point is the static closure `__main.closure`.
// aot: for an object file (compiler/backend/Aot.h) rather than the JIT: no address
// of this process is embedded; the module defines borel_aot_init().
std::unique_ptr<llvm::Module> generate_llvm(const IrModule& m, llvm::LLVMContext& ctx, bool aot = false);

// Runs LLVM's optimisation pipeline (O2) on the module.
void optimise_llvm(llvm::Module& m);

// Renders the module for `borel --emit=llvm`.
std::string dump_llvm(const llvm::Module& m);

}  // namespace borel
