// RuntimeAbi.cpp — the rt_* functions compiled code calls, the frame stack
// behind suspension, and CompiledModel (see RuntimeAbi.h, Codegen.h).
//
// Every rt_* function that can fail reports through `fail`, which records
// the message and throws `Unwind` to the innermost start/resume. Generated
// functions have unwind tables and own nothing, so unwinding through them is
// safe, and the C++ frames in between (nested inference) run their
// destructors. A normal resume pays nothing for this (zero-cost exceptions).
#include "runtime/abi/RuntimeAbi.h"

#include <gc/gc.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <new>
#include <sstream>
#include <unordered_map>
#include <filesystem>

#include "compiler/Methods.h"
#include "runtime/abi/ReadJson.h"
#include "inference/Empirical.h"
#include "inference/PriorHandler.h"
#include "inference/Proposal.h"
#include "inference/Infer.h"
#include "inference/Summary.h"
#include "runtime/ContinuationSpace.h"
#include "runtime/Dist.h"
#include "stdlib/distributions/Distributions.h"
#include "stdlib/distributions/Kernels.h"
#include "runtime/Rng.h"
#include "runtime/MemoryLimit.h"
#include "runtime/Sites.h"
#include "runtime/Tape.h"
#include "runtime/StackLimit.h"
#include "runtime/TypeDesc.h"

