// Lower.cpp — typed AST to core IR (see Lower.h).
#include "compiler/ir/Lower.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "compiler/frontend/Builtins.h"
#include "runtime/Dist.h"
#include "runtime/Sites.h"
#include "runtime/TypeDesc.h"

namespace borel {

const rt::TypeDesc* type_desc(IrModule& m, Type* t, bool undecided_as_unit) {
  t = prune(t);
  auto make = [&](rt::TypeDesc::Tag tag) {
    m.type_descs.push_back(std::make_unique<rt::TypeDesc>());
    m.type_descs.back()->tag = tag;
    return m.type_descs.back().get();
  };
  using Tag = rt::TypeDesc::Tag;
  switch (t->tag) {
    case Type::Tag::Var: return undecided_as_unit ? make(Tag::Unit) : nullptr;
    case Type::Tag::Unit: return make(Tag::Unit);
    case Type::Tag::Bool: return make(Tag::Bool);
    case Type::Tag::Int: return make(Tag::Int);
    case Type::Tag::Real: return make(Tag::Real);
    case Type::Tag::String: return make(Tag::String);
    case Type::Tag::Opaque:
    case Type::Tag::Func: return make(Tag::Function);
    case Type::Tag::Array:
    case Type::Tag::Dist: {
      const rt::TypeDesc* e = type_desc(m, t->args[0], undecided_as_unit);
      if (!e) return nullptr;
      rt::TypeDesc* d = make(t->tag == Type::Tag::Array ? Tag::Array : Tag::Dist);
      d->elem = e;
      return d;
    }
    case Type::Tag::Tuple:
    case Type::Tag::Record: {
      std::vector<const rt::TypeDesc*> fs;
      for (Type* a : t->args) {
        const rt::TypeDesc* f = type_desc(m, a, undecided_as_unit);
        if (!f) return nullptr;
        fs.push_back(f);
      }
      rt::TypeDesc* d = make(t->tag == Type::Tag::Tuple ? Tag::Tuple : Tag::Record);
      d->fields = fs;
      d->names = t->names;
      return d;
    }
  }
  return nullptr;
}

namespace {

bool is_int(Type* t) { return prune(t)->tag == Type::Tag::Int; }
bool is_real(Type* t) { return prune(t)->tag == Type::Tag::Real; }

const std::set<std::string> kMathNames = {"exp",   "log",   "log1p", "expm1",  "sqrt",    "sin",     "cos",
                                          "tan",   "atan",  "tanh",  "floor",  "ceil",    "round",   "lgamma",
                                          "digamma", "sigmoid", "logit", "pow", "atan2", "is_nan"};

struct FnState {
  IrFunction* fn = nullptr;
  FnState* parent = nullptr;
  std::vector<std::map<std::string, VarId>> scopes;
  std::map<std::string, VarId> captured;  // outer name -> var in this function
  std::vector<std::string> capture_names;
  std::string global_name;                // set when lowering a top-level function
  const FnDecl* local_decl = nullptr;     // set when lowering a local function (self = its name)
  std::string dir;                        // directory of the source file, for data paths
};

class Lowerer {
 public:
  Lowerer(const CheckedProgram& p, Diagnostics& d) : prog_(p), diags_(d) {}
  IrModule run();

 private:
  const CheckedProgram& prog_;
  Diagnostics& diags_;
  IrModule mod_;
  std::map<std::string, IrFunction*> globals_;
  std::map<std::string, int64_t> global_slots_;
  FnState* st_ = nullptr;
  IrBody* body_ = nullptr;
  TypeArena scratch_types_;  // builtin signatures consulted during lowering

  IrFunction* new_function(const std::string& name, Loc loc) {
    mod_.functions.push_back(std::make_unique<IrFunction>());
    IrFunction* f = mod_.functions.back().get();
    f->name = name;
    f->loc = loc;
    return f;
  }
  VarId tmp(const std::string& n = "t") { return st_->fn->new_var(n); }
  int64_t site(Loc loc) { return rt::register_site(loc.str()); }
  Inst& emit(Inst::Op op, VarId dest, std::vector<Operand> args, Loc loc) {
    Inst i;
    i.op = op;
    i.dest = dest;
    i.args = std::move(args);
    i.loc = loc;
    body_->insts.push_back(std::move(i));
    return body_->insts.back();
  }
  Operand prim(Prim p, std::vector<Operand> args, Loc loc, bool with_site = false) {
    VarId d = tmp();
    Inst& i = emit(Inst::Op::Prim, d, std::move(args), loc);
    i.prim = p;
    if (with_site) i.site = site(loc);
    return Operand::v(d);
  }
  Operand runtime(const std::string& name, std::vector<Operand> args, Loc loc) {
    VarId d = tmp();
    Inst& i = emit(Inst::Op::Prim, d, std::move(args), loc);
    i.prim = Prim::Runtime;
    i.name = name;
    i.site = site(loc);
    return Operand::v(d);
  }
  Operand to_real(Operand o, Type* t, Loc loc) {
    if (!is_int(t)) return o;
    if (o.kind == Operand::Kind::Int) return Operand::real(static_cast<double>(o.i));
    return prim(Prim::IntToReal, {o}, loc);
  }
  // For printing and summaries; data readers use type_desc(.., false).
  Operand td(Type* t) { return Operand::type_desc(type_desc(mod_, t, true)); }

