#include "GgufValue.h"

#include "Error.h"

#include <limits>

namespace borel::llm {

const char* gguf_value_type_name(GgufValueType t) {
  switch (t) {
    case GgufValueType::UINT8: return "uint8";
    case GgufValueType::INT8: return "int8";
    case GgufValueType::UINT16: return "uint16";
    case GgufValueType::INT16: return "int16";
    case GgufValueType::UINT32: return "uint32";
    case GgufValueType::INT32: return "int32";
    case GgufValueType::FLOAT32: return "float32";
    case GgufValueType::BOOL: return "bool";
    case GgufValueType::STRING: return "string";
    case GgufValueType::ARRAY: return "array";
    case GgufValueType::UINT64: return "uint64";
    case GgufValueType::INT64: return "int64";
    case GgufValueType::FLOAT64: return "float64";
  }
  return "unknown";
}

GgufValue GgufValue::make_uint(GgufValueType t, uint64_t v) {
  GgufValue r;
  r.type_ = t;
  r.u_ = v;
  return r;
}
GgufValue GgufValue::make_int(GgufValueType t, int64_t v) {
  GgufValue r;
  r.type_ = t;
  r.i_ = v;
  return r;
}
GgufValue GgufValue::make_float(GgufValueType t, double v) {
  GgufValue r;
  r.type_ = t;
  r.f_ = v;
  return r;
}
GgufValue GgufValue::make_bool(bool v) {
  GgufValue r;
  r.type_ = GgufValueType::BOOL;
  r.u_ = v ? 1 : 0;
  return r;
}
GgufValue GgufValue::make_string(std::string v) {
  GgufValue r;
  r.type_ = GgufValueType::STRING;
  r.s_ = std::move(v);
  return r;
}
GgufValue GgufValue::make_array(GgufValueType elem_type, std::vector<GgufValue> elems) {
  GgufValue r;
  r.type_ = GgufValueType::ARRAY;
  r.elem_type_ = elem_type;
  r.arr_ = std::move(elems);
  return r;
}

bool GgufValue::is_integer() const {
  switch (type_) {
    case GgufValueType::UINT8:
    case GgufValueType::UINT16:
    case GgufValueType::UINT32:
    case GgufValueType::UINT64:
    case GgufValueType::INT8:
    case GgufValueType::INT16:
    case GgufValueType::INT32:
    case GgufValueType::INT64: return true;
    default: return false;
  }
}

static bool is_unsigned(GgufValueType t) {
  return t == GgufValueType::UINT8 || t == GgufValueType::UINT16 || t == GgufValueType::UINT32 ||
         t == GgufValueType::UINT64;
}

static LlmError type_error(const std::string& what, const char* wanted, GgufValueType got) {
  return LlmError("metadata " + what + ": expected " + wanted + ", but the value is of type " +
                  gguf_value_type_name(got));
}

uint64_t GgufValue::as_u64(const std::string& what) const {
  if (!is_integer()) throw type_error(what, "an integer", type_);
  if (is_unsigned(type_)) return u_;
  if (i_ < 0) throw LlmError("metadata " + what + ": is " + std::to_string(i_) + ", but must be non-negative");
  return static_cast<uint64_t>(i_);
}

int64_t GgufValue::as_i64(const std::string& what) const {
  if (!is_integer()) throw type_error(what, "an integer", type_);
  if (!is_unsigned(type_)) return i_;
  if (u_ > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    throw LlmError("metadata " + what + ": " + std::to_string(u_) + " does not fit in int64");
  return static_cast<int64_t>(u_);
}

double GgufValue::as_f64(const std::string& what) const {
  if (is_float()) return f_;
  if (is_integer()) return is_unsigned(type_) ? double(u_) : double(i_);
  throw type_error(what, "a number", type_);
}

bool GgufValue::as_bool(const std::string& what) const {
  if (type_ != GgufValueType::BOOL) throw type_error(what, "a bool", type_);
  return u_ != 0;
}

const std::string& GgufValue::as_string(const std::string& what) const {
  if (type_ != GgufValueType::STRING) throw type_error(what, "a string", type_);
  return s_;
}

const std::vector<GgufValue>& GgufValue::as_array(const std::string& what) const {
  if (type_ != GgufValueType::ARRAY) throw type_error(what, "an array", type_);
  return arr_;
}

}  // namespace borel::llm