namespace borel::abi {

using rt::Ctx;
using rt::Word;

namespace {

// Per-thread state of the suspension protocol and of error unwinding. Plain
// data, so that compiled code's hot path reaches it without a TLS guard.
//
// While a program unwinds to suspend, its frames are written straight into
// the thread's continuation space (runtime/ContinuationSpace.h), after a word
// left for the length: bump allocation inside large blocks, no copy, one
// allocation call per few hundred suspensions.
struct RunState {
  // The continuation being written: base[0] (the length) and len words of
  // frames after it, room for cap words from base, inside `space`'s block;
  // base is null between suspensions.
  Word* base;
  int64_t len;
  int64_t cap;
  rt::ContinuationSpace* space;
  const Word* cont; // continuation being resumed: its words after the length
  int64_t pos;
  Word value;
  int64_t error_site;
};

thread_local constinit RunState tls_state{};
thread_local std::string tls_error;  // only touched when a run fails
thread_local std::string tls_where;  // the location an inner error named itself (error_site -2)

RunState& state() { return tls_state; }

// Makes room for `need` words from the start of the continuation being
// written (starting one if none is), moving what is written so far.
[[gnu::noinline]] void grow_continuation(RunState& s, int64_t need) {
  if (!s.base) s.space = &rt::continuation_space();
  rt::ContinuationSpace& sp = *s.space;
  if (s.base || sp.size - sp.used < need) {
    const Word* old = s.base;
    // Long continuations (deep recursion) grow geometrically.
    sp.refill(need > rt::ContinuationSpace::kBlockWords / 4 ? 2 * need : need);
    if (old) std::memcpy(sp.block, old, sizeof(Word) * static_cast<size_t>(1 + s.len));
  }
  s.base = sp.block + sp.used;
  s.cap = sp.size - sp.used;
}

// Ends the continuation being written and returns it.
const Word* take_continuation(RunState& s) {
  if (!s.base) grow_continuation(s, 1);  // suspended in tail position: no frames
  Word* cont = s.base;
  cont[0] = s.len;
  s.space->used += 1 + s.len;
  s.base = nullptr;
  s.len = 0;
  s.cap = 0;
  return cont;
}

// A runtime error unwound the program: drops a half-written continuation.
void abandon_continuation(RunState& s) {
  s.base = nullptr;
  s.len = 0;
  s.cap = 0;
}

RunOptions g_options;
// Root for the last top-level infer result: [dist, type].
Word* last_result_root() {
  static Word* root = [] {
    rt::gc_init();
    return static_cast<Word*>(GC_MALLOC_UNCOLLECTABLE(2 * sizeof(Word)));
  }();
  return root;
}

// Thrown by runtime functions to unwind generated code back to the innermost
// start/resume; generated functions carry unwind tables and hold no
// resources, so unwinding through them is safe.
struct Unwind {};


// Runs f; a C++ exception becomes a runtime error at `site`.
template <class F>
Word guarded(int64_t site, F&& f) {
  Word r = 0;
  bool failed = false;
  try {
    r = f();
  } catch (const rt::RuntimeError& e) {
    failed = true;
    tls_error = e.message;
    tls_where = e.where;
    if (!e.where.empty()) site = -2;
  } catch (const std::exception& e) {
    failed = true;
    tls_error = e.what();
  }
  if (failed) {
    RunState& s = state();
    s.error_site = site;
    throw Unwind{};
  }
  return r;
}

void suspend_if_requested(Ctx* ctx) {
  if (ctx->suspend_requested) {
    ctx->suspend_requested = false;
    ctx->suspending = 1;
  }
}

rt::Dist make_dist(const rt::DistOps* ops, double p0, double p1, double p2, double p3, Word a0, Word a1) {
  rt::Dist d{};
  d.ops = ops;
  d.p[0] = p0;
  d.p[1] = p1;
  d.p[2] = p2;
  d.p[3] = p3;
  d.a[0] = a0;
  d.a[1] = a1;
  return d;
}

// Checked on every sample and observe, so the message buffer is reused
// rather than made and destroyed each time.
thread_local std::string tls_why;
inline void check_dist(const rt::Dist& d, int64_t site) {
  if (!d.ops->check(d, tls_why)) [[unlikely]] fail(site, tls_why);
}

const rt::Dist& dist_of(Word w, int64_t site) {
  if (!w) fail(site, "distribution is missing");
  return *rt::to_ptr<rt::Dist>(w);
}

// A persistent list used to build arrays in loops: immutable nodes, so a
// suspended loop can be resumed by several particles.
struct ListNode {
  Word head;
  const ListNode* tail;
  int64_t len;
};

const rt::TypeDesc& need_type(const rt::TypeDesc* t, int64_t site, const char* what) {
  if (!t) fail(site, std::string(what) + ": the value's type is not known at compile time; add a type annotation");
  return *t;
}


std::string read_file(const std::string& path, const char* who) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw rt::RuntimeError{"", std::string(who) + ": cannot open \"" + path + "\""};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// CSV with a header → a record of columns.
Word from_csv(const std::string& text, const rt::TypeDesc& t, const std::string& path) {
  if (t.tag != rt::TypeDesc::Tag::Record)
    throw rt::RuntimeError{"", "read_csv: the result must be a record of columns, e.g. data.x"};
  std::vector<std::vector<std::string>> rows;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::string cell;
    std::stringstream ls(line);
    while (std::getline(ls, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    rows.push_back(cells);
  }
  if (rows.empty()) throw rt::RuntimeError{"", "read_csv: \"" + path + "\" is empty"};
  rt::Tuple* out = rt::tuple_new(static_cast<int64_t>(t.fields.size()));
  for (size_t f = 0; f < t.fields.size(); ++f) {
    auto it = std::find(rows[0].begin(), rows[0].end(), t.names[f]);
    if (it == rows[0].end()) throw rt::RuntimeError{"", "read_csv: \"" + path + "\" has no column \"" + t.names[f] + "\""};
    size_t col = static_cast<size_t>(it - rows[0].begin());
    const rt::TypeDesc* el = t.fields[f]->elem;
    if (t.fields[f]->tag != rt::TypeDesc::Tag::Array || !el || !el->is_scalar())
      throw rt::RuntimeError{"", "read_csv: column \"" + t.names[f] + "\" must be read as [real], [int] or [bool]"};
    rt::Array* a = rt::array_new(static_cast<int64_t>(rows.size() - 1));
    for (size_t r = 1; r < rows.size(); ++r) {
      const std::string cell = col < rows[r].size() ? rows[r][col] : "";
      char* end = nullptr;
      std::string where = path + ":" + std::to_string(r + 1) + ": column \"" + t.names[f] + "\"";
      errno = 0;
      if (el->tag == rt::TypeDesc::Tag::Real) {
        double x = std::strtod(cell.c_str(), &end);
        if (cell.empty() || *end) throw rt::RuntimeError{"", "read_csv: " + where + ": \"" + cell + "\" is not a number"};
        // Overflow (1e999) is an error; "inf" written out is a value. Underflow
        // rounds towards 0, as any decimal does.
        if (errno == ERANGE && std::isinf(x))
          throw rt::RuntimeError{"", "read_csv: " + where + ": \"" + cell + "\" is too large for a real"};
        a->data[r - 1] = rt::from_real(x);
      } else {
        long long x = std::strtoll(cell.c_str(), &end, 10);
        if (cell.empty() || *end) throw rt::RuntimeError{"", "read_csv: " + where + ": \"" + cell + "\" is not an integer"};
        if (errno == ERANGE)
          throw rt::RuntimeError{"", "read_csv: " + where + ": \"" + cell + "\" is out of the range of int (-2^63 to 2^63 - 1)"};
        if (el->tag == rt::TypeDesc::Tag::Bool && x != 0 && x != 1)
          throw rt::RuntimeError{"", "read_csv: " + where + ": \"" + cell + "\" is not a bool (0 or 1)"};
        a->data[r - 1] = x;
      }
    }
    out->fields[f] = rt::from_ptr(a);
  }
  return rt::from_ptr(out);
}

// Top level: `sample` outside `infer` simulates; conditioning is an error.
class TopLevelHandler final : public rt::Handler {
 public:
  Word sample(Ctx& ctx, const rt::Dist& d, rt::SiteId) override { return d.ops->sample(d, *ctx.rng); }
  void observe(Ctx&, const rt::Dist&, Word, rt::SiteId site) override {
    fail(site, "observe is only allowed inside a model run by infer");
  }
  void factor(Ctx&, double, rt::SiteId site) override { fail(site, "factor is only allowed inside a model run by infer"); }
};

using Entry = Word (*)(Ctx*, Word);
using ResumeFn = Word (*)(Ctx*);

// Calls into generated code; returns false (the error recorded) when a
// runtime error unwound it, leaving the frame stack and flags clean.
template <class Call>
bool call_generated(Ctx* ctx, Call call, Word* out) {
  ctx->stack_limit = rt::stack_limit();  // this thread's (a model may resume on another)
  try {
    *out = call();
    return true;
  } catch (const Unwind&) {
    abandon_continuation(state());
    ctx->suspending = 0;
    ctx->resuming = 0;
    return false;
  } catch (const std::bad_alloc&) {
    // An allocation without a site of its own (a closure, a tuple, a
    // runtime function's result): located at the user's latest call into
    // the prelude when there is one.
    RunState& s = state();
    abandon_continuation(s);
    tls_error = "out of memory: the collected heap cannot grow";
    s.error_site = ctx->user_call_site;
    ctx->suspending = 0;
    ctx->resuming = 0;
    return false;
  }
}

bool enter(Ctx* ctx, Word closure, Word* out) {
  return call_generated(ctx, [&] { return (*rt::to_ptr<Entry>(closure))(ctx, closure); }, out);
}

bool reenter(Ctx* ctx, ResumeFn fn, Word* out) {
  return call_generated(ctx, [&] { return fn(ctx); }, out);
}

// The error recorded by `fail` as rt::RuntimeError. One raised inside the
// prelude is located at the user's call into it (Ctx::user_call_site), with
// the prelude's own location in the message: "<prelude>:67:21" alone does
// not tell a user which of their lines went wrong.
[[noreturn]] void rethrow_error(const Ctx& ctx) {
  RunState& s = state();
  rt::RuntimeError e;
  e.message = tls_error;
  if (s.error_site >= 0) e.where = rt::site_location(s.error_site);
  if (s.error_site == -2) e.where = tls_where;
  if (e.where.rfind("<prelude>", 0) == 0 && ctx.user_call_site >= 0) {
    e.message += " (raised in the prelude, " + e.where + ")";
    e.where = rt::site_location(ctx.user_call_site);
  }
  throw e;
}

rt::Step finish(Ctx& ctx, Word value) {
  RunState& s = state();
  if (!ctx.suspending) return rt::Step{rt::Step::Kind::Done, value, nullptr};
  ctx.suspending = 0;
  return rt::Step{rt::Step::Kind::Suspended, 0, take_continuation(s)};
}

}  // namespace

void fail(int64_t site, std::string message) {
  RunState& s = state();
  tls_error = std::move(message);
  s.error_site = site;
  throw Unwind{};
}

void fail_with(int64_t site, const rt::RuntimeError& e) {
  tls_where = e.where;
  fail(e.where.empty() ? site : -2, e.message);
}

// ---------------------------------------------------------------- CompiledModel

rt::Step CompiledModel::start(Ctx& ctx) {
  Word v = 0;
  ctx.suspending = 0;
  ctx.resuming = 0;
  ctx.user_call_site = -1;
  if (!enter(&ctx, closure_, &v)) rethrow_error(ctx);
  return finish(ctx, v);
}

rt::Step CompiledModel::resume(Ctx& ctx, rt::Cont* cont, Word value) {
  RunState& s = state();
  const Word* c = static_cast<const Word*>(cont);
  s.cont = c + 1;
  s.pos = c[0];
  s.value = value;
  ctx.suspending = 0;
  if (s.pos == 0) return rt::Step{rt::Step::Kind::Done, value, nullptr};  // suspended in tail position
  ctx.resuming = 1;
  auto fn = reinterpret_cast<ResumeFn>(s.cont[s.pos - 1]);
  Word v = 0;
  ctx.user_call_site = -1;
  if (!reenter(&ctx, fn, &v)) rethrow_error(ctx);
  return finish(ctx, v);
}

std::string CompiledModel::site_location(rt::SiteId site) const { return rt::site_location(site); }

rt::Step CompiledModel::start_twin(Ctx& ctx) {
  const auto* c = rt::to_ptr<const rt::Closure>(closure_);
  if (!c->twin)
    throw rt::RuntimeError{"", "the program was compiled without differentiating versions: a kernel list that "
                               "names \"nuts\" must be written as a string literal in the program"};
  ctx.suspending = 0;
  ctx.resuming = 0;
  ctx.user_call_site = -1;
  Word v = 0;
  bool ok = false;
  try {
    ok = call_generated(&ctx, [&] { return reinterpret_cast<Entry>(c->twin)(&ctx, closure_); }, &v);
  } catch (const StopRun&) {
    ctx.suspend_requested = false;
    return rt::Step{rt::Step::Kind::Done, 0, nullptr};
  }
  if (!ok) rethrow_error(ctx);
  return rt::Step{rt::Step::Kind::Done, v, nullptr};
}

Word call_twin(Ctx& ctx, Word closure, std::span<const Word> args) {
  const auto* c = rt::to_ptr<const rt::Closure>(closure);
  if (!c->twin)
    throw rt::RuntimeError{"", "the function was compiled without its differentiating version"};
  ctx.suspending = 0;
  ctx.resuming = 0;
  ctx.user_call_site = -1;
  Word v = 0;
  bool ok = false;
  auto call = [&]() -> Word {
    switch (args.size()) {
      case 0: return reinterpret_cast<Word (*)(Ctx*, Word)>(c->twin)(&ctx, closure);
      case 1: return reinterpret_cast<Word (*)(Ctx*, Word, Word)>(c->twin)(&ctx, closure, args[0]);
      case 2: return reinterpret_cast<Word (*)(Ctx*, Word, Word, Word)>(c->twin)(&ctx, closure, args[0], args[1]);
      case 3:
        return reinterpret_cast<Word (*)(Ctx*, Word, Word, Word, Word)>(c->twin)(&ctx, closure, args[0], args[1],
                                                                                 args[2]);
      default: throw rt::RuntimeError{"", "internal error: call_twin takes at most 3 arguments"};
    }
  };
  try {
    ok = call_generated(&ctx, call, &v);
  } catch (const StopRun&) {
    // Only an effect stops a twin; a function called this way has a handler that refuses them.
    ctx.suspend_requested = false;
    throw rt::RuntimeError{"", "the function stopped at an effect (sample, observe or factor)"};
  }
  if (!ok) rethrow_error(ctx);
  return v;
}

int64_t handler_inline_effects_offset() {
  static const int64_t offset = [] {
    TopLevelHandler h;
    const rt::Handler& base = h;
    return reinterpret_cast<const char*>(&base.inline_effects) - reinterpret_cast<const char*>(&base);
  }();
  return offset;
}

std::string resolve_path(const rt::String* path, const rt::String* dir) {
  std::filesystem::path p(std::string(rt::view(path)));
  if (p.is_relative() && dir && dir->len > 0) {
    std::filesystem::path q = std::filesystem::path(std::string(rt::view(dir))) / p;
    if (std::filesystem::exists(q)) return q.string();
  }
  return p.string();
}

void set_run_options(const RunOptions& o) { g_options = o; }
const RunOptions& run_options() { return g_options; }
bool nested(const rt::Ctx* ctx) { return ctx->handler && dynamic_cast<TopLevelHandler*>(ctx->handler) == nullptr; }

void record_top_level_result(const rt::Dist* d, Word type) {
  last_result_root()[0] = rt::from_ptr(d);
  last_result_root()[1] = type;
}

InferResult last_top_level_result() {
  return {rt::to_ptr<const rt::Dist>(last_result_root()[0]), rt::to_ptr<const rt::TypeDesc>(last_result_root()[1])};
}

void run_entry(Word entry_closure, const RunOptions& options) {
  set_run_options(options);
  rt::gc_init();
  rt::Rng rng(options.seed, 0);
  TopLevelHandler handler;
  Ctx ctx;
  ctx.handler = &handler;
  ctx.rng = &rng;
  CompiledModel main(entry_closure);
  main.start(ctx);
}

const rt::String* intern_string(const std::string& s) {
  static std::mutex mu;
  static std::unordered_map<std::string, const rt::String*> table;
  std::lock_guard<std::mutex> lock(mu);
  auto it = table.find(s);
  if (it != table.end()) return it->second;
  rt::gc_init();
  auto* r = static_cast<rt::String*>(GC_MALLOC_ATOMIC_UNCOLLECTABLE(sizeof(rt::String) + s.size() + 1));
  r->len = static_cast<int64_t>(s.size());
  std::memcpy(r->data, s.data(), s.size());
  r->data[s.size()] = 0;
  table[s] = r;
  return r;
}

}  // namespace borel::abi

// ---------------------------------------------------------------- rt_* (C ABI)

using borel::abi::RunState;
using borel::rt::Ctx;
using borel::rt::Word;
namespace rt = borel::rt;
namespace inf = borel::inference;
using namespace borel::abi;

namespace {
// An allocation the collector cannot satisfy is a runtime error at
// `site`, naming how many elements were being made.
template <class Alloc>
auto allocate(int64_t site, int64_t count, Alloc alloc) {
  try {
    return alloc();
  } catch (const std::bad_alloc&) {
    fail(site, "out of memory while making " + std::to_string(count) + " elements");
  }
}
}  // namespace

extern "C" {

// Frames. A frame is [variables..., site << 32 | count, resume function]:
// two header words, the variable count and the site packed into one.
Word* rt_push_frame(Ctx*, void* resume_fn, int64_t site, int64_t nvars) {
  RunState& s = state();
  const int64_t need = 1 + s.len + nvars + 2;
  if (need > s.cap) [[unlikely]] grow_continuation(s, need);
  Word* vars = s.base + 1 + s.len;
  vars[nvars] = site << 32 | nvars;
  vars[nvars + 1] = reinterpret_cast<Word>(resume_fn);
  s.len += nvars + 2;
  return vars;
}

const Word* rt_pop_frame(Ctx*, int64_t* site) {
  RunState& s = state();
  const Word header = s.cont[s.pos - 2];
  const int64_t n = header & 0xffffffff;
  *site = header >> 32;
  s.pos -= n + 2;
  return s.cont + s.pos;
}

Word rt_resume_inner(Ctx* ctx) {
  RunState& s = state();
  if (s.pos == 0) {  // the inner frames were tail sites: the value is the callee's result
    ctx->resuming = 0;
    return s.value;
  }
  auto fn = reinterpret_cast<Word (*)(Ctx*)>(s.cont[s.pos - 1]);
  return fn(ctx);
}

Word rt_resume_value(Ctx* ctx) {
  ctx->resuming = 0;
  return state().value;
}

// Effects. Compiled code carries out the handler's inline effects itself
// (rt::InlineEffect, Codegen.cpp); these are the calls for everything else.
// The handler's sample/observe, with its errors located and its suspension
// request honoured. `address` names the choice (sample(d, "name")) or is -1.
Word handle_sample(Ctx* ctx, const rt::Dist& d, int64_t site, int64_t address) {
  ctx->address = address;
  Word v = guarded(site, [&] { return ctx->handler->sample(*ctx, d, site); });
  ctx->address = -1;
  suspend_if_requested(ctx);
  return v;
}
Word handle_observe(Ctx* ctx, const rt::Dist& d, Word value, int64_t site) {
  guarded(site, [&] {
    ctx->handler->observe(*ctx, d, value, site);
    return Word{0};
  });
  suspend_if_requested(ctx);
  return 0;
}

// Every family gets the handler's inline effects here (compiled code has its
// own inline path for normal): the family's sampler or log-density called
// directly, no virtual handler call — what the handler would do, by the
// InlineEffect contract (runtime/Model.h); a non-finite log-density still
// goes to the handler, which raises or records the zero weight.
Word rt_sample_unboxed(Ctx* ctx, const rt::DistOps* ops, int64_t site, double p0, double p1, double p2, double p3,
                       Word a0, Word a1, int64_t address) {
  rt::Dist d = make_dist(ops, p0, p1, p2, p3, a0, a1);
  check_dist(d, site);
  if (ctx->handler->inline_effects & rt::kInlineSample) return guarded(site, [&] { return ops->sample(d, *ctx->rng); });
  return handle_sample(ctx, d, site, address);
}

Word rt_observe_unboxed(Ctx* ctx, const rt::DistOps* ops, int64_t site, double p0, double p1, double p2, double p3,
                        Word a0, Word a1, Word value) {
  rt::Dist d = make_dist(ops, p0, p1, p2, p3, a0, a1);
  check_dist(d, site);
  const uint8_t inline_effects = ctx->handler->inline_effects;
  if (inline_effects & rt::kInlineObserve) {
    const double lw = rt::to_real(guarded(site, [&] { return rt::from_real(ops->log_density(d, value)); }));
    if (std::isfinite(lw)) {
      ctx->log_weight += lw;
      if (inline_effects & rt::kInlineSuspend) ctx->suspending = 1;
      return 0;
    }
  }
  return handle_observe(ctx, d, value, site);
}

// The inline sample of a normal (kInlineSample): the family's own sampler.
double rt_normal_draw(rt::Rng* rng, double mu, double sigma) { return borel::dist::normal_sample(*rng, mu, sigma); }

Word rt_sample(Ctx* ctx, Word dist, int64_t site, int64_t address) {
  return handle_sample(ctx, dist_of(dist, site), site, address);
}

Word rt_observe(Ctx* ctx, Word dist, Word value, int64_t site) {
  return handle_observe(ctx, dist_of(dist, site), value, site);
}

Word rt_factor(Ctx* ctx, double w, int64_t site) {
  if (std::isnan(w)) fail(site, "factor: the log-weight is NaN");
  guarded(site, [&] {
    ctx->handler->factor(*ctx, w, site);
    return Word{0};
  });
  suspend_if_requested(ctx);
  return 0;
}

Word rt_dist_new(Ctx*, const rt::DistOps* ops, int64_t site, double p0, double p1, double p2, double p3, Word a0,
                 Word a1) {
  rt::Dist d = make_dist(ops, p0, p1, p2, p3, a0, a1);
  check_dist(d, site);
  return rt::from_ptr(rt::dist_box(d));
}

// Start-up of an executable made by `borel build` (Codegen.cpp,
// define_aot_init): the compiled program's source locations, in site-id
// order, and the runtime objects it refers to, rebuilt from text.
void rt_aot_sites(const char* const* locations, const char* const* names, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t id = names[i][0] ? rt::name_site(names[i]) : rt::register_site(locations[i]);
    if (id != i) throw std::runtime_error("the program's source locations were registered out of order");
  }
}
Word rt_aot_dist(const char* name) {
  const rt::DistOps* ops = rt::find_distribution(name);
  if (!ops) throw std::runtime_error(std::string("this executable needs the distribution ") + name);
  return reinterpret_cast<Word>(ops);
}
Word rt_aot_string(const char* text, int64_t len) {
  return rt::from_ptr(intern_string(std::string(text, static_cast<size_t>(len))));
}
Word rt_aot_type(const char* text) { return rt::from_ptr(rt::decode_type(text)); }
Word rt_aot_globals(int64_t n) {
  rt::gc_init();
  return reinterpret_cast<Word>(GC_MALLOC_UNCOLLECTABLE(sizeof(Word) * static_cast<size_t>(std::max<int64_t>(1, n))));
}

// Memory.
Word rt_closure_new(void* code, void* twin, int64_t n) {
  auto* c = static_cast<rt::Closure*>(rt::gc_alloc(sizeof(rt::Closure) + sizeof(Word) * static_cast<size_t>(n)));
  c->code = code;
  c->twin = twin;
  return rt::from_ptr(c);
}
Word rt_array_new(int64_t n) { return rt::from_ptr(rt::array_new(n)); }
Word rt_tuple_new(int64_t n) { return rt::from_ptr(rt::tuple_new(n)); }
Word rt_list_push(Ctx*, int64_t site, Word list, Word x) {
  auto* tail = rt::to_ptr<const ListNode>(list);
  auto* n = static_cast<ListNode*>(allocate(site, tail ? tail->len + 1 : 1, [] { return rt::gc_alloc(sizeof(ListNode)); }));
  n->head = x;
  n->tail = tail;
  n->len = n->tail ? n->tail->len + 1 : 1;
  return rt::from_ptr(n);
}
Word rt_list_to_array(Ctx*, int64_t site, Word list) {
  auto* l = rt::to_ptr<const ListNode>(list);
  int64_t n = l ? l->len : 0;
  rt::Array* a = allocate(site, n, [&] { return rt::array_new(n); });
  for (int64_t i = n - 1; l; l = l->tail, --i) a->data[i] = l->head;
  return rt::from_ptr(a);
}
// The comprehension [f(i) for i in lo..hi] (no filter) before its loop: it
// will hold hi - lo list nodes (24 bytes, 32 in the collector's granules)
// and then an array of as many words.
Word rt_comprehension_check(Ctx*, int64_t site, Word lo, Word hi) {
  int64_t n = 0;
  if (hi > lo && __builtin_sub_overflow(hi, lo, &n)) n = INT64_MAX;
  std::string error = rt::check_allocation(n, 32 + sizeof(Word));
  if (!error.empty()) fail(site, error);
  return 0;
}

// Checks and arithmetic.
void rt_fail_index(Ctx*, int64_t site, int64_t i, int64_t len) {
  fail(site, "index " + std::to_string(i) + " is out of range for an array of length " + std::to_string(len));
}
// A call below Ctx::stack_limit (Codegen.cpp checks before every call).
void rt_fail_stack(Ctx*, int64_t site) {
  fail(site, "stack overflow: recursion too deep (more than " + std::to_string(rt::kRecursionStackBytes >> 20) +
                 " MB of stack)");
}
// An int result out of range (Codegen.cpp checks +, -, * and abs inline).
void rt_fail_overflow(Ctx*, int64_t site, int64_t op, Word x, Word y) {
  std::string sx = std::to_string(x), sy = std::to_string(y);
  std::string what;
  switch (op) {
    case kOverflowAdd: what = "+: " + sx + " + " + sy; break;
    case kOverflowSub: what = "-: " + sx + " - " + sy; break;
    case kOverflowMul: what = "*: " + sx + " * " + sy; break;
    case kOverflowNeg: what = "negation: -(" + sy + ")"; break;
    case kOverflowAbs: what = "abs: abs(" + sx + ")"; break;
    default: what = "an operation"; break;
  }
  fail(site, "integer overflow in " + what + " is out of the int range");
}
Word rt_idiv(Ctx*, int64_t site, Word a, Word b) {
  if (b == 0) fail(site, "integer division by zero");
  if (a == INT64_MIN && b == -1) fail(site, "integer overflow in /: " + std::to_string(a) + " / -1 is out of the int range");
  return a / b;
}
// The remainder of the least int by -1 is 0, but its quotient overflows, and
// a % b is defined through a / b (a == (a / b) * b + a % b): like Rust and
// Swift, Borel treats the pair as one overflowing operation.
Word rt_imod(Ctx*, int64_t site, Word a, Word b) {
  if (b == 0) fail(site, "integer remainder by zero");
  if (a == INT64_MIN && b == -1) fail(site, "integer overflow in %: " + std::to_string(a) + " % -1 is out of the int range");
  return a % b;
}
Word rt_real_to_int(Ctx*, int64_t site, Word x) {
  double d = rt::to_real(x);
  if (!std::isfinite(d) || d >= 9.2233720368547758e18 || d < -9.2233720368547758e18)
    fail(site, "int: " + std::to_string(d) + " has no int value");
  return static_cast<Word>(d);
}
Word rt_str_eq(Ctx*, int64_t, Word a, Word b) {
  return rt::view(rt::to_ptr<rt::String>(a)) == rt::view(rt::to_ptr<rt::String>(b)) ? 1 : 0;
}
Word rt_str_concat(Ctx*, int64_t, Word a, Word b) {
  std::string s(rt::view(rt::to_ptr<rt::String>(a)));
  s += rt::view(rt::to_ptr<rt::String>(b));
  return rt::from_ptr(rt::string_new(s));
}
Word rt_str_len(Ctx*, int64_t, Word a) { return rt::to_ptr<rt::String>(a)->len; }
// The byte at index i (0..255), for predicates on text written in Borel.
Word rt_str_byte(Ctx*, int64_t site, Word a, Word i) {
  const rt::String* s = rt::to_ptr<rt::String>(a);
  if (i < 0 || i >= s->len)
    fail(site, "str_byte: index " + std::to_string(i) + " is out of range for a string of " + std::to_string(s->len) + " bytes");
  return static_cast<unsigned char>(s->data[i]);
}
Word rt_str_contains(Ctx*, int64_t, Word a, Word b) {
  return rt::view(rt::to_ptr<rt::String>(a)).find(rt::view(rt::to_ptr<rt::String>(b))) != std::string_view::npos;
}
Word rt_array_concat(Ctx*, int64_t site, Word a, Word b) {
  auto* x = rt::to_ptr<rt::Array>(a);
  auto* y = rt::to_ptr<rt::Array>(b);
  rt::Array* r = allocate(site, x->len + y->len, [&] { return rt::array_new(x->len + y->len); });
  std::memcpy(r->data, x->data, sizeof(Word) * static_cast<size_t>(x->len));
  std::memcpy(r->data + x->len, y->data, sizeof(Word) * static_cast<size_t>(y->len));
  return rt::from_ptr(r);
}
// a[lo..hi]'s bounds (hi = INT64_MIN: open).
static const rt::Array* check_slice(int64_t site, Word a, Word lo, Word& hi) {
  auto* x = rt::to_ptr<rt::Array>(a);
  if (hi == INT64_MIN) hi = x->len;
  if (lo < 0 || hi > x->len || lo > hi)
    fail(site, "slice " + std::to_string(lo) + ".." + std::to_string(hi) + " is out of range for an array of length " +
                   std::to_string(x->len));
  return x;
}
// The check of a[lo..] alone, for a fold over it that reads `a` from `lo`
// instead of copying (Lower.cpp, fold_over_suffix).
Word rt_slice_check(Ctx*, int64_t site, Word a, Word lo) {
  Word hi = INT64_MIN;
  check_slice(site, a, lo, hi);
  return 0;
}
Word rt_slice(Ctx*, int64_t site, Word a, Word lo, Word hi) {
  const rt::Array* x = check_slice(site, a, lo, hi);
  rt::Array* r = rt::array_new(hi - lo);
  std::memcpy(r->data, x->data + lo, sizeof(Word) * static_cast<size_t>(hi - lo));
  return rt::from_ptr(r);
}
Word rt_range(Ctx*, int64_t site, Word lo, Word hi) {
  int64_t n = 0;
  if (hi > lo && __builtin_sub_overflow(hi, lo, &n)) n = INT64_MAX;  // too large either way
  std::string error = rt::check_allocation(n, sizeof(Word));
  if (!error.empty()) fail(site, "range " + std::to_string(lo) + ".." + std::to_string(hi) + ": " + error);
  rt::Array* r = allocate(site, n, [&] { return rt::array_new_atomic(n); });
  for (int64_t i = 0; i < n; ++i) r->data[i] = lo + i;
  return rt::from_ptr(r);
}
Word rt_sum_int(Ctx*, int64_t site, Word a) {
  auto* x = rt::to_ptr<rt::Array>(a);
  int64_t s = 0;
  for (int64_t i = 0; i < x->len; ++i)
    if (__builtin_add_overflow(s, x->data[i], &s)) fail(site, "integer overflow in sum: the total is out of the int range");
  return s;
}
Word rt_sum_real(Ctx*, int64_t, Word a) {
  auto* x = rt::to_ptr<rt::Array>(a);
  double s = 0;
  for (int64_t i = 0; i < x->len; ++i) s += rt::to_real(x->data[i]);
  return rt::from_real(s);
}
Word rt_logsumexp(Ctx*, int64_t, Word a) {
  auto* x = rt::to_ptr<rt::Array>(a);
  double m = -INFINITY;
  for (int64_t i = 0; i < x->len; ++i) m = std::max(m, rt::to_real(x->data[i]));
  if (!std::isfinite(m)) return rt::from_real(m);
  double s = 0;
  for (int64_t i = 0; i < x->len; ++i) s += std::exp(rt::to_real(x->data[i]) - m);
  return rt::from_real(m + std::log(s));
}
Word rt_softmax(Ctx* ctx, int64_t site, Word a) {
  auto* x = rt::to_ptr<rt::Array>(a);
  double lse = rt::to_real(rt_logsumexp(ctx, site, a));
  rt::Array* r = rt::array_new_atomic(x->len);
  for (int64_t i = 0; i < x->len; ++i) r->data[i] = rt::from_real(std::exp(rt::to_real(x->data[i]) - lse));
  return rt::from_ptr(r);
}
double rt_math_log1p(double x) { return std::log1p(x); }
double rt_math_expm1(double x) { return std::expm1(x); }
double rt_math_tan(double x) { return std::tan(x); }
double rt_math_atan(double x) { return std::atan(x); }
double rt_math_tanh(double x) { return std::tanh(x); }
double rt_math_lgamma(double x) { return borel::rt::ad::lgamma_value(x); }
double rt_math_digamma(double x) { return borel::rt::ad::digamma_value(x); }
double rt_math_sigmoid(double x) { return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)); }
double rt_math_logit(double x) { return std::log(x / (1 - x)); }
double rt_math_atan2(double y, double x) { return std::atan2(y, x); }

