// EffectAnalysis.h — decides which functions may suspend.
//
// A function may suspend when it performs an effect (sample, observe,
// factor), calls a closure (whose code is unknown here), or calls a function
// that may suspend. Functions that cannot suspend are compiled direct-style
// with no suspension checks and no resume entry (DESIGN.md, decision 1:
// pure code runs at full native speed). Computed as a least fixed point.
#pragma once

#include "compiler/ir/IR.h"

namespace borel {

void analyse_effects(IrModule& m);

}  // namespace borel
