// DropForwardedParams.cpp — see DropForwardedParams.h.
#include "compiler/passes/DropForwardedParams.h"

#include <algorithm>
#include <set>
#include <vector>

namespace borel {
namespace {

template <class F>
void each_inst(IrBody& b, F&& f) {
  for (Inst& i : b.insts) {
    f(i);
    if (i.then_body) each_inst(*i.then_body, f);
    if (i.else_body) each_inst(*i.else_body, f);
  }
}

bool is_var(const Operand& o, VarId v) { return o.kind == Operand::Kind::Var && o.var == v; }

// Whether parameter k (variable v) of `f` is used other than as argument k of TailSelf.
bool used(IrFunction& f, size_t k, VarId v) {
  bool u = false;
  std::vector<const IrBody*> bodies{&f.body};
  each_inst(f.body, [&](Inst& i) {
    if (i.dest == v || i.loop_var == v) u = true;
    for (size_t a = 0; a < i.args.size(); ++a)
      if (is_var(i.args[a], v) && !(i.op == Inst::Op::TailSelf && a == k)) u = true;
    if (i.then_body) bodies.push_back(i.then_body.get());
    if (i.else_body) bodies.push_back(i.else_body.get());
  });
  for (const IrBody* b : bodies)
    if (is_var(b->result, v)) u = true;
  return u || f.self == v || std::find(f.captures.begin(), f.captures.end(), v) != f.captures.end();
}

// Removes copies (Assign) and closure allocations (MakeClosure) into
// variables nothing reads, such as the inlined lambda's `self` that closure
// specialisation leaves, or a closure whose only use was a dropped argument:
// they would otherwise count as uses of the variables they read.
void drop_dead_copies(IrFunction& f) {
  for (bool changed = true; changed;) {
    changed = false;
    std::set<VarId> read;
    auto note = [&](const Operand& o) {
      if (o.kind == Operand::Kind::Var) read.insert(o.var);
    };
    std::vector<IrBody*> bodies{&f.body};
    each_inst(f.body, [&](Inst& i) {
      for (const Operand& o : i.args) note(o);
      if (i.then_body) bodies.push_back(i.then_body.get());
      if (i.else_body) bodies.push_back(i.else_body.get());
    });
    for (IrBody* b : bodies) note(b->result);
    for (IrBody* b : bodies) {
      const size_t before = b->insts.size();
      std::erase_if(b->insts, [&](const Inst& i) {
        return (i.op == Inst::Op::Assign || i.op == Inst::Op::MakeClosure) && i.dest >= 0 && !read.count(i.dest) &&
               i.dest != f.self &&
               std::find(f.params.begin(), f.params.end(), i.dest) == f.params.end();
      });
      changed = changed || b->insts.size() != before;
    }
  }
}

}  // namespace

void drop_forwarded_params(IrModule& m) {
  std::set<const IrFunction*> fixed(m.exports.begin(), m.exports.end());
  fixed.insert(m.main);
  auto see_values = [&](IrBody& b) {
    each_inst(b, [&](Inst& i) {
      if (i.op == Inst::Op::MakeClosure) fixed.insert(i.fn);
      for (const Operand& o : i.args)
        if (o.kind == Operand::Kind::Fn) fixed.insert(o.fn);
      if (i.then_body && i.then_body->result.kind == Operand::Kind::Fn) fixed.insert(i.then_body->result.fn);
      if (i.else_body && i.else_body->result.kind == Operand::Kind::Fn) fixed.insert(i.else_body->result.fn);
    });
    if (b.result.kind == Operand::Kind::Fn) fixed.insert(b.result.fn);
  };
  for (auto& f : m.functions) see_values(f->body);

  for (auto& fp : m.functions) {
    IrFunction& f = *fp;
    if (f.is_closure || fixed.count(&f)) continue;
    drop_dead_copies(f);
    std::vector<size_t> dead;
    for (size_t k = 0; k < f.params.size(); ++k)
      if (!used(f, k, f.params[k])) dead.push_back(k);
    if (dead.empty()) continue;
    auto erase = [&](std::vector<Operand>& args) {
      for (auto it = dead.rbegin(); it != dead.rend(); ++it)
        if (*it < args.size()) args.erase(args.begin() + static_cast<std::ptrdiff_t>(*it));
    };
    for (auto it = dead.rbegin(); it != dead.rend(); ++it) f.params.erase(f.params.begin() + static_cast<std::ptrdiff_t>(*it));
    each_inst(f.body, [&](Inst& i) {
      if (i.op == Inst::Op::TailSelf) erase(i.args);
    });
    for (auto& g : m.functions)
      each_inst(g->body, [&](Inst& i) {
        if (i.op == Inst::Op::CallDirect && i.fn == &f) erase(i.args);
      });
  }
  for (auto& f : m.functions) drop_dead_copies(*f);
}

}  // namespace borel
