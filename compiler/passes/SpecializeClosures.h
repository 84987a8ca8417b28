// SpecializeClosures.h — specialises higher-order functions on the closures
// they are called with, and inlines those closures' bodies.
//
// `fold(ys, x0, fn(x, y) { ... })` calls the lambda through a closure on
// every iteration, and a suspension inside it keeps two frames: the
// lambda's and the loop's. When a top-level function is called with a
// closure whose code is known (a lambda or local function made in the
// caller) and the function passes that parameter on unchanged, this pass
// makes a copy of the function for that code, in which calls through the
// parameter are replaced by the lambda's body. The loop then runs the
// model's code inline, and a suspension keeps one frame. Applied
// transitively (fold → fold_from). The closure object is still passed, for
// the captured variables.
//
// Guarantees: the program computes the same values and performs the same
// effects in the same order; sites keep their source locations.
#pragma once

#include "compiler/ir/IR.h"

namespace borel {

void specialise_closures(IrModule& m);

}  // namespace borel
