// FrontEndFuzzer.cpp — libFuzzer target: arbitrary bytes as a Borel source
// file through the compiler's front end and middle: lexer, parser, type
// checker, lowering to the CPS IR and every IR pass (Emit::Ir: no LLVM).
//
// What it guarantees when it runs clean: on any text, compile() returns —
// success, or failure with at least one "error:" diagnostic — and throws
// nothing (an internal error is a thrown exception, so a bug); nothing reads
// out of bounds, overflows, recurses off the stack or leaks.
//
// Imports read files relative to the working directory, which would make a
// run depend on the machine (or read /dev/zero for ever), so an input that
// mentions `import` only goes through the lexer and the parser, which do not
// follow imports.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/Lexer.h"
#include "compiler/frontend/Parser.h"
#include "compiler/Pipeline.h"
#include "compiler/frontend/Source.h"
#include "runtime/Value.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  borel::rt::gc_init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // compile() reads `path` when the source is empty.
  if (size == 0) return 0;
  std::string src(reinterpret_cast<const char*>(data), size);
  if (src.find("import") != std::string::npos) {
    borel::SourceFile f("fuzz.brl", src);
    borel::Diagnostics d;
    (void)borel::lex(f, d);
    borel::Diagnostics pd;
    (void)borel::parse(f, pd);
    return 0;
  }
  borel::CompileResult r = borel::compile("fuzz.brl", src, borel::Emit::Ir);
  if (!r.ok && r.diagnostics.find("error:") == std::string::npos) {
    std::fprintf(stderr, "compile failed without an error message:\n%s\n", r.diagnostics.c_str());
    std::abort();
  }
  return 0;
}
