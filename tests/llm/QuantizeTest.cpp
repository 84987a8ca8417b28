// Quantisation: Q8_0 / Q4_0 row quantisers obey their error bounds; models
// quantised by our own writer load, their float kernels compute exactly what
// F32 kernels compute on the dequantised weights, and their log-probabilities
// stay within tolerances derived from the quantisation error, with float and
// with integer dot products (which also round the activations, IntDot.h).
#include <doctest/doctest.h>

#include "BatchDecoder.h"
#include "Error.h"
#include "Half.h"
#include "Quantize.h"
#include "Sampling.h"
#include "TestModel.h"

#include <cmath>
#include <random>

using namespace borel::llm;
using namespace borel::llm::test;

namespace {

// Log-probabilities of every position of the golden sequence.
std::vector<std::vector<double>> all_logprobs(std::shared_ptr<const Model> m, const std::vector<TokenId>& ids,
                                              bool integer_dots = true) {
  KvCache cache(m->config());
  BatchDecoder dec(m, cache);
  dec.set_integer_dots(integer_dots);
  Sequence s = cache.new_sequence();
  BatchEntry e{&s, ids, LogitsMode::All};
  LogitRows rows = dec.eval({&e, 1});
  std::vector<std::vector<double>> out;
  for (size_t i = 0; i < rows.rows(); ++i) out.push_back(log_softmax(rows[i]));
  return out;
}

struct Diff {
  double max_all = 0;       // over all vocabulary entries (dominated by tokens of p ~ 1e-10)
  double max_likely = 0;    // over tokens the F32 model gives probability >= 1%
  double mean_next = 0;     // mean over the tokens the sequence continues with
  double max_next = 0;
};

Diff compare(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b,
             const std::vector<TokenId>& ids) {
  Diff d;
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t k = 0; k < a[i].size(); ++k) {
      const double e = std::abs(a[i][k] - b[i][k]);
      d.max_all = std::max(d.max_all, e);
      if (b[i][k] >= std::log(0.01)) d.max_likely = std::max(d.max_likely, e);
    }
    if (i + 1 < ids.size()) {
      const double e = std::abs(a[i][size_t(ids[i + 1])] - b[i][size_t(ids[i + 1])]);
      d.max_next = std::max(d.max_next, e);
      d.mean_next += e / double(ids.size() - 1);
    }
  }
  return d;
}

// The model with every weight matrix replaced by F32 dequantised weights of `q`.
std::shared_ptr<const Model> dequantised_copy(const GgufReader& q) {
  GgufWriter w;
  for (const auto& [k, v] : q.metadata()) w.set(k, v);
  for (const auto& t : q.tensors())
    w.add_tensor(t.name, GgmlType::F32, t.dims, quantize(GgmlType::F32, dequantize(t.type, {t.data, t.n_bytes}, t.n_elements())));
  return Model::from_gguf(GgufReader::from_bytes(w.to_bytes()));
}

// The F32 model with each weight of each quantisable matrix moved by an
// independent uniform error of the size the quantiser's rounding makes:
// +-d/2 with the block's step d (Q8_0: amax/127; Q4_0: amax/8). Quantisation
// is such an error, only deterministic; this calibrates what it should do to
// the log-probabilities.
std::shared_ptr<const Model> noised_copy(const GgufReader& src, GgmlType type, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  GgufWriter w;
  for (const auto& [k, v] : src.metadata()) w.set(k, v);
  for (const auto& t : src.tensors()) {
    auto x = dequantize(t.type, {t.data, t.n_bytes}, t.n_elements());
    if (t.dims.size() == 2 && t.dims[0] % 32 == 0) {
      for (size_t b = 0; b < x.size() / 32; ++b) {
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::abs(x[b * 32 + j]));
        const float d = type == GgmlType::Q8_0 ? amax / 127 : amax / 8;
        for (int j = 0; j < 32; ++j) x[b * 32 + j] += d * u(rng);
      }
    } else if (t.dims.size() == 2) {
      x = dequantize(GgmlType::F16, quantize(GgmlType::F16, x), x.size());  // what quantize_model stores
    }
    w.add_tensor(t.name, GgmlType::F32, t.dims, quantize(GgmlType::F32, x));
  }
  return Model::from_gguf(GgufReader::from_bytes(w.to_bytes()));
}

}  // namespace

TEST_CASE("quantize: row quantisers stay within their error bounds and round-trip") {
  std::mt19937_64 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(32 * 64);
  for (auto& v : x) v = normal(rng) * (1 + float(rng() % 4));
  x[5] = 0;
  std::fill(x.begin() + 64, x.begin() + 96, 0.0f);  // an all-zero block
  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::F16}) {
    auto bytes = quantize(t, x);
    auto y = dequantize(t, bytes, x.size());
    for (size_t b = 0; b < x.size() / 32; ++b) {
      float amax = 0;
      for (int j = 0; j < 32; ++j) amax = std::max(amax, std::abs(x[b * 32 + j]));
      // Q8_0: half a step, d/2 = amax/254, plus the F16 rounding of d (2^-11
      // relative) times |q| <= 127. Q4_0: a full step d = amax/8 on the clamped
      // side, plus F16 rounding of d times |q - 8| <= 8. F16: 2^-11 relative.
      for (int j = 0; j < 32; ++j) {
        const float v = x[b * 32 + j];
        const double bound = t == GgmlType::Q8_0   ? amax / 254.0 + amax * 0x1p-11
                             : t == GgmlType::Q4_0 ? amax / 8.0 + amax * 0x1p-11
                                                   : std::abs(v) * 0x1p-11;
        CHECK(std::abs(y[b * 32 + j] - v) <= bound + 1e-30);
      }
    }
    CHECK(y[64] == 0.0f);
    // Quantising dequantised values is exact (idempotent).
    CHECK(quantize(t, y) == bytes);
  }
  CHECK_THROWS_AS(quantize_row_q8_0(std::vector<float>(31)), LlmError);
  CHECK(half_to_float(float_to_half(65504.0f)) == 65504.0f);
  CHECK(std::isinf(half_to_float(float_to_half(1e6f))));
  CHECK(half_to_float(float_to_half(5.960464477539063e-08f)) == 5.960464477539063e-08f);  // smallest subnormal
}

