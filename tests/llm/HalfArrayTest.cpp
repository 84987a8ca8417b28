// Bulk half <-> float conversion (HalfArray.h) agrees with the scalar
// conversions of Half.h on every one of the 65,536 halves, bit for bit.
#include <doctest/doctest.h>

#include "Half.h"
#include "HalfArray.h"

#include <cstring>
#include <vector>

using namespace borel::llm;

TEST_CASE("half arrays: every half converts exactly as the scalar conversion does, both ways") {
  std::vector<uint16_t> h(65536);
  for (size_t i = 0; i < h.size(); ++i) h[i] = uint16_t(i);
  std::vector<float> f(h.size() + 3);
  // An odd length and offset, so both the 8-wide loop and the tail run.
  halves_to_floats(h.data() + 3, f.data(), h.size() - 3);
  halves_to_floats(h.data(), f.data() + h.size() - 3, 3);
  size_t mismatches = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    const float want = half_to_float(h[(i + 3) % h.size()]);
    if (std::memcmp(&f[i], &want, 4) != 0) ++mismatches;
  }
  CHECK(mismatches == 0);
  // Strided rows: 3 rows of 5 values, 7 apart.
  std::vector<float> rows(15);
  halves_to_floats(h.data() + 1000, 7, 3, 5, rows.data());
  for (size_t r = 0; r < 3; ++r)
    for (size_t c = 0; c < 5; ++c) CHECK(rows[r * 5 + c] == half_to_float(uint16_t(1000 + 7 * r + c)));
  // Back: every finite half's float returns to the same half.
  std::vector<uint16_t> back(h.size());
  std::vector<float> all(h.size());
  for (size_t i = 0; i < h.size(); ++i) all[i] = half_to_float(h[i]);
  floats_to_halves(all.data(), back.data(), all.size());
  size_t wrong = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    const bool nan = (h[i] & 0x7c00) == 0x7c00 && (h[i] & 0x3ff);
    if (!nan && back[i] != h[i]) ++wrong;
  }
  CHECK(wrong == 0);
}
