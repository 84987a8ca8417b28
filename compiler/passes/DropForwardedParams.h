// DropForwardedParams.h — removes parameters that carry nothing.
//
// A parameter whose only use is to be passed back, unchanged and in the
// same position, to the function's own loop (TailSelf) never influences the
// result: it is removed from the function and from every direct call of it.
// Closure specialisation leaves such parameters behind — the clone
// fold_from<f> still receives the closure f it no longer calls — and a
// parameter that is live across a suspension is a word in every suspended
// frame (per particle, per generation, in SMC).
//
// Functions whose calling convention is fixed are left alone: closures, the
// entry point, exports, and functions used as values.
#pragma once

#include "compiler/ir/IR.h"

namespace borel {

void drop_forwarded_params(IrModule& m);

}  // namespace borel