// Output and data.
Word rt_print(Ctx*, int64_t site, Word v, Word type) {
  return guarded(site, [&] {
    const auto* t = rt::to_ptr<const rt::TypeDesc>(type);
    std::string s = t ? rt::format_value(v, *t) : std::string("<value of undecided type>");
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fputc('\n', stdout);
    return Word{0};
  });
}
Word rt_to_string(Ctx*, int64_t site, Word v, Word type) {
  return guarded(site, [&] {
    const auto* t = rt::to_ptr<const rt::TypeDesc>(type);
    return rt::from_ptr(rt::string_new(t ? rt::format_value(v, *t) : std::string("<?>")));
  });
}
Word rt_read_json(Ctx*, int64_t site, Word path, Word type, Word dir) {
  const auto* t = rt::to_ptr<const rt::TypeDesc>(type);
  const rt::TypeDesc& td = need_type(t, site, "read_json");
  return guarded(site, [&] {
    std::string p = resolve_path(rt::to_ptr<rt::String>(path), rt::to_ptr<rt::String>(dir));
    return read_json_text(read_file(p, "read_json"), td, p);
  });
}
Word rt_read_csv(Ctx*, int64_t site, Word path, Word type, Word dir) {
  const auto* t = rt::to_ptr<const rt::TypeDesc>(type);
  const rt::TypeDesc& td = need_type(t, site, "read_csv");
  return guarded(site, [&] {
    std::string p = resolve_path(rt::to_ptr<rt::String>(path), rt::to_ptr<rt::String>(dir));
    return from_csv(read_file(p, "read_csv"), td, p);
  });
}
// The named choices of the trace a proposal reads, with their kind checked.
Word trace_value(int64_t site, Word name, rt::Kind kind, const char* type) {
  return guarded(site, [&] {
    std::string n(rt::view(rt::to_ptr<rt::String>(name)));
    rt::Kind k = rt::Kind::Real;
    const Word v = inf::read_named_choice(n, k);
    if (k != kind) throw rt::RuntimeError{"", "the random choice \"" + n + "\" is not a " + type};
    return v;
  });
}
Word rt_trace_real(Ctx*, int64_t site, Word name) { return trace_value(site, name, rt::Kind::Real, "real"); }
Word rt_trace_int(Ctx*, int64_t site, Word name) { return trace_value(site, name, rt::Kind::Int, "int"); }
Word rt_trace_bool(Ctx*, int64_t site, Word name) { return trace_value(site, name, rt::Kind::Bool, "bool"); }

