// Steering.h — what the batching tests share: the test model's path, an SMC
// run of a Borel model that counts the language model's forward calls, and a
// bit-for-bit comparison of two populations of token sequences.
#pragma once

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "EmbeddedModel.h"
#include "borel/Borel.h"
#include "inference/Population.h"
#include "inference/Smc.h"
#include "runtime/Value.h"

namespace borel::lm_test {

inline std::string model_path() {
  const char* e = std::getenv("BOREL_TEST_MODELS");
  return std::string(e && *e ? e : BOREL_TEST_MODELS_DEFAULT) + "/stories260K.gguf";
}

inline bool have_model() { return std::ifstream(model_path(), std::ios::binary).good(); }

struct Run {
  inference::Population pop;
  size_t forward_calls;
};

// Runs `infer` on `model` of the program `src`: the population and the
// forward calls the test model made meanwhile.
template <class F>
Run run_counting(const std::string& src, F&& infer) {
  Program p = Program::from_source("steer.brl", src, {"model"});
  auto model = p.model("model");
  auto lm = lm::EmbeddedModel::load(model_path());
  const size_t before = lm->forward_calls();
  inference::Population pop = infer(*model);
  return {std::move(pop), lm->forward_calls() - before};
}

// smc over it, seed `seed`.
inline Run run_smc(const std::string& src, int64_t particles, bool batched, int threads, uint64_t seed) {
  return run_counting(src, [&](rt::Model& m) {
    inference::SmcSettings s;
    s.particles = particles;
    s.batched = batched;
    return inference::smc(m, s, seed, threads);
  });
}

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
