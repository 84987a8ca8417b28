// EffectAnalysis.cpp — least fixed point of "may suspend" over the call graph.
#include "compiler/passes/EffectAnalysis.h"

#include <functional>

namespace borel {
namespace {

bool body_may_suspend(const IrBody& b) {
  for (const Inst& i : b.insts) {
    switch (i.op) {
      case Inst::Op::Sample:
      case Inst::Op::Observe:
      case Inst::Op::Factor:
      case Inst::Op::CallClosure: return true;
      case Inst::Op::CallDirect:
        if (i.fn->may_suspend) return true;
        break;
      default: break;
    }
    if (i.then_body && body_may_suspend(*i.then_body)) return true;
    if (i.else_body && body_may_suspend(*i.else_body)) return true;
  }
  return false;
}

}  // namespace

void analyse_effects(IrModule& m) {
  for (auto& f : m.functions) f->may_suspend = false;
  bool changed = true;
  while (changed) {
    changed = false;
    for (auto& f : m.functions)
      if (!f->may_suspend && body_may_suspend(f->body)) {
        f->may_suspend = true;
        changed = true;
      }
  }
  // Closures are entered through the uniform closure convention, and the
  // entry point is resumed by the runtime: both keep the suspension protocol.
  for (auto& f : m.functions)
    if (f->is_closure) f->may_suspend = true;
}

}  // namespace borel
