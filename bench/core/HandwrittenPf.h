// HandwrittenPf.h — the "hand-coded floor": a bootstrap particle filter for
// lgssm written directly in C++, matching ../shared/bench/peers/handwritten/
// pf.cpp with its `fast` generator: xoshiro256++ seeded by SplitMix64, a
// 128-layer Marsaglia–Tsang ziggurat for normals (layer and value from
// disjoint bits of one 64-bit draw), log-weights with the max subtracted,
// systematic resampling at every step but the last, contiguous arrays of
// doubles. Written here from that description so the baseline is built with
// the same compiler and flags as Borel.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace borel::bench {

class FastRng {
 public:
  explicit FastRng(uint64_t seed) {
    for (auto& v : s_) v = splitmix(seed);
  }
  uint64_t next() {
    const uint64_t r = rotl(s_[0] + s_[3], 23) + s_[0];
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return r;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double normal() {
    const Tables& z = tables();
    for (;;) {
      const uint64_t r = next();
      const int iz = static_cast<int>(r & 127);
      const int32_t hz = static_cast<int32_t>(static_cast<uint32_t>(r >> 32));
      const uint32_t ahz = hz < 0 ? static_cast<uint32_t>(-static_cast<int64_t>(hz)) : static_cast<uint32_t>(hz);
      const double x = hz * z.wn[iz];
      if (ahz < z.kn[iz]) return x;
      if (iz == 0) {  // the tail beyond r
        const double rr = 3.442619855899;
        double xx, yy;
        do {
          xx = -std::log(1.0 - uniform()) / rr;
          yy = -std::log(1.0 - uniform());
        } while (yy + yy < xx * xx);
        return hz > 0 ? rr + xx : -rr - xx;
      }
      if (z.fn[iz] + uniform() * (z.fn[iz - 1] - z.fn[iz]) < std::exp(-0.5 * x * x)) return x;
    }
  }

 private:
  struct Tables {
    uint32_t kn[128];
    double wn[128], fn[128];
    Tables() {
      const double m1 = 2147483648.0, vn = 9.91256303526217e-3;
      double dn = 3.442619855899, tn = dn;
      const double q = vn / std::exp(-0.5 * dn * dn);
      kn[0] = static_cast<uint32_t>((dn / q) * m1);
      kn[1] = 0;
      wn[0] = q / m1;
      wn[127] = dn / m1;
      fn[0] = 1.0;
      fn[127] = std::exp(-0.5 * dn * dn);
      for (int i = 126; i >= 1; --i) {
        dn = std::sqrt(-2.0 * std::log(vn / dn + std::exp(-0.5 * dn * dn)));
        kn[i + 1] = static_cast<uint32_t>((dn / tn) * m1);
        tn = dn;
        fn[i] = std::exp(-0.5 * dn * dn);
        wn[i] = dn / m1;
      }
    }
  };
  static const Tables& tables() {
    static const Tables t;
    return t;
  }
  static uint64_t splitmix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

struct PfResult {
  double log_z, mean_T;
};

// x_1 ~ N(0,1); x_t = phi x_{t-1} + q N(0,1); y_t ~ N(x_t, r).
// The work arrays are passed in so that timing loops do not allocate.
template <class Rng>
PfResult handwritten_pf(const std::vector<double>& y, int64_t n, Rng& rng, std::vector<double>& x,
                        std::vector<double>& xn, std::vector<double>& lw, std::vector<double>& w) {
  const double phi = 0.9, q = 1.0, r = 0.5;
  const double lnorm = -0.5 * std::log(2.0 * M_PI) - std::log(r);
  const double inv2r2 = 0.5 / (r * r);
  x.resize(n);
  xn.resize(n);
  lw.resize(n);
  w.resize(n);
  double log_z = 0.0, mean_T = 0.0;
  const size_t T = y.size();
  for (int64_t i = 0; i < n; ++i) x[i] = rng.normal();
  for (size_t t = 0; t < T; ++t) {
    if (t > 0)
      for (int64_t i = 0; i < n; ++i) x[i] = phi * x[i] + q * rng.normal();
    const double yt = y[t];
    double mx = -1e300;
    for (int64_t i = 0; i < n; ++i) {
      const double d = yt - x[i];
      lw[i] = -d * d * inv2r2;
      mx = std::max(mx, lw[i]);
    }
    double sw = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      w[i] = std::exp(lw[i] - mx);
      sw += w[i];
    }
    log_z += mx + lnorm + std::log(sw / static_cast<double>(n));
    if (t + 1 == T) {
      double m = 0.0;
      for (int64_t i = 0; i < n; ++i) m += w[i] * x[i];
      mean_T = m / sw;
      break;
    }
    const double step = sw / static_cast<double>(n);
    double u = rng.uniform() * step, c = w[0];
    int64_t j = 0;
    for (int64_t i = 0; i < n; ++i) {
      while (u > c && j < n - 1) c += w[++j];
      xn[i] = x[j];
      u += step;
    }
    x.swap(xn);
  }
  return {log_z, mean_T};
}

}  // namespace borel::bench
