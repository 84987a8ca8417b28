#include "JsonParse.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <charconv>
#include <string>

namespace borel::llm::http {

namespace {

namespace json = boost::json;

// boost::json's own value-building handler, except that doubles are
// converted from their text (from_chars rounds correctly).
struct ExactHandler {
  static constexpr size_t max_object_size = json::object::max_size();
  static constexpr size_t max_array_size = json::array::max_size();
  static constexpr size_t max_key_size = json::string::max_size();
  static constexpr size_t max_string_size = json::string::max_size();

  json::value_stack st;
  std::string number;  // the parts of a number split across buffers

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return true; }
  bool on_object_end(size_t n, json::error_code&) {
    st.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(size_t n, json::error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, size_t, json::error_code&) {
    st.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, size_t, json::error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number.append(s.data(), s.size());
    return true;
  }
  bool on_int64(int64_t i, json::string_view, json::error_code&) {
    number.clear();
    st.push_int64(i);
    return true;
  }
  bool on_uint64(uint64_t u, json::string_view, json::error_code&) {
    number.clear();
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view s, json::error_code&) {
    number.append(s.data(), s.size());
    double exact = 0;
    const char* b = number.data();
    const char* e = b + number.size();
    auto r = std::from_chars(b, e, exact);
    // Out of range (1e999) keeps boost's value (an infinity or zero), as
    // boost::json::parse would give.
    if (r.ec == std::errc() && r.ptr == e) d = exact;
    number.clear();
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// "line L, column C (byte B), near "...""
std::string where(std::string_view text, size_t off) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < off && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  std::string near;
  auto quote = [&](size_t from, size_t to) {
    for (size_t i = from; i < to && i < text.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      if (c < 0x20 || c >= 0x7f) {
        static const char* hex = "0123456789abcdef";
        near += "\\x";
        near += hex[c >> 4];
        near += hex[c & 15];
      } else {
        near += char(c);
      }
    }
  };
  quote(off > 20 ? off - 20 : 0, off);
  near += "<here>";
  quote(off, off + 20);
  return "line " + std::to_string(line) + ", column " + std::to_string(col) + " (byte " + std::to_string(off) +
         "), near \"" + near + "\"";
}

}  // namespace

json::value parse_json(std::string_view text) {
  json::parse_options opt;  // standard JSON only
  json::basic_parser<ExactHandler> p(opt);
  p.handler().st.reset();
  json::error_code ec;
  const size_t used = p.write_some(false, text.data(), text.size(), ec);
  if (ec) {
    // A document cut short fails at its end; anything else at the byte the
    // parser stopped on.
    const size_t off = std::min(used, text.size());
    const bool truncated = off >= text.size();
    throw JsonParseError(std::string(truncated ? "truncated JSON" : "invalid JSON") + " (" + ec.message() + ") at " +
                             where(text, off),
                         off);
  }
  for (size_t i = used; i < text.size(); ++i)
    if (!is_space(text[i])) throw JsonParseError("extra data after the JSON value at " + where(text, i), i);
  return p.handler().st.release();
}

}  // namespace borel::llm::http
