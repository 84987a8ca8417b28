// AdDist.h — distributions and values whose reals may be tape variables
// (runtime/Tape.h), as the differentiating twins of a program make them.
//
// In a twin a Dist's scalar parameters (Dist::p) hold the bits of a word,
// so a parameter computed from a differentiated choice is a tape variable;
// arrays of reals (mv_normal's mean, a mixture's weights) may hold tape
// variables too, and a mixture's components are such Dists. The families'
// own functions (stdlib/distributions) see only plain values: `plain` makes
// the copy they read, and `log_density` puts their analytic partial
// derivatives (DistOps::log_density_grad) on the tape.
#pragma once

#include "runtime/Dist.h"
#include "runtime/TypeDesc.h"
#include "runtime/Value.h"

namespace borel::rt::ad {

// Whether any real of d (parameter, array element, component's) is a tape variable.
bool has_vars(const Dist& d);
// d with every tape variable replaced by its value; shares what has none.
Dist plain(const Dist& d);
// A value of type t with every tape variable replaced by its value.
Word plain_value(Word v, const TypeDesc& t);
// A value of d's value kind (a real, or an array of reals) made plain.
Word plain_sample_value(const Dist& d, Word x);

// log d(x) on the tape: a variable when d or x holds one, the plain
// log-density otherwise. Throws rt::RuntimeError (no location) when a
// variable meets a family without partial derivatives.
Word log_density(const Dist& d, Word x);

// The support of d's values for the unconstraining transforms: a mixture's
// is its components' when they all agree (Support::Dependent otherwise);
// ordered's is Ordered over a base on the reals, PositiveOrdered over one on
// (0, inf), and Dependent (no transform) over a bounded one.
Support support_of(const Dist& d);

}  // namespace borel::rt::ad
