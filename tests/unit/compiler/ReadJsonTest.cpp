// ReadJsonTest.cpp — read_json's conversion of JSON text into typed values
// (runtime/abi/ReadJson.h): numbers outside int's range are errors, never a
// wrapped or saturated int, and the fuzzer's findings stay fixed.
#include <doctest/doctest.h>

#include <string>

#include "runtime/abi/ReadJson.h"
#include "runtime/Model.h"
#include "runtime/TypeDesc.h"

using borel::abi::read_json_text;
using borel::rt::Word;

namespace {

const borel::rt::TypeDesc& int_array() {
  static const borel::rt::TypeDesc* t = borel::rt::decode_type("Ai");
  return *t;
}

std::string error_of(const std::string& text, const borel::rt::TypeDesc& t) {
  try {
    (void)read_json_text(text, t, "test.json");
  } catch (const borel::rt::RuntimeError& e) {
    return e.message;
  }
  return "";
}

}  // namespace

TEST_CASE("read_json: ints at the ends of int's range read exactly") {
  Word v = read_json_text("[9223372036854775807, -9223372036854775808, 4.0, -9.223372036854775808e18]", int_array(), "t");
  const auto* a = borel::rt::to_ptr<borel::rt::Array>(v);
  REQUIRE(a->len == 4);
  CHECK(a->data[0] == INT64_MAX);
  CHECK(a->data[1] == INT64_MIN);
  CHECK(a->data[2] == 4);
  CHECK(a->data[3] == INT64_MIN);
}

// Found by fuzz/ReadJsonFuzzer.cpp (UBSan: float-cast-overflow): a double
// past int64's range was converted with a cast, undefined behaviour that
// gave INT64_MIN; a uint64 past INT64_MAX wrapped to a negative int.
TEST_CASE("read_json: numbers outside int's range are errors naming the element") {
  for (const char* n : {"9223372036854775808", "18446744073709551615", "99999999999999999999999", "1e23",
                        "9.223372036854775808e18", "-9.3e18", "1e300", "-1e300"}) {
    std::string e = error_of(std::string("[1, ") + n + "]", int_array());
    CAPTURE(n);
    CHECK(e.find("the document[1] should be an int (an integer from -2^63 to 2^63 - 1)") != std::string::npos);
  }
  CHECK(error_of("[1.5]", int_array()).find("the document[0] should be an int (") != std::string::npos);
  CHECK(error_of("[1, 2", int_array()).find("\"test.json\" is not valid JSON") != std::string::npos);
}
