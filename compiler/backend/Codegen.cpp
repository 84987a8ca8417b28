// Codegen.cpp — LLVM IR generation with the suspend/resume protocol (see Codegen.h).
#include "compiler/backend/Codegen.h"

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <map>
#include <set>

#include "compiler/frontend/Diagnostics.h"
#include "compiler/Methods.h"
#include "compiler/passes/AffineObserves.h"
#include "runtime/abi/RuntimeAbi.h"
#include "runtime/Dist.h"
#include "runtime/Sites.h"
#include "runtime/Tape.h"
#include "runtime/TypeDesc.h"
#include "stdlib/distributions/Distributions.h"
#include "stdlib/distributions/Special.h"

namespace borel {
namespace {

using llvm::BasicBlock;
using llvm::Function;
using llvm::Value;
using namespace abi;  // OverflowOp codes

// Whether the program runs gradient-based inference (a method of
// Methods.h that needs gradients, or a string literal naming a kernel list
// with such a kernel: mh(kernel = "nuts+single")), or exports models to an
// embedding host (which may run it): only then are the twins made, so other
// programs compile no slower.
bool body_uses_gradients(const IrBody& b) {
  for (const Inst& in : b.insts) {
    if (in.op == Inst::Op::Prim && in.prim == Prim::Runtime && in.name == "method" && !in.args.empty() &&
        in.args[0].kind == Operand::Kind::String && method_needs_gradients(in.args[0].s))
      return true;
    for (const Operand& a : in.args)
      if (a.kind == Operand::Kind::String && kernel_needs_gradients(a.s)) return true;
    if (in.then_body && body_uses_gradients(*in.then_body)) return true;
    if (in.else_body && body_uses_gradients(*in.else_body)) return true;
  }
  return false;
}
bool uses_gradients(const IrModule& m) {
  if (!m.exports.empty()) return true;
  for (const auto& f : m.functions)
    if (f->reachable && body_uses_gradients(f->body)) return true;
  return false;
}

class Gen {
 public:
  Gen(const IrModule& m, llvm::LLVMContext& c, bool aot)
      : ir_(m), c_(c), mod_(std::make_unique<llvm::Module>("borel", c)), b_(c), aot_(aot),
        twins_(uses_gradients(m)) {
    W = llvm::Type::getInt64Ty(c);
    I32 = llvm::Type::getInt32Ty(c);
    P = llvm::PointerType::get(c, 0);
    D = llvm::Type::getDoubleTy(c);
  }

  std::unique_ptr<llvm::Module> run() {
    for (auto& f : ir_.functions)
      if (f->reachable) declare(f.get());
    for (auto& f : ir_.functions)
      if (f->reachable) define(f.get(), false);
    if (twins_)
      for (auto& f : ir_.functions)
        if (f->reachable) define(f.get(), true);
    if (ir_.main) static_closure(ir_.main);  // the entry point, looked up by name
    for (const IrFunction* f : ir_.exports) static_closure(f);
    if (aot_) define_aot_init();
    std::string err;
    llvm::raw_string_ostream os(err);
    if (llvm::verifyModule(*mod_, &os)) throw InternalError("generated LLVM IR is invalid: " + os.str());
    return std::move(mod_);
  }

 private:
  const IrModule& ir_;
  llvm::LLVMContext& c_;
  std::unique_ptr<llvm::Module> mod_;
  llvm::IRBuilder<> b_;
  llvm::Type *W, *I32, *P, *D;

  // Ahead-of-time mode (an object file, compiler/backend/Aot.h): the runtime objects
  // the JIT's code points at directly (distribution families, string
  // literals, type descriptions, the globals table) become module globals
  // that borel_aot_init fills in when the executable starts, from text.
  enum class Host { Dist, String, Type, Globals };
  bool aot_ = false;
  std::map<std::pair<Host, std::string>, llvm::GlobalVariable*> host_;
  std::vector<std::pair<Host, std::string>> host_order_;

  std::map<const IrFunction*, Function*> fns_;
  std::map<const IrFunction*, Function*> resumes_;
  // Differentiating twins (runtime/Tape.h), made only for programs that
  // run gradient-based inference: they never suspend (the gradient handler
  // answers every effect at once), and every real operation goes through
  // the tape when an operand is a tape variable.
  bool twins_ = false;
  bool ad_ = false;  // emitting a twin
  AffineObserves affine_;  // the twin's fused normal observes (AffineObserves.h)
  std::map<const IrFunction*, Function*> ad_fns_;
  std::map<const IrFunction*, llvm::GlobalVariable*> static_closures_;

  // Per-function state.
  const IrFunction* fn_ = nullptr;
  Function* llfn_ = nullptr;
  Value* ctx_ = nullptr;
  std::vector<llvm::AllocaInst*> vars_;
  BasicBlock* body_start_ = nullptr;
  llvm::SwitchInst* dispatch_ = nullptr;
  llvm::AllocaInst* frame_slot_ = nullptr;  // the frame being resumed (set by the dispatch block)
  llvm::AllocaInst* stack_probe_ = nullptr; // a slot whose address is the frame's (check_stack)
  int64_t next_site_ = 0;

  Function* rt(const std::string& name, llvm::Type* ret, std::vector<llvm::Type*> params, bool noreturn = false) {
    Function* f = mod_->getFunction(name);
    if (f) return f;
    f = Function::Create(llvm::FunctionType::get(ret, params, false), Function::ExternalLinkage, name, *mod_);
    if (noreturn) f->setDoesNotReturn();
    return f;
  }

  llvm::FunctionType* fn_type(size_t nparams) {
    std::vector<llvm::Type*> ps{P, W};
    for (size_t i = 0; i < nparams; ++i) ps.push_back(W);
    return llvm::FunctionType::get(W, ps, false);
  }

  void declare(const IrFunction* f) {
    Function* lf = Function::Create(fn_type(f->params.size()), Function::InternalLinkage, f->name, *mod_);
    // Runtime errors unwind through generated code as C++ exceptions (RuntimeAbi.cpp).
    lf->setUWTableKind(llvm::UWTableKind::Async);
    fns_[f] = lf;
    if (f->may_suspend) {
      Function* r = Function::Create(llvm::FunctionType::get(W, {P}, false), Function::InternalLinkage,
                                     f->name + ".resume", *mod_);
      r->setUWTableKind(llvm::UWTableKind::Async);
      resumes_[f] = r;
    }
    if (twins_) {
      Function* t = Function::Create(fn_type(f->params.size()), Function::InternalLinkage, f->name + ".ad", *mod_);
      t->setUWTableKind(llvm::UWTableKind::Async);
      ad_fns_[f] = t;
    }
  }