TEST_CASE("quantize: Q8_0 and Q4_0 models from our writer against F32") {
  auto m = test_model();
  if (!m) return;
  const auto ids = (*golden())["next_token_logprobs"][0]["sequence_ids"].vec<TokenId>();
  const auto ref = all_logprobs(m, ids);
  struct Case {
    GgmlType type;
  };
  double q8_tolerance = 0, q8_mean_tolerance = 0;
  for (Case c : {Case{GgmlType::Q8_0}, Case{GgmlType::Q4_0}, Case{GgmlType::F16}}) {
    GgufWriter w = quantize_model(m->gguf(), c.type);
    GgufReader r = GgufReader::from_bytes(w.to_bytes());
    CHECK(r.find_tensor("blk.0.attn_q.weight")->type == c.type);
    CHECK(r.find_tensor("blk.0.ffn_down.weight")->type == GgmlType::F16);  // 172-wide rows: no 32-blocks
    CHECK(r.find_tensor("blk.0.attn_norm.weight")->type == GgmlType::F32);
    auto q = Model::from_gguf(r);
    MESSAGE(ggml_type_name(c.type) << ": " << q->describe());
    const auto lq = all_logprobs(q, ids, false);
    // 1. The quantised float kernels compute what F32 kernels compute on the
    //    same (dequantised) weights: only summation-order rounding may differ.
    const Diff exact = compare(lq, all_logprobs(dequantised_copy(r), ids), ids);
    CHECK(exact.max_all <= 1e-4);
    // 2. Distance from the F32 model.
    const Diff d = compare(lq, ref, ids);
    MESSAGE(ggml_type_name(c.type) << " vs F32: max over vocab " << d.max_all << ", max over likely tokens " << d.max_likely
                                   << ", max on the sequence " << d.max_next << ", mean on the sequence " << d.mean_next);
    if (c.type == GgmlType::F16) {
      // F16 rounding moves a weight by at most |w| 2^-12 <= amax/4096, while
      // Q8_0's half-step is amax/254: scale the Q8_0 tolerance by 254/4096.
      CHECK(d.max_likely <= q8_tolerance * 254.0 / 4096.0);
      continue;
    }
    // 3. Tolerance from the quantisation error: three noise draws of the same
    //    size calibrate the effect; quantisation may be at most 3x the worst.
    Diff noise;
    for (uint64_t seed : {1, 2, 3}) {
      const Diff n = compare(all_logprobs(noised_copy(m->gguf(), c.type, seed), ids), ref, ids);
      noise.max_likely = std::max(noise.max_likely, n.max_likely);
      noise.mean_next = std::max(noise.mean_next, n.mean_next);
    }
    MESSAGE(ggml_type_name(c.type) << " calibration (uniform noise of the quantiser's step): max over likely tokens "
                                   << noise.max_likely << ", mean on the sequence " << noise.mean_next);
    CHECK(d.max_likely <= 3 * noise.max_likely);
    CHECK(d.mean_next <= 3 * noise.mean_next);
    if (c.type == GgmlType::Q8_0) {
      q8_tolerance = 3 * noise.max_likely;
      q8_mean_tolerance = 3 * noise.mean_next;
    }
    // 4. Integer dot products round each activation block to 8 bits: the
    //    same relative step (amax/254) as Q8_0's weight rounding, so the
    //    Q8_0 tolerance bounds the change from float to integer dots (for
    //    Q4_0 weights too: the activations are rounded the same way), and the
    //    distance from F32 is at most the sum of both (triangle inequality).
    const auto li = all_logprobs(q, ids, true);
    const Diff act = compare(li, lq, ids);
    const Diff di = compare(li, ref, ids);
    MESSAGE(ggml_type_name(c.type) << " integer vs float dots: max over likely tokens " << act.max_likely
                                   << ", mean on the sequence " << act.mean_next
                                   << "; integer dots vs F32: " << di.max_likely << ", mean " << di.mean_next);
    CHECK(act.max_likely <= q8_tolerance);
    CHECK(act.mean_next <= q8_mean_tolerance);
    CHECK(di.max_likely <= 3 * noise.max_likely + q8_tolerance);
    CHECK(di.mean_next <= 3 * noise.mean_next + q8_mean_tolerance);
    if (c.type == GgmlType::Q8_0) {
      // The golden greedy path's smallest top-1/top-2 margin is 0.133, far
      // above Q8_0's error: the greedy continuation must not change, with
      // float or integer dots.
      const auto& gr = (*golden())["greedy"][0];
      for (bool integer_dots : {false, true}) {
        KvCache cache(q->config());
        BatchDecoder dec(q, cache);
        dec.set_integer_dots(integer_dots);
        Sequence s = cache.new_sequence();
        auto logits = dec.prefill(s, gr["prompt_ids"].vec<TokenId>());
        std::vector<TokenId> out;
        for (int i = 0; i < 48; ++i) {
          TokenId t[1] = {argmax(logits)};
          out.push_back(t[0]);
          logits = dec.prefill(s, t);
        }
        CHECK_MESSAGE(out == gr["continuation_ids"].vec<TokenId>(), "integer dots " << integer_dots);
      }
    }
  }
}
