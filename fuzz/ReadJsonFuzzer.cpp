// ReadJsonFuzzer.cpp — libFuzzer target: `read_json`'s conversion of JSON
// text into a Borel value of a given type (runtime/abi/ReadJson.h).
//
// Input layout: the first byte picks the target type: 'a' the first of
// kTypes, 'b' the second, ... (any byte works: its distance from 'a' modulo
// the number of types); the rest is the JSON text. What it guarantees when it runs
// clean: for every type and any text, read_json_text returns a value of that
// type (which prints) or throws rt::RuntimeError; nothing else escapes, and
// no undefined behaviour (an out-of-range number converted to int, say).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/abi/ReadJson.h"
#include "runtime/Model.h"
#include "runtime/TypeDesc.h"
#include "runtime/Value.h"

namespace {

// Types in rt::encode_type's notation: scalars, nested arrays, tuples,
// records (nested too), the records the examples' data files hold, and two
// types read_json must refuse (a function, a distribution).
const char* const kTypes[] = {
    "i", "r", "b", "s", "u",                                   // a..e
    "Ai", "Ar", "AAr", "AAAi", "As",                           // f..j
    "T2,ir", "R2,2:mur1:ki", "R2,1:xAr1:yAr",                  // k..m
    "AR2,4:names1:vAi", "R1,5:innerR2,1:xr1:yAb", "AT2,bs",    // n..p
    "f", "DAr",                                                // q..r
    "R2,5:flipsAi1:Ni", "R2,1:yAr6:paramsR1,3:phir",           // s..t: examples/data/coin.json, lgssm_T100.json
};

// Never destroyed: the types live as long as the process, as a compiled
// module's do (a vector destroyed at exit would leave them to LeakSanitizer).
const std::vector<const borel::rt::TypeDesc*>& types() {
  static const auto* ts = [] {
    auto* v = new std::vector<const borel::rt::TypeDesc*>;
    for (const char* t : kTypes) v->push_back(borel::rt::decode_type(t));
    return v;
  }();
  return *ts;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  borel::rt::gc_init();
  (void)types();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const borel::rt::TypeDesc& t = *types()[static_cast<uint8_t>(data[0] - 'a') % types().size()];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    borel::rt::Word v = borel::abi::read_json_text(text, t, "fuzz.json");
    (void)borel::rt::format_value(v, t);
  } catch (const borel::rt::RuntimeError&) {
    // Invalid JSON or a value of another type: the documented outcome.
  }
  return 0;
}
