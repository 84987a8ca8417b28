// Types.h — Borel's types and type schemes, for Hindley–Milner inference.
//
// Types are allocated in a TypeArena and never freed before the arena. A
// type variable is bound by pointing `link` at another type (union–find);
// always look through links with `prune`. A *numeric* variable stands for
// a number whose type is not yet decided (an integer literal: int or real);
// it may only be bound to int, real or another variable, and defaults to int.
#pragma once

#include <algorithm>
#include <array>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace borel {

// The opaque types a program may name in an annotation (values only builtins
// make): the parser accepts these names and the type checker maps each to
// its opaque type.
inline constexpr std::array<std::string_view, 7> kOpaqueTypeNames = {"LM",        "Regex",     "Grammar",     "Method",
                                                                     "Objective", "Optimiser", "RewardServer"};
inline bool is_opaque_type_name(std::string_view name) {
  return std::find(kOpaqueTypeNames.begin(), kOpaqueTypeNames.end(), name) != kOpaqueTypeNames.end();
}

struct Type {
  enum class Tag { Var, Unit, Bool, Int, Real, String, Array, Tuple, Record, Func, Dist, Opaque };
  Tag tag;
  // Var
  Type* link = nullptr;
  int id = 0;
  int level = 0;
  bool numeric = false;
  // Array/Dist: args[0]; Tuple: fields; Record: fields in name order; Func: params..., result
  std::vector<Type*> args;
  std::vector<std::string> names;  // Record field names (sorted); Opaque: names[0]
};

Type* prune(Type* t);

class TypeArena {
 public:
  Type* var(int level, bool numeric = false);
  Type* unit();
  Type* boolean();
  Type* integer();
  Type* real();
  Type* string();
  Type* opaque(const std::string& name);
  Type* array(Type* elem);
  Type* dist(Type* elem);
  Type* tuple(std::vector<Type*> fields);
  // Fields are sorted by name; `names` and `fields` are permuted together.
  Type* record(std::vector<std::string> names, std::vector<Type*> fields);
  Type* func(std::vector<Type*> params, Type* result);

 private:
  Type* make(Type::Tag tag);
  std::deque<Type> types_;
  int next_var_ = 0;
};

// A polymorphic type: `vars` are quantified in `body`.
struct Scheme {
  std::vector<Type*> vars;
  Type* body = nullptr;
};

// Renders a type for messages, naming variables 'a, 'b, ... in order of
// appearance ("number" for an undecided numeric variable).
std::string type_to_string(Type* t);
std::string types_to_string(Type* a, Type* b, std::string* out_b);  // consistent naming for pairs

inline bool is(Type* t, Type::Tag tag) { return prune(t)->tag == tag; }

}  // namespace borel