  // Whether the twin of a function may suspend: never.
  bool suspends(const IrFunction* f) const { return f->may_suspend && !ad_; }
  llvm::Constant* twin_or_null(const IrFunction* f) {
    return twins_ ? static_cast<llvm::Constant*>(ad_fns_.at(f)) : llvm::ConstantPointerNull::get(llvm::PointerType::get(c_, 0));
  }

  bool is_export(const IrFunction* f) const {
    return std::find(ir_.exports.begin(), ir_.exports.end(), f) != ir_.exports.end();
  }

  llvm::Constant* static_closure(const IrFunction* f) {
    auto it = static_closures_.find(f);
    if (it != static_closures_.end()) return llvm::ConstantExpr::getPtrToInt(it->second, W);
    auto* ty = llvm::StructType::get(c_, llvm::ArrayRef<llvm::Type*>{P, P});
    auto* g = new llvm::GlobalVariable(*mod_, ty, true,
                                       f == ir_.main || is_export(f) ? llvm::GlobalValue::ExternalLinkage
                                                                     : llvm::GlobalValue::InternalLinkage,
                                       llvm::ConstantStruct::get(ty, {fns_.at(f), twin_or_null(f)}), f->name + ".closure");
    static_closures_[f] = g;
    return llvm::ConstantExpr::getPtrToInt(g, W);
  }

  Value* word_const(int64_t v) { return llvm::ConstantInt::get(W, static_cast<uint64_t>(v), true); }
  Value* ptr_const(const void* p) { return word_const(reinterpret_cast<int64_t>(p)); }

  // A runtime object as a word: its address (JIT), or a load of the global
  // that borel_aot_init sets from `text` (AOT).
  Value* host(Host kind, const std::string& text, const void* jit_address) {
    if (!aot_) return ptr_const(jit_address);
    auto key = std::make_pair(kind, text);
    auto it = host_.find(key);
    if (it == host_.end()) {
      auto* g = new llvm::GlobalVariable(*mod_, W, false, llvm::GlobalValue::InternalLinkage, llvm::ConstantInt::get(W, 0),
                                         "borel.host." + std::to_string(host_order_.size()));
      it = host_.emplace(key, g).first;
      host_order_.push_back(key);
    }
    return b_.CreateLoad(W, it->second);
  }
  Value* dist_ops(const rt::DistOps* ops) { return host(Host::Dist, ops->name, ops); }
  Value* string_literal(const std::string& s) { return host(Host::String, s, aot_ ? nullptr : abi::intern_string(s)); }
  Value* type_desc(const rt::TypeDesc* t) { return host(Host::Type, aot_ ? rt::encode_type(*t) : "", t); }
  Value* globals_table() { return host(Host::Globals, std::to_string(ir_.global_count), ir_.globals); }

  llvm::Constant* c_string(const std::string& s) {
    return b_.CreateGlobalStringPtr(s, "borel.text", 0, mod_.get());
  }

  // void borel_aot_init(): registers the program's source locations (site
  // ids as at compile time) and sets every host global.
  void define_aot_init() {
    Function* f = Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(c_), {}, false),
                                   Function::ExternalLinkage, "borel_aot_init", *mod_);
    b_.SetInsertPoint(BasicBlock::Create(c_, "entry", f));
    // Site ids in registration order; a named choice's id is re-created
    // by name (so that trace_real("mu") finds it at run time), any other by
    // its location.
    const int64_t n = rt::site_count();
    std::vector<llvm::Constant*> sites, names;
    for (int64_t i = 0; i < n; ++i) {
      sites.push_back(c_string(rt::site_location(i)));
      names.push_back(c_string(rt::site_name(i)));
    }
    auto* arr_ty = llvm::ArrayType::get(P, static_cast<uint64_t>(n));
    auto table = [&](std::vector<llvm::Constant*>& v, const char* name) {
      return new llvm::GlobalVariable(*mod_, arr_ty, true, llvm::GlobalValue::PrivateLinkage,
                                      llvm::ConstantArray::get(arr_ty, v), name);
    };
    b_.CreateCall(rt("rt_aot_sites", llvm::Type::getVoidTy(c_), {P, P, W}),
                  {table(sites, "borel.sites"), table(names, "borel.site_names"), word_const(n)});
    for (const auto& key : host_order_) {
      const std::string& text = key.second;
      Value* v = nullptr;
      switch (key.first) {
        case Host::Dist: v = b_.CreateCall(rt("rt_aot_dist", W, {P}), {c_string(text)}); break;
        case Host::String:
          v = b_.CreateCall(rt("rt_aot_string", W, {P, W}), {c_string(text), word_const(static_cast<int64_t>(text.size()))});
          break;
        case Host::Type: v = b_.CreateCall(rt("rt_aot_type", W, {P}), {c_string(text)}); break;
        case Host::Globals: v = b_.CreateCall(rt("rt_aot_globals", W, {W}), {word_const(std::stoll(text))}); break;
      }
      b_.CreateStore(v, host_.at(key));
    }
    b_.CreateRetVoid();
  }
  Value* to_d(Value* w) { return b_.CreateBitCast(w, D); }
  Value* to_w(Value* d) { return b_.CreateBitCast(d, W); }
  Value* as_ptr(Value* w) { return b_.CreateIntToPtr(w, P); }

  Value* load(const Operand& o) {
    switch (o.kind) {
      case Operand::Kind::Var: return b_.CreateLoad(W, vars_.at(static_cast<size_t>(o.var)));
      case Operand::Kind::Int: return word_const(o.i);
      case Operand::Kind::Real: return to_w(llvm::ConstantFP::get(D, o.r));
      case Operand::Kind::Bool: return word_const(o.i ? 1 : 0);
      case Operand::Kind::Unit: return word_const(0);
      case Operand::Kind::String: return string_literal(o.s);
      case Operand::Kind::Fn: return static_closure(o.fn);
      case Operand::Kind::TypeDesc: return type_desc(o.type);
    }
    return word_const(0);
  }
  void store(VarId v, Value* x) {
    if (v >= 0) b_.CreateStore(x, vars_.at(static_cast<size_t>(v)));
  }
  BasicBlock* block(const std::string& name) { return BasicBlock::Create(c_, name, llfn_); }

  Value* ctx_field(int64_t offset) { return b_.CreateConstGEP1_64(llvm::Type::getInt8Ty(c_), ctx_, offset); }