  // Name resolution: locals, captures, globals.
  std::optional<Operand> lookup_local(FnState* s, const std::string& name) {
    for (auto it = s->scopes.rbegin(); it != s->scopes.rend(); ++it) {
      auto f = it->find(name);
      if (f != it->end()) return Operand::v(f->second);
    }
    if (s->local_decl && s->local_decl->name == name) return Operand::v(s->fn->self);
    auto c = s->captured.find(name);
    if (c != s->captured.end()) return Operand::v(c->second);
    if (!s->parent) return std::nullopt;
    if (!lookup_local(s->parent, name)) return std::nullopt;
    VarId v = s->fn->new_var(name);
    s->captured[name] = v;
    s->capture_names.push_back(name);
    s->fn->captures.push_back(v);
    return Operand::v(v);
  }
  void bind(const std::string& name, VarId v) { st_->scopes.back()[name] = v; }

  // An If instruction (not yet emitted) with empty branches.
  Inst make_if(VarId dest, Operand cond, Loc loc) {
    Inst i;
    i.op = Inst::Op::If;
    i.dest = dest;
    i.args = {std::move(cond)};
    i.loc = loc;
    i.then_body = std::make_unique<IrBody>();
    i.else_body = std::make_unique<IrBody>();
    return i;
  }

  Operand lower(const Expr* e, bool tail = false);
  Operand lower_call(const Expr* e, bool tail);
  // Whether a direct call of `callee` from the function being lowered goes
  // from the user's code into the prelude (IR.h: such calls carry a site).
  bool calls_into_prelude(const IrFunction* callee) const {
    auto in_prelude = [](const IrFunction* f) { return f->loc.file && f->loc.file->path == "<prelude>"; };
    return in_prelude(callee) && !in_prelude(st_->fn);
  }
  std::optional<Operand> fold_over_suffix(const std::string& callee, const IrFunction* fn,
                                          const std::vector<const Expr*>& args);
  Operand lower_builtin(const Builtin& b, const Expr* call, std::vector<Operand> args,
                        const std::vector<Type*>& arg_types, Type* result, Loc loc);
  Operand lower_binary(const Expr* e);
  Operand lower_block(const Expr* e, bool tail);
  Operand lower_if(const Expr* e, bool tail);
  Operand lower_loop(const Expr* e);
  void lower_stmt(const Stmt* s);
  void lower_local_fns(const std::vector<const FnDecl*>& group);
  IrFunction* lower_function_body(IrFunction* f, const std::vector<Param>& params, const Expr* body,
                                  FnState& state);
  Operand builtin_value(const Builtin& b, const Expr* e);
  Operand make_closure(IrFunction* f, FnState& inner, Loc loc);

