// Rng.cpp — seeding, the ziggurat tables and the ziggurat slow paths.
//
// The hot paths (next_u64, uniform, normal, exponential, below) are inline in
// Rng.h.
#include "runtime/Rng.h"

#include <cmath>

namespace borel::rt {

namespace {

// SplitMix64 (Steele, Lea & Flood 2014): a Weyl sequence with increment
// `kGamma` passed through a bijective finaliser. Consecutive outputs seed the
// four xoshiro words (the recommended way to seed xoshiro).
constexpr uint64_t kGamma = 0x9e3779b97f4a7c15ULL;

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t splitmix_next(uint64_t& state) {
  state += kGamma;
  return mix64(state);
}

}  // namespace

// The stream number is hashed (with a distinct odd multiplier, so that stream
// i and seed i are different things) and xor-ed into the SplitMix start
// state: each (seed, stream) pair starts SplitMix at an unrelated point, so
// the four seeding outputs of two pairs never coincide unless the 64-bit
// start states collide (probability 2^-64 per pair). Nothing is burnt:
// xoshiro's output is good from the first draw when seeded by SplitMix.
Rng::Rng(uint64_t seed, uint64_t stream) {
  uint64_t state = seed ^ mix64(stream * 0xd1342543de82ef95ULL + 0x632be59bd9b4e019ULL);
  for (uint64_t& w : s_) w = splitmix_next(state);
  // SplitMix's finaliser is a bijection and the four states differ, so the
  // four words are never all zero (xoshiro's one forbidden state).
}

namespace detail {

namespace {

// Marsaglia & Tsang's constants for 256 layers: r is where the tail starts
// and v the common area of every layer (base layer = rectangle + tail).
constexpr double kNormalR = 3.6541528853610088;
constexpr double kNormalV = 0.00492867323399;
constexpr double kExpR = 7.69711747013104972;
constexpr double kExpV = 0.0039496598225815571993;

template <class F, class FInv>
Ziggurat make_ziggurat(double r, double v, F f, FInv f_inv) {
  Ziggurat z{};
  z.x[0] = v / f(r);
  z.x[1] = r;
  for (int i = 1; i < 255; ++i) z.x[i + 1] = f_inv(v / z.x[i] + f(z.x[i]));
  z.x[256] = 0.0;
  for (int i = 0; i < 257; ++i) z.f[i] = f(z.x[i]);
  return z;
}

double normal_density(double x) { return std::exp(-0.5 * x * x); }
double exp_density(double x) { return std::exp(-x); }

}  // namespace

// Computed before any default-priority static initialiser in other files
// runs, so that samplers used during static initialisation see the tables.
__attribute__((init_priority(101))) const Ziggurat zig_normal =
    make_ziggurat(kNormalR, kNormalV, normal_density,
                  [](double y) { return std::sqrt(-2.0 * std::log(y)); });
__attribute__((init_priority(101))) const Ziggurat zig_exponential =
    make_ziggurat(kExpR, kExpV, exp_density, [](double y) { return -std::log(y); });

double normal_slow(Rng& rng, unsigned i, double x) {
  for (;;) {
    if (i == 0) {
      // The tail beyond r (Marsaglia 1964): with e1, e2 ~ Exp(1),
      // r + e1 / r is accepted when 2 e2 >= (e1 / r)^2.
      double t, e;
      do {
        t = rng.exponential() / kNormalR;
        e = rng.exponential();
      } while (2.0 * e < t * t);
      return x < 0 ? -(kNormalR + t) : kNormalR + t;
    }
    // The wedge: a uniform height in layer i against the density.
    const double y = zig_normal.f[i] + (zig_normal.f[i + 1] - zig_normal.f[i]) * rng.uniform();
    if (y < normal_density(x)) return x;
    // Rejected: a fresh candidate, as in Rng::normal.
    const uint64_t b = rng.next_u64();
    i = static_cast<unsigned>(b & 0xff);
    x = (static_cast<double>(b >> 11) * 0x1.0p-52 - 1.0) * zig_normal.x[i];
    if (std::fabs(x) < zig_normal.x[i + 1]) return x;
  }
}

double exponential_slow(Rng& rng, unsigned i, double x) {
  for (;;) {
    // The tail beyond r is r + Exp(1) (memorylessness).
    if (i == 0) return kExpR + rng.exponential();
    const double y =
        zig_exponential.f[i] + (zig_exponential.f[i + 1] - zig_exponential.f[i]) * rng.uniform();
    if (y < exp_density(x)) return x;
    const uint64_t b = rng.next_u64();
    i = static_cast<unsigned>(b & 0xff);
    x = static_cast<double>(b >> 11) * 0x1.0p-53 * zig_exponential.x[i];
    if (x < zig_exponential.x[i + 1]) return x;
  }
}

}  // namespace detail

}  // namespace borel::rt
