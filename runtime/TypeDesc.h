// TypeDesc.h — a Borel type described at run time.
//
// Values are untyped words (Value.h); the compiler hands the runtime a
// TypeDesc wherever it must interpret a value it did not compute itself:
// printing, summaries of an inferred distribution, CSV/JSON output, reading
// JSON data into a typed value. TypeDescs are immutable and live as long as
// the compiled module.
#pragma once

#include <string>
#include <vector>

#include "runtime/Value.h"

namespace borel::rt {

struct TypeDesc {
  enum class Tag { Unit, Bool, Int, Real, String, Array, Tuple, Record, Function, Dist };
  Tag tag;
  const TypeDesc* elem = nullptr;            // Array element, Dist value type
  std::vector<const TypeDesc*> fields;       // Tuple/Record fields in layout order
  std::vector<std::string> names;            // Record field names (same order)

  bool is_scalar() const { return tag == Tag::Bool || tag == Tag::Int || tag == Tag::Real; }
  std::string to_string() const;             // Borel syntax, e.g. "[real]", "{mu: real, k: int}"
};

// Renders a value of type `t` the way `print` shows it.
std::string format_value(Word v, const TypeDesc& t);

}  // namespace borel::rt

namespace borel::rt {

// A type as text and back, for compiled programs written to object files
// (compiler/backend/Aot.h), which cannot point at the compiler's TypeDescs:
// decode_type(encode_type(t)) is a TypeDesc equal to t, allocated for the
// life of the process.
std::string encode_type(const TypeDesc& t);
const TypeDesc* decode_type(const std::string& text);

}  // namespace borel::rt
