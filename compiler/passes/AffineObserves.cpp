// AffineObserves.cpp — finds the twins' fusable normal observes (see AffineObserves.h).
#include "compiler/passes/AffineObserves.h"

#include <vector>

#include "stdlib/distributions/Distributions.h"

namespace borel {
namespace {

// How often each variable is read and written anywhere in the function.
struct Counts {
  std::vector<int> uses, defs;
  void use(const Operand& o) {
    if (o.kind == Operand::Kind::Var && o.var >= 0) ++uses.at(static_cast<size_t>(o.var));
  }
  void def(VarId v) {
    if (v >= 0) ++defs.at(static_cast<size_t>(v));
  }
  void body(const IrBody& b) {
    for (const Inst& in : b.insts) {
      for (const Operand& a : in.args) use(a);
      for (VarId v : in.saved) ++uses.at(static_cast<size_t>(v));
      def(in.dest);
      def(in.loop_var);
      if (in.then_body) body(*in.then_body);
      if (in.else_body) body(*in.else_body);
    }
    use(b.result);
  }
};

bool is_prim(const Inst& in, Prim p) { return in.op == Inst::Op::Prim && in.prim == p && in.args.size() == 2; }

// An instruction that can stand between a skipped one and its observe: it
// neither records on the tape (no real arithmetic, call or effect) nor
// jumps or has bodies that could assign.
bool inert(const Inst& in) {
  if (in.op == Inst::Op::Assign) return true;
  if (in.op != Inst::Op::Prim) return false;
  switch (in.prim) {
    case Prim::FAdd: case Prim::FSub: case Prim::FMul: case Prim::FDiv: case Prim::FMod: case Prim::FPow:
    case Prim::FNeg: case Prim::DistNew: case Prim::Math: case Prim::Runtime: return false;
    default: return true;
  }
}

class Finder {
 public:
  Finder(const IrFunction& f, AffineObserves& out) : out_(out) {
    counts_.uses.assign(f.var_names.size(), 0);
    counts_.defs.assign(f.var_names.size(), 0);
    for (VarId v : f.params) counts_.def(v);
    for (VarId v : f.captures) counts_.def(v);
    counts_.def(f.self);
    counts_.body(f.body);
    body(f.body);
  }

 private:
  Counts counts_;
  AffineObserves& out_;

  // A temporary written once and read once (by the instruction being fused).
  bool single(const Operand& o) const {
    return o.kind == Operand::Kind::Var && o.var >= 0 && counts_.uses[static_cast<size_t>(o.var)] == 1 &&
           counts_.defs[static_cast<size_t>(o.var)] == 1;
  }
  // The index of the instruction before `end` in `b` that writes `v`, if the
  // ones between are inert and write none of `keep`; -1 otherwise.
  static long def_before(const IrBody& b, size_t end, VarId v, const std::vector<Operand>& keep) {
    for (size_t k = end; k-- > 0;) {
      const Inst& in = b.insts[k];
      if (in.dest == v) return static_cast<long>(k);
      if (!inert(in)) return -1;
      for (const Operand& o : keep)
        if (o.kind == Operand::Kind::Var && in.dest == o.var) return -1;
    }
    return -1;
  }

  void body(const IrBody& b) {
    for (size_t k = 0; k < b.insts.size(); ++k) {
      const Inst& in = b.insts[k];
      if (in.then_body) body(*in.then_body);
      if (in.else_body) body(*in.else_body);
      if (in.op == Inst::Op::Observe && in.dist == &dist::normal_ops && in.args.size() == 3) fuse(b, k);
    }
  }

  void fuse(const IrBody& b, size_t k) {
    Operand mean = b.insts[k].args[0];
    if (!single(mean)) return;
    // The mean's operands must keep their values until the observe; the
    // skipped instruction is then "moved" to it. The observe's own other
    // operands are read there in either case.
    long j = def_before(b, k, mean.var, {});
    if (j < 0) return;
    // `let m = a + b * c; observe(normal(m, s), y)`: m a copy of the temporary.
    const Inst* copy = nullptr;
    if (b.insts[static_cast<size_t>(j)].op == Inst::Op::Assign && single(b.insts[static_cast<size_t>(j)].args[0])) {
      copy = &b.insts[static_cast<size_t>(j)];
      mean = copy->args[0];
      j = def_before(b, static_cast<size_t>(j), mean.var, {});
      if (j < 0) return;
    }
    const Inst& m = b.insts[static_cast<size_t>(j)];
    if (!is_prim(m, Prim::FAdd) && !is_prim(m, Prim::FMul)) return;
    if (def_before(b, k, mean.var, m.args) != j) return;
    if (copy) out_.skipped.insert(copy);
    if (is_prim(m, Prim::FMul)) {
      out_.observes[&b.insts[k]] = AffineMean{Operand::real(-0.0), m.args[0], m.args[1]};
      out_.skipped.insert(&m);
      return;
    }
    // a + t or t + a, with t = b * c a temporary of this observe alone.
    for (int side = 0; side < 2; ++side) {
      const Operand& t = m.args[static_cast<size_t>(side)];
      const Operand& a = m.args[static_cast<size_t>(1 - side)];
      if (!single(t)) continue;
      const long i = def_before(b, static_cast<size_t>(j), t.var, {});
      if (i < 0) continue;
      const Inst& p = b.insts[static_cast<size_t>(i)];
      if (!is_prim(p, Prim::FMul)) continue;
      // b and c must keep their values until the observe, a from j on.
      if (def_before(b, static_cast<size_t>(j), t.var, p.args) != i) continue;
      if (def_before(b, k, mean.var, p.args) != j) continue;
      out_.observes[&b.insts[k]] = AffineMean{a, p.args[0], p.args[1]};
      out_.skipped.insert(&m);
      out_.skipped.insert(&p);
      return;
    }
    out_.observes[&b.insts[k]] = AffineMean{m.args[0], m.args[1], Operand::real(1.0)};
    out_.skipped.insert(&m);
  }
};

}  // namespace

AffineObserves find_affine_observes(const IrFunction& f) {
  AffineObserves out;
  const Finder finder(f, out);
  (void)finder;
  return out;
}

}  // namespace borel
