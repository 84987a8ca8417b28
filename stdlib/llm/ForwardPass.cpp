#include "ForwardPass.h"

#include "Error.h"
#include "Half.h"
#include "HalfArray.h"

#include <algorithm>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <cmath>
#include <cstring>
#include <type_traits>

namespace borel::llm {

namespace {

// y = x / rms(x) * w, with the mean square summed in double as ggml does.
void rms_norm(const float* x, const float* w, float* y, size_t n, float eps) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += double(x[i] * x[i]);
  const float scale = 1.0f / std::sqrt(float(sum / double(n)) + eps);
  for (size_t i = 0; i < n; ++i) y[i] = (x[i] * scale) * w[i];
}

// Rotates adjacent pairs (v[2i], v[2i+1]) of each head by the angles in cs
// (cos, sin interleaved, n_rot / 2 pairs).
void rope(float* v, size_t n_heads, size_t head_dim, size_t n_rot, const float* cs) {
  for (size_t h = 0; h < n_heads; ++h) {
    float* p = v + h * head_dim;
    for (size_t i = 0; i < n_rot / 2; ++i) {
      const float c = cs[2 * i], s = cs[2 * i + 1];
      const float x0 = p[2 * i], x1 = p[2 * i + 1];
      p[2 * i] = x0 * c - x1 * s;
      p[2 * i + 1] = x0 * s + x1 * c;
    }
  }
}

// e^x for a whole array in 8-float generic vectors: Cephes' expf (range
// reduction by ln 2 in two parts, degree-6 polynomial, 2^k by exponent bits),
// within 2 ulp of std::exp for x in [-87, 88]; inputs below -87 give ~1e-38
// instead of denormals or 0, which no softmax or SiLU here can tell apart.
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
// The helpers take and give vectors by reference, never by value: clang
// rejects a 32-byte vector passed by value between a target_clones AVX2 clone
// and a helper compiled for baseline x86-64 (the ABIs differ), even when the
// helper is inlined.

inline void exp8(v8f& v) {
  v = v < -87.0f ? v8f{} - 87.0f : v;
  v = v > 88.0f ? v8f{} + 88.0f : v;
  const float magic = 12582912.0f;  // 1.5 * 2^23: adding and subtracting it rounds to an integer
  const v8f k = (v * 1.44269504088896341f + magic) - magic;
  const v8f r = (v - k * 0.693359375f) - k * -2.12194440e-4f;
  v8f p = v8f{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const v8i bits = (__builtin_convertvector(k, v8i) + 127) << 23;
  v8f scale;
  std::memcpy(&scale, &bits, sizeof scale);
  v = p * scale;
}

inline void load8f(v8f& r, const float* p) { std::memcpy(&r, p, sizeof r); }

inline float hsum8(const v8f& v) { return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7])); }

__attribute__((target_clones("arch=x86-64-v3", "default"))) void exp_inplace(float* x, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v8f v;
    std::memcpy(&v, x + i, sizeof v);
    exp8(v);
    std::memcpy(x + i, &v, sizeof v);
  }
  if (i < n) {
    v8f v = {};
    std::memcpy(&v, x + i, (n - i) * sizeof(float));
    exp8(v);
    std::memcpy(x + i, &v, (n - i) * sizeof(float));
  }
}

}  // namespace

ForwardPass::ForwardPass(const Model& model, ThreadPool& pool) : model_(model), pool_(pool) {
  scores_.resize(pool.size());
  inv_.resize(pool.size());
  kv_chunk_.resize(pool.size());
  row_scratch_.resize(pool.size());
  const auto& c = model.config();
  for (auto& s : row_scratch_) s.resize(std::max({c.n_embd, c.n_ff, c.kv_dim()}));
  for (auto& s : inv_) s.resize(c.n_head / c.n_head_kv);
}

