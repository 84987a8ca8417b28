// ProposalModelTest.cpp — a different language model as the proposal:
// `guided(next_token(p, c), next_token(q, c))` draws from q and weighs by
// p/q, so importance sampling still targets p. q is stories260K with its
// final norm's gains scaled by 0.6 (flatter next-token distributions over
// the same vocabulary), written next to the test at run time.
//
// Checked against p's exact next-token distribution: every particle's log
// weight is log p(t) - log q(t) to 1e-12; the importance weights' mean is 1
// (Σ_t q(t) p(t)/q(t) = 1) and the self-normalised probability of p's most
// likely token is p's own, each within 4 standard errors estimated from the
// same weights.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "GgufReader.h"
#include "GgufWriter.h"
#include "Quantize.h"
#include "Steering.h"
#include "inference/Importance.h"

namespace {

using borel::lm_test::have_model;
using borel::lm_test::model_path;
namespace llm = borel::llm;

// stories260K with output_norm.weight times `scale`, written to `path`.
void write_flattened_copy(const std::string& path, float scale) {
  const llm::GgufReader src = llm::GgufReader::open(model_path());
  llm::GgufWriter w;
  for (const auto& [k, v] : src.metadata()) w.set(k, v);
  for (const auto& t : src.tensors()) {
    std::vector<float> x = llm::dequantize(t.type, {t.data, t.n_bytes}, t.n_elements());
    if (t.name == "output_norm.weight")
      for (float& v : x) v *= scale;
    w.add_tensor(t.name, llm::GgmlType::F32, t.dims, llm::quantize(llm::GgmlType::F32, x));
  }
  w.write(path);
}

}  // namespace

TEST_CASE("a different model as the proposal: weights p/q, importance sampling targets p") {
  if (!have_model()) return;
  const std::string q_path =
      (std::filesystem::temp_directory_path() / ("borel-proposal-" + std::to_string(::getpid()) + ".gguf")).string();
  write_flattened_copy(q_path, 0.6f);
  struct Remove {
    std::string path;
    ~Remove() { std::filesystem::remove(path); }
  } remove{q_path};

  const std::string src = "fn model() {\n"
                          "  let p = llm(\"" + model_path() + "\");\n"
                          "  let q = llm(\"" + q_path + "\");\n"
                          "  let c = tokenize(p, \"Once upon a time\");\n"
                          "  guided(next_token(p, c), next_token(q, c))\n"
                          "}\n";
  borel::Program prog = borel::Program::from_source("proposal.brl", src, {"model"});
  auto model = prog.model("model");
  constexpr int64_t kParticles = 4000;
  const borel::inference::Population pop = borel::inference::importance(*model, kParticles, 3);
  REQUIRE(pop.size() == kParticles);

  auto p = borel::lm::EmbeddedModel::load(model_path());
  auto q = borel::lm::EmbeddedModel::load(q_path);
  const std::vector<llm::TokenId> ctx = p->tokenizer().encode("Once upon a time", true);
  const auto lp = p->next_token_logprobs(ctx);
  const auto lq = q->next_token_logprobs(ctx);
  // The two models differ: their distributions are far apart (else the test
  // would not tell p from q).
  double tv = 0;
  for (size_t t = 0; t < lp->size(); ++t) tv += 0.5 * std::abs(std::exp((*lp)[t]) - std::exp((*lq)[t]));
  CHECK(tv > 0.1);

  const auto top = static_cast<int64_t>(std::max_element(lp->begin(), lp->end()) - lp->begin());
  std::vector<double> w(kParticles), hit(kParticles);
  for (int64_t i = 0; i < kParticles; ++i) {
    const auto t = static_cast<int64_t>(pop.slots()[i]);  // an int is its word
    const double expected = (*lp)[t] - (*lq)[t];
    CHECK(std::abs(pop.log_weights()[i] - expected) < 1e-12);
    w[i] = std::exp(pop.log_weights()[i]);
    hit[i] = t == top ? 1.0 : 0.0;
  }
  // Mean weight: 1 within 4 standard errors of the mean.
  double mean = 0, sq = 0;
  for (double x : w) mean += x / kParticles;
  for (double x : w) sq += (x - mean) * (x - mean) / (kParticles - 1);
  INFO("mean weight " << mean << ", se " << std::sqrt(sq / kParticles) << ", total variation p-q " << tv);
  CHECK(std::abs(mean - 1) < 4 * std::sqrt(sq / kParticles));
  // Self-normalised P(top): its delta-method standard error,
  // sqrt(Σ w_i² (h_i - P̂)²) / Σ w_i.
  double sw = 0, swh = 0;
  for (int64_t i = 0; i < kParticles; ++i) {
    sw += w[i];
    swh += w[i] * hit[i];
  }
  const double est = swh / sw;
  double v = 0;
  for (int64_t i = 0; i < kParticles; ++i) v += w[i] * w[i] * (hit[i] - est) * (hit[i] - est);
  const double se = std::sqrt(v) / sw, exact = std::exp((*lp)[top]);
  INFO("P(top) " << est << " +- " << se << ", exact " << exact << ", under q " << std::exp((*lq)[top]));
  CHECK(se < 0.05);
  CHECK(std::abs(est - exact) < 4 * se);
}