  // --- inline effects (rt::InlineEffect): a normal's sample and observe
  // under a handler that lets compiled code do them, with a call to the
  // runtime for anything unusual. Returns the effect's value (a word).

  // Whether the current handler allows `bit`.
  Value* handler_allows(uint8_t bit) {
    Value* h = b_.CreateLoad(P, ctx_field(abi::ctx_offset::handler));
    Value* bits = b_.CreateLoad(llvm::Type::getInt8Ty(c_),
                                b_.CreateConstGEP1_64(llvm::Type::getInt8Ty(c_), h, abi::handler_inline_effects_offset()));
    return b_.CreateICmpNE(b_.CreateAnd(bits, llvm::ConstantInt::get(bits->getType(), bit)),
                           llvm::ConstantInt::get(bits->getType(), 0));
  }
  Value* is_finite(Value* x) {
    return b_.CreateFCmpOLT(intrinsic(llvm::Intrinsic::fabs, {x}), llvm::ConstantFP::getInfinity(D));
  }
  // normal(mu, sigma)'s parameter check (stdlib/distributions/Normal.cpp).
  Value* normal_valid(Value* mu, Value* sigma) {
    return b_.CreateAnd(is_finite(mu), b_.CreateAnd(is_finite(sigma), b_.CreateFCmpOGT(sigma, llvm::ConstantFP::get(D, 0.0))));
  }
  // Branches to `fast` when `cond` holds (expected), else to `slow`.
  void branch_likely(Value* cond, BasicBlock* fast, BasicBlock* slow) {
    b_.CreateCondBr(cond, fast, slow, llvm::MDBuilder(c_).createBranchWeights(1000, 1));
  }

  // `slow` emits the runtime call; the result merges the two paths.
  template <class Slow>
  Value* inline_normal_sample(Value* mu, Value* sigma, Slow slow) {
    BasicBlock* fast = block("sample_inline");
    BasicBlock* call = block("sample_call");
    BasicBlock* join = block("sample_done");
    branch_likely(b_.CreateAnd(handler_allows(rt::kInlineSample), normal_valid(mu, sigma)), fast, call);
    b_.SetInsertPoint(fast);
    Value* rng = b_.CreateLoad(P, ctx_field(abi::ctx_offset::rng));
    Value* x = to_w(b_.CreateCall(rt("rt_normal_draw", D, {P, D, D}), {rng, mu, sigma}));
    b_.CreateBr(join);
    b_.SetInsertPoint(call);
    Value* y = slow();
    BasicBlock* call_end = b_.GetInsertBlock();
    b_.CreateBr(join);
    b_.SetInsertPoint(join);
    llvm::PHINode* v = b_.CreatePHI(W, 2);
    v->addIncoming(x, fast);
    v->addIncoming(y, call_end);
    return v;
  }

  // The log-density is normal_log_density's formula (stdlib/distributions/
  // Kernels.h), in the same order, so both give the same bits (tested:
  // tests/unit/compiler/InlineEffectsTest.cpp); a non-finite value or
  // log-density takes the call, where the handler records the zero weight.
  template <class Slow>
  Value* inline_normal_observe(Value* mu, Value* sigma, Value* value, Slow slow) {
    BasicBlock* compute = block("observe_inline");
    BasicBlock* weigh = block("observe_weigh");
    BasicBlock* call = block("observe_call");
    BasicBlock* join = block("observe_done");
    Value* x = to_d(value);
    branch_likely(b_.CreateAnd(handler_allows(rt::kInlineObserve), b_.CreateAnd(normal_valid(mu, sigma), is_finite(x))),
                  compute, call);
    b_.SetInsertPoint(compute);
    Value* z = b_.CreateFDiv(b_.CreateFSub(x, mu), sigma);
    Value* lw = b_.CreateFSub(
        b_.CreateFSub(b_.CreateFMul(b_.CreateFMul(llvm::ConstantFP::get(D, -0.5), z), z),
                      intrinsic(llvm::Intrinsic::log, {sigma})),
        llvm::ConstantFP::get(D, dist::kHalfLog2Pi));
    branch_likely(is_finite(lw), weigh, call);
    b_.SetInsertPoint(weigh);
    Value* acc = ctx_field(abi::ctx_offset::log_weight);
    b_.CreateStore(b_.CreateFAdd(b_.CreateLoad(D, acc), lw), acc);
    Value* susp = b_.CreateZExt(handler_allows(rt::kInlineSuspend), I32);
    b_.CreateStore(susp, ctx_field(abi::ctx_offset::suspending));
    b_.CreateBr(join);
    b_.SetInsertPoint(call);
    slow();
    b_.CreateBr(join);
    b_.SetInsertPoint(join);
    return word_const(0);
  }

  // Before a call: a frame below the thread's limit (Ctx::stack_limit,
  // runtime/StackLimit.h) is runaway recursion, reported at this call. The
  // frame's address is that of a one-byte slot in it; a null limit never
  // fires. One load, one compare and a never-taken branch per call.
  void check_stack(const Inst& in) {
    if (in.call_site < 0) return;
    if (!stack_probe_) {
      llvm::IRBuilder<> eb(&llfn_->getEntryBlock(), llfn_->getEntryBlock().begin());
      stack_probe_ = eb.CreateAlloca(llvm::Type::getInt8Ty(c_), nullptr, "stack_probe");
    }
    Value* here = b_.CreatePtrToInt(stack_probe_, W);
    Value* limit = b_.CreateLoad(W, ctx_field(abi::ctx_offset::stack_limit));
    BasicBlock* ok = block("stack_ok");
    BasicBlock* bad = block("stack_overflow");
    b_.CreateCondBr(b_.CreateICmpULT(here, limit), bad, ok, llvm::MDBuilder(c_).createBranchWeights(1, 1000));
    b_.SetInsertPoint(bad);
    b_.CreateCall(rt("rt_fail_stack", llvm::Type::getVoidTy(c_), {P, W}, true), {ctx_, word_const(in.call_site)});
    b_.CreateUnreachable();
    b_.SetInsertPoint(ok);
  }

