// Jit.cpp — LLJIT set-up with the runtime's symbols.
#include "compiler/backend/Jit.h"

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/TargetSelect.h>

#include <mutex>

#include "compiler/frontend/Diagnostics.h"
#include "runtime/abi/RuntimeAbi.h"

namespace borel {

struct Jit::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

namespace {
template <class T>
T check(llvm::Expected<T> v, const char* what) {
  if (!v) throw InternalError(std::string(what) + ": " + llvm::toString(v.takeError()));
  return std::move(*v);
}
void check(llvm::Error e, const char* what) {
  if (e) throw InternalError(std::string(what) + ": " + llvm::toString(std::move(e)));
}
}  // namespace

Jit::Jit() : impl_(std::make_unique<Impl>()) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  impl_->jit = check(llvm::orc::LLJITBuilder().create(), "creating the JIT");
  auto& jd = impl_->jit->getMainJITDylib();
  auto gen = check(llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
                       impl_->jit->getDataLayout().getGlobalPrefix()),
                   "searching the process for symbols");
  jd.addGenerator(std::move(gen));
  llvm::orc::SymbolMap symbols;
  llvm::orc::MangleAndInterner mangle(impl_->jit->getExecutionSession(), impl_->jit->getDataLayout());
  for (auto& [name, addr] : abi::runtime_symbols())
    symbols[mangle(name)] = {llvm::orc::ExecutorAddr::fromPtr(addr), llvm::JITSymbolFlags::Exported};
  check(jd.define(llvm::orc::absoluteSymbols(std::move(symbols))), "binding runtime symbols");
}

Jit::~Jit() = default;

void Jit::configure(llvm::Module& m) {
  m.setDataLayout(impl_->jit->getDataLayout());
  m.setTargetTriple(impl_->jit->getTargetTriple().str());
}

void Jit::add(std::unique_ptr<llvm::Module> m, std::unique_ptr<llvm::LLVMContext> ctx) {
  check(impl_->jit->addIRModule(llvm::orc::ThreadSafeModule(std::move(m), std::move(ctx))), "adding the module");
}

void* Jit::lookup(const char* name) {
  auto addr = check(impl_->jit->lookup(name), "looking up a symbol");
  return addr.toPtr<void*>();
}

}  // namespace borel
