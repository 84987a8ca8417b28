// RuntimeAbi.h — what compiled code calls, and how the runtime drives it.
//
// Compiled functions call `rt_*` C functions (defined in RuntimeAbi.cpp and
// bound by name in the JIT, Jit.cpp). This header exposes the C++ side:
//   * CompiledModel — a closure `fn() -> T` of a compiled program seen as an
//     rt::Model, so inference can start, suspend and resume it;
//   * run_entry — runs `__main` under the top-level handler (sample draws from
//     the prior; observe/factor outside `infer` are errors);
//   * the frame stack that implements suspension (Codegen.h explains the
//     protocol): per thread, kept in memory the collector scans.
// Runtime errors raised inside compiled code unwind (as a C++ exception
// through the generated frames, which have unwind tables) back to the
// nearest start/resume, which throws rt::RuntimeError with the location.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "runtime/Model.h"
#include "runtime/TypeDesc.h"
#include "runtime/Value.h"

namespace borel {
namespace abi {

// A GC-uncollectable String for a literal (interned: one per distinct text).
const rt::String* intern_string(const std::string& s);

// Where compiled code finds what it reads directly (Codegen.cpp): fields of
// rt::Ctx, and the current handler's rt::InlineEffect bits.
namespace ctx_offset {
inline constexpr int64_t suspending = offsetof(rt::Ctx, suspending);
inline constexpr int64_t resuming = offsetof(rt::Ctx, resuming);
inline constexpr int64_t handler = offsetof(rt::Ctx, handler);
inline constexpr int64_t rng = offsetof(rt::Ctx, rng);
inline constexpr int64_t log_weight = offsetof(rt::Ctx, log_weight);
inline constexpr int64_t user_call_site = offsetof(rt::Ctx, user_call_site);
inline constexpr int64_t stack_limit = offsetof(rt::Ctx, stack_limit);
}  // namespace ctx_offset
int64_t handler_inline_effects_offset();  // from the start of an rt::Handler

// Which operation overflowed: the code compiled code passes to
// rt_fail_overflow(ctx, site, op, x, y), which names it in the message.
enum OverflowOp : int64_t { kOverflowAdd, kOverflowSub, kOverflowMul, kOverflowNeg, kOverflowAbs };

// Symbols the JIT must bind: name -> address of every rt_* function.
const std::map<std::string, void*>& runtime_symbols();
// The rt_ad_* functions the differentiating twins call (GradientAbi.cpp).
const std::map<std::string, void*>& gradient_symbols();
// The functions of programmable variational inference (VariationalAbi.cpp).
const std::map<std::string, void*>& variational_symbols();
// The language-model builtins (LanguageModelAbi.cpp).
const std::map<std::string, void*>& language_model_symbols();

// For the runtime functions defined outside RuntimeAbi.cpp: a runtime error
// at `site` (the program unwinds to the innermost start/resume), and the
// same for an rt::RuntimeError raised by C++ code (its own location kept).
[[noreturn]] void fail(int64_t site, std::string message);
[[noreturn]] void fail_with(int64_t site, const rt::RuntimeError& e);
// Runs f (returning a word) for a runtime function defined outside
// RuntimeAbi.cpp: an rt::RuntimeError or other exception becomes a runtime
// error at `site`.
template <class F>
rt::Word located(int64_t site, F&& f) {
  try {
    return f();
  } catch (const rt::RuntimeError& e) {
    fail_with(site, e);
  } catch (const std::exception& e) {
    fail(site, e.what());
  }
}
// Thrown by a twin's effect whose handler asked to stop (a zero density):
// start_twin returns at once.
struct StopRun {};

// Settings of the top-level run, read by runtime functions.
struct RunOptions {
  uint64_t seed = 0;
  int threads = 1;
  bool progress = true;
  std::vector<std::string> args;  // the program's arguments (after `--`), for args()
};
void set_run_options(const RunOptions& o);
const RunOptions& run_options();
// A data path as the program gave it, relative to the program's folder `dir`
// when it names a file there (read_json, read_csv, llm).
std::string resolve_path(const rt::String* path, const rt::String* dir);
// Whether the running program is inside a model run by inference (a nested
// infer or vi), rather than at top level.
bool nested(const rt::Ctx* ctx);

class CompiledModel final : public rt::Model {
 public:
  explicit CompiledModel(rt::Word closure) : closure_(closure) {}
  rt::Step start(rt::Ctx& ctx) override;
  rt::Step resume(rt::Ctx& ctx, rt::Cont* cont, rt::Word value) override;
  std::string site_location(rt::SiteId site) const override;
  rt::Step start_twin(rt::Ctx& ctx) override;

 private:
  rt::Word closure_;
};

// Calls the differentiating twin of `closure`, a compiled function of
// args.size() (at most 3) parameters, on ctx (its handler and rng set by
// the caller), as start_twin runs a model's: reals among the arguments may
// be tape variables, and the result is one when it depends on them (with a
// tape current). A runtime error in the function throws rt::RuntimeError
// located in it; a function compiled without a twin is an error too.
rt::Word call_twin(rt::Ctx& ctx, rt::Word closure, std::span<const rt::Word> args);

// The last `infer` result computed at top level (not inside a model), for
// `borel run --output`; dist is null when there was none.
struct InferResult {
  const rt::Dist* dist = nullptr;
  const rt::TypeDesc* type = nullptr;
};
InferResult last_top_level_result();
// Records a result computed at top level (infer's, vi's) as the last one.
void record_top_level_result(const rt::Dist* d, rt::Word type);

// Runs the program's entry closure (`__main.closure`) to completion with the
// given seed. Throws rt::RuntimeError on a runtime error.
void run_entry(rt::Word entry_closure, const RunOptions& options);

}  // namespace abi
}  // namespace borel