  // --- suspension sites
  // Emits the check after a site whose normal-path value is `v`, and the
  // resume path for that site.
  void finish_site(const Inst& in, Value* v, bool is_effect) {
    store(in.dest, v);
    if (ad_) return;
    BasicBlock* check = block("check");
    b_.CreateBr(check);
    int64_t site = next_site_++;
    if (!in.tail) {
      // Resume path: restore the variables this site saved, then resume.
      BasicBlock* resume = block("resume");
      dispatch_->addCase(llvm::cast<llvm::ConstantInt>(llvm::ConstantInt::get(W, static_cast<uint64_t>(site))), resume);
      b_.SetInsertPoint(resume);
      Value* frame = b_.CreateLoad(P, frame_slot_);
      for (size_t k = 0; k < in.saved.size(); ++k)
        b_.CreateStore(b_.CreateLoad(W, b_.CreateConstGEP1_64(W, frame, k)), vars_.at(static_cast<size_t>(in.saved[k])));
      Value* rv = is_effect ? b_.CreateCall(rt("rt_resume_value", W, {P}), {ctx_})
                            : b_.CreateCall(rt("rt_resume_inner", W, {P}), {ctx_});
      store(in.dest, rv);
      b_.CreateBr(check);
    }
    // The check: one load and a rarely taken branch on the fast path.
    b_.SetInsertPoint(check);
    Value* susp = b_.CreateLoad(I32, ctx_field(abi::ctx_offset::suspending));
    BasicBlock* save = block("save");
    BasicBlock* cont = block("cont");
    b_.CreateCondBr(b_.CreateICmpNE(susp, llvm::ConstantInt::get(I32, 0)), save, cont,
                    llvm::MDBuilder(c_).createBranchWeights(1, 1000));
    b_.SetInsertPoint(save);
    if (!in.tail) {
      // A site in tail position keeps no frame: the callee's result is ours.
      Value* frame = b_.CreateCall(rt("rt_push_frame", P, {P, P, W, W}),
                                   {ctx_, resumes_.at(fn_), word_const(site),
                                    word_const(static_cast<int64_t>(in.saved.size()))});
      for (size_t k = 0; k < in.saved.size(); ++k)
        b_.CreateStore(b_.CreateLoad(W, vars_.at(static_cast<size_t>(in.saved[k]))),
                       b_.CreateConstGEP1_64(W, frame, k));
    }
    b_.CreateRet(word_const(0));
    b_.SetInsertPoint(cont);
  }

  // Dist parameters for the unboxed calling convention: 4 doubles, 2 words.
  void dist_args(const rt::DistOps* ops, const std::vector<Operand>& args, size_t n, std::vector<Value*>& out) {
    Value* ps[4] = {llvm::ConstantFP::get(D, 0.0), llvm::ConstantFP::get(D, 0.0), llvm::ConstantFP::get(D, 0.0),
                    llvm::ConstantFP::get(D, 0.0)};
    Value* as[2] = {word_const(0), word_const(0)};
    int np = 0, na = 0;
    for (size_t k = 0; k < n && k < static_cast<size_t>(ops->nparams); ++k) {
      Value* w = load(args[k]);
      switch (ops->param_kinds[k]) {
        case rt::Kind::Real:
          if (np < 4) ps[np++] = to_d(w);
          break;
        case rt::Kind::Int:
        case rt::Kind::Bool:
          if (np < 4) ps[np++] = b_.CreateSIToFP(w, D);
          break;
        default:
          if (na < 2) as[na++] = w;
      }
    }
    for (Value* p : ps) out.push_back(p);
    for (Value* a : as) out.push_back(a);
  }

  // The arguments of rt_ad_{sample,observe}_unboxed and rt_ad_dist_new:
  // like dist_args, but every parameter stays a word (a real may be a tape
  // variable; ints and bools become the bits of a double).
  std::vector<Value*> ad_dist_call(const Inst& in, size_t n, Value* last) {
    std::vector<Value*> out{ctx_, dist_ops(in.dist), word_const(in.site)};
    Value* ps[4] = {word_const(0), word_const(0), word_const(0), word_const(0)};
    Value* as[2] = {word_const(0), word_const(0)};
    int np = 0, na = 0;
    for (size_t k = 0; k < n && k < static_cast<size_t>(in.dist->nparams); ++k) {
      Value* w = load(in.args[k]);
      switch (in.dist->param_kinds[k]) {
        case rt::Kind::Real:
          if (np < 4) ps[np++] = w;
          break;
        case rt::Kind::Int:
        case rt::Kind::Bool:
          if (np < 4) ps[np++] = to_w(b_.CreateSIToFP(w, D));
          break;
        default:
          if (na < 2) as[na++] = w;
      }
    }
    for (Value* p : ps) out.push_back(p);
    for (Value* a : as) out.push_back(a);
    if (last) out.push_back(last);
    return out;
  }

  // --- function bodies
  void define(const IrFunction* f, bool ad) {
    ad_ = ad;
    fn_ = f;
    affine_ = ad ? find_affine_observes(*f) : AffineObserves{};
    llfn_ = ad ? ad_fns_.at(f) : fns_.at(f);
    next_site_ = 0;
    stack_probe_ = nullptr;
    BasicBlock* entry = block("entry");
    b_.SetInsertPoint(entry);
    auto ai = llfn_->arg_begin();
    ctx_ = &*ai++;
    Value* self = &*ai++;
    vars_.clear();
    for (size_t k = 0; k < f->var_names.size(); ++k) {
      vars_.push_back(b_.CreateAlloca(W, nullptr, f->var_names[k]));
      b_.CreateStore(word_const(0), vars_.back());
    }
    frame_slot_ = b_.CreateAlloca(P, nullptr, "frame");
    BasicBlock* normal = block("normal");
    BasicBlock* dispatch = nullptr;
    if (suspends(f)) {
      dispatch = block("dispatch");
      Value* resuming = b_.CreateLoad(I32, ctx_field(abi::ctx_offset::resuming));
      b_.CreateCondBr(b_.CreateICmpNE(resuming, llvm::ConstantInt::get(I32, 0)), dispatch, normal,
                      llvm::MDBuilder(c_).createBranchWeights(1, 1000));
    } else {
      b_.CreateBr(normal);
    }
    b_.SetInsertPoint(normal);
    if (f->self >= 0) store(f->self, self);
    for (size_t k = 0; k < f->params.size(); ++k) store(f->params[k], &*ai++);
    if (!f->captures.empty()) {
      Value* env = as_ptr(self);
      for (size_t k = 0; k < f->captures.size(); ++k)
        store(f->captures[k], b_.CreateLoad(W, b_.CreateConstGEP1_64(W, env, k + rt::kClosureHeader)));
    }
    body_start_ = block("body");
    b_.CreateBr(body_start_);
    if (suspends(f)) {
      b_.SetInsertPoint(dispatch);
      llvm::AllocaInst* site_slot;
      {
        llvm::IRBuilder<> eb(entry, entry->begin());
        site_slot = eb.CreateAlloca(W, nullptr, "site");
      }
      Value* frame = b_.CreateCall(rt("rt_pop_frame", P, {P, P}), {ctx_, site_slot});
      b_.CreateStore(frame, frame_slot_);
      BasicBlock* bad = block("bad_site");
      dispatch_ = b_.CreateSwitch(b_.CreateLoad(W, site_slot), bad);
      b_.SetInsertPoint(bad);
      b_.CreateUnreachable();
    }
    b_.SetInsertPoint(body_start_);
    Value* r = body(f->body);
    b_.CreateRet(r);
    if (suspends(f)) {
      Function* res = resumes_.at(f);
      BasicBlock* rb = BasicBlock::Create(c_, "entry", res);
      llvm::IRBuilder<> rbld(rb);
      std::vector<Value*> args{&*res->arg_begin(), word_const(0)};
      for (size_t k = 0; k < f->params.size(); ++k) args.push_back(word_const(0));
      rbld.CreateRet(rbld.CreateCall(llfn_, args));
    }
  }

