// AST.cpp — operator spellings and the `--emit=ast` dump.
//
// The dump is one node per line, children indented two spaces, with no
// source locations so that it stays stable as code moves. A child that plays
// a named role is prefixed with it (`else: Block`, `lo: Int 0`, `k = Int 3`
// for a named argument). Literals print as written in Borel: reals always
// with a '.' or an exponent, strings re-escaped.
#include "compiler/frontend/AST.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace borel {

const char* op_text(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg: return "-";
    case UnaryOp::Not: return "!";
  }
  return "?";
}

const char* op_text(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "+";
    case BinaryOp::Sub: return "-";
    case BinaryOp::Mul: return "*";
    case BinaryOp::Div: return "/";
    case BinaryOp::Mod: return "%";
    case BinaryOp::Pow: return "**";
    case BinaryOp::Eq: return "==";
    case BinaryOp::Ne: return "!=";
    case BinaryOp::Lt: return "<";
    case BinaryOp::Le: return "<=";
    case BinaryOp::Gt: return ">";
    case BinaryOp::Ge: return ">=";
    case BinaryOp::And: return "&&";
    case BinaryOp::Or: return "||";
    case BinaryOp::Concat: return "++";
  }
  return "?";
}

namespace {

// `l + mid + r` (spelled out: GCC 12 warns falsely, -Wrestrict, on
// `"[" + std::string(...)` at -O3).
std::string wrap(const char* l, const std::string& mid, const char* r) {
  std::string s = l;
  s += mid;
  s += r;
  return s;
}

std::string type_text(const TypeExpr* t) {
  if (!t) return "<missing>";
  auto arg = [&](size_t i) { return i < t->args.size() ? type_text(t->args[i].get()) : std::string("<missing>"); };
  switch (t->kind) {
    case TypeExpr::Kind::Name: return t->name;
    case TypeExpr::Kind::Var: return "'" + t->name;
    case TypeExpr::Kind::Array: return wrap("[", arg(0), "]");
    case TypeExpr::Kind::Dist: return wrap("Dist[", arg(0), "]");
    case TypeExpr::Kind::Tuple: {
      std::string s = "(";
      for (size_t i = 0; i < t->args.size(); ++i) s += (i ? ", " : "") + arg(i);
      return s + ")";
    }
    case TypeExpr::Kind::Record: {
      std::string s = "{";
      for (size_t i = 0; i < t->args.size(); ++i)
        s += (i ? ", " : "") + (i < t->fields.size() ? t->fields[i] : std::string("?")) + ": " + arg(i);
      return s + "}";
    }
    case TypeExpr::Kind::Func: {
      std::string s = "fn(";
      for (size_t i = 0; i + 1 < t->args.size(); ++i) s += (i ? ", " : "") + arg(i);
      return s + ") -> " + (t->args.empty() ? std::string("<missing>") : arg(t->args.size() - 1));
    }
  }
  return "?";
}

std::string real_text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  std::string s(buf, r.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[16];
          std::snprintf(buf, sizeof buf, "\\u{%X}", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string params_text(const std::vector<Param>& params, const TypeExpr* ret) {
  std::string s = "(";
  for (size_t i = 0; i < params.size(); ++i) {
    if (i) s += ", ";
    s += params[i].name;
    if (params[i].type) s += ": " + type_text(params[i].type.get());
  }
  s += ")";
  if (ret) s += " -> " + type_text(ret);
  return s;
}

class Dumper {
 public:
  std::string out;

  void module(const Module& m) {
    line(0, "", "Module");
    for (const auto& imp : m.imports) line(1, "", "Import " + quoted(imp.path));
    for (const auto& s : m.lets) stmt(s.get(), 1);
    for (const auto& f : m.fns) fn(f.get(), 1, "");
  }

 private:
  void line(int indent, const std::string& label, const std::string& text) {
    out.append(static_cast<size_t>(indent) * 2, ' ');
    out += label;
    out += text;
    out += '\n';
  }

  void fn(const FnDecl* f, int indent, const std::string& label) {
    if (!f) return line(indent, label, "<missing fn>");
    line(indent, label, "Fn " + f->name + params_text(f->params, f->ret_type.get()));
    expr(f->body.get(), indent + 1, "");
  }

  void stmt(const Stmt* s, int indent) {
    if (!s) return line(indent, "", "<missing stmt>");
    switch (s->kind) {
      case Stmt::Kind::Let: {
        std::string t = "Let " + (s->names.empty() ? std::string("?") : s->names[0]);
        if (s->type) t += ": " + type_text(s->type.get());
        line(indent, "", t);
        expr(s->value.get(), indent + 1, "");
        return;
      }
      case Stmt::Kind::LetTuple: {
        std::string t = "LetTuple (";
        for (size_t i = 0; i < s->names.size(); ++i) t += (i ? ", " : "") + s->names[i];
        line(indent, "", t + ")");
        expr(s->value.get(), indent + 1, "");
        return;
      }
      case Stmt::Kind::Expr:
        line(indent, "", "ExprStmt");
        expr(s->value.get(), indent + 1, "");
        return;
      case Stmt::Kind::Fn:
        fn(s->fn.get(), indent, "");
        return;
    }
  }

  void kid(const Expr& e, size_t i, int indent, const std::string& label) {
    expr(i < e.kids.size() ? e.kids[i].get() : nullptr, indent, label);
  }
  // A child that may be absent: printed only when present.
  void optional_kid(const Expr& e, size_t i, int indent, const std::string& label) {
    if (i < e.kids.size() && e.kids[i]) expr(e.kids[i].get(), indent, label);
  }

  void expr(const Expr* e, int indent, const std::string& label) {
    if (!e) return line(indent, label, "<missing>");
    const int in = indent + 1;
    switch (e->kind) {
      case Expr::Kind::IntLit: return line(indent, label, "Int " + std::to_string(e->int_value));
      case Expr::Kind::RealLit: return line(indent, label, "Real " + real_text(e->real_value));
      case Expr::Kind::BoolLit: return line(indent, label, e->bool_value ? "Bool true" : "Bool false");
      case Expr::Kind::StringLit: return line(indent, label, "String " + quoted(e->name));
      case Expr::Kind::UnitLit: return line(indent, label, "Unit");
      case Expr::Kind::Var: return line(indent, label, "Var " + e->name);
      case Expr::Kind::Call:
        line(indent, label, "Call");
        kid(*e, 0, in, "");
        for (size_t i = 1; i < e->kids.size(); ++i) {
          std::string name = i - 1 < e->arg_names.size() ? e->arg_names[i - 1] : std::string();
          kid(*e, i, in, name.empty() ? "" : name + " = ");
        }
        return;
      case Expr::Kind::Lambda:
        line(indent, label, "Lambda" + params_text(e->params, e->ret_type.get()));
        kid(*e, 0, in, "");
        return;
      case Expr::Kind::Unary:
        line(indent, label, std::string("Unary ") + op_text(e->uop));
        kid(*e, 0, in, "");
        return;
      case Expr::Kind::Binary:
        line(indent, label, std::string("Binary ") + op_text(e->bop));
        kid(*e, 0, in, "");
        kid(*e, 1, in, "");
        return;
      case Expr::Kind::If:
        line(indent, label, "If");
        kid(*e, 0, in, "");
        kid(*e, 1, in, "then: ");
        optional_kid(*e, 2, in, "else: ");
        return;
      case Expr::Kind::Block:
        line(indent, label, "Block");
        for (const auto& s : e->stmts) stmt(s.get(), in);
        optional_kid(*e, 0, in, "result: ");
        return;
      case Expr::Kind::ArrayLit:
        line(indent, label, "Array");
        for (size_t i = 0; i < e->kids.size(); ++i) kid(*e, i, in, "");
        return;
      case Expr::Kind::TupleLit:
        line(indent, label, "Tuple");
        for (size_t i = 0; i < e->kids.size(); ++i) kid(*e, i, in, "");
        return;
      case Expr::Kind::RecordLit:
        line(indent, label, "Record");
        for (size_t i = 0; i < e->kids.size(); ++i)
          kid(*e, i, in, (i < e->fields.size() ? e->fields[i] : std::string("?")) + ": ");
        return;
      case Expr::Kind::Index:
        line(indent, label, "Index");
        kid(*e, 0, in, "");
        kid(*e, 1, in, "");
        return;
      case Expr::Kind::Slice:
        line(indent, label, "Slice");
        kid(*e, 0, in, "");
        optional_kid(*e, 1, in, "lo: ");
        optional_kid(*e, 2, in, "hi: ");
        return;
      case Expr::Kind::Field:
        line(indent, label, "Field " + e->name);
        kid(*e, 0, in, "");
        return;
      case Expr::Kind::Range:
        line(indent, label, "Range");
        kid(*e, 0, in, "");
        kid(*e, 1, in, "");
        return;
      case Expr::Kind::For:
        line(indent, label, "For " + e->name);
        kid(*e, 0, in, "in: ");
        kid(*e, 1, in, "");
        return;
      case Expr::Kind::Comprehension:
        line(indent, label, "Comprehension " + e->name);
        kid(*e, 0, in, "in: ");
        kid(*e, 1, in, "elem: ");
        optional_kid(*e, 2, in, "if: ");
        return;
    }
  }
};

}  // namespace

std::string dump_ast(const Module& m) {
  Dumper d;
  d.module(m);
  return d.out;
}

}  // namespace borel
