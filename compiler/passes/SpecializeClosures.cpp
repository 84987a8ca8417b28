// SpecializeClosures.cpp — clone-and-inline of known closures (see the header).
#include "compiler/passes/SpecializeClosures.h"

#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "runtime/Value.h"

namespace borel {
namespace {

constexpr size_t kMaxInlineSize = 64;  // instructions, counted through nested bodies
constexpr size_t kMaxSpecialisations = 256;

size_t size_of(const IrBody& b) {
  size_t n = 0;
  for (const Inst& i : b.insts) {
    ++n;
    if (i.then_body) n += size_of(*i.then_body);
    if (i.else_body) n += size_of(*i.else_body);
  }
  return n;
}

void for_each_inst(const IrBody& b, const std::function<void(const Inst&)>& f) {
  for (const Inst& i : b.insts) {
    f(i);
    if (i.then_body) for_each_inst(*i.then_body, f);
    if (i.else_body) for_each_inst(*i.else_body, f);
  }
}

IrBody clone_body(const IrBody& b) {
  IrBody c;
  c.result = b.result;
  for (const Inst& i : b.insts) {
    Inst n;
    n.op = i.op;
    n.prim = i.prim;
    n.dest = i.dest;
    n.loop_var = i.loop_var;
    n.args = i.args;
    n.fn = i.fn;
    n.dist = i.dist;
    n.name = i.name;
    n.index = i.index;
    n.site = i.site;
    n.call_site = i.call_site;
    n.loc = i.loc;
    if (i.then_body) n.then_body = std::make_unique<IrBody>(clone_body(*i.then_body));
    if (i.else_body) n.else_body = std::make_unique<IrBody>(clone_body(*i.else_body));
    c.insts.push_back(std::move(n));
  }
  return c;
}

void rename(IrBody& b, const std::vector<VarId>& map) {
  auto r = [&](VarId& v) {
    if (v >= 0) v = map.at(static_cast<size_t>(v));
  };
  auto ro = [&](Operand& o) {
    if (o.kind == Operand::Kind::Var) r(o.var);
  };
  ro(b.result);
  for (Inst& i : b.insts) {
    r(i.dest);
    r(i.loop_var);
    for (Operand& o : i.args) ro(o);
    if (i.then_body) rename(*i.then_body, map);
    if (i.else_body) rename(*i.else_body, map);
  }
}

// A closure can be inlined when its body is small and never jumps to its own
// start or calls itself.
bool inlinable(const IrFunction* l) {
  if (!l->is_closure || size_of(l->body) > kMaxInlineSize) return false;
  bool ok = true;
  for_each_inst(l->body, [&](const Inst& i) {
    if (i.op == Inst::Op::TailSelf) ok = false;
    if (i.op == Inst::Op::CallClosure && i.args[0].kind == Operand::Kind::Var && i.args[0].var == l->self) ok = false;
  });
  return ok;
}

// Parameter k of g is passed on unchanged by every self tail call.
bool invariant_param(const IrFunction* g, size_t k) {
  bool ok = true;
  for_each_inst(g->body, [&](const Inst& i) {
    if (i.dest == g->params[k] || i.loop_var == g->params[k]) ok = false;
    if (i.op == Inst::Op::TailSelf &&
        (k >= i.args.size() || i.args[k].kind != Operand::Kind::Var || i.args[k].var != g->params[k]))
      ok = false;
  });
  return ok;
}

class Specialiser {
 public:
  explicit Specialiser(IrModule& m) : m_(m) {}

  void run() {
    // Functions are appended as they are made; index-based iteration sees them.
    for (size_t i = 0; i < m_.functions.size(); ++i) {
      IrFunction* f = m_.functions[i].get();
      std::map<VarId, IrFunction*> known = closures_made_in(*f);
      auto it = param_codes_.find(f);
      if (it != param_codes_.end())
        for (auto& [var, code] : it->second) known[var] = code;
      if (known.empty()) continue;
      rewrite(*f, f->body, known);
    }
  }

 private:
  IrModule& m_;
  std::map<std::tuple<IrFunction*, size_t, IrFunction*>, IrFunction*> clones_;
  std::map<IrFunction*, std::map<VarId, IrFunction*>> param_codes_;  // clone -> param var -> code