  Value* body(const IrBody& bd) {
    for (const Inst& in : bd.insts) inst(in);
    return load(bd.result);
  }

  void inst(const Inst& in) {
    if (ad_ && affine_.skipped.count(&in)) return;  // folded into its observe
    switch (in.op) {
      case Inst::Op::Assign: store(in.dest, load(in.args[0])); return;
      case Inst::Op::Prim: store(in.dest, prim(in)); return;
      case Inst::Op::CallDirect: {
        check_stack(in);
        if (in.site >= 0) b_.CreateStore(word_const(in.site), ctx_field(abi::ctx_offset::user_call_site));
        std::vector<Value*> args{ctx_, word_const(0)};
        for (auto& a : in.args) args.push_back(load(a));
        Value* v = b_.CreateCall(ad_ ? ad_fns_.at(in.fn) : fns_.at(in.fn), args);
        if (suspends(fn_) && in.fn->may_suspend) finish_site(in, v, false);
        else store(in.dest, v);
        return;
      }
      case Inst::Op::CallClosure: {
        check_stack(in);
        Value* clo = load(in.args[0]);
        Value* code = ad_ ? static_cast<Value*>(b_.CreateCall(rt("rt_ad_twin", P, {P, W, W}), {ctx_, clo, word_const(in.call_site)}))
                          : static_cast<Value*>(b_.CreateLoad(P, as_ptr(clo)));
        std::vector<Value*> args{ctx_, clo};
        for (size_t k = 1; k < in.args.size(); ++k) args.push_back(load(in.args[k]));
        Value* v = b_.CreateCall(fn_type(in.args.size() - 1), code, args);
        finish_site(in, v, false);
        return;
      }
      case Inst::Op::MakeClosure: {
        Value* clo = b_.CreateCall(rt("rt_closure_new", W, {P, P, W}),
                                   {fns_.at(in.fn), twin_or_null(in.fn), word_const(static_cast<int64_t>(in.args.size()))});
        Value* p = as_ptr(clo);
        for (size_t k = 0; k < in.args.size(); ++k)
          b_.CreateStore(load(in.args[k]), b_.CreateConstGEP1_64(W, p, k + rt::kClosureHeader));
        store(in.dest, clo);
        return;
      }
      case Inst::Op::PatchClosure: {
        Value* p = as_ptr(load(in.args[0]));
        b_.CreateStore(load(in.args[1]), b_.CreateConstGEP1_64(W, p, in.index + rt::kClosureHeader));
        return;
      }
      case Inst::Op::If: {
        Value* c = b_.CreateICmpNE(load(in.args[0]), word_const(0));
        BasicBlock* th = block("then");
        BasicBlock* el = block("else");
        BasicBlock* join = block("endif");
        b_.CreateCondBr(c, th, el);
        b_.SetInsertPoint(th);
        store(in.dest, body(*in.then_body));
        b_.CreateBr(join);
        b_.SetInsertPoint(el);
        if (in.else_body) store(in.dest, body(*in.else_body));
        b_.CreateBr(join);
        b_.SetInsertPoint(join);
        return;
      }
      case Inst::Op::ForRange: {
        llvm::AllocaInst* iv = vars_.at(static_cast<size_t>(in.loop_var));
        b_.CreateStore(load(in.args[0]), iv);
        BasicBlock* head = block("for");
        BasicBlock* bodyb = block("for_body");
        BasicBlock* exit = block("for_end");
        b_.CreateBr(head);
        b_.SetInsertPoint(head);
        Value* i = b_.CreateLoad(W, iv);
        b_.CreateCondBr(b_.CreateICmpSLT(i, load(in.args[1])), bodyb, exit);
        b_.SetInsertPoint(bodyb);
        body(*in.then_body);
        b_.CreateStore(b_.CreateAdd(b_.CreateLoad(W, iv), word_const(1)), iv);
        b_.CreateBr(head);
        b_.SetInsertPoint(exit);
        return;
      }
      case Inst::Op::TailSelf: {
        std::vector<Value*> vals;
        for (auto& a : in.args) vals.push_back(load(a));
        for (size_t k = 0; k < vals.size() && k < fn_->params.size(); ++k) store(fn_->params[k], vals[k]);
        b_.CreateBr(body_start_);
        b_.SetInsertPoint(block("after_tail"));
        return;
      }
      case Inst::Op::Sample: {
        Value* v;
        if (ad_) {
          v = in.dist ? b_.CreateCall(rt("rt_ad_sample_unboxed", W, {P, W, W, W, W, W, W, W, W, W}),
                                      ad_dist_call(in, in.args.size(), word_const(in.index)))
                      : b_.CreateCall(rt("rt_ad_sample", W, {P, W, W, W}),
                                      {ctx_, load(in.args[0]), word_const(in.site), word_const(in.index)});
        } else if (in.dist) {
          std::vector<Value*> args{ctx_, dist_ops(in.dist), word_const(in.site)};
          dist_args(in.dist, in.args, in.args.size(), args);
          args.push_back(word_const(in.index));
          auto call = [&] { return b_.CreateCall(rt("rt_sample_unboxed", W, {P, W, W, D, D, D, D, W, W, W}), args); };
          v = in.dist == &dist::normal_ops ? inline_normal_sample(args[3], args[4], call) : call();
        } else {
          v = b_.CreateCall(rt("rt_sample", W, {P, W, W, W}),
                            {ctx_, load(in.args[0]), word_const(in.site), word_const(in.index)});
        }
        finish_site(in, v, true);
        return;
      }
      case Inst::Op::Observe: {
        Value* v;
        if (auto fused = ad_ ? affine_.observes.find(&in) : affine_.observes.end(); fused != affine_.observes.end()) {
          const AffineMean& m = fused->second;
          v = b_.CreateCall(rt("rt_ad_observe_normal_affine", W, {P, W, W, W, W, W, W}),
                            {ctx_, word_const(in.site), load(m.a), load(m.b), load(m.c), load(in.args[1]), load(in.args[2])});
        } else if (ad_ && in.dist == &dist::normal_ops && in.args.size() == 3) {
          v = b_.CreateCall(rt("rt_ad_observe_normal", W, {P, W, W, W, W}),
                            {ctx_, word_const(in.site), load(in.args[0]), load(in.args[1]), load(in.args[2])});
        } else if (ad_) {
          v = in.dist ? b_.CreateCall(rt("rt_ad_observe_unboxed", W, {P, W, W, W, W, W, W, W, W, W}),
                                      ad_dist_call(in, in.args.size() - 1, load(in.args.back())))
                      : b_.CreateCall(rt("rt_ad_observe", W, {P, W, W, W}),
                                      {ctx_, load(in.args[0]), load(in.args[1]), word_const(in.site)});
        } else if (in.dist) {
          std::vector<Value*> args{ctx_, dist_ops(in.dist), word_const(in.site)};
          dist_args(in.dist, in.args, in.args.size() - 1, args);
          args.push_back(load(in.args.back()));
          auto call = [&] { return b_.CreateCall(rt("rt_observe_unboxed", W, {P, W, W, D, D, D, D, W, W, W}), args); };
          v = in.dist == &dist::normal_ops ? inline_normal_observe(args[3], args[4], args[9], call) : call();
        } else {
          v = b_.CreateCall(rt("rt_observe", W, {P, W, W, W}),
                            {ctx_, load(in.args[0]), load(in.args[1]), word_const(in.site)});
        }
        finish_site(in, v, true);
        return;
      }
      case Inst::Op::Factor: {
        Value* v = ad_ ? b_.CreateCall(rt("rt_ad_factor", W, {P, W, W}), {ctx_, load(in.args[0]), word_const(in.site)})
                       : b_.CreateCall(rt("rt_factor", W, {P, D, W}), {ctx_, to_d(load(in.args[0])), word_const(in.site)});
        finish_site(in, v, true);
        return;
      }
    }
  }

