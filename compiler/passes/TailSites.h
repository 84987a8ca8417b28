// TailSites.h — marks suspension sites in tail position.
//
// A call or effect whose value is the function's own result needs no frame
// when the program suspends there: resuming the callee yields the caller's
// result directly. Eliding these frames keeps continuations small (a model
// written as `fn() { lgssm(ys) }` adds nothing) and makes the frames of
// tail-recursive models constant in size.
#pragma once

#include "compiler/ir/IR.h"

namespace borel {

void mark_tail_sites(IrModule& m);

}  // namespace borel
