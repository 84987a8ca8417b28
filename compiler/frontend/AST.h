// AST.h — the abstract syntax tree the parser produces.
//
// One node type per syntactic category (TypeExpr, Expr, Stmt, FnDecl,
// Module), each a tagged struct: passes switch on `kind`. Every node has the
// `Loc` of its first token (for binary operators: of the operator). The type
// checker fills `Expr::type` and rewrites calls with named or defaulted
// arguments into positional form; nothing else mutates the tree after parsing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compiler/frontend/Source.h"

namespace borel {

struct Type;  // compiler/frontend/Types.h

// A type written by the user: `real`, `[int]`, `(real, bool)`,
// `{mu: real, k: int}`, `fn(real, real) -> real`, `Dist[real]`, or a type
// variable `'a`.
struct TypeExpr {
  enum class Kind { Name, Var, Array, Tuple, Record, Func, Dist };
  Kind kind;
  Loc loc;
  std::string name;                             // Name: real|int|bool|string|unit; Var: a
  std::vector<std::unique_ptr<TypeExpr>> args;  // Array/Dist: [elem]; Tuple/Record: fields; Func: params..., result last
  std::vector<std::string> fields;              // Record field names, parallel to args
};
using TypeExprPtr = std::unique_ptr<TypeExpr>;

enum class UnaryOp { Neg, Not };
enum class BinaryOp {
  Add, Sub, Mul, Div, Mod, Pow,   // + - * / % **
  Eq, Ne, Lt, Le, Gt, Ge,         // == != < <= > >=
  And, Or,                        // && || (short-circuit)
  Concat,                         // ++ (strings, arrays)
};
const char* op_text(UnaryOp);
const char* op_text(BinaryOp);

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;
struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;

struct Param {
  std::string name;
  TypeExprPtr type;  // may be null: inferred
  Loc loc;
};

struct Expr {
  enum class Kind {
    IntLit,        // int_value
    RealLit,       // real_value
    BoolLit,       // bool_value
    StringLit,     // name holds the decoded string
    UnitLit,       // ()
    Var,           // name
    Call,          // kids[0] callee, kids[1..] arguments; arg_names parallel to arguments ("" = positional)
    Lambda,        // params, ret_type (may be null), kids[0] body
    Unary,         // uop, kids[0]
    Binary,        // bop, kids[0], kids[1]
    If,            // kids[0] cond, kids[1] then, kids[2] else (null when absent: unit)
    Block,         // stmts, kids[0] result (null: unit)
    ArrayLit,      // kids: elements
    TupleLit,      // kids: elements (at least 2)
    RecordLit,     // kids: field values, fields: names (as written)
    Index,         // kids[0] array, kids[1] index
    Slice,         // kids[0] array, kids[1] lo (may be null), kids[2] hi (may be null): a[lo..hi]
    Field,         // kids[0] record/tuple; name = field name, or tuple index as decimal digits
    Range,         // kids[0] lo, kids[1] hi: lo..hi, ints, hi exclusive
    For,           // name = loop variable, kids[0] iterable, kids[1] body; value unit
    Comprehension, // name = variable, kids[0] iterable, kids[1] element, kids[2] filter (may be null)
  };
  Kind kind;
  Loc loc;
  int64_t int_value = 0;
  double real_value = 0;
  bool bool_value = false;
  std::string name;
  UnaryOp uop{};
  BinaryOp bop{};
  std::vector<ExprPtr> kids;
  std::vector<std::string> arg_names;
  std::vector<std::string> fields;
  std::vector<Param> params;
  TypeExprPtr ret_type;
  std::vector<StmtPtr> stmts;

  Type* type = nullptr;  // filled by the type checker

  Expr(Kind k, Loc l) : kind(k), loc(l) {}
};

struct FnDecl {
  std::string name;
  Loc loc;
  std::vector<Param> params;
  TypeExprPtr ret_type;  // may be null
  ExprPtr body;          // a Block
};
using FnDeclPtr = std::unique_ptr<FnDecl>;

struct Stmt {
  enum class Kind {
    Let,       // let name[: type] = value;   (names.size()==1)
    LetTuple,  // let (a, b, _) = value;
    Expr,      // value;
    Fn,        // a local function (recursive; adjacent local fns are mutually recursive)
  };
  Kind kind;
  Loc loc;
  std::vector<std::string> names;
  TypeExprPtr type;   // Let: optional annotation
  ExprPtr value;
  FnDeclPtr fn;
  Stmt(Kind k, Loc l) : kind(k), loc(l) {}
};

struct Import {
  std::string path;  // as written: "lib/util.brl" relative to the importing file
  Loc loc;
};

// One source file. Top-level items are mutually visible (functions may be
// mutually recursive); top-level lets are evaluated in order before main.
struct Module {
  const SourceFile* file = nullptr;
  std::vector<Import> imports;
  std::vector<FnDeclPtr> fns;
  std::vector<StmtPtr> lets;  // Stmt::Kind::Let / LetTuple only
};

// Renders a tree for `borel --emit=ast`: one node per line, indented.
std::string dump_ast(const Module& m);

}  // namespace borel
