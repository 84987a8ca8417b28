// ReadJson.cpp — see ReadJson.h.
#include "runtime/abi/ReadJson.h"

#include <boost/json.hpp>
#include <cmath>
#include <cstdint>

#include "runtime/Model.h"

namespace borel::abi {

namespace {

// An integral double inside int64's range. 2^63 itself is excluded: it is
// one past INT64_MAX, and converting it is undefined behaviour.
bool fits_int64(double x) {
  return std::isfinite(x) && std::floor(x) == x && x >= -9223372036854775808.0 && x < 9223372036854775808.0;
}

rt::Word from_json(const boost::json::value& v, const rt::TypeDesc& t, const std::string& where) {
  using Tag = rt::TypeDesc::Tag;
  auto bad = [&](const std::string& what) -> rt::Word {
    throw rt::RuntimeError{"", "read_json: " + where + " should be " + what + ", found " + boost::json::serialize(v).substr(0, 60)};
  };
  switch (t.tag) {
    case Tag::Real:
      // JSON has no infinity: a number too large for a real (1e999, which
      // the parser reads as inf) is an error, not a silent inf.
      if (v.is_double() && !std::isfinite(v.as_double())) return bad("a real (a number within ±1.8e308)");
      if (v.is_double()) return rt::from_real(v.as_double());
      if (v.is_int64()) return rt::from_real(static_cast<double>(v.as_int64()));
      if (v.is_uint64()) return rt::from_real(static_cast<double>(v.as_uint64()));
      return bad("a number");
    case Tag::Int:
      // Only values an int holds exactly: a uint64 above 2^63 - 1, a number
      // outside [-2^63, 2^63) (1e23, 1e999) and a non-integral number are
      // errors, never a wrapped or saturated value (a cast would wrap or be
      // undefined behaviour).
      if (v.is_int64()) return v.as_int64();
      if (v.is_uint64() && v.as_uint64() <= static_cast<uint64_t>(INT64_MAX)) return static_cast<rt::Word>(v.as_uint64());
      if (v.is_double() && fits_int64(v.as_double())) return static_cast<rt::Word>(v.as_double());
      if (v.is_number()) return bad("an int (an integer from -2^63 to 2^63 - 1)");
      return bad("an integer");
    case Tag::Bool:
      if (v.is_bool()) return v.as_bool() ? 1 : 0;
      if (v.is_int64() && (v.as_int64() == 0 || v.as_int64() == 1)) return v.as_int64();
      return bad("a bool");
    case Tag::String:
      if (v.is_string()) return rt::from_ptr(rt::string_new(std::string(v.as_string())));
      return bad("a string");
    case Tag::Unit: return 0;
    case Tag::Array: {
      if (!v.is_array()) return bad("an array");
      const auto& a = v.as_array();
      rt::Array* out = rt::array_new(static_cast<int64_t>(a.size()));
      for (size_t i = 0; i < a.size(); ++i)
        out->data[i] = from_json(a[i], *t.elem, where + "[" + std::to_string(i) + "]");
      return rt::from_ptr(out);
    }
    case Tag::Tuple: {
      if (!v.is_array() || v.as_array().size() != t.fields.size()) return bad("an array of " + std::to_string(t.fields.size()));
      rt::Tuple* out = rt::tuple_new(static_cast<int64_t>(t.fields.size()));
      for (size_t i = 0; i < t.fields.size(); ++i)
        out->fields[i] = from_json(v.as_array()[i], *t.fields[i], where + "[" + std::to_string(i) + "]");
      return rt::from_ptr(out);
    }
    case Tag::Record: {
      if (!v.is_object()) return bad("an object");
      rt::Tuple* out = rt::tuple_new(static_cast<int64_t>(t.fields.size()));
      for (size_t i = 0; i < t.fields.size(); ++i) {
        const boost::json::value* f = v.as_object().if_contains(t.names[i]);
        if (!f) throw rt::RuntimeError{"", "read_json: " + where + " has no field \"" + t.names[i] + "\""};
        out->fields[i] = from_json(*f, *t.fields[i], where + "." + t.names[i]);
      }
      return rt::from_ptr(out);
    }
    default: return bad("data (functions and distributions cannot be read)");
  }
}

}  // namespace

rt::Word read_json_text(std::string_view text, const rt::TypeDesc& t, const std::string& source) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) throw rt::RuntimeError{"", "read_json: \"" + source + "\" is not valid JSON: " + ec.message()};
  return from_json(v, t, "the document");
}

}  // namespace borel::abi
