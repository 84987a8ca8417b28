// Rng.h — the random number generator every sampler and inference method uses.
//
// xoshiro256++ (fast, 256-bit state) with ziggurat normal and exponential
// variates. Reproducibility (DESIGN.md, decision 5): a generator is made from
// (seed, stream) by SplitMix64 hashing, so particle or chain i of a run seeded
// with s always gets the stream Rng(s, i) whatever the number of threads.
#pragma once

#include <cstdint>

namespace borel::rt {

class Rng {
 public:
  Rng(uint64_t seed = 0, uint64_t stream = 0);

  uint64_t next_u64();
  double uniform();            // in (0, 1): never exactly 0 or 1
  double normal();             // N(0, 1), ziggurat
  double exponential();        // Exp(1), ziggurat
  uint64_t below(uint64_t n);  // uniform in [0, n), unbiased
  // A new generator for sub-stream `stream`, independent of this one's state.
  static Rng split(uint64_t seed, uint64_t stream) { return Rng(seed, stream); }

 private:
  uint64_t s_[4];
};

// ---------------------------------------------------------------------------
// Inline definitions of the hot paths (the SMC inner loop and the samplers in
// stdlib/distributions/Kernels.h call these once per draw). The rare slow
// paths, the seeding and the ziggurat tables are in Rng.cpp.

namespace detail {

// A 256-layer ziggurat (Marsaglia & Tsang 2000) for a decreasing density f on
// [0, inf): x[1] = r is where the tail starts, x[0] = v / f(r) is the width of
// the base layer (rectangle plus tail, area v like every layer), x[i] for
// i = 2..255 are the layer edges, x[256] = 0; f[i] = f(x[i]). Layer i spans
// heights [f[i], f[i+1]] and widths [0, x[i]]; points with x < x[i+1] lie
// under the curve for sure.
struct Ziggurat {
  double x[257];
  double f[257];
};
extern const Ziggurat zig_normal;       // f(x) = exp(-x^2 / 2)
extern const Ziggurat zig_exponential;  // f(x) = exp(-x)

// The slow paths, taken with probability ~1.2% (normal) and ~0.8% (exp):
// finish the rejected candidate `x` from layer `i` and, if it is rejected
// again, start over.
double normal_slow(Rng& rng, unsigned i, double x);
double exponential_slow(Rng& rng, unsigned i, double x);

inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
__extension__ typedef unsigned __int128 u128;

}  // namespace detail

// xoshiro256++ (Blackman & Vigna 2019).
inline uint64_t Rng::next_u64() {
  const uint64_t result = detail::rotl(s_[0] + s_[3], 23) + s_[0];
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = detail::rotl(s_[3], 45);
  return result;
}

// The top 53 bits as k * 2^-53, k in [0, 2^53); k = 0 (probability 2^-53) is
// redrawn so the result lies in (0, 1): log(u) and 1/u are always finite.
inline double Rng::uniform() {
  for (;;) {
    const uint64_t k = next_u64() >> 11;
    if (k != 0) return static_cast<double>(k) * 0x1.0p-53;
  }
}

// One 64-bit draw gives the layer (low 8 bits) and a signed uniform in
// [-1, 1) (top 53 bits); ~98.8% of draws are accepted right here.
inline double Rng::normal() {
  const uint64_t b = next_u64();
  const unsigned i = static_cast<unsigned>(b & 0xff);
  const double u = static_cast<double>(b >> 11) * 0x1.0p-52 - 1.0;
  const double x = u * detail::zig_normal.x[i];
  if (x < detail::zig_normal.x[i + 1] && x > -detail::zig_normal.x[i + 1]) return x;
  return detail::normal_slow(*this, i, x);
}

inline double Rng::exponential() {
  const uint64_t b = next_u64();
  const unsigned i = static_cast<unsigned>(b & 0xff);
  const double x = static_cast<double>(b >> 11) * 0x1.0p-53 * detail::zig_exponential.x[i];
  if (x < detail::zig_exponential.x[i + 1]) return x;
  return detail::exponential_slow(*this, i, x);
}

// Lemire (2019), "Fast random integer generation in an interval": multiply
// and keep the high word; reject the low words that would bias the result.
// below(0) is 0.
inline uint64_t Rng::below(uint64_t n) {
  if (n == 0) return 0;
  detail::u128 m = static_cast<detail::u128>(next_u64()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    while (low < threshold) {
      m = static_cast<detail::u128>(next_u64()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

}  // namespace borel::rt
