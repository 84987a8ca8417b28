// GgufValue.h — one metadata value of a GGUF file (any of the 13 GGUF value
// types, arrays included, arrays of arrays too).
//
// Integers keep their exact value (signed or unsigned 64-bit) and their
// declared type, so a file read and written back is byte-identical. The
// accessors convert between numeric types only when the value fits, and
// throw LlmError naming the key otherwise.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace borel::llm {

enum class GgufValueType : uint32_t {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
};

const char* gguf_value_type_name(GgufValueType t);

class GgufValue {
public:
  GgufValue() = default;
  static GgufValue make_uint(GgufValueType t, uint64_t v);
  static GgufValue make_int(GgufValueType t, int64_t v);
  static GgufValue make_float(GgufValueType t, double v);
  static GgufValue make_bool(bool v);
  static GgufValue make_string(std::string v);
  static GgufValue make_array(GgufValueType elem_type, std::vector<GgufValue> elems);

  // Convenience constructors with the usual GGUF types.
  static GgufValue u32(uint32_t v) { return make_uint(GgufValueType::UINT32, v); }
  static GgufValue i32(int32_t v) { return make_int(GgufValueType::INT32, v); }
  static GgufValue f32(float v) { return make_float(GgufValueType::FLOAT32, v); }

  GgufValueType type() const { return type_; }
  GgufValueType elem_type() const { return elem_type_; }  // arrays only
  bool is_integer() const;
  bool is_float() const { return type_ == GgufValueType::FLOAT32 || type_ == GgufValueType::FLOAT64; }

  // Checked accessors; `what` names the key in the error message.
  uint64_t as_u64(const std::string& what) const;
  int64_t as_i64(const std::string& what) const;
  double as_f64(const std::string& what) const;
  bool as_bool(const std::string& what) const;
  const std::string& as_string(const std::string& what) const;
  const std::vector<GgufValue>& as_array(const std::string& what) const;

  // Raw storage, for the writer.
  uint64_t raw_uint() const { return u_; }
  int64_t raw_int() const { return i_; }
  double raw_float() const { return f_; }

private:
  GgufValueType type_ = GgufValueType::UINT8;
  GgufValueType elem_type_ = GgufValueType::UINT8;
  uint64_t u_ = 0;
  int64_t i_ = 0;
  double f_ = 0;
  std::string s_;
  std::vector<GgufValue> arr_;
};

}  // namespace borel::llm