Word rt_args(Ctx*, int64_t) {
  rt::Array* a = rt::array_new(static_cast<int64_t>(g_options.args.size()));
  for (size_t i = 0; i < g_options.args.size(); ++i) a->data[i] = rt::from_ptr(rt::string_new(g_options.args[i]));
  return rt::from_ptr(a);
}
// format_real(x, digits): printf's %.{digits}f, with print's names for the
// non-finite values.
Word rt_format_real(Ctx*, int64_t site, Word x, Word digits) {
  if (digits < 0 || digits > 100) fail(site, "format_real: digits is " + std::to_string(digits) + ", but must be in 0..100");
  const double v = rt::to_real(x);
  if (!std::isfinite(v)) return rt::from_ptr(rt::string_new(std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf"));
  char buf[512];  // up to 309 digits before the point, 100 after
  std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(digits), v);
  return rt::from_ptr(rt::string_new(buf));
}
Word rt_parse_real(Ctx*, int64_t site, Word s) {
  std::string text(rt::view(rt::to_ptr<rt::String>(s)));
  char* end = nullptr;
  errno = 0;
  double x = std::strtod(text.c_str(), &end);
  if (text.empty() || *end) fail(site, "parse_real: \"" + text + "\" is not a number");
  if (errno == ERANGE && std::isinf(x)) fail(site, "parse_real: \"" + text + "\" is too large for a real");
  return rt::from_real(x);
}
Word rt_parse_int(Ctx*, int64_t site, Word s) {
  std::string text(rt::view(rt::to_ptr<rt::String>(s)));
  char* end = nullptr;
  errno = 0;
  long long x = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end || errno == ERANGE) fail(site, "parse_int: \"" + text + "\" is not an int");
  return x;
}
Word rt_error(Ctx*, int64_t site, Word msg) { fail(site, std::string(rt::view(rt::to_ptr<rt::String>(msg)))); }

