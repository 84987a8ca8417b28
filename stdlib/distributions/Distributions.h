// Distributions.h — the DistOps table of every family, for code that builds
// distributions directly (the compiler's codegen, inference, tests):
//
//   rt::Dist d{&dist::normal_ops, {mu, sigma}, {}};
//
// Code that only knows a family by name uses rt::find_distribution (Dist.h).
#pragma once

#include "runtime/Dist.h"

namespace borel::dist {

#define BOREL_DISTRIBUTION(name) extern const rt::DistOps name##_ops;
#include "stdlib/distributions/Distributions.def"
#undef BOREL_DISTRIBUTION

}  // namespace borel::dist