void ForwardPass::matmul(const WeightMatrix& w, const Input& in, float* y, size_t ldy) {
  // Each thread gets at least ~64K multiply-adds: below that, waking a thread
  // costs more than the work (single-token decoding of a small model stays on
  // one thread).
  const size_t min_rows = std::max<size_t>(1, (size_t(1) << 16) / std::max<size_t>(1, in.n * w.cols));
  if (integer_dots_ && int_dot_applies(w)) {
    if (quantised_serial_ != in.serial) {
      quantised_.quantize(in.x, in.ldx, in.n, w.cols);
      quantised_serial_ = in.serial;
    }
    pool_.parallel_for(w.rows, min_rows,
                       [&](size_t r0, size_t r1, unsigned) { matmul_int(w, quantised_, y, ldy, r0, r1); });
    return;
  }
  pool_.parallel_for(w.rows, min_rows, [&](size_t r0, size_t r1, unsigned worker) {
    w.matmul(in.x, in.ldx, in.n, y, ldy, r0, r1, row_scratch_[worker].data());
  });
}

namespace {

// How attention reads the cache: 8 stored values (or 1) as floats. F16 is
// converted exactly, by F16C instructions where the CPU has them, else by
// integer bit operations (HalfArray.h); either way the floats are the same,
// and so is all arithmetic after the load.
struct LoadF32 {
  static void load8(v8f& r, const float* p) { std::memcpy(&r, p, sizeof r); }
  static float load1(const float* p) { return *p; }
};
struct LoadF16 {
  static void load8(v8f& r, const uint16_t* p) { halves8_to_floats(p, r); }
  static float load1(const uint16_t* p) { return half_to_float(*p); }
};
#if defined(__x86_64__)
struct LoadF16C {
  // Inlined by attention_f16c's flatten (a target-specific function cannot be
  // always_inline into generic code).
  __attribute__((target("avx2,f16c"))) static inline void load8(v8f& r, const uint16_t* p) {
    const __m256 f = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    std::memcpy(&r, &f, sizeof r);
  }
  static float load1(const uint16_t* p) { return half_to_float(*p); }
};
#endif

// Scores of one head's query against m keys (rows `ks` elements apart).
template <class Load, class Kv>
__attribute__((always_inline)) inline void head_scores(const float* q, const Kv* k, size_t ks, size_t m, size_t hd,
                                                       float scale, float* out) {
  if (hd % 8 == 0) {
    for (size_t j = 0; j < m; ++j) {
      const Kv* kj = k + j * ks;
      v8f a, b;
      load8f(a, q);
      Load::load8(b, kj);
      v8f acc = a * b;
      for (size_t i = 8; i < hd; i += 8) {
        load8f(a, q + i);
        Load::load8(b, kj + i);
        acc += a * b;
      }
      out[j] = hsum8(acc) * scale;
    }
  } else {
    for (size_t j = 0; j < m; ++j) {
      const Kv* kj = k + j * ks;
      float s = 0;
      for (size_t i = 0; i < hd; ++i) s += q[i] * Load::load1(kj + i);
      out[j] = s * scale;
    }
  }
}

// out += (p[j] * inv) * v_j over m values (rows `vs` elements apart), each
// element updated in j order.
template <class Load, class Kv>
__attribute__((always_inline)) inline void head_values(const float* p, float inv, const Kv* v, size_t vs, size_t m,
                                                       size_t hd, float* out) {
  if (hd == 8) {  // the whole head in one vector register
    v8f o, x;
    load8f(o, out);
    for (size_t j = 0; j < m; ++j) {
      Load::load8(x, v + j * vs);
      o += (p[j] * inv) * x;
    }
    std::memcpy(out, &o, sizeof o);
  } else if (hd % 8 == 0) {
    for (size_t j = 0; j < m; ++j) {
      const Kv* vj = v + j * vs;
      const float w = p[j] * inv;
      for (size_t i = 0; i < hd; i += 8) {
        v8f o, x;
        load8f(o, out + i);
        Load::load8(x, vj + i);
        o += w * x;
        std::memcpy(out + i, &o, sizeof o);
      }
    }
  } else {
    for (size_t j = 0; j < m; ++j) {
      const Kv* vj = v + j * vs;
      const float w = p[j] * inv;
      for (size_t i = 0; i < hd; ++i) out[i] += w * Load::load1(vj + i);
    }
  }
}

}  // namespace

