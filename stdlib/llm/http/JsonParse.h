// JsonParse.h — JSON text to boost::json::value, with correctly rounded
// numbers and errors that say where.
//
// Why not boost::json::parse: in Boost 1.81 its number conversion is not
// correctly rounded (about one double in five comes back one ulp off), so a
// log-probability written with the shortest round-trip digits would not read
// back as the same double. Here every number with a fraction or exponent is
// converted by std::from_chars from its full text, which is exact.
//
// Guarantees: any byte string gives a value or a JsonParseError, never a
// crash; the error names the line, column and byte offset of the first byte
// that cannot be part of a JSON document (or the end, for a truncated one),
// and quotes the text around it.
#pragma once

#include "Error.h"

#include <boost/json/value.hpp>

#include <cstddef>
#include <string_view>

namespace borel::llm::http {

class JsonParseError : public LlmError {
public:
  JsonParseError(const std::string& what, size_t offset) : LlmError(what), offset_(offset) {}
  size_t offset() const { return offset_; }  // byte offset of the error in the text

private:
  size_t offset_;
};

// Parses exactly one JSON document (surrounding whitespace allowed).
boost::json::value parse_json(std::string_view text);

}  // namespace borel::llm::http
