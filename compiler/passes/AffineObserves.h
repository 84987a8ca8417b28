// AffineObserves.h — observes of a normal whose mean is an affine expression,
// for the differentiating twins (compiler/backend/Codegen.cpp).
//
// In `observe(normal(a + b * c, s), y)` the twin would record three tape
// nodes per observation (b·c, a + ·, the density) and sweep them back. When
// the mean's temporaries are used by the observe alone, the twin instead
// makes one runtime call (rt_ad_observe_normal_affine) that records one node
// whose partials with respect to a, b and c are the chain rule's products,
// computed as the sweep would have (so the gradient is the same, bit for
// bit where the density's adjoint is 1, as it is for a log density's term).
//
// Guarantees: a fused observe reads its operands where the observe stands,
// and they hold the values they held where the skipped instructions stood
// (nothing between assigns them, and nothing between records on the tape:
// only moves of words and non-real primitives, which cannot); the skipped
// instructions' results are used nowhere else. Only the twin uses this; the
// plain program is unchanged.
#pragma once

#include <map>
#include <set>

#include "compiler/ir/IR.h"

namespace borel {

// The mean a + b * c of a fused observe. A mean a + b has c = 1.0, a mean
// b * c has a = -0.0 (the exact identities of * and +).
struct AffineMean {
  Operand a, b, c;
};

struct AffineObserves {
  std::map<const Inst*, AffineMean> observes;  // the fused observes
  std::set<const Inst*> skipped;               // the mean's instructions, folded into them
};

AffineObserves find_affine_observes(const IrFunction& f);

}  // namespace borel