// For each token and each KV head, the keys (then the values) of the
// sequence are read once, a cache block at a time, for all the query heads
// that share them; F16 rows are first converted (exactly) into a small
// buffer, once for the whole group. Each query head's scores and output are
// computed by the same operations in the same order whatever the cache type,
// so an F16 cache gives exactly the results of an F32 cache holding the
// rounded values.
template <class Load, class Kv>
__attribute__((always_inline)) inline void ForwardPass::attention_body(size_t layer, size_t t0, size_t t1,
                                                                       unsigned worker, const KvCache& cache) {
  const auto& c = model_.config();
  const size_t hd = c.head_dim(), kvd = c.kv_dim(), dim = c.n_embd;
  const size_t group = c.n_head / c.n_head_kv;
  const size_t bt = cache.block_tokens();
  const float scale = 1.0f / std::sqrt(float(hd));
  std::vector<float>& scores = scores_[worker];
  float* inv = inv_[worker].data();
  std::vector<float>& chunk = kv_chunk_[worker];
  if (chunk.size() < bt * hd) chunk.resize(bt * hd);
  // Rows [0, m) of KV head g in a block: the cache itself (F32, kvd apart) or
  // the converted buffer (hd apart).
  auto rows = [&](const std::byte* base, size_t g, size_t m, size_t& stride) -> const float* {
    const Kv* p = reinterpret_cast<const Kv*>(base) + g * hd;
    if constexpr (std::is_same_v<Kv, float>) {
      stride = kvd;
      return p;
    } else {
      for (size_t j = 0; j < m; ++j) {
        const Kv* row = p + j * kvd;
        float* out = chunk.data() + j * hd;
        size_t i = 0;
        for (; i + 8 <= hd; i += 8) {
          v8f x;
          Load::load8(x, row + i);
          std::memcpy(out + i, &x, sizeof x);
        }
        for (; i < hd; ++i) out[i] = Load::load1(row + i);
      }
      stride = hd;
      return chunk.data();
    }
  };
  for (size_t t = t0; t < t1; ++t) {
    const auto& blocks = entry_blocks_[tok_entry_[t]];
    const size_t n_ctx = tok_pos_[t] + 1;
    if (scores.size() < group * n_ctx) scores.resize(std::max(group * n_ctx, 2 * scores.size()));
    for (size_t g = 0; g < c.n_head_kv; ++g) {
      for (size_t b0 = 0; b0 < n_ctx; b0 += bt) {
        const size_t m = std::min(bt, n_ctx - b0);
        size_t ks;
        const float* k = rows(cache.keys(blocks[b0 / bt], layer), g, m, ks);
        for (size_t a = 0; a < group; ++a)
          head_scores<LoadF32>(&q_[t * dim + (g * group + a) * hd], k, ks, m, hd, scale, &scores[a * n_ctx + b0]);
      }
      for (size_t a = 0; a < group; ++a) {
        float* sc = &scores[a * n_ctx];
        float mx = -INFINITY;
        for (size_t p = 0; p < n_ctx; ++p) mx = std::max(mx, sc[p]);
        for (size_t p = 0; p < n_ctx; ++p) sc[p] -= mx;
        exp_inplace(sc, n_ctx);
        double sum = 0;
        for (size_t p = 0; p < n_ctx; ++p) sum += sc[p];
        inv[a] = float(1.0 / sum);
        float* out = &att_[t * dim + (g * group + a) * hd];
        std::fill(out, out + hd, 0.0f);
      }
      for (size_t b0 = 0; b0 < n_ctx; b0 += bt) {
        const size_t m = std::min(bt, n_ctx - b0);
        size_t vs;
        const float* v = rows(cache.values(blocks[b0 / bt], layer), g, m, vs);
        for (size_t a = 0; a < group; ++a)
          head_values<LoadF32>(&scores[a * n_ctx + b0], inv[a], v, vs, m, hd, &att_[t * dim + (g * group + a) * hd]);
      }
    }
  }
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) void ForwardPass::attention_f32(size_t layer, size_t t0,
                                                                                            size_t t1, unsigned worker,
                                                                                            const KvCache& cache) {
  attention_body<LoadF32, float>(layer, t0, t1, worker, cache);
}