  void sub_body(IrBody& b, const std::function<Operand()>& fill) {
    IrBody* saved = body_;
    body_ = &b;
    st_->scopes.emplace_back();
    b.result = fill();
    st_->scopes.pop_back();
    body_ = saved;
  }
};

IrFunction* Lowerer::lower_function_body(IrFunction* f, const std::vector<Param>& params, const Expr* body,
                                         FnState& state) {
  state.fn = f;
  FnState* saved_st = st_;
  IrBody* saved_body = body_;
  st_ = &state;
  body_ = &f->body;
  state.scopes.emplace_back();
  if (f->is_closure) f->self = f->new_var("self");
  for (auto& p : params) {
    VarId v = f->new_var(p.name);
    f->params.push_back(v);
    bind(p.name, v);
  }
  f->body.result = lower(body, true);
  state.scopes.pop_back();
  st_ = saved_st;
  body_ = saved_body;
  return f;
}

Operand Lowerer::make_closure(IrFunction* f, FnState& inner, Loc loc) {
  std::vector<Operand> caps;
  for (auto& n : inner.capture_names) {
    auto o = lookup_local(st_, n);
    caps.push_back(o ? *o : Operand::unit());
  }
  VarId d = tmp("closure");
  Inst& i = emit(Inst::Op::MakeClosure, d, std::move(caps), loc);
  i.fn = f;
  return Operand::v(d);
}

Operand Lowerer::lower(const Expr* e, bool tail) {
  using K = Expr::Kind;
  switch (e->kind) {
    case K::IntLit:
      if (is_real(e->type)) return Operand::real(static_cast<double>(e->int_value));
      return Operand::integer(e->int_value);
    case K::RealLit: return Operand::real(e->real_value);
    case K::BoolLit: return Operand::boolean(e->bool_value);
    case K::StringLit: return Operand::string(e->name);
    case K::UnitLit: return Operand::unit();
    case K::Var: {
      if (auto o = lookup_local(st_, e->name)) return *o;
      auto g = globals_.find(e->name);
      if (g != globals_.end()) return Operand::function(g->second);
      auto s = global_slots_.find(e->name);
      if (s != global_slots_.end()) return runtime("global_get", {Operand::integer(s->second)}, e->loc);
      if (const Builtin* b = find_builtin(e->name)) {
        if (b->kind == Builtin::Kind::Constant) return Operand::real(b->value);
        return builtin_value(*b, e);
      }
      throw InternalError("lowering: unresolved name " + e->name);
    }
    case K::Call: return lower_call(e, tail);
    case K::Lambda: {
      IrFunction* f = new_function(st_->fn->name + ".lambda", e->loc);
      f->is_closure = true;
      FnState inner;
      inner.parent = st_;
      inner.dir = st_->dir;
      lower_function_body(f, e->params, e->kids[0].get(), inner);
      return make_closure(f, inner, e->loc);
    }
    case K::Unary: {
      Operand x = lower(e->kids[0].get());
      if (e->uop == UnaryOp::Not) return prim(Prim::Not, {x}, e->loc);
      if (is_int(e->type)) return prim(Prim::INeg, {x}, e->loc, true);  // located: it can overflow
      return prim(Prim::FNeg, {to_real(x, e->kids[0]->type, e->loc)}, e->loc);
    }
    case K::Binary: return lower_binary(e);
    case K::If: return lower_if(e, tail);
    case K::Block: return lower_block(e, tail);
    case K::ArrayLit: {
      std::vector<Operand> xs;
      for (auto& k : e->kids) xs.push_back(lower(k.get()));
      Type* el = prune(e->type)->args[0];
      if (is_real(el))
        for (size_t i = 0; i < xs.size(); ++i) xs[i] = to_real(xs[i], e->kids[i]->type, e->loc);
      return prim(Prim::ArrayLit, std::move(xs), e->loc);
    }
    case K::TupleLit: {
      std::vector<Operand> xs;
      for (auto& k : e->kids) xs.push_back(lower(k.get()));
      return prim(Prim::TupleNew, std::move(xs), e->loc);
    }
    case K::RecordLit: {
      std::map<std::string, Operand> byname;
      for (size_t i = 0; i < e->kids.size(); ++i) byname[e->fields[i]] = lower(e->kids[i].get());
      std::vector<Operand> xs;
      for (auto& [n, o] : byname) xs.push_back(o);  // sorted by name, as the record type
      return prim(Prim::TupleNew, std::move(xs), e->loc);
    }
    case K::Index: {
      Operand c = lower(e->kids[0].get());
      if (e->kids[1]->kind == K::StringLit) {
        Type* rt = prune(e->kids[0]->type);
        auto it = std::find(rt->names.begin(), rt->names.end(), e->kids[1]->name);
        Operand r = prim(Prim::TupleGet, {c}, e->loc);
        body_->insts.back().index = it - rt->names.begin();
        return r;
      }
      Operand i = lower(e->kids[1].get());
      return prim(Prim::ArrayGet, {c, i}, e->loc, true);
    }
    case K::Slice: {
      Operand c = lower(e->kids[0].get());
      Operand lo = e->kids.size() > 1 && e->kids[1] ? lower(e->kids[1].get()) : Operand::unit();
      Operand hi = e->kids.size() > 2 && e->kids[2] ? lower(e->kids[2].get()) : Operand::unit();
      return prim(Prim::Slice, {c, lo, hi}, e->loc, true);
    }
    case K::Field: {
      Operand c = lower(e->kids[0].get());
      Type* rt = prune(e->kids[0]->type);
      int64_t index = 0;
      if (rt->tag == Type::Tag::Record) {
        auto it = std::find(rt->names.begin(), rt->names.end(), e->name);
        index = it - rt->names.begin();
      } else if (rt->tag == Type::Tag::Tuple && !e->name.empty() && e->name.size() < 6 &&
                 e->name.find_first_not_of("0123456789") == std::string::npos) {
        index = std::stoll(e->name);
      } else {
        throw InternalError("lowering: field access on " + type_to_string(rt));
      }
      Operand r = prim(Prim::TupleGet, {c}, e->loc);
      body_->insts.back().index = index;
      return r;
    }
    case K::Range: {
      Operand lo = lower(e->kids[0].get());
      Operand hi = lower(e->kids[1].get());
      return prim(Prim::Range, {lo, hi}, e->loc, true);
    }
    case K::For:
    case K::Comprehension: return lower_loop(e);
  }
  throw InternalError("lowering: unknown expression");
}

Operand Lowerer::lower_binary(const Expr* e) {
  const Expr* l = e->kids[0].get();
  const Expr* r = e->kids[1].get();
  if (e->bop == BinaryOp::And || e->bop == BinaryOp::Or) {
    Operand x = lower(l);
    VarId d = tmp("logic");
    Inst i = make_if(d, x, e->loc);
    bool is_and = e->bop == BinaryOp::And;
    sub_body(*(is_and ? i.then_body : i.else_body), [&] { return lower(r); });
    (is_and ? i.else_body : i.then_body)->result = Operand::boolean(!is_and);
    body_->insts.push_back(std::move(i));
    return Operand::v(d);
  }
  Operand x = lower(l);
  Operand y = lower(r);
  Type* lt = prune(l->type);
  Type* rt = prune(r->type);
  bool ints = lt->tag == Type::Tag::Int && rt->tag == Type::Tag::Int;
  bool numeric = (lt->tag == Type::Tag::Int || lt->tag == Type::Tag::Real) &&
                 (rt->tag == Type::Tag::Int || rt->tag == Type::Tag::Real);
  auto num = [&](Prim ip, Prim fp, bool site = false) {
    if (ints) return prim(ip, {x, y}, e->loc, site);
    return prim(fp, {to_real(x, lt, e->loc), to_real(y, rt, e->loc)}, e->loc);
  };
  switch (e->bop) {
    // Integer arithmetic is checked (Codegen.cpp), so it carries a site for the error.
    case BinaryOp::Add: return num(Prim::IAdd, Prim::FAdd, true);
    case BinaryOp::Sub: return num(Prim::ISub, Prim::FSub, true);
    case BinaryOp::Mul: return num(Prim::IMul, Prim::FMul, true);
    case BinaryOp::Div: return num(Prim::IDiv, Prim::FDiv, true);
    case BinaryOp::Mod: return num(Prim::IMod, Prim::FMod, true);
    case BinaryOp::Pow: return prim(Prim::FPow, {to_real(x, lt, e->loc), to_real(y, rt, e->loc)}, e->loc);
    case BinaryOp::Lt: return num(Prim::ILt, Prim::FLt);
    case BinaryOp::Le: return num(Prim::ILe, Prim::FLe);
    case BinaryOp::Gt: return num(Prim::IGt, Prim::FGt);
    case BinaryOp::Ge: return num(Prim::IGe, Prim::FGe);
    case BinaryOp::Eq:
    case BinaryOp::Ne: {
      bool eq = e->bop == BinaryOp::Eq;
      if (numeric && !ints) return num(Prim::IEq, eq ? Prim::FEq : Prim::FNe);
      if (lt->tag == Type::Tag::String) return prim(eq ? Prim::StrEq : Prim::StrNe, {x, y}, e->loc);
      return prim(eq ? Prim::IEq : Prim::INe, {x, y}, e->loc);
    }
    case BinaryOp::Concat:
      return prim(lt->tag == Type::Tag::String ? Prim::StrConcat : Prim::ArrConcat, {x, y}, e->loc);
    default: break;
  }
  throw InternalError("lowering: binary operator");
}

Operand Lowerer::lower_if(const Expr* e, bool tail) {
  Operand c = lower(e->kids[0].get());
  VarId d = tmp("if");
  Inst i = make_if(d, c, e->loc);
  Type* t = e->type;
  auto branch = [&](const Expr* b) {
    Operand o = lower(b, tail);
    if (is_real(t)) o = to_real(o, b->type, b->loc);
    return o;
  };
  sub_body(*i.then_body, [&] { return branch(e->kids[1].get()); });
  if (e->kids.size() > 2 && e->kids[2]) sub_body(*i.else_body, [&] { return branch(e->kids[2].get()); });
  body_->insts.push_back(std::move(i));
  return Operand::v(d);
}

Operand Lowerer::lower_block(const Expr* e, bool tail) {
  st_->scopes.emplace_back();
  for (size_t i = 0; i < e->stmts.size(); ++i) {
    const Stmt* s = e->stmts[i].get();
    if (s->kind == Stmt::Kind::Fn) {
      std::vector<const FnDecl*> group;
      size_t j = i;
      while (j < e->stmts.size() && e->stmts[j]->kind == Stmt::Kind::Fn) group.push_back(e->stmts[j++]->fn.get());
      lower_local_fns(group);
      i = j - 1;
      continue;
    }
    lower_stmt(s);
  }
  Operand r = e->kids.empty() || !e->kids[0] ? Operand::unit() : lower(e->kids[0].get(), tail);
  st_->scopes.pop_back();
  return r;
}

void Lowerer::lower_stmt(const Stmt* s) {
  switch (s->kind) {
    case Stmt::Kind::Let: {
      Operand v = lower(s->value.get());
      VarId x = tmp(s->names[0]);
      emit(Inst::Op::Assign, x, {v}, s->loc);
      bind(s->names[0], x);
      break;
    }
    case Stmt::Kind::LetTuple: {
      Operand v = lower(s->value.get());
      for (size_t k = 0; k < s->names.size(); ++k) {
        if (s->names[k] == "_") continue;
        VarId x = tmp(s->names[k]);
        Inst& i = emit(Inst::Op::Prim, x, {v}, s->loc);
        i.prim = Prim::TupleGet;
        i.index = static_cast<int64_t>(k);
        bind(s->names[k], x);
      }
      break;
    }
    case Stmt::Kind::Expr: lower(s->value.get()); break;
    case Stmt::Kind::Fn: lower_local_fns({s->fn.get()}); break;
  }
}

void Lowerer::lower_local_fns(const std::vector<const FnDecl*>& group) {
  // Every member's closure variable is in scope before any body is lowered,
  // so members may refer to each other; the references are patched in once
  // all closures exist.
  std::vector<VarId> vars;
  for (auto* f : group) {
    vars.push_back(tmp(f->name));
    bind(f->name, vars.back());
  }
  std::vector<IrFunction*> fns;
  std::vector<FnState> states(group.size());
  for (size_t k = 0; k < group.size(); ++k) {
    IrFunction* f = new_function(st_->fn->name + "." + group[k]->name, group[k]->loc);
    f->is_closure = true;
    states[k].parent = st_;
    states[k].local_decl = group[k];
    states[k].dir = st_->dir;
    lower_function_body(f, group[k]->params, group[k]->body.get(), states[k]);
    fns.push_back(f);
  }
  for (size_t k = 0; k < group.size(); ++k) {
    Operand c = make_closure(fns[k], states[k], group[k]->loc);
    emit(Inst::Op::Assign, vars[k], {c}, group[k]->loc);
  }
  for (size_t k = 0; k < group.size(); ++k)
    for (size_t c = 0; c < states[k].capture_names.size(); ++c)
      for (size_t m = 0; m < group.size(); ++m)
        if (states[k].capture_names[c] == group[m]->name) {
          Inst& i = emit(Inst::Op::PatchClosure, -1, {Operand::v(vars[k]), Operand::v(vars[m])}, group[k]->loc);
          i.index = static_cast<int64_t>(c);
        }
}

Operand Lowerer::lower_loop(const Expr* e) {
  const Expr* coll = e->kids[0].get();
  Operand lo, hi, arr;
  bool over_range = coll->kind == Expr::Kind::Range;
  if (over_range) {
    lo = lower(coll->kids[0].get());
    hi = lower(coll->kids[1].get());
  } else {
    arr = lower(coll);
    lo = Operand::integer(0);
    hi = prim(Prim::ArrayLen, {arr}, e->loc);
  }
  bool comp = e->kind == Expr::Kind::Comprehension;
  // A comprehension over lo..hi without a filter makes hi - lo elements:
  // one that cannot fit in memory is refused before the loop starts.
  if (comp && over_range && !(e->kids.size() > 2 && e->kids[2])) runtime("comprehension_check", {lo, hi}, e->loc);
  VarId acc = -1;
  if (comp) {
    acc = tmp("acc");
    Inst& nil = emit(Inst::Op::Prim, acc, {}, e->loc);
    nil.prim = Prim::ListNil;
  }
  Inst loop;
  loop.op = Inst::Op::ForRange;
  loop.loop_var = tmp("i");
  loop.args = {lo, hi};
  loop.loc = e->loc;
  loop.then_body = std::make_unique<IrBody>();
  sub_body(*loop.then_body, [&] {
    VarId x = tmp(e->name);
    if (over_range) {
      emit(Inst::Op::Assign, x, {Operand::v(loop.loop_var)}, e->loc);
    } else {
      Inst& g = emit(Inst::Op::Prim, x, {arr, Operand::v(loop.loop_var)}, e->loc);
      g.prim = Prim::ArrayGet;
      g.site = site(e->loc);
    }
    bind(e->name, x);
    if (!comp) {
      lower(e->kids[1].get());
      return Operand::unit();
    }
    auto push = [&] {
      Operand v = lower(e->kids[1].get());
      Inst& p = emit(Inst::Op::Prim, acc, {Operand::v(acc), v}, e->loc);
      p.prim = Prim::ListPush;
      p.site = site(e->loc);
      return Operand::unit();
    };
    if (e->kids.size() > 2 && e->kids[2]) {
      Operand c = lower(e->kids[2].get());
      Inst i = make_if(tmp("filter"), c, e->loc);
      sub_body(*i.then_body, push);
      body_->insts.push_back(std::move(i));
    } else {
      push();
    }
    return Operand::unit();
  });
  body_->insts.push_back(std::move(loop));
  if (!comp) return Operand::unit();
  return prim(Prim::ListToArray, {Operand::v(acc)}, e->loc, true);
}

Operand Lowerer::lower_call(const Expr* e, bool tail) {
  const Expr* callee = e->kids[0].get();
  std::vector<const Expr*> arg_exprs;
  for (size_t i = 1; i < e->kids.size(); ++i) arg_exprs.push_back(e->kids[i].get());
  if (callee->kind == Expr::Kind::Var) {
    std::optional<Operand> local = lookup_local(st_, callee->name);
    if (!local && !globals_.count(callee->name) && !global_slots_.count(callee->name)) {
      if (const Builtin* b = find_builtin(callee->name)) {
        // sample(d(...)) and observe(d(...), v): pass the distribution unboxed.
        if (b->kind == Builtin::Kind::Effect && b->name != "factor" && arg_exprs[0]->kind == Expr::Kind::Call &&
            arg_exprs[0]->kids[0]->kind == Expr::Kind::Var && !lookup_local(st_, arg_exprs[0]->kids[0]->name) &&
            !globals_.count(arg_exprs[0]->kids[0]->name)) {
          const Builtin* db = find_builtin(arg_exprs[0]->kids[0]->name);
          if (db && db->kind == Builtin::Kind::Dist) {
            const Expr* dc = arg_exprs[0];
            std::vector<Operand> ops;
            for (size_t k = 1; k < dc->kids.size(); ++k) {
              Operand o = lower(dc->kids[k].get());
              if (db->dist->param_kinds[k - 1] == rt::Kind::Real) o = to_real(o, dc->kids[k]->type, dc->loc);
              ops.push_back(o);
            }
            VarId d = tmp(b->name);
            if (b->name == "observe") ops.push_back(lower(arg_exprs[1]));
            Inst& i = emit(b->name == "sample" ? Inst::Op::Sample : Inst::Op::Observe, d, std::move(ops), e->loc);
            i.dist = db->dist;
            i.site = site(e->loc);
            i.index = b->name == "sample" && arg_exprs.size() == 2 ? rt::name_site(arg_exprs[1]->name) : -1;
            return Operand::v(d);
          }
        }
        std::vector<Operand> args;
        std::vector<Type*> types;
        for (auto* a : arg_exprs) {
          args.push_back(lower(a));
          types.push_back(a->type);
        }
        return lower_builtin(*b, e, std::move(args), types, e->type, e->loc);
      }
    }
    auto g = globals_.find(callee->name);
    if (!local && g != globals_.end()) {
      if (auto fused = fold_over_suffix(callee->name, g->second, arg_exprs)) return *fused;
      std::vector<Operand> args;
      for (auto* a : arg_exprs) args.push_back(lower(a));
      if (tail && st_->global_name == callee->name && st_->parent == nullptr) {
        emit(Inst::Op::TailSelf, -1, std::move(args), e->loc);
        return Operand::unit();
      }
      VarId d = tmp("call");
      Inst& i = emit(Inst::Op::CallDirect, d, std::move(args), e->loc);
      i.fn = g->second;
      i.call_site = site(e->loc);
      if (calls_into_prelude(g->second)) i.site = i.call_site;
      return Operand::v(d);
    }
    if (local && tail && st_->local_decl && st_->local_decl->name == callee->name &&
        local->var == st_->fn->self) {
      std::vector<Operand> args;
      for (auto* a : arg_exprs) args.push_back(lower(a));
      emit(Inst::Op::TailSelf, -1, std::move(args), e->loc);
      return Operand::unit();
    }
  }
  Operand f = lower(callee);
  std::vector<Operand> args{f};
  for (auto* a : arg_exprs) args.push_back(lower(a));
  VarId d = tmp("call");
  emit(Inst::Op::CallClosure, d, std::move(args), e->loc).call_site = site(e->loc);
  return Operand::v(d);
}

// The prelude's fold over a suffix, fold(xs[a..], init, f), is lowered as
// fold_from(xs, a, init, f) after the slice's own bounds check: the same
// values in the same order, the same error, but no copy of the suffix — in
// a model that copy is made by every particle (most of an SMC run's memory
// for lgssm.brl).
std::optional<Operand> Lowerer::fold_over_suffix(const std::string& callee, const IrFunction* fn,
                                                 const std::vector<const Expr*>& args) {
  auto from_prelude = [](const IrFunction* f) { return f->loc.file && f->loc.file->path == "<prelude>"; };
  if (callee != "fold" || args.size() != 3 || !from_prelude(fn)) return std::nullopt;
  const Expr* s = args[0];
  if (s->kind != Expr::Kind::Slice || s->kids.size() < 2 || !s->kids[1] || (s->kids.size() > 2 && s->kids[2]))
    return std::nullopt;
  auto ff = globals_.find("fold_from");
  if (ff == globals_.end() || !from_prelude(ff->second) || lookup_local(st_, "fold_from")) return std::nullopt;
  Operand xs = lower(s->kids[0].get());
  Operand lo = lower(s->kids[1].get());
  runtime("slice_check", {xs, lo}, s->loc);
  Operand init = lower(args[1]);
  Operand f = lower(args[2]);
  VarId d = tmp("call");
  Inst& i = emit(Inst::Op::CallDirect, d, {xs, lo, init, f}, s->loc);
  i.fn = ff->second;
  i.call_site = site(s->loc);
  if (calls_into_prelude(ff->second)) i.site = i.call_site;
  return Operand::v(d);
}

Operand Lowerer::lower_builtin(const Builtin& b, const Expr* call, std::vector<Operand> args,
                               const std::vector<Type*>& types, Type* result, Loc loc) {
  (void)call;
  const std::string& n = b.name;
  switch (b.kind) {
    case Builtin::Kind::Effect: {
      VarId d = tmp(n);
      Inst::Op op = n == "sample" ? Inst::Op::Sample : n == "observe" ? Inst::Op::Observe : Inst::Op::Factor;
      if (op == Inst::Op::Factor) args[0] = to_real(args[0], types[0], loc);
      int64_t address = -1;
      if (op == Inst::Op::Sample && args.size() == 2) {  // sample(d, "name")
        address = rt::name_site(args[1].s);
        args.pop_back();
      }
      Inst& i = emit(op, d, std::move(args), loc);
      i.site = site(loc);
      i.index = address;
      return Operand::v(d);
    }
    case Builtin::Kind::Dist: {
      for (size_t k = 0; k < args.size(); ++k)
        if (b.dist->param_kinds[k] == rt::Kind::Real) args[k] = to_real(args[k], types[k], loc);
      VarId d = tmp(n);
      Inst& i = emit(Inst::Op::Prim, d, std::move(args), loc);
      i.prim = Prim::DistNew;
      i.dist = b.dist;
      i.site = site(loc);
      return Operand::v(d);
    }
    case Builtin::Kind::Method: {
      // rt_method(name, (arguments...)): the runtime decodes them by the method's table.
      Type* sig = prune(b.type(scratch_types_, 0));
      for (size_t k = 0; k < args.size(); ++k)
        if (is_real(sig->args[k])) args[k] = to_real(args[k], types[k], loc);
      Operand tuple = prim(Prim::TupleNew, std::move(args), loc);
      return runtime("method", {Operand::string(n), tuple}, loc);
    }
    case Builtin::Kind::Runtime: break;
    case Builtin::Kind::Constant: throw InternalError("lowering: a call of the constant " + n);
  }
  if (kMathNames.count(n)) {
    for (size_t k = 0; k < args.size(); ++k) args[k] = to_real(args[k], types[k], loc);
    VarId d = tmp(n);
    Inst& i = emit(Inst::Op::Prim, d, std::move(args), loc);
    i.prim = Prim::Math;
    i.name = n;
    return Operand::v(d);
  }
  if (n == "abs" || n == "min" || n == "max") {
    bool ints = is_int(result);
    if (!ints)
      for (size_t k = 0; k < args.size(); ++k) args[k] = to_real(args[k], types[k], loc);
    VarId d = tmp(n);
    Inst& i = emit(Inst::Op::Prim, d, std::move(args), loc);
    i.prim = Prim::Math;
    i.name = n;
    if (ints) i.name.insert(0, 1, 'i');
    if (ints && n == "abs") i.site = site(loc);  // abs of the least int overflows
    return Operand::v(d);
  }
  if (n == "real") return prim(Prim::IntToReal, {args[0]}, loc);
  if (n == "len") return prim(Prim::ArrayLen, {args[0]}, loc);
  if (n == "int") return runtime("real_to_int", {args[0]}, loc);
  if (n == "sum") return runtime(is_int(result) ? "sum_int" : "sum_real", {args[0]}, loc);
  if (n == "print" || n == "to_string") return runtime(n, {args[0], td(types[0])}, loc);
  if (n == "llm") return runtime(n, {args[0], Operand::string(st_->dir)}, loc);
  if (n == "read_json" || n == "read_csv")
    return runtime(n, {args[0], Operand::type_desc(type_desc(mod_, result)), Operand::string(st_->dir)}, loc);
  if (n == "infer") {
    Type* t = prune(result)->args[0];
    return runtime("infer", {args[0], args[1], td(t)}, loc);
  }
  if (n == "vi") {
    Type* g = prune(result)->args[0];
    return runtime("vi", {args[0], args[1], args[2], args[3], td(g)}, loc);
  }
  if (n == "param" || n == "param_positive" || n == "param_unit") args[1] = to_real(args[1], types[1], loc);
  if (n == "tempered") {
    args[1] = to_real(args[1], types[1], loc);
    args[3] = to_real(args[3], types[3], loc);
  }
  if (n == "summary" || n == "histogram") {
    Type* t = prune(types[0])->args[0];
    return runtime(n, {args[0], td(t)}, loc);
  }
  if (n == "log_density") {
    Type* t = prune(types[0])->args[0];
    if (is_real(t)) args[1] = to_real(args[1], types[1], loc);
  }
  return runtime(n, std::move(args), loc);
}

Operand Lowerer::builtin_value(const Builtin& b, const Expr* e) {
  // A builtin used as a value becomes a closure that calls it.
  Type* ft = prune(e->type);
  if (ft->tag != Type::Tag::Func) throw InternalError("builtin value without function type");
  IrFunction* f = new_function("builtin." + b.name, e->loc);
  f->is_closure = true;
  FnState inner;
  inner.parent = nullptr;
  inner.fn = f;
  inner.dir = st_->dir;
  FnState* saved = st_;
  IrBody* saved_body = body_;
  st_ = &inner;
  body_ = &f->body;
  inner.scopes.emplace_back();
  f->self = f->new_var("self");
  std::vector<Operand> args;
  std::vector<Type*> types;
  for (size_t k = 0; k + 1 < ft->args.size(); ++k) {
    std::string pname = std::to_string(k);
    pname.insert(0, 1, 'p');
    VarId v = f->new_var(pname);
    f->params.push_back(v);
    args.push_back(Operand::v(v));
    types.push_back(ft->args[k]);
  }
  f->body.result = lower_builtin(b, e, args, types, ft->args.back(), e->loc);
  st_ = saved;
  body_ = saved_body;
  VarId d = tmp("closure");
  Inst& i = emit(Inst::Op::MakeClosure, d, {}, e->loc);
  i.fn = f;
  return Operand::v(d);
}

IrModule Lowerer::run() {
  // Top-level functions first, so bodies can refer to any of them.
  for (Module* m : prog_.modules)
    for (auto& f : m->fns) globals_[f->name] = new_function(f->name, f->loc);
  int64_t slot = 0;
  for (Stmt* s : prog_.globals)
    for (auto& n : s->names)
      if (n != "_") global_slots_[n] = slot++;
  mod_.global_count = slot;
  for (Module* m : prog_.modules) {
    std::string dir = std::filesystem::path(m->file->path).parent_path().string();
    for (auto& f : m->fns) {
      FnState st;
      st.global_name = f->name;
      st.dir = dir;
      lower_function_body(globals_[f->name], f->params, f->body.get(), st);
    }
  }
  // __main: top-level lets in order, then main().
  IrFunction* entry = new_function("__main", Loc{});
  entry->is_closure = true;
  FnState st;
  st.fn = entry;
  st_ = &st;
  body_ = &entry->body;
  st.scopes.emplace_back();
  entry->self = entry->new_var("self");
  for (Module* m : prog_.modules) {
    st.dir = std::filesystem::path(m->file->path).parent_path().string();
    for (auto& s : m->lets) {
      Operand v = lower(s->value.get());
      if (s->kind == Stmt::Kind::Let) {
        runtime("global_set", {Operand::integer(global_slots_[s->names[0]]), v}, s->loc);
      } else {
        for (size_t k = 0; k < s->names.size(); ++k) {
          if (s->names[k] == "_") continue;
          Operand f = prim(Prim::TupleGet, {v}, s->loc);
          body_->insts.back().index = static_cast<int64_t>(k);
          runtime("global_set", {Operand::integer(global_slots_[s->names[k]]), f}, s->loc);
        }
      }
    }
  }
  auto mainf = globals_.find("main");
  if (mainf != globals_.end()) {
    VarId d = tmp("main");
    Inst& i = emit(Inst::Op::CallDirect, d, {}, Loc{});
    i.fn = mainf->second;
  }
  entry->body.result = Operand::unit();
  mod_.main = entry;
  st_ = nullptr;
  body_ = nullptr;
  return std::move(mod_);
}

}  // namespace

IrModule lower(const CheckedProgram& program, Diagnostics& diags) {
  Lowerer l(program, diags);
  return l.run();
}

}  // namespace borel
