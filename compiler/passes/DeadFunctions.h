// DeadFunctions.h — marks the functions reachable from `__main`.
//
// Only reachable functions are compiled: most of the prelude is unused by
// any one program, and compile latency is a feature.
#pragma once

#include "compiler/ir/IR.h"

namespace borel {

void mark_reachable(IrModule& m);

}  // namespace borel