  // Variables assigned once, from a MakeClosure (directly or by a copy).
  static std::map<VarId, IrFunction*> closures_made_in(const IrFunction& f) {
    std::map<VarId, int> writes;
    std::map<VarId, IrFunction*> made;
    std::map<VarId, VarId> copies;
    for_each_inst(f.body, [&](const Inst& i) {
      if (i.dest >= 0) ++writes[i.dest];
      if (i.op == Inst::Op::MakeClosure) made[i.dest] = i.fn;
      if (i.op == Inst::Op::Assign && i.args[0].kind == Operand::Kind::Var) copies[i.dest] = i.args[0].var;
    });
    for (auto& [dst, src] : copies)
      if (made.count(src)) made[dst] = made[src];
    std::map<VarId, IrFunction*> out;
    for (auto& [v, code] : made)
      if (writes[v] == 1 && code->is_closure) out[v] = code;
    return out;
  }

  IrFunction* specialise(IrFunction* g, size_t k, IrFunction* code) {
    auto key = std::make_tuple(g, k, code);
    auto it = clones_.find(key);
    if (it != clones_.end()) return it->second;
    if (clones_.size() >= kMaxSpecialisations) return nullptr;
    m_.functions.push_back(std::make_unique<IrFunction>());
    IrFunction* c = m_.functions.back().get();
    c->name = g->name + "<" + code->name + ">";
    c->loc = g->loc;
    c->params = g->params;
    c->self = g->self;
    c->captures = g->captures;
    c->var_names = g->var_names;
    c->is_closure = g->is_closure;
    c->body = clone_body(g->body);
    clones_[key] = c;
    param_codes_[c][c->params[k]] = code;
    return c;
  }

  // Replaces calls through known closures by their bodies, and direct calls
  // that pass a known closure by calls to specialised copies.
  void rewrite(IrFunction& f, IrBody& b, const std::map<VarId, IrFunction*>& known) {
    std::vector<Inst> out;
    for (Inst& i : b.insts) {
      if (i.then_body) rewrite(f, *i.then_body, known);
      if (i.else_body) rewrite(f, *i.else_body, known);
      if (i.op == Inst::Op::CallDirect && !i.fn->is_closure) {
        for (size_t k = 0; k < i.args.size() && k < i.fn->params.size(); ++k) {
          if (i.args[k].kind != Operand::Kind::Var) continue;
          auto kn = known.find(i.args[k].var);
          if (kn == known.end() || !invariant_param(i.fn, k)) continue;
          if (IrFunction* s = specialise(i.fn, k, kn->second)) i.fn = s;
          break;  // one parameter per call; the copy specialises further calls itself
        }
      }
      if (i.op == Inst::Op::CallClosure && i.args[0].kind == Operand::Kind::Var) {
        auto kn = known.find(i.args[0].var);
        if (kn != known.end() && inlinable(kn->second) && kn->second->params.size() + 1 == i.args.size()) {
          inline_call(f, i, *kn->second, out);
          continue;
        }
      }
      out.push_back(std::move(i));
    }
    b.insts = std::move(out);
  }

  void inline_call(IrFunction& f, const Inst& call, const IrFunction& l, std::vector<Inst>& out) {
    std::vector<VarId> map(l.var_names.size());
    for (size_t v = 0; v < l.var_names.size(); ++v) map[v] = f.new_var(l.var_names[v]);
    auto assign = [&](VarId dst, Operand src) {
      Inst a;
      a.op = Inst::Op::Assign;
      a.dest = dst;
      a.args = {std::move(src)};
      a.loc = call.loc;
      out.push_back(std::move(a));
    };
    if (l.self >= 0) assign(map[static_cast<size_t>(l.self)], call.args[0]);
    for (size_t k = 0; k < l.params.size(); ++k) assign(map[static_cast<size_t>(l.params[k])], call.args[k + 1]);
    for (size_t k = 0; k < l.captures.size(); ++k) {
      Inst g;
      g.op = Inst::Op::Prim;
      g.prim = Prim::TupleGet;  // the closure is [code, twin, env...] (runtime/Value.h)
      g.index = static_cast<int64_t>(k) + rt::kClosureHeader;
      g.dest = map[static_cast<size_t>(l.captures[k])];
      g.args = {call.args[0]};
      g.loc = call.loc;
      out.push_back(std::move(g));
    }
    IrBody body = clone_body(l.body);
    rename(body, map);
    for (Inst& i : body.insts) out.push_back(std::move(i));
    if (call.dest >= 0) assign(call.dest, body.result);
  }
};

}  // namespace

void specialise_closures(IrModule& m) { Specialiser(m).run(); }

}  // namespace borel
