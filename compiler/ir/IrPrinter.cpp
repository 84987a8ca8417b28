// IrPrinter.cpp — the text form of the core IR (`borel --emit=ir`).
#include <sstream>

#include "compiler/ir/IR.h"
#include "runtime/Dist.h"

namespace borel {
namespace {

const char* prim_name(Prim p) {
  static const char* names[] = {"iadd", "isub", "imul", "idiv", "imod", "ineg", "fadd", "fsub", "fmul", "fdiv",
                                "fmod", "fpow", "fneg", "ilt", "ile", "igt", "ige", "ieq", "ine", "flt",
                                "fle", "fgt", "fge", "feq", "fne", "not", "int_to_real", "str_eq", "str_ne",
                                "str_concat", "arr_concat", "array_get", "array_len", "array", "slice", "range",
                                "tuple", "tuple_get", "list_nil", "list_push", "list_to_array", "dist", "math",
                                "runtime"};
  return names[static_cast<int>(p)];
}

struct Printer {
  const IrFunction* f;
  std::ostringstream os;

  std::string var(VarId v) { return "%" + f->var_names[static_cast<size_t>(v)] + "." + std::to_string(v); }
  std::string opnd(const Operand& o) {
    switch (o.kind) {
      case Operand::Kind::Var: return var(o.var);
      case Operand::Kind::Int: return std::to_string(o.i);
      case Operand::Kind::Real: {
        std::ostringstream s;
        s.precision(17);
        s << o.r;
        std::string t = s.str();
        if (t.find_first_of(".einn") == std::string::npos) t += ".0";
        return t;
      }
      case Operand::Kind::Bool: return o.i ? "true" : "false";
      case Operand::Kind::Unit: return "()";
      case Operand::Kind::String: return "\"" + o.s + "\"";
      case Operand::Kind::Fn: return "@" + o.fn->name;
      case Operand::Kind::TypeDesc: return "<type>";
    }
    return "?";
  }
  std::string args(const std::vector<Operand>& a, size_t from = 0) {
    std::string s;
    for (size_t i = from; i < a.size(); ++i) s += (i > from ? ", " : "") + opnd(a[i]);
    return s;
  }
  void body(const IrBody& b, int depth) {
    std::string ind(static_cast<size_t>(depth) * 2, ' ');
    for (const Inst& i : b.insts) {
      os << ind;
      if (i.dest >= 0) os << var(i.dest) << " = ";
      switch (i.op) {
        case Inst::Op::Assign: os << opnd(i.args[0]); break;
        case Inst::Op::Prim:
          os << prim_name(i.prim);
          if (!i.name.empty()) os << "." << i.name;
          if (i.dist) os << "." << i.dist->name;
          if (i.prim == Prim::TupleGet) os << "." << i.index;
          os << "(" << args(i.args) << ")";
          break;
        case Inst::Op::CallDirect: os << "call @" << i.fn->name << "(" << args(i.args) << ")"; break;
        case Inst::Op::CallClosure: os << "call " << opnd(i.args[0]) << "(" << args(i.args, 1) << ")"; break;
        case Inst::Op::MakeClosure: os << "closure @" << i.fn->name << " [" << args(i.args) << "]"; break;
        case Inst::Op::PatchClosure: os << "patch " << opnd(i.args[0]) << "[" << i.index << "] = " << opnd(i.args[1]); break;
        case Inst::Op::If:
          os << "if " << opnd(i.args[0]) << " {\n";
          body(*i.then_body, depth + 1);
          os << ind << "} else {\n";
          if (i.else_body) body(*i.else_body, depth + 1);
          os << ind << "}";
          break;
        case Inst::Op::ForRange:
          os << "for " << var(i.loop_var) << " in " << opnd(i.args[0]) << ".." << opnd(i.args[1]) << " {\n";
          body(*i.then_body, depth + 1);
          os << ind << "}";
          break;
        case Inst::Op::TailSelf: os << "tail_self(" << args(i.args) << ")"; break;
        case Inst::Op::Sample:
          os << "sample " << (i.dist ? std::string(i.dist->name) : "") << "(" << args(i.args) << ")";
          break;
        case Inst::Op::Observe:
          os << "observe " << (i.dist ? std::string(i.dist->name) : "") << "(" << args(i.args) << ")";
          break;
        case Inst::Op::Factor: os << "factor(" << args(i.args) << ")"; break;
      }
      if (i.tail) os << "  ; tail";
      else if (!i.saved.empty()) {
        os << "  ; saves";
        for (VarId v : i.saved) os << " " << var(v);
      }
      os << "\n";
    }
    os << ind << "result " << opnd(b.result) << "\n";
  }
};

}  // namespace

std::string dump_ir(const IrModule& m) {
  std::string out;
  for (auto& f : m.functions) {
    if (!f->reachable) continue;
    Printer p{f.get(), {}};
    p.os << "fn @" << f->name << "(";
    for (size_t k = 0; k < f->params.size(); ++k) p.os << (k ? ", " : "") << p.var(f->params[k]);
    p.os << ")";
    if (!f->captures.empty()) {
      p.os << " captures [";
      for (size_t k = 0; k < f->captures.size(); ++k) p.os << (k ? ", " : "") << p.var(f->captures[k]);
      p.os << "]";
    }
    p.os << (f->may_suspend ? " may_suspend" : " pure") << " {\n";
    p.body(f->body, 1);
    p.os << "}\n\n";
    out += p.os.str();
  }
  return out;
}

}  // namespace borel
