// Jit.h — compiles an LLVM module to native code in this process (ORC LLJIT).
//
// The runtime's rt_* functions are bound by name (RuntimeAbi.h) and the C
// math library is found in the process. A Jit owns the generated code: it
// must outlive every value (closure, continuation) that points into it.
#pragma once

#include <memory>

namespace llvm {
class Module;
class LLVMContext;
}  // namespace llvm

namespace borel {

class Jit {
 public:
  Jit();
  ~Jit();
  Jit(const Jit&) = delete;
  Jit& operator=(const Jit&) = delete;
  // Sets the module's target and data layout (before optimising it).
  void configure(llvm::Module& m);
  void add(std::unique_ptr<llvm::Module> m, std::unique_ptr<llvm::LLVMContext> ctx);
  // The address of a global symbol of an added module.
  void* lookup(const char* name);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace borel
