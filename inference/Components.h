// Components.h — the scalar components of values of a type, with names.
//
// Summaries and CSV output see a value of type T as its scalar (real, int,
// bool) components, named by their path: the value itself `x` when T is a
// scalar (`root` names it), `x[2]` for array elements, `x.0` for tuple
// fields, and record fields by name — `mu`, `k`, `theta[1]`, `p.a` — the root
// is left out when T is a record. Arrays are expanded to the longest length
// seen among the values; a component absent from a value (a shorter array)
// reads as missing. Strings, functions and distributions are not components.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/TypeDesc.h"
#include "runtime/Value.h"

namespace borel::inference {

struct Component {
  std::string name;
  const rt::TypeDesc* type;   // Real, Int or Bool
  std::vector<int64_t> path;  // field or element index at each level
  // The component of value v, or nothing when v does not have it.
  std::optional<rt::Word> get(rt::Word v, const rt::TypeDesc& root) const;
};

// The components of type t over the given values, at most `limit` of them
// (*truncated is set when more exist).
std::vector<Component> components(const rt::TypeDesc& t, const rt::Word* values, int64_t n,
                                  const std::string& root = "x", int64_t limit = 1000,
                                  bool* truncated = nullptr);

// A scalar word as a double (ints and bools converted).
double scalar_as_real(rt::Word w, const rt::TypeDesc& t);

}  // namespace borel::inference