  Value* cmp(Value* c) { return b_.CreateZExt(c, W); }
  Value* fbin(llvm::Instruction::BinaryOps op, const Inst& in) {
    return to_w(b_.CreateBinOp(op, to_d(load(in.args[0])), to_d(load(in.args[1]))));
  }
  Value* fcmp(llvm::CmpInst::Predicate p, const Inst& in) {
    return cmp(b_.CreateFCmp(p, to_d(load(in.args[0])), to_d(load(in.args[1]))));
  }
  Value* icmp(llvm::CmpInst::Predicate p, const Inst& in) {
    return cmp(b_.CreateICmp(p, load(in.args[0]), load(in.args[1])));
  }
  Value* call_rt(const std::string& name, std::vector<Value*> words, const Inst& in) {
    std::vector<llvm::Type*> ps{P, W};
    std::vector<Value*> args{ctx_, word_const(in.site)};
    for (Value* w : words) {
      ps.push_back(W);
      args.push_back(w);
    }
    return b_.CreateCall(rt("rt_" + name, W, ps), args);
  }
  Value* intrinsic(llvm::Intrinsic::ID id, std::vector<Value*> args) {
    std::vector<llvm::Type*> tys{D};
    Function* f = llvm::Intrinsic::getDeclaration(mod_.get(), id, tys);
    return b_.CreateCall(f, args);
  }

  // Integer +, - (binary and unary), * and abs are checked: a result that
  // does not fit in 64 bits is a runtime error at the operation's site, never
  // a wrapped value. The overflow intrinsics compile to the operation and one
  // never-taken jump on the overflow flag. `op` is rt_fail_overflow's code
  // (RuntimeAbi.cpp); the fail path is out of line.
  Value* overflow_fail(Value* overflowed, const Inst& in, int64_t op, Value* x, Value* y) {
    BasicBlock* ok = block("no_overflow");
    BasicBlock* bad = block("overflow");
    b_.CreateCondBr(overflowed, bad, ok, llvm::MDBuilder(c_).createBranchWeights(1, 1000));
    b_.SetInsertPoint(bad);
    b_.CreateCall(rt("rt_fail_overflow", llvm::Type::getVoidTy(c_), {P, W, W, W, W}, true),
                  {ctx_, word_const(in.site), word_const(op), x, y});
    b_.CreateUnreachable();
    b_.SetInsertPoint(ok);
    return nullptr;
  }
  Value* checked(llvm::Intrinsic::ID id, int64_t op, Value* x, Value* y, const Inst& in) {
    Function* f = llvm::Intrinsic::getDeclaration(mod_.get(), id, {W});
    Value* r = b_.CreateCall(f, {x, y});
    overflow_fail(b_.CreateExtractValue(r, 1), in, op, x, y);
    return b_.CreateExtractValue(r, 0);
  }

  Value* math(const Inst& in) {
    const std::string& n = in.name;
    std::vector<Value*> ds;
    if (n[0] == 'i' && (n == "iabs" || n == "imin" || n == "imax")) {
      Value* x = load(in.args[0]);
      if (n == "iabs") {
        overflow_fail(b_.CreateICmpEQ(x, word_const(INT64_MIN)), in, kOverflowAbs, x, word_const(0));
        return b_.CreateSelect(b_.CreateICmpSLT(x, word_const(0)), b_.CreateNeg(x), x);
      }
      Value* y = load(in.args[1]);
      return b_.CreateSelect(n == "imin" ? b_.CreateICmpSLT(x, y) : b_.CreateICmpSGT(x, y), x, y);
    }
    for (auto& a : in.args) ds.push_back(to_d(load(a)));
    using I = llvm::Intrinsic::ID;
    static const std::map<std::string, I> intr = {
        {"exp", llvm::Intrinsic::exp},     {"log", llvm::Intrinsic::log},     {"sqrt", llvm::Intrinsic::sqrt},
        {"sin", llvm::Intrinsic::sin},     {"cos", llvm::Intrinsic::cos},     {"floor", llvm::Intrinsic::floor},
        {"ceil", llvm::Intrinsic::ceil},   {"round", llvm::Intrinsic::round}, {"pow", llvm::Intrinsic::pow},
        {"abs", llvm::Intrinsic::fabs},    {"min", llvm::Intrinsic::minnum},  {"max", llvm::Intrinsic::maxnum}};
    auto it = intr.find(n);
    if (it != intr.end()) return to_w(intrinsic(it->second, ds));
    if (n == "is_nan") return cmp(b_.CreateFCmpUNO(ds[0], ds[0]));
    std::vector<llvm::Type*> ps(ds.size(), D);
    return to_w(b_.CreateCall(rt("rt_math_" + n, D, ps), ds));
  }

