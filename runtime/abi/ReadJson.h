// ReadJson.h — JSON text into a Borel value of a known type (`read_json`).
//
// Guarantees: for any bytes `text` and any data type `t` (unit, bool, int,
// real, string, arrays, tuples, records of these) the result is either a value
// of type `t` or an rt::RuntimeError naming where in the document the
// mismatch is; never a crash, a silently wrapped or saturated number, or
// undefined behaviour (fuzz/read_json_fuzzer.cpp checks this). An int must be
// an integral JSON number inside int64's range. Values are allocated on the
// collected heap (the collector must be initialised).
#pragma once

#include <string>
#include <string_view>

#include "runtime/TypeDesc.h"
#include "runtime/Value.h"

namespace borel::abi {

// Parses `text` and converts it to type `t`; `source` names the document in
// messages (the path it was read from).
rt::Word read_json_text(std::string_view text, const rt::TypeDesc& t, const std::string& source);

}  // namespace borel::abi
