// Types.cpp — type construction and printing.
#include "compiler/frontend/Types.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace borel {

Type* prune(Type* t) {
  while (t->tag == Type::Tag::Var && t->link) {
    if (t->link->tag == Type::Tag::Var && t->link->link) t->link = t->link->link;  // path halving
    t = t->link;
  }
  return t;
}

Type* TypeArena::make(Type::Tag tag) {
  types_.emplace_back();
  types_.back().tag = tag;
  return &types_.back();
}

Type* TypeArena::var(int level, bool numeric) {
  Type* t = make(Type::Tag::Var);
  t->id = next_var_++;
  t->level = level;
  t->numeric = numeric;
  return t;
}
Type* TypeArena::unit() { return make(Type::Tag::Unit); }
Type* TypeArena::boolean() { return make(Type::Tag::Bool); }
Type* TypeArena::integer() { return make(Type::Tag::Int); }
Type* TypeArena::real() { return make(Type::Tag::Real); }
Type* TypeArena::string() { return make(Type::Tag::String); }
Type* TypeArena::opaque(const std::string& name) {
  Type* t = make(Type::Tag::Opaque);
  t->names = {name};
  return t;
}
Type* TypeArena::array(Type* elem) {
  Type* t = make(Type::Tag::Array);
  t->args = {elem};
  return t;
}
Type* TypeArena::dist(Type* elem) {
  Type* t = make(Type::Tag::Dist);
  t->args = {elem};
  return t;
}
Type* TypeArena::tuple(std::vector<Type*> fields) {
  Type* t = make(Type::Tag::Tuple);
  t->args = std::move(fields);
  return t;
}
Type* TypeArena::record(std::vector<std::string> names, std::vector<Type*> fields) {
  std::vector<size_t> order(names.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return names[a] < names[b]; });
  Type* t = make(Type::Tag::Record);
  for (size_t i : order) {
    t->names.push_back(names[i]);
    t->args.push_back(fields[i]);
  }
  return t;
}
Type* TypeArena::func(std::vector<Type*> params, Type* result) {
  Type* t = make(Type::Tag::Func);
  t->args = std::move(params);
  t->args.push_back(result);
  return t;
}

namespace {
// "a" + s + "b", built by appending (GCC 12 warns falsely about the
// temporaries of operator+ here: -Wrestrict).
std::string wrap(const char* a, const std::string& s, const char* b) {
  std::string out(a);
  out += s;
  out += b;
  return out;
}

struct Printer {
  std::map<Type*, std::string> names;
  std::string name_of(Type* v) {
    auto it = names.find(v);
    if (it != names.end()) return it->second;
    std::string n = "'";
    size_t k = names.size();
    n += static_cast<char>('a' + k % 26);
    if (k >= 26) n += std::to_string(k / 26);
    names[v] = n;
    return n;
  }
  std::string print(Type* t) {
    t = prune(t);
    switch (t->tag) {
      case Type::Tag::Var: return t->numeric ? "number" : name_of(t);
      case Type::Tag::Unit: return "unit";
      case Type::Tag::Bool: return "bool";
      case Type::Tag::Int: return "int";
      case Type::Tag::Real: return "real";
      case Type::Tag::String: return "string";
      case Type::Tag::Opaque: return t->names[0];
      case Type::Tag::Array: return wrap("[", print(t->args[0]), "]");
      case Type::Tag::Dist: return wrap("Dist[", print(t->args[0]), "]");
      case Type::Tag::Tuple: {
        std::string s = "(";
        for (size_t i = 0; i < t->args.size(); ++i) s += (i ? ", " : "") + print(t->args[i]);
        return s + ")";
      }
      case Type::Tag::Record: {
        std::string s = "{";
        for (size_t i = 0; i < t->args.size(); ++i)
          s += (i ? ", " : "") + t->names[i] + ": " + print(t->args[i]);
        return s + "}";
      }
      case Type::Tag::Func: {
        std::string s = "fn(";
        for (size_t i = 0; i + 1 < t->args.size(); ++i) s += (i ? ", " : "") + print(t->args[i]);
        return s + ") -> " + print(t->args.back());
      }
    }
    return "?";
  }
};
}  // namespace

std::string type_to_string(Type* t) { return Printer{}.print(t); }

std::string types_to_string(Type* a, Type* b, std::string* out_b) {
  Printer p;
  std::string sa = p.print(a);
  *out_b = p.print(b);
  return sa;
}

}  // namespace borel