  // --- real operations in a twin (runtime/Tape.h)
  Value* is_var(Value* w) {
    return b_.CreateICmpEQ(b_.CreateAnd(w, word_const(static_cast<int64_t>(rt::ad::kTagMask))),
                           word_const(static_cast<int64_t>(rt::ad::kTag)));
  }
  // The double a twin's real word stands for.
  Value* ad_value(Value* w) { return b_.CreateCall(rt("rt_ad_value", D, {W}), {w}); }
  // A binary operation: inline on two plain doubles, on the tape otherwise.
  Value* ad_binary(llvm::Instruction::BinaryOps op, const char* name, const Inst& in) {
    Value* x = load(in.args[0]);
    Value* y = load(in.args[1]);
    BasicBlock* plain = block("ad_plain");
    BasicBlock* tape = block("ad_tape");
    BasicBlock* join = block("ad_done");
    b_.CreateCondBr(b_.CreateOr(is_var(x), is_var(y)), tape, plain);
    b_.SetInsertPoint(plain);
    Value* r = to_w(b_.CreateBinOp(op, to_d(x), to_d(y)));
    b_.CreateBr(join);
    b_.SetInsertPoint(tape);
    Value* t = b_.CreateCall(rt(std::string("rt_ad_") + name, W, {W, W}), {x, y});
    b_.CreateBr(join);
    b_.SetInsertPoint(join);
    llvm::PHINode* v = b_.CreatePHI(W, 2);
    v->addIncoming(r, plain);
    v->addIncoming(t, tape);
    return v;
  }
  Value* ad_call(const std::string& name, const Inst& in) {
    std::vector<Value*> ws;
    for (auto& a : in.args) ws.push_back(load(a));
    return b_.CreateCall(rt("rt_ad_" + name, W, std::vector<llvm::Type*>(ws.size(), W)), ws);
  }
  Value* ad_fcmp(llvm::CmpInst::Predicate p, const Inst& in) {
    return cmp(b_.CreateFCmp(p, ad_value(load(in.args[0])), ad_value(load(in.args[1]))));
  }
  // The twin's version of a primitive on reals; null for the others, which
  // are the same in both versions (they move words without reading reals).
  Value* ad_prim(const Inst& in) {
    using Pr = Prim;
    switch (in.prim) {
      case Pr::FAdd: return ad_binary(llvm::Instruction::FAdd, "add", in);
      case Pr::FSub: return ad_binary(llvm::Instruction::FSub, "sub", in);
      case Pr::FMul: return ad_binary(llvm::Instruction::FMul, "mul", in);
      case Pr::FDiv: return ad_binary(llvm::Instruction::FDiv, "div", in);
      case Pr::FMod: return ad_call("fmod", in);
      case Pr::FPow: return ad_call("pow", in);
      case Pr::FNeg: return ad_call("neg", in);
      case Pr::FLt: return ad_fcmp(llvm::CmpInst::FCMP_OLT, in);
      case Pr::FLe: return ad_fcmp(llvm::CmpInst::FCMP_OLE, in);
      case Pr::FGt: return ad_fcmp(llvm::CmpInst::FCMP_OGT, in);
      case Pr::FGe: return ad_fcmp(llvm::CmpInst::FCMP_OGE, in);
      case Pr::FEq: return ad_fcmp(llvm::CmpInst::FCMP_OEQ, in);
      case Pr::FNe: return ad_fcmp(llvm::CmpInst::FCMP_UNE, in);
      case Pr::DistNew:
        return b_.CreateCall(rt("rt_ad_dist_new", W, {P, W, W, W, W, W, W, W, W}), ad_dist_call(in, in.args.size(), nullptr));
      case Pr::Math: {
        const std::string& n = in.name;
        if (n == "iabs" || n == "imin" || n == "imax") return nullptr;
        // Piecewise constant: the value only, a plain result.
        if (n == "floor" || n == "ceil" || n == "round" || n == "is_nan") {
          Value* x = ad_value(load(in.args[0]));
          if (n == "is_nan") return cmp(b_.CreateFCmpUNO(x, x));
          return to_w(intrinsic(n == "floor" ? llvm::Intrinsic::floor : n == "ceil" ? llvm::Intrinsic::ceil : llvm::Intrinsic::round, {x}));
        }
        return ad_call(n, in);
      }
      case Pr::Runtime: {
        static const std::set<std::string> differentiated = {"sum_real", "logsumexp", "softmax", "real_to_int",
                                                             "print", "to_string", "format_real", "log_density", "infer"};
        if (!differentiated.count(in.name)) return nullptr;
        std::vector<Value*> ws;
        for (auto& a : in.args) ws.push_back(load(a));
        return call_rt("ad_" + in.name, ws, in);
      }
      default: return nullptr;
    }
  }

