// Integer dot products (IntDot.h): activation quantisation stays within half
// a step; every instruction-set path gives bit for bit the portable result;
// that result is the exact sum of dequantised weight times dequantised
// activation up to the float rounding of the defined accumulation, and
// within the activation quantisation error of the float product.
#include <doctest/doctest.h>

#include "Half.h"
#include "IntDot.h"
#include "Quantize.h"

#include <cmath>
#include <cstring>
#include <random>

using namespace borel::llm;

namespace {

// A rows x cols matrix of random blocks: every int8 (Q8_0, -128 included) or
// nibble (Q4_0) value, scales spread over four orders of magnitude, and one
// all-zero block.
std::vector<std::byte> random_matrix(GgmlType type, size_t rows, size_t cols, std::mt19937_64& rng) {
  const size_t nb = rows * cols / 32;
  const size_t bb = type == GgmlType::Q8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0);
  std::vector<std::byte> out(nb * bb);
  std::uniform_real_distribution<float> logd(-9.0f, -0.0f);
  for (size_t b = 0; b < nb; ++b) {
    std::byte* p = out.data() + b * bb;
    const uint16_t d = b == 1 ? 0 : float_to_half(std::exp2(logd(rng)) * (rng() % 2 ? 1.0f : -1.0f));
    std::memcpy(p, &d, 2);
    for (size_t k = 2; k < bb; ++k) p[k] = std::byte(b == 1 ? 0 : rng() & 0xFF);
  }
  return out;
}

std::vector<float> random_activations(size_t n, size_t cols, std::mt19937_64& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(n * cols);
  for (size_t i = 0; i < x.size(); ++i) x[i] = normal(rng) * (1.0f + float(i % 7));
  if (n * cols >= 64) std::fill(x.begin() + 32, x.begin() + 64, 0.0f);  // an all-zero block
  return x;
}

}  // namespace

TEST_CASE("intdot: activation quantisation is within half a step of each value") {
  std::mt19937_64 rng(3);
  const size_t n = 5, cols = 96, ld = 100;
  auto x = random_activations(n, ld, rng);
  Q8Rows q;
  q.quantize(x.data(), ld, n, cols);
  for (size_t i = 0; i < n; ++i) {
    for (size_t b = 0; b < cols / 32; ++b) {
      float amax = 0;
      for (int j = 0; j < 32; ++j) amax = std::max(amax, std::abs(x[i * ld + 32 * b + j]));
      const float d = q.d(i)[b];
      CHECK(d == amax / 127.0f);
      int sum = 0;
      for (int j = 0; j < 32; ++j) sum += q.q(i)[32 * b + j];
      CHECK(q.corr(i)[b] == -128 * sum);
      for (int j = 0; j < 32; ++j) {
        const size_t k = 32 * b + j;
        CHECK(std::abs(int(q.q(i)[k])) <= 127);
        // q = round(x * fl(1/d)): x * fl(1/d) is within 127 * 2^-23 of x / d,
        // so |x - d q| <= d (1/2 + 127 * 2^-23) (the product d q taken exactly).
        CHECK(std::abs(double(x[i * ld + k]) - q.value(i, k)) <= double(d) * (0.5 + 127 * 0x1p-23));
      }
    }
  }
}

TEST_CASE("intdot: every instruction set gives the portable result bit for bit, within rounding of the exact sum") {
  std::mt19937_64 rng(11);
  std::vector<DotIsa> isas;
  for (DotIsa isa : {DotIsa::Portable, DotIsa::Avx2, DotIsa::Avx512Vnni})
    if (dot_isa_supported(isa)) isas.push_back(isa);
  MESSAGE("instruction sets on this CPU: " << isas.size() << ", best " << std::string(dot_isa_name(best_dot_isa())));
  int compared = 0;
  for (GgmlType type : {GgmlType::Q8_0, GgmlType::Q4_0}) {
    // Odd and even block counts, row counts and batch sizes that leave every kind of edge tile.
    for (size_t cols : {32, 64, 96, 256, 2048}) {
      for (size_t rows : {1, 5, 16, 21}) {
        for (size_t n : {1, 3, 7, 16, 31}) {
          auto wbytes = random_matrix(type, rows, cols, rng);
          WeightMatrix w{type, rows, cols, wbytes.size() / rows, wbytes.data()};
          const auto wdeq = dequantize(type, wbytes, rows * cols);
          auto x = random_activations(n, cols, rng);
          Q8Rows q;
          q.quantize(x.data(), cols, n, cols);
          const size_t ldy = rows + 3;
          std::vector<float> ref(n * ldy, -1.0f);
          matmul_int(w, q, ref.data(), ldy, 0, rows, DotIsa::Portable);
          for (DotIsa isa : isas) {
            std::vector<float> y(n * ldy, -1.0f);
            // In two row ranges, as two threads would.
            matmul_int(w, q, y.data(), ldy, 0, rows / 2, isa);
            matmul_int(w, q, y.data(), ldy, rows / 2, rows, isa);
            CHECK_MESSAGE(std::memcmp(y.data(), ref.data(), y.size() * sizeof(float)) == 0,
                          std::string(dot_isa_name(isa))
                              << " " << ggml_type_name(type) << " cols " << cols << " rows " << rows << " n " << n);
            ++compared;
          }
          const size_t nb = cols / 32;
          for (size_t t = 0; t < n; ++t) {
            for (size_t r = 0; r < rows; ++r) {
              // The exact sum in double (each product exact to 2^-53), and the
              // sum of magnitudes that bounds the float rounding: nb fused
              // multiply-adds with one rounding each, plus the rounding of
              // dw dx in each term: |err| <= (nb + 2) 2^-24 sum |terms|.
              double exact = 0, mag = 0, float_sum = 0, wabs = 0;
              for (size_t k = 0; k < cols; ++k) {
                const double term = double(wdeq[r * cols + k]) * q.value(t, k);
                exact += term;
                mag += std::abs(term);
                float_sum += double(wdeq[r * cols + k]) * x[t * cols + k];
                wabs += std::abs(double(wdeq[r * cols + k])) * q.d(t)[k / 32];
              }
              const double got = ref[t * ldy + r];
              CHECK(std::abs(got - exact) <= (double(nb) + 2) * 0x1p-24 * mag + 1e-30);
              // Against the unquantised activations: each moved by at most
              // d (1/2 + 127 * 2^-23) (see the test above).
              CHECK(std::abs(got - float_sum) <=
                    wabs * (0.5 + 127 * 0x1p-23) + (double(nb) + 2) * 0x1p-24 * mag + 1e-30);
            }
          }
          CHECK(ref[ldy - 1] == -1.0f);  // columns past the rows are untouched
        }
      }
    }
  }
  CHECK(compared == 2 * 5 * 4 * 5 * int(isas.size()));
}