// Inference.
// A method value: its options, decoded by the method table (Methods.h).
Word rt_method(Ctx*, int64_t site, Word name, Word args) {
  return guarded(site, [&] {
    const borel::MethodSpec* spec = borel::find_method(std::string(rt::view(rt::to_ptr<rt::String>(name))));
    if (!spec) throw rt::RuntimeError{"", "unknown inference method"};
    auto* o = new (rt::gc_alloc(sizeof(borel::MethodOptions))) borel::MethodOptions();
    // Its maps own malloc memory: destroy it when the collector frees the
    // method value (a nested infer makes one per particle).
    GC_register_finalizer_ignore_self(
        o, [](void* p, void*) { static_cast<borel::MethodOptions*>(p)->~MethodOptions(); }, nullptr, nullptr,
        nullptr);
    o->name = spec->name;
    const Word* a = rt::to_ptr<rt::Tuple>(args)->fields;
    size_t k = 0;
    for (; k < spec->params.size(); ++k) {
      const borel::MethodParam& p = spec->params[k];
      switch (p.value.kind) {
        case borel::DefaultArg::Kind::Int:
        case borel::DefaultArg::Kind::Bool: o->ints[p.name] = a[k]; break;
        case borel::DefaultArg::Kind::Real: o->reals[p.name] = rt::to_real(a[k]); break;
        case borel::DefaultArg::Kind::String: o->strings[p.name] = std::string(rt::view(rt::to_ptr<rt::String>(a[k]))); break;
        case borel::DefaultArg::Kind::Function:
        case borel::DefaultArg::Kind::ObjectiveFunction: o->closures[p.name] = a[k]; break;
      }
    }
    if (spec->category == borel::MethodSpec::Category::Method) o->threads = a[k];
    return rt::from_ptr(o);
  });
}
Word rt_infer(Ctx* ctx, int64_t site, Word method, Word thunk, Word type) {
  const auto* t = rt::to_ptr<const rt::TypeDesc>(type);
  static const rt::TypeDesc unknown = [] {
    rt::TypeDesc u;
    u.tag = rt::TypeDesc::Tag::Unit;
    return u;
  }();
  return guarded(site, [&] {
    const auto* m = rt::to_ptr<const borel::MethodOptions>(method);
    int64_t threads = m->threads;
    const bool inner = nested(ctx);
    if (threads <= 0) threads = inner ? 1 : g_options.threads;
    uint64_t seed = ctx->rng->next_u64();
    CompiledModel model(thunk);
    rt::Dist* d = borel::find_method(m->name)->run(*m, model, t ? *t : unknown, seed, static_cast<int>(threads),
                                                   g_options.progress && !inner);
    if (!inner) record_top_level_result(d, type);
    return rt::from_ptr(d);
  });
}
Word rt_summary(Ctx*, int64_t site, Word d, Word type) {
  const auto* t = rt::to_ptr<const rt::TypeDesc>(type);
  const rt::TypeDesc& td = need_type(t, site, "summary");
  return guarded(site, [&] { return rt::from_ptr(rt::string_new(inf::summary(dist_of(d, site), td))); });
}
Word rt_histogram(Ctx*, int64_t site, Word d, Word type) {
  const auto* t = rt::to_ptr<const rt::TypeDesc>(type);
  const rt::TypeDesc& td = need_type(t, site, "histogram");
  return guarded(site, [&] {
    inf::SummaryOptions o;
    o.histogram = true;
    return rt::from_ptr(rt::string_new(inf::summary(dist_of(d, site), td, o)));
  });
}
Word rt_log_evidence(Ctx*, int64_t site, Word d) {
  return guarded(site, [&] { return rt::from_real(inf::log_evidence(dist_of(d, site))); });
}
// A helper, not an entry point: C++ linkage (it returns a reference).
extern "C++" const inf::EmpiricalData& empirical(Word d, int64_t site, const char* who) {
  const inf::EmpiricalData* e = inf::empirical_data(dist_of(d, site));
  if (!e) fail(site, std::string(who) + ": the distribution is not the result of infer");
  return *e;
}
// The result's effective sample size (inference/Empirical.h, result_ess):
// Kish's of the final weights, or of the weights before a final resampling;
// for MCMC results the smallest bulk ESS of the draws.
Word rt_ess(Ctx*, int64_t site, Word d) {
  return rt::from_real(inf::result_ess(empirical(d, site, "ess")));
}
Word rt_samples(Ctx*, int64_t site, Word d) { return rt::from_ptr(empirical(d, site, "samples").values); }
Word rt_weights(Ctx*, int64_t site, Word d) { return rt::from_ptr(empirical(d, site, "weights").weights); }
Word rt_mean(Ctx*, int64_t site, Word d) {
  return guarded(site, [&] {
    const rt::Dist& x = dist_of(d, site);
    return rt::from_real(x.ops->mean(x));
  });
}
Word rt_variance(Ctx*, int64_t site, Word d) {
  return guarded(site, [&] {
    const rt::Dist& x = dist_of(d, site);
    return rt::from_real(x.ops->variance(x));
  });
}
Word rt_log_density(Ctx*, int64_t site, Word d, Word v) {
  return guarded(site, [&] {
    const rt::Dist& x = dist_of(d, site);
    return rt::from_real(x.ops->log_density(x, v));
  });
}

}  // extern "C"

