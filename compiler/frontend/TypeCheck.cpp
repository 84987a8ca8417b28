// TypeCheck.cpp — Hindley–Milner inference with deferred numeric and field
// constraints (see TypeCheck.h for the rules).
#include "compiler/frontend/TypeCheck.h"

#include <algorithm>
#include <functional>
#include <set>
#include <unordered_map>

#include "compiler/frontend/Builtins.h"

namespace borel {
namespace {

struct Binding {
  Scheme scheme;
  bool global_fn = false;
  FnDecl* decl = nullptr;  // for named arguments of global functions
};

struct Deferred {
  enum class Kind { Arith, Compare, Eq, Neg, Concat, Field } kind;
  BinaryOp op{};
  Type* a = nullptr;
  Type* b = nullptr;
  Type* result = nullptr;
  std::string field;
  Loc loc;
  bool done = false;
};

bool is_number(Type* t) {
  t = prune(t);
  return t->tag == Type::Tag::Int || t->tag == Type::Tag::Real;
}

bool is_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

class Checker {
 public:
  Checker(TypeArena& arena, Diagnostics& diags) : a_(arena), diags_(diags) {}

  CheckedProgram run(std::vector<Module*> modules);

 private:
  TypeArena& a_;
  Diagnostics& diags_;
  std::vector<std::unordered_map<std::string, Binding>> scopes_;
  std::vector<Deferred> deferred_;
  int level_ = 0;
  std::unordered_map<std::string, Type*> tyvars_;  // 'a names within one top-level function

  // --- environment
  void push() { scopes_.emplace_back(); }
  void pop() { scopes_.pop_back(); }
  void bind(const std::string& name, Scheme s, bool global_fn = false, FnDecl* decl = nullptr) {
    scopes_.back()[name] = Binding{std::move(s), global_fn, decl};
  }
  const Binding* lookup(const std::string& name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto f = it->find(name);
      if (f != it->end()) return &f->second;
    }
    return nullptr;
  }

  // --- types
  bool occurs(Type* v, Type* t) {
    t = prune(t);
    if (t == v) return true;
    for (Type* x : t->args)
      if (occurs(v, x)) return true;
    return false;
  }
  void adjust_levels(Type* t, int level) {
    t = prune(t);
    if (t->tag == Type::Tag::Var) {
      t->level = std::min(t->level, level);
      return;
    }
    for (Type* x : t->args) adjust_levels(x, level);
  }
  // Returns false (without reporting) when the types cannot be made equal.
  bool unify(Type* x, Type* y) {
    x = prune(x);
    y = prune(y);
    if (x == y) return true;
    if (x->tag == Type::Tag::Var || y->tag == Type::Tag::Var) {
      if (x->tag != Type::Tag::Var) std::swap(x, y);
      // x is a variable.
      if (y->tag == Type::Tag::Var) {
        if (y->numeric && !x->numeric) std::swap(x, y);  // keep the numeric mark: bind plain to numeric
        if (x->numeric) y->numeric = true;
        y->level = std::min(x->level, y->level);
        x->link = y;
        return true;
      }
      if (x->numeric && !is_number(y)) return false;
      if (occurs(x, y)) return false;
      adjust_levels(y, x->level);
      x->link = y;
      return true;
    }
    if (x->tag != y->tag) return false;
    if (x->tag == Type::Tag::Opaque) return x->names == y->names;
    if (x->args.size() != y->args.size()) return false;
    if (x->tag == Type::Tag::Record && x->names != y->names) return false;
    for (size_t i = 0; i < x->args.size(); ++i)
      if (!unify(x->args[i], y->args[i])) return false;
    return true;
  }
  void expect(Type* expected, Type* found, Loc loc, const std::string& what = "") {
    if (unify(expected, found)) return;
    std::string fs;
    std::string es = types_to_string(expected, found, &fs);
    diags_.error(loc, (what.empty() ? std::string("type mismatch") : what) + ": expected " + es + ", found " + fs);
  }

  Type* instantiate(const Scheme& s) {
    if (s.vars.empty()) return s.body;
    std::unordered_map<Type*, Type*> sub;
    for (Type* v : s.vars) sub[v] = a_.var(level_, v->numeric);
    std::function<Type*(Type*)> copy = [&](Type* t) -> Type* {
      t = prune(t);
      if (t->tag == Type::Tag::Var) {
        auto it = sub.find(t);
        return it == sub.end() ? t : it->second;
      }
      if (t->args.empty()) return t;
      Type* c = nullptr;
      std::vector<Type*> args;
      for (Type* x : t->args) args.push_back(copy(x));
      switch (t->tag) {
        case Type::Tag::Array: c = a_.array(args[0]); break;
        case Type::Tag::Dist: c = a_.dist(args[0]); break;
        case Type::Tag::Tuple: c = a_.tuple(args); break;
        case Type::Tag::Record: c = a_.record(t->names, args); break;
        case Type::Tag::Func: {
          Type* r = args.back();
          args.pop_back();
          c = a_.func(args, r);
          break;
        }
        default: c = t;
      }
      return c;
    };
    return copy(s.body);
  }

