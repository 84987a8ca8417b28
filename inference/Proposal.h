// Proposal.h — Metropolis–Hastings with a proposal written in Borel.
//
// A proposal is a Borel function `fn() -> ()` that reads the current trace
// (trace_real("mu"), trace_int, trace_bool: the values of named choices) and
// makes named random choices, `sample(normal(trace_real("mu"), 0.1), "mu")`:
// each is a proposed new value for the model's choice of the same name.
// Every choice of a proposal must be named; a proposal cannot observe.
//
// One move (the kernel below):
//   1. run the proposal against the current trace T, drawing its choices:
//      the proposed values, with log q(T → T') their log-density;
//   2. replay the model with those values imposed (Kernels.h ChainState::replay:
//      log p(T') − log p(T) and the densities of choices created/destroyed);
//   3. run the proposal against T' *scoring* T's old values at the addresses
//      it visits: log q(T' → T); if it visits an address T lacks, the move
//      cannot be reversed and is rejected;
//   4. accept with log α = replay ratio + log q(T' → T) − log q(T → T').
// This is the Metropolis–Hastings–Green ratio of docs/inference.md when the
// proposal's named choices are exactly the values it changes.
#pragma once

#include <memory>
#include <string>

#include "inference/Kernels.h"
#include "inference/Trace.h"
#include "runtime/Model.h"

namespace borel::inference {

// The named choice `name` of the trace the running proposal reads; raises
// rt::RuntimeError outside a proposal or when the trace has no such choice.
const Choice& proposal_choice(const std::string& name);

// Another source of the values trace_real & co read: vi's reverse programs
// read the guide's choices (Vi.h). Installed per thread by NamedValuesScope.
class NamedValues {
 public:
  virtual ~NamedValues() = default;
  // False when there is no choice of that name.
  virtual bool find(rt::SiteId name, rt::Word& value, rt::Kind& kind) const = 0;
};
class NamedValuesScope {
 public:
  explicit NamedValuesScope(const NamedValues* v);
  ~NamedValuesScope();
  NamedValuesScope(const NamedValuesScope&) = delete;
  NamedValuesScope& operator=(const NamedValuesScope&) = delete;

 private:
  const NamedValues* saved_;
};

// What trace_real("name") reads: the innermost NamedValues installed, else
// the proposal's trace (proposal_choice); `kind` is the value's kind.
rt::Word read_named_choice(const std::string& name, rt::Kind& kind);

// A kernel running `proposal` (a program of type fn() -> ()); the model must
// outlive the kernel.
std::unique_ptr<Kernel> make_proposal_kernel(rt::Model& proposal);

}  // namespace borel::inference
