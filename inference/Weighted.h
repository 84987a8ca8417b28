// Weighted.h — a weighted particle: a program state paired with a log-weight.
//
// The *Weighted* building block of Ścibior et al. (POPL 2018): a program
// together with the log-likelihood it has accumulated. Here the program is
// either not yet started, suspended (an immutable continuation, decision 1)
// or finished (its result value). Forking a particle copies `slot`: O(1),
// because a continuation is never mutated by resuming it.
//
// Guarantees: `slot` is a GC pointer (Cont*) exactly when status is
// Suspended, the program's result Word when Done, and 0 when Fresh; whoever
// stores a Particle's slot keeps it where the collector sees it (RootArray).
#pragma once

#include <cstdint>

#include "runtime/Model.h"
#include "runtime/Value.h"

namespace borel::inference {

enum class Status : uint8_t {
  Fresh = 0,      // Model::start has not been called yet
  Suspended = 1,  // slot holds the Cont* to resume
  Done = 2,       // slot holds the result value
};

struct Particle {
  Status status = Status::Fresh;
  rt::Word slot = 0;
  double log_weight = 0.0;  // log of the particle's unnormalised weight
};

}  // namespace borel::inference
