// IR.h — Borel's core intermediate representation.
//
// A structured, first-order, A-normal form: every intermediate value is
// named by a variable, every call's arguments are variables or constants,
// and lambdas have been lifted into IrFunctions that receive their captured
// variables through a closure (closure conversion happens in lowering).
// Control flow is structured (If, ForRange, TailSelf), which is what lets
// code generation suspend and resume a function at any call site: every
// variable lives in a stack slot, and a suspended frame is the list of
// variables in scope at the call site (see Codegen.h).
//
// Variables are mutable slots, not SSA: loops reassign their accumulators.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compiler/frontend/Source.h"
#include "runtime/TypeDesc.h"

namespace borel {

namespace rt {
struct DistOps;
}  // namespace rt

struct IrFunction;
struct IrBody;
using VarId = int;

struct Operand {
  enum class Kind { Var, Int, Real, Bool, Unit, String, Fn, TypeDesc } kind = Kind::Unit;
  VarId var = -1;
  int64_t i = 0;
  double r = 0;
  std::string s;
  IrFunction* fn = nullptr;              // Fn: a top-level function used as a value
  const rt::TypeDesc* type = nullptr;    // TypeDesc: a constant runtime type

  static Operand v(VarId x) { Operand o; o.kind = Kind::Var; o.var = x; return o; }
  static Operand integer(int64_t x) { Operand o; o.kind = Kind::Int; o.i = x; return o; }
  static Operand real(double x) { Operand o; o.kind = Kind::Real; o.r = x; return o; }
  static Operand boolean(bool x) { Operand o; o.kind = Kind::Bool; o.i = x; return o; }
  static Operand unit() { return Operand{}; }
  static Operand string(std::string x) { Operand o; o.kind = Kind::String; o.s = std::move(x); return o; }
  static Operand function(IrFunction* f) { Operand o; o.kind = Kind::Fn; o.fn = f; return o; }
  static Operand type_desc(const rt::TypeDesc* t) { Operand o; o.kind = Kind::TypeDesc; o.type = t; return o; }
};

// Primitive operations. Operands and results are words (runtime/Value.h);
// the operation says how to read them.
enum class Prim {
  IAdd, ISub, IMul, IDiv, IMod, INeg,
  FAdd, FSub, FMul, FDiv, FMod, FPow, FNeg,
  ILt, ILe, IGt, IGe, IEq, INe,
  FLt, FLe, FGt, FGe, FEq, FNe,
  Not, IntToReal,
  StrEq, StrNe, StrConcat, ArrConcat,
  ArrayGet,      // (array, index) with a bounds check
  ArrayLen,
  ArrayLit,      // (elements...) -> new array
  Slice,         // (array, lo or unit, hi or unit)
  Range,         // (lo, hi) -> [lo, ..., hi-1]
  TupleNew,      // (fields...)
  TupleGet,      // (tuple) with `index`
  ListNil, ListPush, ListToArray,  // persistent lists used to build arrays in loops
  DistNew,       // (params...) with `dist`: a first-class distribution, parameters checked
  Math,          // (reals...) with `name`: exp, log, ... (Builtins.cpp lists them)
  Runtime,       // (words...) with `name`: a runtime function rt_<name>
};

struct Inst {
  enum class Op {
    Assign,       // dest = args[0]
    Prim,         // dest = prim(args)
    CallDirect,   // dest = fn(args): a known top-level function
    CallClosure,  // dest = args[0](args[1..])
    MakeClosure,  // dest = closure of fn capturing args (in fn->captures order)
    PatchClosure, // args[0].env[index] = args[1]: ties recursive local closures
    If,           // dest = args[0] ? then_body : else_body
    ForRange,     // for loop_var in args[0] .. args[1] { then_body }
    TailSelf,     // params = args; jump to the start of this function
    Sample,       // dest = sample(args[0])                or fused: sample(dist(args...))
    Observe,      // observe(args[0], args[1])             or fused: observe(dist(args[..n-1]), args[n-1])
    Factor,       // factor(args[0])
  };
  Op op;
  Prim prim{};
  VarId dest = -1;
  VarId loop_var = -1;
  std::vector<Operand> args;
  IrFunction* fn = nullptr;
  const rt::DistOps* dist = nullptr;  // DistNew, and fused Sample/Observe
  std::string name;                   // Math/Runtime function name
  int64_t index = 0;                  // TupleGet / PatchClosure; Sample: the named address or -1
  std::unique_ptr<IrBody> then_body, else_body;
  int64_t site = -1;                  // runtime site id: source location of effects and checks;
                                      // CallDirect: >= 0 for a call from the user's code into the
                                      // prelude (Ctx::user_call_site: where prelude errors are reported)
  int64_t call_site = -1;             // CallDirect/CallClosure: where runaway recursion is reported
  Loc loc;
  // Suspension sites (effects and calls that may suspend), set by passes:
  std::vector<VarId> saved;           // variables live after the site: what a frame keeps (FrameLiveness.h)
  bool tail = false;                  // the site's value is the function's result: no frame needed (TailSites.h)
};

// A point where a function may suspend: an effect, or a call that may
// suspend (EffectAnalysis decides which functions may).
inline bool is_suspension_site(const Inst& i) {
  switch (i.op) {
    case Inst::Op::CallDirect:
    case Inst::Op::CallClosure:
    case Inst::Op::Sample:
    case Inst::Op::Observe:
    case Inst::Op::Factor: return true;
    default: return false;
  }
}

struct IrBody {
  std::vector<Inst> insts;
  Operand result;
};

struct IrFunction {
  std::string name;
  Loc loc;
  std::vector<VarId> params;
  VarId self = -1;                 // the closure itself (for lambdas and local functions)
  std::vector<VarId> captures;     // loaded from the closure's environment on entry
  IrBody body;
  std::vector<std::string> var_names;  // indexed by VarId
  bool is_closure = false;         // called through a closure (lambda / local function)
  bool may_suspend = true;         // decided by the effect analysis pass
  bool reachable = true;           // decided by dead-function elimination

  VarId new_var(const std::string& n) {
    var_names.push_back(n);
    return static_cast<VarId>(var_names.size() - 1);
  }
};

struct IrModule {
  std::vector<std::unique_ptr<IrFunction>> functions;
  IrFunction* main = nullptr;      // the user's main, wrapped so globals are set first
  std::vector<IrFunction*> exports;  // top-level functions an embedding host looks up (`NAME.closure`)
  std::vector<std::unique_ptr<rt::TypeDesc>> type_descs;
  int64_t global_count = 0;
  // The program's top-level lets: collector-scanned memory owned by the
  // compiled program (one table per program, so programs in one process
  // never share globals). Set by the pipeline before code generation.
  int64_t* globals = nullptr;
};

// Renders the IR for `borel --emit=ir`.
std::string dump_ir(const IrModule& m);

}  // namespace borel
