// Model.h — the contract between a probabilistic program and inference.
//
// Inference is a handler (DESIGN.md, decision 2): a Model runs until it
// finishes or until the Handler asks it to suspend, and every `sample`,
// `observe` and `factor` it performs is a call to the Handler. A suspended
// model is an immutable continuation (`Cont`, an opaque pointer into GC
// memory): resuming it never changes it, so one continuation can be resumed
// many times and forking a particle is copying a pointer (decision 1).
//
// Compiled Borel programs implement Model (compiler/CompiledModel.h); tests
// and benchmarks may implement it by hand.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/Dist.h"
#include "runtime/Rng.h"
#include "runtime/Value.h"

namespace borel::rt {

struct Ctx;
using Cont = const void;

// Identifies the source location of an effect (index into the module's
// location table); also the static part of a random choice's address.
using SiteId = int64_t;

// Effects compiled code may carry out itself instead of calling the handler,
// for the distribution families it knows inline (today: normal). A handler
// sets only the bits whose inline version does exactly what its own method
// would do; the compiled code falls back to the method for anything unusual
// (invalid parameters, a non-finite observed value or log-density), so the
// handler still sees every error and every zero weight.
enum InlineEffect : uint8_t {
  kInlineSample = 1,   // sample(d): draw from d with ctx.rng (the prior)
  kInlineObserve = 2,  // observe(d, v): ctx.log_weight += d's log-density at v
  kInlineSuspend = 4,  // ... and then suspend (ctx.suspending = 1)
};

class Handler {
 public:
  virtual ~Handler() = default;
  // InlineEffect bits, read by compiled code at a fixed offset (RuntimeAbi.h);
  // 0 (the default): every effect is a call to the methods below.
  uint8_t inline_effects = 0;
  // `sample(d)`: return a value in d's support. To suspend here instead (e.g.
  // exact enumeration branching), set ctx.suspend_requested; the value the
  // program sees is then the one later passed to Model::resume.
  virtual Word sample(Ctx& ctx, const Dist& d, SiteId site) = 0;
  // `observe(d, v)`: typically ctx.log_weight += d.log_density(v).
  virtual void observe(Ctx& ctx, const Dist& d, Word v, SiteId site) = 0;
  // `factor(w)`: typically ctx.log_weight += w.
  virtual void factor(Ctx& ctx, double log_w, SiteId site) = 0;
  // In a differentiating run (Model::start_twin) only: the parameters of a
  // distribution at `site` are invalid (`why` says which), as happens at the
  // far end of a gradient trajectory (a scale that underflowed to 0 or
  // overflowed to infinity). Return true to stop the run as a zero density
  // (the sampler rejects the point, as Stan does); false (the default) to
  // raise the error.
  virtual bool reject_invalid(Ctx&, SiteId /*site*/, const std::string& /*why*/) { return false; }
};

// Per-run execution state handed to the model. One Ctx per thread; inference
// sets `handler`, `rng` and `log_weight` for the particle it is advancing.
// The first two fields are read by compiled code at fixed offsets.
struct Ctx {
  int32_t suspending = 0;         // compiled code: unwinding to suspend
  int32_t resuming = 0;           // compiled code: rebuilding a suspended stack
  bool suspend_requested = false; // set by a Handler to suspend after this effect
  Handler* handler = nullptr;
  Rng* rng = nullptr;
  double log_weight = 0.0;        // accumulated by the handler
  void* impl = nullptr;           // owned by the Model implementation
  // During a `sample(d, "name")`: the address of the named choice
  // (runtime/Sites.h name_site), set by the runtime around the handler call;
  // -1 for an unnamed choice, whose address is its site (and occurrence).
  SiteId address = -1;
  // The site of the latest call from the user's code into the prelude (set
  // by compiled code; -1 at every start and resume): errors raised inside
  // the prelude are reported there (runtime/abi/RuntimeAbi.cpp).
  SiteId user_call_site = -1;
  // Compiled code reports runaway recursion when its frame is below this
  // address (runtime/StackLimit.h); set at every start and resume, for the
  // thread that runs them. Null: no check.
  const void* stack_limit = nullptr;
};

struct Step {
  enum class Kind : uint8_t { Done, Suspended };
  Kind kind;
  Word value;        // the program's result when Done
  Cont* cont;        // the continuation when Suspended
  bool done() const { return kind == Kind::Done; }
};

// Thrown by models and inference for errors in the user's program or data
// (bad distribution parameters, index out of range, zero total weight, ...).
// `where` is "file:line:col" when known.
struct RuntimeError {
  std::string where;
  std::string message;
  std::string what() const { return where.empty() ? message : where + ": " + message; }
};

class Model {
 public:
  virtual ~Model() = default;
  // Runs the program from the start until it finishes or suspends.
  virtual Step start(Ctx& ctx) = 0;
  // Continues a suspended program; `value` answers the effect it stopped at
  // (ignored after observe/factor). `cont` is left unchanged.
  virtual Step resume(Ctx& ctx, Cont* cont, Word value) = 0;
  // Describes a site for messages ("model.brl:4:3").
  virtual std::string site_location(SiteId) const { return {}; }
  // Runs the program's differentiating version (runtime/Tape.h) from the
  // start to the end: every effect goes to ctx.handler, which must answer at
  // once (it cannot suspend); a handler that sets ctx.suspend_requested
  // stops the run there (a zero density), returning Done with value 0.
  // Models without one throw rt::RuntimeError.
  virtual Step start_twin(Ctx&) {
    throw RuntimeError{"", "this model has no differentiable version (gradient-based inference needs a compiled Borel model)"};
  }
};

}  // namespace borel::rt
