// FrameLiveness.cpp — backward liveness over IrBody trees.
#include "compiler/passes/FrameLiveness.h"

#include <set>

namespace borel {
namespace {

using Live = std::set<VarId>;

void read(const Operand& o, Live& l) {
  if (o.kind == Operand::Kind::Var) l.insert(o.var);
}


class Liveness {
 public:
  explicit Liveness(IrFunction& f) : f_(f) {
    if (f.self >= 0) restart_.insert(f.self);
    for (VarId c : f.captures) restart_.insert(c);
  }
  void run() { body(f_.body, Live{}); }

 private:
  IrFunction& f_;
  Live restart_;  // live at the target of a TailSelf jump, besides the parameters

  // Returns the variables live at the start of `b` given those live after it.
  Live body(IrBody& b, Live after) {
    Live live = std::move(after);
    read(b.result, live);
    for (auto it = b.insts.rbegin(); it != b.insts.rend(); ++it) live = inst(*it, std::move(live));
    return live;
  }

  Live inst(Inst& i, Live after) {
    if (i.dest >= 0) after.erase(i.dest);
    if (is_suspension_site(i)) i.saved.assign(after.begin(), after.end());
    Live live = after;
    switch (i.op) {
      case Inst::Op::If: {
        Live t = i.then_body ? body(*i.then_body, after) : after;
        Live e = i.else_body ? body(*i.else_body, after) : after;
        live = t;
        live.insert(e.begin(), e.end());
        break;
      }
      case Inst::Op::ForRange: {
        // Live at the loop head: after ∪ bound ∪ live-in of the body, to a fixed point.
        Live head = after;
        read(i.args[1], head);
        for (int iter = 0; iter < 100; ++iter) {
          Live body_out = head;
          body_out.insert(i.loop_var);
          Live in = body(*i.then_body, body_out);
          in.insert(i.loop_var);
          size_t before = head.size();
          head.insert(in.begin(), in.end());
          if (head.size() == before) break;
        }
        live = head;
        live.erase(i.loop_var);
        break;
      }
      case Inst::Op::TailSelf: live = restart_; break;
      default: break;
    }
    for (const Operand& o : i.args) read(o, live);
    return live;
  }
};

}  // namespace

void compute_frame_liveness(IrModule& m) {
  for (auto& f : m.functions) Liveness(*f).run();
}

}  // namespace borel