  void pending_vars(std::set<Type*>& out) {
    std::function<void(Type*)> collect = [&](Type* t) {
      if (!t) return;
      t = prune(t);
      if (t->tag == Type::Tag::Var) out.insert(t);
      for (Type* x : t->args) collect(x);
    };
    for (auto& d : deferred_)
      if (!d.done) {
        collect(d.a);
        collect(d.b);
        collect(d.result);
      }
  }

  Scheme generalize(Type* t) {
    std::set<Type*> blocked;
    pending_vars(blocked);
    Scheme s;
    s.body = t;
    std::set<Type*> seen;
    std::function<void(Type*)> walk = [&](Type* x) {
      x = prune(x);
      if (x->tag == Type::Tag::Var) {
        if (x->level > level_ && !blocked.count(x) && seen.insert(x).second) s.vars.push_back(x);
        return;
      }
      for (Type* y : x->args) walk(y);
    };
    walk(t);
    return s;
  }

  Type* from_annotation(const TypeExpr* te) {
    switch (te->kind) {
      case TypeExpr::Kind::Name:
        if (te->name == "real") return a_.real();
        if (te->name == "int") return a_.integer();
        if (te->name == "bool") return a_.boolean();
        if (te->name == "string") return a_.string();
        if (te->name == "unit") return a_.unit();
        if (is_opaque_type_name(te->name)) return a_.opaque(te->name);
        diags_.error(te->loc, "unknown type `" + te->name + "`");
        return a_.var(level_);
      case TypeExpr::Kind::Var: {
        auto it = tyvars_.find(te->name);
        if (it != tyvars_.end()) return it->second;
        return tyvars_[te->name] = a_.var(level_);
      }
      case TypeExpr::Kind::Array:
        if (te->args.size() != 1) break;
        return a_.array(from_annotation(te->args[0].get()));
      case TypeExpr::Kind::Dist:
        if (te->args.size() != 1) break;
        return a_.dist(from_annotation(te->args[0].get()));
      case TypeExpr::Kind::Tuple: {
        std::vector<Type*> f;
        for (auto& x : te->args) f.push_back(from_annotation(x.get()));
        return a_.tuple(f);
      }
      case TypeExpr::Kind::Record: {
        std::vector<Type*> f;
        for (auto& x : te->args) f.push_back(from_annotation(x.get()));
        std::set<std::string> uniq(te->fields.begin(), te->fields.end());
        if (uniq.size() != te->fields.size()) diags_.error(te->loc, "record type has a repeated field");
        return a_.record(te->fields, f);
      }
      case TypeExpr::Kind::Func: {
        if (te->args.empty()) break;
        std::vector<Type*> ps;
        for (size_t i = 0; i + 1 < te->args.size(); ++i) ps.push_back(from_annotation(te->args[i].get()));
        return a_.func(ps, from_annotation(te->args.back().get()));
      }
    }
    diags_.error(te->loc, "malformed type");
    return a_.var(level_);
  }

