// FrameLiveness.h — which variables a suspended frame must keep.
//
// For every suspension site, the variables that may be read after it
// (backward liveness over the structured IR; loops to a fixed point). A
// frame saves only these, so a continuation holds what the rest of the
// program needs and nothing else. Relies on A-normal form: apart from
// parameters, the closure and captures, every variable is assigned before it
// is read within one pass through the body, so after a TailSelf jump only
// those are live.
#pragma once

#include "compiler/ir/IR.h"

namespace borel {

void compute_frame_liveness(IrModule& m);

}  // namespace borel
