// Steering.h — what the batching tests share: the test model's path and a
// bit-for-bit comparison of two populations of token sequences.
#pragma once

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "inference/Population.h"
#include "runtime/Value.h"

namespace borel::lm_test {

inline std::string model_path() {
  const char* e = std::getenv("BOREL_TEST_MODELS");
  return std::string(e && *e ? e : BOREL_TEST_MODELS_DEFAULT) + "/stories260K.gguf";
}

inline bool have_model() { return std::ifstream(model_path(), std::ios::binary).good(); }

// Same slots (arrays of token ids, compared element by element) and the
// same log-weights, bit for bit.
inline bool same(const inference::Population& a, const inference::Population& b) {
  if (a.size() != b.size()) return false;
  for (int64_t i = 0; i < a.size(); ++i) {
    const auto* x = rt::to_ptr<const rt::Array>(a.slots()[i]);
    const auto* y = rt::to_ptr<const rt::Array>(b.slots()[i]);
    if (x->len != y->len || std::memcmp(x->data, y->data, sizeof(x->data[0]) * static_cast<size_t>(x->len)) != 0)
      return false;
    if (std::memcmp(&a.log_weights()[i], &b.log_weights()[i], sizeof(double)) != 0) return false;
  }
  return true;
}

}  // namespace borel::lm_test
