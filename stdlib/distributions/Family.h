// Family.h — what a distribution family's file includes: the runtime's Dist
// contract, the error format, the special functions, the kernels, and
// accessors for parameters and values.
//
// A family file defines `extern const rt::DistOps <name>_ops` (declared for
// everyone in Distributions.h) and its functions, each in the same order:
// argument checks, early returns, the math.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "runtime/Dist.h"
#include "runtime/Rng.h"
#include "runtime/Value.h"
#include "stdlib/distributions/Checks.h"
#include "stdlib/distributions/Distributions.h"
#include "stdlib/distributions/Kernels.h"
#include "stdlib/distributions/Special.h"

namespace borel::dist {

using rt::Array;
using rt::Dist;
using rt::DistOps;
using rt::Kind;
using rt::Support;
using rt::Word;

// The i-th array parameter (Dist::a) and its elements.
inline const Array* array_param(const Dist& d, int i) { return rt::to_ptr<const Array>(d.a[i]); }
inline int64_t length(const Array* a) { return a ? a->len : 0; }
inline const Array* row(const Array* m, int64_t i) { return rt::to_ptr<const Array>(m->data[i]); }

// An Int parameter (stored exactly as a double in Dist::p).
inline int64_t int_param(const Dist& d, int i) { return static_cast<int64_t>(d.p[i]); }

// Values: reals are IEEE bits, ints are the integer, bools 0/1 (Value.h).
inline Word real_value(double x) { return rt::from_real(x); }
inline Word int_value(int64_t k) { return static_cast<Word>(k); }
inline Word bool_value(bool b) { return b ? 1 : 0; }

// Checks an array of reals element by element: every element finite and, if
// `positive`/`nonnegative`, > 0 / >= 0. Names elements `name[i]`.
bool check_real_elements(std::string& why, std::string_view family, std::string_view name, const Array* a,
                         bool positive, bool nonnegative);

// Checks that `a` is a non-empty array of non-negative finite weights that
// sum to 1 within kSumTolerance (categorical probs, mixture weights). The
// weights are used as given, not renormalised: the tolerance absorbs the
// rounding of weights computed in the program, not a missing normalisation.
inline constexpr double kSumTolerance = 1e-6;
bool check_simplex_weights(std::string& why, std::string_view family, std::string_view name, const Array* a);

// The index k in [0, len) drawn with probability weights[k] / sum(weights)
// (inversion by linear search; the last positive weight absorbs rounding).
int64_t sample_index(rt::Rng& rng, const Array* weights);

}  // namespace borel::dist
