// Aot.h — ahead-of-time compilation: a program's LLVM module written as a
// native object file, for `borel build` to link into an executable with the
// runtime libraries (no LLVM and no compiler in it).
//
// The module must come from generate_llvm(..., aot = true): it embeds no
// address of the compiling process, defines `__main.closure` and
// `borel_aot_init()` (to call before running it), and is position
// independent.
#pragma once

#include <string>

namespace llvm {
class Module;
}  // namespace llvm

namespace borel {

// Sets the host's target on `m`, optimises it (O2) and writes an object file
// to `path`. Throws InternalError when LLVM cannot.
void write_object(llvm::Module& m, const std::string& path);

}  // namespace borel
