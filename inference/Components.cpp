// Components.cpp — flattening values into named scalar components.
#include "inference/Components.h"

#include <algorithm>

namespace borel::inference {

using rt::TypeDesc;

namespace {

// Follows `path` from value v of type t; false when a step is missing.
bool walk(rt::Word& v, const TypeDesc*& t, const std::vector<int64_t>& path, size_t depth) {
  for (size_t i = 0; i < depth; ++i) {
    if (t->tag == TypeDesc::Tag::Array) {
      const auto* a = rt::to_ptr<const rt::Array>(v);
      if (!a || path[i] >= a->len) return false;
      v = a->data[path[i]];
      t = t->elem;
    } else {
      const auto* tu = rt::to_ptr<const rt::Tuple>(v);
      if (!tu) return false;
      v = tu->fields[path[i]];
      t = t->fields[static_cast<size_t>(path[i])];
    }
  }
  return true;
}

struct Flattener {
  const TypeDesc& root;
  const rt::Word* values;
  int64_t n;
  int64_t limit;
  bool truncated = false;
  std::vector<Component> out;

  void visit(const TypeDesc& t, std::vector<int64_t>& path, const std::string& name) {
    if (static_cast<int64_t>(out.size()) >= limit) {
      truncated = true;
      return;
    }
    switch (t.tag) {
      case TypeDesc::Tag::Real:
      case TypeDesc::Tag::Int:
      case TypeDesc::Tag::Bool: out.push_back({name, &t, path}); return;
      case TypeDesc::Tag::Array: {
        if (!t.elem) return;
        int64_t len = 0;
        for (int64_t i = 0; i < n; ++i) {
          rt::Word v = values[i];
          const TypeDesc* tt = &root;
          if (!walk(v, tt, path, path.size())) continue;
          const auto* a = rt::to_ptr<const rt::Array>(v);
          if (a) len = std::max(len, a->len);
        }
        for (int64_t k = 0; k < len; ++k) {
          path.push_back(k);
          visit(*t.elem, path, name + "[" + std::to_string(k) + "]");
          path.pop_back();
          if (truncated) return;
        }
        return;
      }
      case TypeDesc::Tag::Tuple:
      case TypeDesc::Tag::Record: {
        const bool rec = t.tag == TypeDesc::Tag::Record;
        for (size_t k = 0; k < t.fields.size(); ++k) {
          std::string field = rec ? (k < t.names.size() ? t.names[k] : "?") : std::to_string(k);
          std::string sub = rec && name.empty() ? field : name + "." + field;
          path.push_back(static_cast<int64_t>(k));
          visit(*t.fields[k], path, sub);
          path.pop_back();
          if (truncated) return;
        }
        return;
      }
      default: return;  // unit, strings, functions, distributions
    }
  }
};

}  // namespace

std::optional<rt::Word> Component::get(rt::Word v, const TypeDesc& root) const {
  const TypeDesc* t = &root;
  if (!walk(v, t, path, path.size())) return std::nullopt;
  return v;
}

std::vector<Component> components(const TypeDesc& t, const rt::Word* values, int64_t n,
                                  const std::string& root, int64_t limit, bool* truncated) {
  Flattener f{t, values, n, limit, false, {}};
  std::vector<int64_t> path;
  f.visit(t, path, t.tag == TypeDesc::Tag::Record ? std::string() : root);
  if (truncated) *truncated = f.truncated;
  return std::move(f.out);
}

double scalar_as_real(rt::Word w, const TypeDesc& t) {
  return t.tag == TypeDesc::Tag::Real ? rt::to_real(w) : static_cast<double>(w);
}

}  // namespace borel::inference