  // --- deferred constraints
  void defer(Deferred d) {
    if (!try_resolve(d)) deferred_.push_back(std::move(d));
  }
  void bad_operand(const Deferred& d, Type* t, const char* need) {
    diags_.error(d.loc, std::string("operator ") +
                            (d.kind == Deferred::Kind::Neg ? "-" : op_text(d.op)) + " needs " + need +
                            ", found " + type_to_string(t));
  }
  // Returns true when the constraint is settled (or reported).
  bool try_resolve(Deferred& d) {
    using T = Type::Tag;
    switch (d.kind) {
      case Deferred::Kind::Arith:
      case Deferred::Kind::Compare: {
        Type* x = prune(d.a);
        Type* y = prune(d.b);
        for (Type* t : {x, y})
          if (t->tag != T::Var && !is_number(t)) {
            bad_operand(d, t, "numbers");
            return true;
          }
        bool xv = x->tag == T::Var, yv = y->tag == T::Var;
        if (xv && yv) {
          if (x->numeric || y->numeric) unify(x, y);
          else return false;
        } else if (xv || yv) {
          Type* v = xv ? x : y;
          Type* c = xv ? y : x;
          if (v->numeric) unify(v, c);
          else return false;
        }
        x = prune(d.a);
        y = prune(d.b);
        Type* res;
        if (x->tag == T::Var) res = x;  // both the same numeric variable
        else if (d.kind == Deferred::Kind::Arith && d.op == BinaryOp::Pow) res = a_.real();
        else res = (x->tag == T::Int && y->tag == T::Int) ? a_.integer() : a_.real();
        if (d.kind == Deferred::Kind::Compare) res = a_.boolean();
        if (d.kind == Deferred::Kind::Arith && d.op == BinaryOp::Pow && x->tag == T::Var) {
          unify(x, a_.real());
          res = a_.real();
        }
        expect(d.result, res, d.loc, std::string("result of ") + op_text(d.op));
        return true;
      }
      case Deferred::Kind::Neg: {
        Type* x = prune(d.a);
        if (x->tag == T::Var && !x->numeric) return false;
        if (x->tag != T::Var && !is_number(x)) {
          bad_operand(d, x, "a number");
          return true;
        }
        expect(d.result, x, d.loc);
        return true;
      }
      case Deferred::Kind::Eq: {
        Type* x = prune(d.a);
        Type* y = prune(d.b);
        bool xv = x->tag == T::Var, yv = y->tag == T::Var;
        if ((xv && x->numeric) || (yv && y->numeric)) {
          if (xv && yv) unify(x, y);
          else if (!unify(xv ? x : y, xv ? y : x)) {
            diags_.error(d.loc, std::string("cannot compare ") + type_to_string(x) + " with " + type_to_string(y));
          }
          return true;
        }
        if (xv && yv) return false;
        if (xv || yv) {
          if (is_number(xv ? y : x)) return false;  // may still be int vs real
          unify(x, y);
          x = prune(d.a);
          y = x;
        }
        if (is_number(x) && is_number(y)) return true;
        auto comparable = [](Type* t) {
          return t->tag == T::Bool || t->tag == T::String || t->tag == T::Unit || t->tag == T::Int ||
                 t->tag == T::Real;
        };
        if (!comparable(x) || !unify(x, y)) {
          std::string ys;
          std::string xs = types_to_string(x, y, &ys);
          diags_.error(d.loc, std::string("operator ") + op_text(d.op) + " compares numbers, bools, strings; found " +
                                  xs + " and " + ys);
        }
        return true;
      }
      case Deferred::Kind::Concat: {
        Type* x = prune(d.a);
        if (x->tag == T::Var) return false;
        if (x->tag != T::String && x->tag != T::Array) bad_operand(d, x, "strings or arrays");
        return true;
      }
      case Deferred::Kind::Field: {
        Type* x = prune(d.a);
        if (x->tag == T::Var) return false;
        if (x->tag == T::Record) {
          for (size_t i = 0; i < x->names.size(); ++i)
            if (x->names[i] == d.field) {
              expect(d.result, x->args[i], d.loc);
              return true;
            }
          diags_.error(d.loc, "no field `" + d.field + "` in " + type_to_string(x));
          return true;
        }
        if (x->tag == T::Tuple && is_digits(d.field)) {
          size_t i = d.field.size() > 6 ? x->args.size() : std::stoul(d.field);
          if (i < x->args.size()) expect(d.result, x->args[i], d.loc);
          else diags_.error(d.loc, "tuple " + type_to_string(x) + " has no field " + d.field);
          return true;
        }
        diags_.error(d.loc, "no field `" + d.field + "` in " + type_to_string(x));
        return true;
      }
    }
    return true;
  }
  void resolve_all() {
    bool progress = true;
    while (progress) {
      progress = false;
      for (size_t i = 0; i < deferred_.size(); ++i) {
        Deferred& d = deferred_[i];
        if (d.done) continue;
        if (try_resolve(d)) {
          deferred_[i].done = true;
          progress = true;
        }
      }
    }
  }
  bool var_at(Type* t, int min_level) {
    t = prune(t);
    return t->tag == Type::Tag::Var && t->level >= min_level;
  }
  // Decides what is still open among constraints on variables at level >= min_level.
  void apply_defaults(int min_level) {
    resolve_all();
    // Records known only through their fields.
    std::map<Type*, std::vector<Deferred*>> by_var;
    for (auto& d : deferred_)
      if (!d.done && d.kind == Deferred::Kind::Field && var_at(d.a, min_level)) by_var[prune(d.a)].push_back(&d);
    for (auto& [v, list] : by_var) {
      std::vector<std::string> names;
      std::vector<Type*> fields;
      std::map<std::string, Type*> seen;
      bool tuple_like = false;
      for (Deferred* d : list) {
        if (is_digits(d->field)) tuple_like = true;
        auto it = seen.find(d->field);
        if (it == seen.end()) {
          seen[d->field] = d->result;
          names.push_back(d->field);
          fields.push_back(d->result);
        } else {
          expect(it->second, d->result, d->loc);
        }
        d->done = true;
      }
      if (tuple_like) {
        diags_.error(list.front()->loc, "cannot infer the tuple type here; add a type annotation");
        continue;
      }
      if (!unify(v, a_.record(names, fields)))
        diags_.error(list.front()->loc, "no field `" + list.front()->field + "` in " + type_to_string(v));
    }
    resolve_all();
    for (auto& d : deferred_) {
      if (d.done) continue;
      for (Type* t : {d.a, d.b}) {
        if (!t || !var_at(t, min_level)) continue;
        Type* v = prune(t);
        switch (d.kind) {
          case Deferred::Kind::Arith:
          case Deferred::Kind::Compare:
          case Deferred::Kind::Neg: unify(v, v->numeric ? a_.integer() : a_.real()); break;
          case Deferred::Kind::Eq: unify(v, a_.integer()); break;
          default: break;
        }
      }
      if (try_resolve(d)) d.done = true;
    }
    resolve_all();
    for (auto& d : deferred_) {
      if (d.done) continue;
      bool local = var_at(d.a, min_level) || (d.b && var_at(d.b, min_level));
      if (!local) continue;
      d.done = true;
      if (d.kind == Deferred::Kind::Concat)
        diags_.error(d.loc, "cannot tell whether ++ joins strings or arrays here; add a type annotation");
      else
        diags_.error(d.loc, "cannot infer the type here; add a type annotation");
    }
    // Numeric literals that met nothing are ints.
    deferred_.erase(std::remove_if(deferred_.begin(), deferred_.end(), [](const Deferred& d) { return d.done; }),
                    deferred_.end());
  }
  void default_numeric_vars(Type* t) {
    t = prune(t);
    if (t->tag == Type::Tag::Var) {
      if (t->numeric) unify(t, a_.integer());
      return;
    }
    for (Type* x : t->args) default_numeric_vars(x);
  }