  Value* prim(const Inst& in) {
    using Pr = Prim;
    if (ad_)
      if (Value* v = ad_prim(in)) return v;
    switch (in.prim) {
      case Pr::IAdd: return checked(llvm::Intrinsic::sadd_with_overflow, kOverflowAdd, load(in.args[0]), load(in.args[1]), in);
      case Pr::ISub: return checked(llvm::Intrinsic::ssub_with_overflow, kOverflowSub, load(in.args[0]), load(in.args[1]), in);
      case Pr::IMul: return checked(llvm::Intrinsic::smul_with_overflow, kOverflowMul, load(in.args[0]), load(in.args[1]), in);
      case Pr::IDiv: return call_rt("idiv", {load(in.args[0]), load(in.args[1])}, in);
      case Pr::IMod: return call_rt("imod", {load(in.args[0]), load(in.args[1])}, in);
      case Pr::INeg: return checked(llvm::Intrinsic::ssub_with_overflow, kOverflowNeg, word_const(0), load(in.args[0]), in);
      case Pr::FAdd: return fbin(llvm::Instruction::FAdd, in);
      case Pr::FSub: return fbin(llvm::Instruction::FSub, in);
      case Pr::FMul: return fbin(llvm::Instruction::FMul, in);
      case Pr::FDiv: return fbin(llvm::Instruction::FDiv, in);
      case Pr::FMod: return fbin(llvm::Instruction::FRem, in);
      case Pr::FPow: return to_w(intrinsic(llvm::Intrinsic::pow, {to_d(load(in.args[0])), to_d(load(in.args[1]))}));
      case Pr::FNeg: return to_w(b_.CreateFNeg(to_d(load(in.args[0]))));
      case Pr::ILt: return icmp(llvm::CmpInst::ICMP_SLT, in);
      case Pr::ILe: return icmp(llvm::CmpInst::ICMP_SLE, in);
      case Pr::IGt: return icmp(llvm::CmpInst::ICMP_SGT, in);
      case Pr::IGe: return icmp(llvm::CmpInst::ICMP_SGE, in);
      case Pr::IEq: return icmp(llvm::CmpInst::ICMP_EQ, in);
      case Pr::INe: return icmp(llvm::CmpInst::ICMP_NE, in);
      case Pr::FLt: return fcmp(llvm::CmpInst::FCMP_OLT, in);
      case Pr::FLe: return fcmp(llvm::CmpInst::FCMP_OLE, in);
      case Pr::FGt: return fcmp(llvm::CmpInst::FCMP_OGT, in);
      case Pr::FGe: return fcmp(llvm::CmpInst::FCMP_OGE, in);
      case Pr::FEq: return fcmp(llvm::CmpInst::FCMP_OEQ, in);
      case Pr::FNe: return fcmp(llvm::CmpInst::FCMP_UNE, in);
      case Pr::Not: return b_.CreateXor(load(in.args[0]), word_const(1));
      case Pr::IntToReal: return to_w(b_.CreateSIToFP(load(in.args[0]), D));
      case Pr::StrEq: return call_rt("str_eq", {load(in.args[0]), load(in.args[1])}, in);
      case Pr::StrNe: return b_.CreateXor(call_rt("str_eq", {load(in.args[0]), load(in.args[1])}, in), word_const(1));
      case Pr::StrConcat: return call_rt("str_concat", {load(in.args[0]), load(in.args[1])}, in);
      case Pr::ArrConcat: return call_rt("array_concat", {load(in.args[0]), load(in.args[1])}, in);
      case Pr::ArrayGet: {
        Value* arr = as_ptr(load(in.args[0]));
        Value* idx = load(in.args[1]);
        Value* len = b_.CreateLoad(W, arr);
        BasicBlock* ok = block("in_bounds");
        BasicBlock* bad = block("out_of_bounds");
        b_.CreateCondBr(b_.CreateICmpULT(idx, len), ok, bad, llvm::MDBuilder(c_).createBranchWeights(1000, 1));
        b_.SetInsertPoint(bad);
        b_.CreateCall(rt("rt_fail_index", llvm::Type::getVoidTy(c_), {P, W, W, W}, true),
                      {ctx_, word_const(in.site), idx, len});
        b_.CreateUnreachable();
        b_.SetInsertPoint(ok);
        return b_.CreateLoad(W, b_.CreateGEP(W, arr, {b_.CreateAdd(idx, word_const(1))}));
      }
      case Pr::ArrayLen: return b_.CreateLoad(W, as_ptr(load(in.args[0])));
      case Pr::ArrayLit:
      case Pr::TupleNew: {
        bool arr = in.prim == Pr::ArrayLit;
        Value* obj = b_.CreateCall(rt(arr ? "rt_array_new" : "rt_tuple_new", W, {W}),
                                   {word_const(static_cast<int64_t>(in.args.size()))});
        Value* p = as_ptr(obj);
        for (size_t k = 0; k < in.args.size(); ++k)
          b_.CreateStore(load(in.args[k]), b_.CreateConstGEP1_64(W, p, k + (arr ? 1 : 0)));
        return obj;
      }
      case Pr::Slice: {
        auto bound = [&](const Operand& o, int64_t dflt) {
          return o.kind == Operand::Kind::Unit ? word_const(dflt) : load(o);
        };
        return call_rt("slice", {load(in.args[0]), bound(in.args[1], 0), bound(in.args[2], INT64_MIN)}, in);
      }
      case Pr::Range: return call_rt("range", {load(in.args[0]), load(in.args[1])}, in);
      case Pr::TupleGet: return b_.CreateLoad(W, b_.CreateConstGEP1_64(W, as_ptr(load(in.args[0])), in.index));
      case Pr::ListNil: return word_const(0);
      // Located, for the error when the heap cannot grow.
      case Pr::ListPush: return call_rt("list_push", {load(in.args[0]), load(in.args[1])}, in);
      case Pr::ListToArray: return call_rt("list_to_array", {load(in.args[0])}, in);
      case Pr::DistNew: {
        std::vector<Value*> args{ctx_, dist_ops(in.dist), word_const(in.site)};
        dist_args(in.dist, in.args, in.args.size(), args);
        return b_.CreateCall(rt("rt_dist_new", W, {P, W, W, D, D, D, D, W, W}), args);
      }
      case Pr::Math: return math(in);
      case Pr::Runtime: {
        // Top-level lets live in the program's own table (IrModule::globals).
        if (in.name == "global_get" || in.name == "global_set") {
          if (!aot_ && !ir_.globals) throw InternalError("codegen: globals table missing");
          Value* slot = b_.CreateConstGEP1_64(W, as_ptr(globals_table()), in.args[0].i);
          if (in.name == "global_get") return b_.CreateLoad(W, slot);
          b_.CreateStore(load(in.args[1]), slot);
          return word_const(0);
        }
        std::vector<Value*> ws;
        for (auto& a : in.args) ws.push_back(load(a));
        return call_rt(in.name, ws, in);
      }
    }
    throw InternalError("codegen: unknown primitive");
  }
};

}  // namespace

std::unique_ptr<llvm::Module> generate_llvm(const IrModule& m, llvm::LLVMContext& ctx, bool aot) {
  Gen g(m, ctx, aot);
  return g.run();
}

void optimise_llvm(llvm::Module& m) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb;
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cam, mam);
  llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
  mpm.run(m, mam);
}

std::string dump_llvm(const llvm::Module& m) {
  std::string s;
  llvm::raw_string_ostream os(s);
  m.print(os, nullptr);
  return os.str();
}

}  // namespace borel