namespace borel::abi {

const std::map<std::string, void*>& runtime_symbols() {
#define SYM(name) {#name, reinterpret_cast<void*>(&name)}
  static const std::map<std::string, void*> table = {
      SYM(rt_push_frame),   SYM(rt_pop_frame),        SYM(rt_resume_inner),   SYM(rt_resume_value),
      SYM(rt_sample_unboxed), SYM(rt_observe_unboxed), SYM(rt_normal_draw), SYM(rt_sample),       SYM(rt_observe),
      SYM(rt_factor),       SYM(rt_dist_new),         SYM(rt_closure_new),    SYM(rt_array_new),
      SYM(rt_tuple_new),    SYM(rt_list_push),        SYM(rt_list_to_array),  SYM(rt_comprehension_check),  SYM(rt_fail_index),    SYM(rt_fail_overflow), SYM(rt_fail_stack),
      SYM(rt_idiv),         SYM(rt_imod),             SYM(rt_real_to_int),    SYM(rt_str_eq),
      SYM(rt_str_concat),   SYM(rt_str_len), SYM(rt_str_byte), SYM(rt_str_contains),          SYM(rt_array_concat),   SYM(rt_slice), SYM(rt_slice_check),
      SYM(rt_range),        SYM(rt_sum_int),          SYM(rt_sum_real),       SYM(rt_logsumexp),
      SYM(rt_softmax),      SYM(rt_math_log1p),       SYM(rt_math_expm1),     SYM(rt_math_tan),
      SYM(rt_math_atan),    SYM(rt_math_tanh),        SYM(rt_math_lgamma),    SYM(rt_math_digamma),
      SYM(rt_math_sigmoid), SYM(rt_math_logit),       SYM(rt_math_atan2),        SYM(rt_print),            SYM(rt_to_string),      SYM(rt_read_json),
      SYM(rt_read_csv),     SYM(rt_error), SYM(rt_args), SYM(rt_trace_real), SYM(rt_trace_int), SYM(rt_trace_bool), SYM(rt_parse_real), SYM(rt_format_real), SYM(rt_parse_int),            SYM(rt_method), SYM(rt_infer),            SYM(rt_summary),        SYM(rt_histogram),
      SYM(rt_log_evidence), SYM(rt_mean), SYM(rt_ess), SYM(rt_samples), SYM(rt_weights),             SYM(rt_variance),       SYM(rt_log_density),
  };
#undef SYM
  static const std::map<std::string, void*> all = [] {
    std::map<std::string, void*> m = table;
    m.insert(gradient_symbols().begin(), gradient_symbols().end());
    m.insert(variational_symbols().begin(), variational_symbols().end());
    m.insert(language_model_symbols().begin(), language_model_symbols().end());
    return m;
  }();
  return all;
}

}  // namespace borel::abi