  // --- expressions
  Type* infer(Expr* e);
  Type* infer_call(Expr* e);
  Type* infer_block(Expr* e);
  void check_stmt(Stmt* s);
  void check_fn_group(const std::vector<FnDecl*>& fns, bool global);
  Type* fn_signature(FnDecl* f, std::vector<Type*>& params);
  void finalize_types(Expr* e);
  void finalize_fn(FnDecl* f);

  std::vector<std::vector<Type*>> literal_vars_;  // numeric literal vars per group for defaulting
};

Type* Checker::fn_signature(FnDecl* f, std::vector<Type*>& params) {
  for (auto& p : f->params) params.push_back(p.type ? from_annotation(p.type.get()) : a_.var(level_));
  Type* ret = f->ret_type ? from_annotation(f->ret_type.get()) : a_.var(level_);
  return a_.func(params, ret);
}

void Checker::check_fn_group(const std::vector<FnDecl*>& fns, bool global) {
  // Bind every function of the group monomorphically, check the bodies, then generalise.
  ++level_;
  std::vector<Type*> types;
  std::vector<std::vector<Type*>> params(fns.size());
  for (size_t i = 0; i < fns.size(); ++i) {
    if (global) tyvars_.clear();
    types.push_back(fn_signature(fns[i], params[i]));
  }
  // Bindings visible to the bodies.
  for (size_t i = 0; i < fns.size(); ++i) bind(fns[i]->name, Scheme{{}, types[i]}, global, fns[i]);
  for (size_t i = 0; i < fns.size(); ++i) {
    FnDecl* f = fns[i];
    push();
    std::set<std::string> seen;
    for (size_t k = 0; k < f->params.size(); ++k) {
      if (!seen.insert(f->params[k].name).second)
        diags_.error(f->params[k].loc, "parameter `" + f->params[k].name + "` appears twice");
      bind(f->params[k].name, Scheme{{}, params[i][k]});
    }
    Type* body = infer(f->body.get());
    expect(types[i]->args.back(), body, f->body->loc,
           "the body of `" + f->name + "` has the wrong type");
    pop();
  }
  if (global) apply_defaults(level_);
  --level_;
  for (size_t i = 0; i < fns.size(); ++i) {
    if (global) default_numeric_vars(types[i]);
    bind(fns[i]->name, generalize(types[i]), global, fns[i]);
  }
}

Type* Checker::infer_block(Expr* e) {
  push();
  for (size_t i = 0; i < e->stmts.size(); ++i) {
    Stmt* s = e->stmts[i].get();
    if (s->kind == Stmt::Kind::Fn) {
      std::vector<FnDecl*> group;
      size_t j = i;
      while (j < e->stmts.size() && e->stmts[j]->kind == Stmt::Kind::Fn) group.push_back(e->stmts[j++]->fn.get());
      check_fn_group(group, false);
      i = j - 1;
      continue;
    }
    check_stmt(s);
  }
  Type* t = e->kids.empty() || !e->kids[0] ? a_.unit() : infer(e->kids[0].get());
  pop();
  return t;
}

void Checker::check_stmt(Stmt* s) {
  switch (s->kind) {
    case Stmt::Kind::Let: {
      ++level_;
      Type* t = infer(s->value.get());
      if (s->type) expect(from_annotation(s->type.get()), t, s->value->loc, "the value of `" + s->names[0] + "`");
      --level_;
      // The value restriction: only a syntactic function is generalised, so
      // `let d = read_json(f)` keeps one type that later uses decide.
      if (s->value->kind == Expr::Kind::Lambda) bind(s->names[0], generalize(t));
      else {
        adjust_levels(t, level_);
        bind(s->names[0], Scheme{{}, t});
      }
      break;
    }
    case Stmt::Kind::LetTuple: {
      Type* t = infer(s->value.get());
      std::vector<Type*> vars;
      for (size_t i = 0; i < s->names.size(); ++i) vars.push_back(a_.var(level_));
      expect(a_.tuple(vars), t, s->value->loc, "destructuring");
      std::set<std::string> seen;
      for (size_t i = 0; i < s->names.size(); ++i) {
        if (s->names[i] == "_") continue;
        if (!seen.insert(s->names[i]).second) diags_.error(s->loc, "`" + s->names[i] + "` bound twice");
        bind(s->names[i], Scheme{{}, vars[i]});
      }
      break;
    }
    case Stmt::Kind::Expr: infer(s->value.get()); break;
    case Stmt::Kind::Fn: check_fn_group({s->fn.get()}, false); break;
  }
}

Type* Checker::infer(Expr* e) {
  using K = Expr::Kind;
  Type* t = nullptr;
  switch (e->kind) {
    case K::IntLit: t = a_.var(level_, true); break;
    case K::RealLit: t = a_.real(); break;
    case K::BoolLit: t = a_.boolean(); break;
    case K::StringLit: t = a_.string(); break;
    case K::UnitLit: t = a_.unit(); break;
    case K::Var: {
      if (const Binding* b = lookup(e->name)) {
        t = instantiate(b->scheme);
        break;
      }
      const Builtin* bi = find_builtin(e->name);
      if (bi) {
        t = bi->type(a_, level_);
        break;
      }
      diags_.error(e->loc, "unknown name `" + e->name + "`");
      t = a_.var(level_);
      break;
    }
    case K::Call: t = infer_call(e); break;
    case K::Lambda: {
      push();
      std::vector<Type*> ps;
      for (auto& p : e->params) {
        Type* pt = p.type ? from_annotation(p.type.get()) : a_.var(level_);
        ps.push_back(pt);
        bind(p.name, Scheme{{}, pt});
      }
      Type* body = infer(e->kids[0].get());
      if (e->ret_type) expect(from_annotation(e->ret_type.get()), body, e->kids[0]->loc, "lambda result");
      pop();
      t = a_.func(ps, body);
      break;
    }
    case K::Unary: {
      Type* x = infer(e->kids[0].get());
      if (e->uop == UnaryOp::Not) {
        expect(a_.boolean(), x, e->kids[0]->loc, "operand of !");
        t = a_.boolean();
      } else {
        t = a_.var(level_);
        defer({Deferred::Kind::Neg, {}, x, nullptr, t, {}, e->loc});
      }
      break;
    }
    case K::Binary: {
      Type* x = infer(e->kids[0].get());
      Type* y = infer(e->kids[1].get());
      switch (e->bop) {
        case BinaryOp::And:
        case BinaryOp::Or:
          expect(a_.boolean(), x, e->kids[0]->loc, std::string("left operand of ") + op_text(e->bop));
          expect(a_.boolean(), y, e->kids[1]->loc, std::string("right operand of ") + op_text(e->bop));
          t = a_.boolean();
          break;
        case BinaryOp::Eq:
        case BinaryOp::Ne:
          t = a_.boolean();
          defer({Deferred::Kind::Eq, e->bop, x, y, nullptr, {}, e->loc});
          break;
        case BinaryOp::Lt:
        case BinaryOp::Le:
        case BinaryOp::Gt:
        case BinaryOp::Ge:
          t = a_.boolean();
          defer({Deferred::Kind::Compare, e->bop, x, y, t, {}, e->loc});
          break;
        case BinaryOp::Concat:
          expect(x, y, e->kids[1]->loc, "operands of ++");
          t = x;
          defer({Deferred::Kind::Concat, e->bop, x, nullptr, nullptr, {}, e->loc});
          break;
        default:
          t = a_.var(level_);
          defer({Deferred::Kind::Arith, e->bop, x, y, t, {}, e->loc});
      }
      break;
    }
    case K::If: {
      expect(a_.boolean(), infer(e->kids[0].get()), e->kids[0]->loc, "condition");
      Type* th = infer(e->kids[1].get());
      if (e->kids.size() > 2 && e->kids[2]) {
        Type* el = infer(e->kids[2].get());
        expect(th, el, e->kids[2]->loc, "the branches of `if` differ");
        t = th;
      } else {
        expect(a_.unit(), th, e->kids[1]->loc, "`if` without `else` must have a unit body");
        t = a_.unit();
      }
      break;
    }
    case K::Block: t = infer_block(e); break;
    case K::ArrayLit: {
      Type* el = a_.var(level_);
      for (auto& k : e->kids) expect(el, infer(k.get()), k->loc, "array element");
      t = a_.array(el);
      break;
    }
    case K::TupleLit: {
      std::vector<Type*> f;
      for (auto& k : e->kids) f.push_back(infer(k.get()));
      t = a_.tuple(f);
      break;
    }
    case K::RecordLit: {
      std::vector<Type*> f;
      for (auto& k : e->kids) f.push_back(infer(k.get()));
      std::set<std::string> uniq(e->fields.begin(), e->fields.end());
      if (uniq.size() != e->fields.size()) diags_.error(e->loc, "record literal repeats a field");
      t = a_.record(e->fields, f);
      break;
    }
    case K::Index: {
      Type* c = infer(e->kids[0].get());
      if (e->kids[1]->kind == K::StringLit) {  // d["y"] is d.y
        t = a_.var(level_);
        e->kids[1]->type = a_.string();
        defer({Deferred::Kind::Field, {}, c, nullptr, t, e->kids[1]->name, e->loc});
        break;
      }
      t = a_.var(level_);
      expect(a_.array(t), c, e->kids[0]->loc, "indexing");
      expect(a_.integer(), infer(e->kids[1].get()), e->kids[1]->loc, "index");
      break;
    }
    case K::Slice: {
      Type* c = infer(e->kids[0].get());
      expect(a_.array(a_.var(level_)), c, e->kids[0]->loc, "slicing");
      for (size_t i = 1; i < 3 && i < e->kids.size(); ++i)
        if (e->kids[i]) expect(a_.integer(), infer(e->kids[i].get()), e->kids[i]->loc, "slice bound");
      t = c;
      break;
    }
    case K::Field: {
      Type* c = infer(e->kids[0].get());
      t = a_.var(level_);
      defer({Deferred::Kind::Field, {}, c, nullptr, t, e->name, e->loc});
      break;
    }
    case K::Range: {
      expect(a_.integer(), infer(e->kids[0].get()), e->kids[0]->loc, "range start");
      expect(a_.integer(), infer(e->kids[1].get()), e->kids[1]->loc, "range end");
      t = a_.array(a_.integer());
      break;
    }
    case K::For:
    case K::Comprehension: {
      Type* el = a_.var(level_);
      expect(a_.array(el), infer(e->kids[0].get()), e->kids[0]->loc, "the loop's collection");
      push();
      bind(e->name, Scheme{{}, el});
      Type* body = infer(e->kids[1].get());
      if (e->kind == K::Comprehension && e->kids.size() > 2 && e->kids[2])
        expect(a_.boolean(), infer(e->kids[2].get()), e->kids[2]->loc, "comprehension filter");
      pop();
      t = e->kind == K::For ? a_.unit() : a_.array(body);
      break;
    }
  }
  e->type = t;
  return t;
}

Type* Checker::infer_call(Expr* e) {
  Expr* callee = e->kids[0].get();
  // sample(d, "name"): a random choice with a user-given address.
  if (callee->kind == Expr::Kind::Var && callee->name == "sample" && e->kids.size() == 3 && !lookup("sample")) {
    Type* t = a_.var(level_);
    callee->type = a_.func({a_.dist(t), a_.string()}, t);
    expect(a_.dist(t), infer(e->kids[1].get()), e->kids[1]->loc, "argument 1 of `sample`");
    Expr* name = e->kids[2].get();
    infer(name);
    if (name->kind != Expr::Kind::StringLit)
      diags_.error(name->loc, "the name of a random choice must be a string literal");
    return t;
  }
  // Named arguments and defaults: reorder into positional form.
  std::vector<std::string> pnames;
  const Builtin* bi = nullptr;
  if (callee->kind == Expr::Kind::Var) {
    const Binding* b = lookup(callee->name);
    if (b && b->decl) {
      for (auto& p : b->decl->params) pnames.push_back(p.name);
    } else if (!b) {
      bi = find_builtin(callee->name);
      if (bi) pnames = bi->param_names;
    }
  }
  bool named = std::any_of(e->arg_names.begin(), e->arg_names.end(), [](auto& s) { return !s.empty(); });
  bool has_defaults = bi && std::any_of(bi->defaults.begin(), bi->defaults.end(), [](auto& d) { return d.has_value(); });
  if (named || (has_defaults && e->kids.size() - 1 < pnames.size())) {
    if (pnames.empty()) {
      diags_.error(e->loc, "named arguments need a function with named parameters");
    } else {
      std::vector<ExprPtr> slots(pnames.size());
      size_t next_positional = 0;
      bool ok = true;
      for (size_t i = 1; i < e->kids.size(); ++i) {
        const std::string& n = i - 1 < e->arg_names.size() ? e->arg_names[i - 1] : std::string();
        size_t k;
        if (n.empty()) {
          k = next_positional++;
        } else {
          auto it = std::find(pnames.begin(), pnames.end(), n);
          if (it == pnames.end()) {
            diags_.error(e->kids[i]->loc, "`" + callee->name + "` has no parameter named `" + n + "`");
            ok = false;
            continue;
          }
          k = static_cast<size_t>(it - pnames.begin());
        }
        if (k >= slots.size()) {
          diags_.error(e->kids[i]->loc, "too many arguments to `" + callee->name + "`");
          ok = false;
          continue;
        }
        if (slots[k]) {
          diags_.error(e->kids[i]->loc, "parameter `" + pnames[k] + "` given twice");
          ok = false;
          continue;
        }
        slots[k] = std::move(e->kids[i]);
      }
      for (size_t k = 0; k < slots.size() && ok; ++k) {
        if (slots[k]) continue;
        if (bi && k < bi->defaults.size() && bi->defaults[k]) {
          const DefaultArg& d = *bi->defaults[k];
          Expr::Kind kind = d.kind == DefaultArg::Kind::Int    ? Expr::Kind::IntLit
                            : d.kind == DefaultArg::Kind::Real ? Expr::Kind::RealLit
                            : d.kind == DefaultArg::Kind::Bool ? Expr::Kind::BoolLit
                                                               : Expr::Kind::StringLit;
          auto lit = std::make_unique<Expr>(kind, e->loc);
          lit->int_value = d.i;
          lit->real_value = d.r;
          lit->bool_value = d.i != 0;
          lit->name = d.s;
          slots[k] = std::move(lit);
        } else {
          diags_.error(e->loc, "missing argument `" + pnames[k] + "` of `" + callee->name + "`");
          ok = false;
        }
      }
      if (ok) {
        e->kids.resize(1);
        for (auto& s : slots) e->kids.push_back(std::move(s));
        e->arg_names.assign(slots.size(), "");
      } else {
        for (size_t i = 1; i < e->kids.size(); ++i)
          if (e->kids[i]) infer(e->kids[i].get());
        return a_.var(level_);
      }
    }
  }
  Type* ft = infer(callee);
  std::vector<Type*> args;
  for (size_t i = 1; i < e->kids.size(); ++i) args.push_back(infer(e->kids[i].get()));
  Type* f = prune(ft);
  Type* ret = a_.var(level_);
  if (f->tag == Type::Tag::Func) {
    size_t np = f->args.size() - 1;
    if (np != args.size()) {
      std::string what = callee->kind == Expr::Kind::Var ? "`" + callee->name + "`" : "this function";
      diags_.error(e->loc, what + " takes " + std::to_string(np) + " argument" + (np == 1 ? "" : "s") + ", but " +
                               std::to_string(args.size()) + (args.size() == 1 ? " was" : " were") + " given");
      return f->args.back();
    }
    for (size_t i = 0; i < np; ++i) {
      std::string what = "argument " + std::to_string(i + 1);
      if (callee->kind == Expr::Kind::Var) what += " of `" + callee->name + "`";
      expect(f->args[i], args[i], e->kids[i + 1]->loc, what);
    }
    expect(ret, f->args.back(), e->loc);
    return ret;
  }
  if (f->tag != Type::Tag::Var) {
    diags_.error(callee->loc, "cannot call a value of type " + type_to_string(f));
    return ret;
  }
  expect(a_.func(args, ret), f, e->loc, "call");
  return ret;
}

// Collects names a function body mentions (for the call graph).
void mentions(const Expr* e, std::set<std::string>& out) {
  if (!e) return;
  if (e->kind == Expr::Kind::Var) out.insert(e->name);
  for (auto& k : e->kids) mentions(k.get(), out);
  for (auto& s : e->stmts) {
    if (s->value) mentions(s->value.get(), out);
    if (s->fn) mentions(s->fn->body.get(), out);
  }
}

CheckedProgram Checker::run(std::vector<Module*> modules) {
  CheckedProgram prog;
  prog.modules = modules;
  push();  // globals
  std::vector<FnDecl*> fns;
  std::map<std::string, Loc> defined;
  for (size_t mi = 0; mi < modules.size(); ++mi) {
    for (auto& f : modules[mi]->fns) {
      auto [it, fresh] = defined.emplace(f->name, f->loc);
      if (!fresh) {
        diags_.error(f->loc, "`" + f->name + "` is already defined at " + it->second.str());
        continue;
      }
      fns.push_back(f.get());
      prog.functions[f->name] = f.get();
      if (mi > 0 && f->name == "main") prog.has_main = true;
    }
    for (auto& s : modules[mi]->lets) {
      prog.globals.push_back(s.get());
      for (auto& n : s->names) {
        if (n == "_") continue;
        auto [it, fresh] = defined.emplace(n, s->loc);
        if (!fresh) diags_.error(s->loc, "`" + n + "` is already defined at " + it->second.str());
      }
    }
  }
  // Globals are monomorphic variables visible to every function.
  std::map<Stmt*, std::vector<Type*>> global_types;
  for (Stmt* s : prog.globals)
    for (auto& n : s->names) {
      Type* v = a_.var(0);
      global_types[s].push_back(v);
      if (n != "_") bind(n, Scheme{{}, v});
    }

  // Strongly connected components (Tarjan) of the graph of top-level
  // functions and lets, dependencies first: a let is checked before the
  // functions that use it (so `data.n` sees data's record type), and after
  // the functions its value calls.
  const size_t nf = fns.size(), nl = prog.globals.size();
  std::map<std::string, size_t> index_of;
  for (size_t i = 0; i < nf; ++i) index_of[fns[i]->name] = i;
  for (size_t j = 0; j < nl; ++j)
    for (auto& n : prog.globals[j]->names)
      if (n != "_") index_of[n] = nf + j;
  std::vector<std::vector<size_t>> edges(nf + nl);
  for (size_t i = 0; i < nf + nl; ++i) {
    std::set<std::string> m;
    mentions(i < nf ? fns[i]->body.get() : prog.globals[i - nf]->value.get(), m);
    for (auto& n : m) {
      auto it = index_of.find(n);
      if (it != index_of.end()) edges[i].push_back(it->second);
    }
  }
  std::vector<int> idx(nf + nl, -1), low(nf + nl, 0);
  std::vector<bool> on(nf + nl, false);
  std::vector<size_t> stack;
  std::vector<std::vector<size_t>> sccs;
  int counter = 0;
  std::function<void(size_t)> strong = [&](size_t v) {
    idx[v] = low[v] = counter++;
    stack.push_back(v);
    on[v] = true;
    for (size_t w : edges[v]) {
      if (idx[w] < 0) {
        strong(w);
        low[v] = std::min(low[v], low[w]);
      } else if (on[w]) {
        low[v] = std::min(low[v], idx[w]);
      }
    }
    if (low[v] == idx[v]) {
      std::vector<size_t> comp;
      size_t w;
      do {
        w = stack.back();
        stack.pop_back();
        on[w] = false;
        comp.push_back(w);
      } while (w != v);
      sccs.push_back(comp);
    }
  };
  for (size_t i = 0; i < nf + nl; ++i)
    if (idx[i] < 0) strong(i);
  for (auto& comp : sccs) {
    std::vector<FnDecl*> group;
    std::vector<size_t> lets;
    for (size_t i : comp) {
      if (i < nf) group.push_back(fns[i]);
      else lets.push_back(i - nf);
    }
    if (!group.empty()) check_fn_group(group, true);
    // Lets of one component in source order; their types stay monomorphic
    // and undecided parts (read_json's record) are decided at the very end.
    std::sort(lets.begin(), lets.end());
    for (size_t j : lets) {
      Stmt* st = prog.globals[j];
      std::vector<Type*>& vs = global_types[st];
      Type* t = infer(st->value.get());
      if (st->kind == Stmt::Kind::Let) {
        if (st->type) expect(from_annotation(st->type.get()), t, st->value->loc, "the value of `" + st->names[0] + "`");
        expect(vs[0], t, st->value->loc);
      } else {
        expect(a_.tuple(vs), t, st->value->loc, "destructuring");
      }
    }
  }
  apply_defaults(0);
  for (auto& [name, f] : prog.functions) {
    const Binding* b = lookup(name);
    if (b) {
      default_numeric_vars(b->scheme.body);
      prog.function_types[name] = b->scheme.body;
    }
    finalize_fn(f);
  }
  for (Stmt* s : prog.globals) finalize_types(s->value.get());
  if (prog.has_main) {
    Type* mt = prog.function_types["main"];
    if (mt && prune(mt)->tag == Type::Tag::Func && prune(mt)->args.size() != 1)
      diags_.error(prog.functions["main"]->loc, "`main` must take no parameters");
  }
  pop();
  return prog;
}

// Numeric literals never constrained are ints; other leftovers stay variables.
void Checker::finalize_types(Expr* e) {
  if (!e) return;
  if (e->type) default_numeric_vars(e->type);
  for (auto& k : e->kids) finalize_types(k.get());
  for (auto& s : e->stmts) {
    if (s->value) finalize_types(s->value.get());
    if (s->fn) finalize_fn(s->fn.get());
  }
}
void Checker::finalize_fn(FnDecl* f) { finalize_types(f->body.get()); }

void dump_expr_types(const Expr* e, int depth, std::string& out) {
  if (!e) return;
  if (e->kind == Expr::Kind::Block) {
    for (auto& s : e->stmts) {
      if ((s->kind == Stmt::Kind::Let) && s->value && s->value->type) {
        out += std::string(depth * 2, ' ') + "let " + s->names[0] + ": " + type_to_string(s->value->type) + "\n";
      }
      if (s->kind == Stmt::Kind::Fn) {
        out += std::string(depth * 2, ' ') + "fn " + s->fn->name + "\n";
        dump_expr_types(s->fn->body.get(), depth + 1, out);
      }
      if (s->value) dump_expr_types(s->value.get(), depth + 1, out);
    }
  }
  for (auto& k : e->kids) dump_expr_types(k.get(), depth, out);
}

}  // namespace

CheckedProgram type_check(std::vector<Module*> modules, TypeArena& arena, Diagnostics& diags) {
  Checker c(arena, diags);
  return c.run(std::move(modules));
}

std::string dump_typed(const CheckedProgram& p) {
  std::string out;
  for (size_t mi = 1; mi < p.modules.size(); ++mi) {
    for (auto& f : p.modules[mi]->fns) {
      auto it = p.function_types.find(f->name);
      out += "fn " + f->name + ": " + (it != p.function_types.end() ? type_to_string(it->second) : "?") + "\n";
      dump_expr_types(f->body.get(), 1, out);
    }
    for (auto& s : p.modules[mi]->lets)
      if (s->value && s->value->type) out += "let " + s->names[0] + ": " + type_to_string(s->value->type) + "\n";
  }
  return out;
}

}  // namespace borel