void ForwardPass::attention_f16(size_t layer, size_t t0, size_t t1, unsigned worker, const KvCache& cache) {
  attention_body<LoadF16, uint16_t>(layer, t0, t1, worker, cache);
}

#if defined(__x86_64__)
__attribute__((target("avx2,f16c"), flatten)) void ForwardPass::attention_f16c(size_t layer, size_t t0, size_t t1,
                                                                               unsigned worker, const KvCache& cache) {
  attention_body<LoadF16C, uint16_t>(layer, t0, t1, worker, cache);
}
#endif

void ForwardPass::attention(size_t layer, size_t t0, size_t t1, unsigned worker, const KvCache& cache) {
  if (cache.type() == KvType::F32) return attention_f32(layer, t0, t1, worker, cache);
#if defined(__x86_64__)
  static const bool f16c = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
  if (f16c) return attention_f16c(layer, t0, t1, worker, cache);
#endif
  attention_f16(layer, t0, t1, worker, cache);
}

void ForwardPass::run(std::span<const BatchEntry> batch, KvCache& cache, std::vector<float>& logits) {
  const auto& c = model_.config();
  const size_t dim = c.n_embd, kvd = c.kv_dim(), ff = c.n_ff, V = c.n_vocab, hd = c.head_dim();
  if (cache.n_layer() != c.n_layer || cache.kv_dim() != kvd)
    throw LlmError("decode: the KV cache was made for a model of another shape");

  // Check everything before changing any sequence.
  size_t n = 0, n_out = 0;
  for (const auto& e : batch) {
    if (!e.seq) throw LlmError("decode: a batch entry has no sequence");
    if (e.seq->cache() != &cache) throw LlmError("decode: a sequence belongs to another KV cache");
    for (TokenId id : e.tokens)
      if (id < 0 || size_t(id) >= V)
        throw LlmError("decode: token id " + std::to_string(id) + " is out of range [0, " + std::to_string(V) + ")");
    n += e.tokens.size();
    n_out += e.logits == LogitsMode::All ? e.tokens.size() : (e.logits == LogitsMode::Last && !e.tokens.empty());
  }
  logits.resize(n_out * V);
  if (n == 0) return;

  tok_entry_.resize(n);
  tok_pos_.resize(n);
  tok_id_.resize(n);
  tok_slot_.resize(n);
  if (entry_blocks_.size() < batch.size()) entry_blocks_.resize(batch.size());
  // Reserve every slot first; if the cache runs out of memory part-way, cut
  // the sequences back so a failed batch changes nothing.
  start_len_.resize(batch.size());
  for (size_t e = 0; e < batch.size(); ++e) start_len_[e] = batch[e].seq->size();
  size_t t = 0;
  try {
    for (size_t e = 0; e < batch.size(); ++e) {
      for (TokenId id : batch[e].tokens) {
        tok_entry_[t] = static_cast<uint32_t>(e);
        tok_pos_[t] = static_cast<uint32_t>(batch[e].seq->size());
        tok_id_[t] = id;
        tok_slot_[t] = cache.append(*batch[e].seq, id);
        ++t;
      }
    }
  } catch (...) {
    for (size_t e = batch.size(); e-- > 0;) batch[e].seq->truncate(start_len_[e]);
    throw;
  }
  for (size_t e = 0; e < batch.size(); ++e) cache.blocks_of(*batch[e].seq, entry_blocks_[e]);

  x_.resize(n * dim);
  xn_.resize(n * dim);
  q_.resize(n * dim);
  k_.resize(n * kvd);
  v_.resize(n * kvd);
  att_.resize(n * dim);
  gate_.resize(n * ff);
  up_.resize(n * ff);
  rope_.resize(n * c.n_rot);

  // Rotary angles per token, computed as ggml does: theta_i = pos * base^(-2i/n_rot),
  // by repeated multiplication in float.
  const float theta_scale = std::pow(c.rope_freq_base, -2.0f / float(c.n_rot));
  for (size_t i = 0; i < n; ++i) {
    float theta = float(tok_pos_[i]);
    float* cs = &rope_[i * c.n_rot];
    for (size_t p = 0; p < c.n_rot / 2; ++p) {
      cs[2 * p] = std::cos(theta);
      cs[2 * p + 1] = std::sin(theta);
      theta *= theta_scale;
    }
  }

  float* scratch = row_scratch_[0].data();
  for (size_t i = 0; i < n; ++i) {
    const float* row = model_.token_embd().row_f32(size_t(tok_id_[i]), scratch);
    std::memcpy(&x_[i * dim], row, dim * sizeof(float));
  }

  for (size_t l = 0; l < c.n_layer; ++l) {
    const LayerWeights& L = model_.layers()[l];
    for (size_t i = 0; i < n; ++i) rms_norm(&x_[i * dim], L.attn_norm.data(), &xn_[i * dim], dim, c.rms_eps);
    const Input attn_in = input(xn_.data(), dim, n);
    matmul(L.wq, attn_in, q_.data(), dim);
    matmul(L.wk, attn_in, k_.data(), kvd);
    matmul(L.wv, attn_in, v_.data(), kvd);
    for (size_t i = 0; i < n; ++i) {
      rope(&q_[i * dim], c.n_head, hd, c.n_rot, &rope_[i * c.n_rot]);
      rope(&k_[i * kvd], c.n_head_kv, hd, c.n_rot, &rope_[i * c.n_rot]);
      const auto& s = tok_slot_[i];
      cache.store(s, l, &k_[i * kvd], &v_[i * kvd]);
    }
    if (pool_.size() == 1)
      attention(l, 0, n, 0, cache);
    else
      pool_.parallel_for(n, 4, [&](size_t t0, size_t t1, unsigned w) { attention(l, t0, t1, w, cache); });
    const Input att_in = input(att_.data(), dim, n);
    matmul(L.wo, att_in, xn_.data(), dim);
    for (size_t i = 0; i < n * dim; ++i) x_[i] += xn_[i];

    for (size_t i = 0; i < n; ++i) rms_norm(&x_[i * dim], L.ffn_norm.data(), &xn_[i * dim], dim, c.rms_eps);
    const Input ffn_in = input(xn_.data(), dim, n);
    matmul(L.w_gate, ffn_in, gate_.data(), ff);
    matmul(L.w_up, ffn_in, up_.data(), ff);
    // SwiGLU: silu(g) * u = g / (1 + e^-g) * u.
    for (size_t i = 0; i < n * ff; ++i) up_[i] *= gate_[i];
    for (size_t i = 0; i < n * ff; ++i) gate_[i] = -gate_[i];
    exp_inplace(gate_.data(), n * ff);
    for (size_t i = 0; i < n * ff; ++i) gate_[i] = up_[i] / (1.0f + gate_[i]);
    const Input down_in = input(gate_.data(), ff, n);
    matmul(L.w_down, down_in, xn_.data(), dim);
    for (size_t i = 0; i < n * dim; ++i) x_[i] += xn_[i];
  }

  // Output head, only for the rows whose logits were asked for.
  size_t row = 0;
  t = 0;
  for (const auto& e : batch) {
    const size_t m = e.tokens.size();
    for (size_t j = 0; j < m; ++j, ++t) {
      if (e.logits == LogitsMode::All || (e.logits == LogitsMode::Last && j + 1 == m)) {
        rms_norm(&x_[t * dim], model_.output_norm().data(), &xn_[row * dim], dim, c.rms_eps);
        ++row;
      }
    }
  }
  if (n_out) {
    const Input out_in = input(xn_.data(), dim, n_out);
    matmul(model_.output(), out_in, logits.data(), V);
  }
}

}  // namespace borel::llm
