// DeadFunctions.cpp — reachability over direct calls, closures and function values.
#include "compiler/passes/DeadFunctions.h"

#include <vector>

namespace borel {
namespace {

void visit_body(const IrBody& b, std::vector<IrFunction*>& work) {
  auto see = [&](IrFunction* f) {
    if (f && !f->reachable) {
      f->reachable = true;
      work.push_back(f);
    }
  };
  for (const Inst& i : b.insts) {
    see(i.fn);
    for (const Operand& o : i.args)
      if (o.kind == Operand::Kind::Fn) see(o.fn);
    if (i.then_body) visit_body(*i.then_body, work);
    if (i.else_body) visit_body(*i.else_body, work);
  }
  if (b.result.kind == Operand::Kind::Fn) see(b.result.fn);
}

}  // namespace

void mark_reachable(IrModule& m) {
  for (auto& f : m.functions) f->reachable = false;
  std::vector<IrFunction*> work;
  if (m.main) {
    m.main->reachable = true;
    work.push_back(m.main);
  }
  for (IrFunction* f : m.exports) {
    f->reachable = true;
    work.push_back(f);
  }
  while (!work.empty()) {
    IrFunction* f = work.back();
    work.pop_back();
    visit_body(f->body, work);
  }
}

}  // namespace borel
