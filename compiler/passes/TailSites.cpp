// TailSites.cpp — tail position through blocks and `if` branches.
#include "compiler/passes/TailSites.h"

namespace borel {
namespace {


// The last instruction of a body is in tail position when the body's result
// is that instruction's value and the body itself is in tail position.
void mark(IrBody& b) {
  if (b.insts.empty()) return;
  Inst& last = b.insts.back();
  if (last.dest < 0 || b.result.kind != Operand::Kind::Var || b.result.var != last.dest) return;
  if (is_suspension_site(last)) last.tail = true;
  if (last.op == Inst::Op::If) {
    if (last.then_body) mark(*last.then_body);
    if (last.else_body) mark(*last.else_body);
  }
}

}  // namespace

void mark_tail_sites(IrModule& m) {
  for (auto& f : m.functions) mark(f->body);
}

}  // namespace borel
