// Builtins.h — the names every Borel program sees without importing anything.
//
// Each builtin has a type scheme (made fresh per use), optional parameter
// names and defaults (for named arguments such as `smc(particles = 500)`),
// and a kind that tells lowering how to implement it: an effect, a
// distribution constructor (from the distribution registry), an inference
// method, or a runtime function. Functions of the prelude (stdlib/prelude.brl)
// are ordinary Borel functions and are not listed here.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compiler/frontend/Types.h"

namespace borel {

namespace rt {
struct DistOps;
}

// A parameter's kind and default value. A Function parameter (a Borel
// `fn() -> ()`, e.g. a proposal program) has no default: it is required.
struct DefaultArg {
  // Function: a `fn() -> ()` (a program); ObjectiveFunction: a
  // `fn([real], [real]) -> real` (a user's variational objective, Vi.h).
  // Neither has a default: the argument is required.
  enum class Kind { Int, Real, String, Bool, Function, ObjectiveFunction } kind;
  int64_t i = 0;
  double r = 0;
  std::string s;
};

struct Builtin {
  enum class Kind {
    Effect,      // sample, observe, factor
    Dist,        // distribution constructor; `dist` is set
    Method,      // inference method constructor: smc, importance, prior
    Runtime,     // implemented by a runtime function or an inline instruction
    Constant,    // a real constant (`inf`, `nan`); `value` is set
  };
  std::string name;
  Kind kind;
  // Makes a fresh instance of the scheme at `level`.
  std::function<Type*(TypeArena&, int level)> type;
  std::vector<std::string> param_names;                // empty: positional only
  std::vector<std::optional<DefaultArg>> defaults;     // parallel to param_names
  const rt::DistOps* dist = nullptr;
  double value = 0;  // Constant
};

// Looks a builtin up by name; nullptr if there is none.
const Builtin* find_builtin(const std::string& name);
const std::vector<Builtin>& all_builtins();

// The prelude's Borel source, compiled with every program.
const std::string& prelude_source();

}  // namespace borel
