// TokenDists.cpp — see TokenDists.h.
#include "TokenDists.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "runtime/BatchWork.h"
#include "runtime/Value.h"
#include "runtime/Model.h"
#include "runtime/Rng.h"

namespace borel::lm {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

LanguageModel& lm_of(const rt::Dist& d) { return *rt::to_ptr<LanguageModel>(d.a[0]); }
const rt::Array* array_of(rt::Word w) { return rt::to_ptr<const rt::Array>(w); }

std::shared_ptr<const std::vector<double>> logprobs(const rt::Dist& d) {
  const std::vector<llm::TokenId> ctx = token_ids(array_of(d.a[1]));
  try {
    return lm_of(d).next_token_logprobs(ctx);
  } catch (const llm::LlmError& e) {
    throw rt::RuntimeError{"", e.what()};
  }
}

// Inverse-CDF draw of an index with probabilities exp(lp[i] - log_z).
template <class F>
int64_t draw(rt::Rng& rng, int64_t n, double log_z, F lp) {
  const double u = rng.uniform();
  double c = 0;
  int64_t last = -1;
  for (int64_t i = 0; i < n; ++i) {
    const double l = lp(i);
    if (!(l > kNegInf)) continue;
    c += std::exp(l - log_z);
    last = i;
    if (u < c) return i;
  }
  return last;  // rounding: the cumulative sum ended just below u
}

bool ok(const rt::Dist&, std::string&) { return true; }
double nan(const rt::Dist&) { return std::numeric_limits<double>::quiet_NaN(); }

rt::Word nt_sample(const rt::Dist& d, rt::Rng& rng) {
  const auto lp = logprobs(d);
  return static_cast<rt::Word>(draw_token(rng, *lp));
}
double nt_log_density(const rt::Dist& d, rt::Word t) {
  const auto lp = logprobs(d);
  return t >= 0 && static_cast<size_t>(t) < lp->size() ? (*lp)[static_cast<size_t>(t)] : kNegInf;
}
bool nt_in_support(const rt::Dist& d, rt::Word t) {
  return t >= 0 && static_cast<size_t>(t) < lm_of(d).vocab_size();
}

const rt::Dist& inner(const rt::Dist& d) { return *rt::to_ptr<const rt::Dist>(d.a[0]); }

// The log-densities of a distribution over ints, for loops over many ids:
// next_token's vector is fetched once, not looked up per id.
class IntDensity {
 public:
  explicit IntDensity(const rt::Dist& d) : d_(d), lp_(d.ops == &next_token_ops ? logprobs(d) : nullptr) {}
  double operator()(rt::Word t) const {
    if (!lp_) return d_.ops->log_density(d_, t);
    return t >= 0 && static_cast<size_t>(t) < lp_->size() ? (*lp_)[static_cast<size_t>(t)] : kNegInf;
  }

 private:
  const rt::Dist& d_;
  std::shared_ptr<const std::vector<double>> lp_;
};

double log_add(double a, double b) {
  if (!(a > kNegInf)) return b;
  if (!(b > kNegInf)) return a;
  return a > b ? a + std::log1p(std::exp(b - a)) : b + std::log1p(std::exp(a - b));
}

// masked and tempered compute what needs the inner distribution's densities
// (the mass kept, the ids kept) when first used, not when made: under SMC
// the inner next_token is then computed with every other particle's in one
// batched call (runtime/BatchWork.h). The result is written into the Dist
// once; particles that share the value may race to write it, always the
// same bits, hence the atomics.
double load(const double& x) { return std::atomic_ref<double>(const_cast<double&>(x)).load(std::memory_order_acquire); }
void store(const double& x, double v) { std::atomic_ref<double>(const_cast<double&>(x)).store(v, std::memory_order_release); }

// masked: a[0] the distribution, a[1] the allowed ids (sorted), p[0] log Z
// (NaN until computed).
double masked_log_z(const rt::Dist& d) {
  if (const double z = load(d.p[0]); !std::isnan(z)) return z;
  const rt::Array* a = array_of(d.a[1]);
  const IntDensity lp(inner(d));
  // log Σ exp(l) as m + log Σ exp(l − m): one exp per id, not a log1p too.
  double m = kNegInf;
  for (int64_t i = 0; i < a->len; ++i) m = std::max(m, lp(a->data[i]));
  if (!(m > kNegInf)) throw rt::RuntimeError{"", "masked: the allowed ids have probability zero"};
  double sum = 0;
  for (int64_t i = 0; i < a->len; ++i) sum += std::exp(lp(a->data[i]) - m);
  const double log_z = m + std::log(sum);
  store(d.p[0], log_z);
  return log_z;
}
bool allowed(const rt::Array* a, rt::Word t) { return std::binary_search(a->data, a->data + a->len, t); }
rt::Word m_sample(const rt::Dist& d, rt::Rng& rng) {
  const rt::Array* a = array_of(d.a[1]);
  const double log_z = masked_log_z(d);
  const IntDensity lp(inner(d));
  const int64_t i = draw(rng, a->len, log_z, [&](int64_t k) { return lp(a->data[k]); });
  return a->data[i];
}
double m_log_density(const rt::Dist& d, rt::Word t) {
  if (!allowed(array_of(d.a[1]), t)) return kNegInf;
  return inner(d).ops->log_density(inner(d), t) - masked_log_z(d);
}
bool m_in_support(const rt::Dist& d, rt::Word t) { return allowed(array_of(d.a[1]), t) && m_log_density(d, t) > kNegInf; }

// tempered: a[0] the distribution, a[1] the kept ids (sorted; null until
// computed), p[0] log Z (written before a[1]), p[1] the temperature, p[2]
// top_k, p[3] top_p.
std::vector<rt::Word> finite_ids(const rt::Dist& d, const char* who);
const rt::Array* tempered_ids(const rt::Dist& d) {
  std::atomic_ref<rt::Word> kept(const_cast<rt::Word&>(d.a[1]));
  if (const rt::Word w = kept.load(std::memory_order_acquire)) return array_of(w);
  const rt::Dist& in = inner(d);
  const double temperature = d.p[1], top_p = d.p[3];
  const auto top_k = static_cast<int64_t>(d.p[2]);
  // Ids by tempered log-density, most likely first (lower id on ties).
  const IntDensity lp(in);
  std::vector<std::pair<double, rt::Word>> by;
  for (rt::Word t : finite_ids(in, "tempered")) {
    const double l = lp(t);
    if (l > kNegInf) by.emplace_back(l / temperature, t);
  }
  if (by.empty()) throw rt::RuntimeError{"", "tempered: the distribution gives every id probability zero"};
  // Sorting by density is needed only to cut; on a real vocabulary (128k
  // ids) it cost more than the particle's share of the forward pass.
  const bool cut = (top_k > 0 && static_cast<size_t>(top_k) < by.size()) || top_p < 1;
  if (cut) {
    std::stable_sort(by.begin(), by.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    if (top_k > 0 && static_cast<size_t>(top_k) < by.size()) by.resize(static_cast<size_t>(top_k));
  }
  auto log_sum = [&] {
    double m = kNegInf, sum = 0;
    for (const auto& e : by) m = std::max(m, e.first);
    for (const auto& e : by) sum += std::exp(e.first - m);
    return m + std::log(sum);
  };
  double log_z = log_sum();
  if (top_p < 1) {
    double mass = 0;
    size_t keep = 0;
    while (keep < by.size() && mass < top_p) mass += std::exp(by[keep++].first - log_z);
    by.resize(keep);
    log_z = log_sum();
  }
  rt::Array* ids = rt::array_new_atomic(static_cast<int64_t>(by.size()));
  for (size_t i = 0; i < by.size(); ++i) ids->data[i] = by[i].second;
  if (cut) std::sort(ids->data, ids->data + ids->len);
  store(d.p[0], log_z);
  kept.store(rt::from_ptr(ids), std::memory_order_release);
  return ids;
}
rt::Word t_sample(const rt::Dist& d, rt::Rng& rng) {
  const rt::Array* a = tempered_ids(d);
  const double log_z = load(d.p[0]);
  const IntDensity lp(inner(d));
  const int64_t i = draw(rng, a->len, log_z, [&](int64_t k) { return lp(a->data[k]) / d.p[1]; });
  return a->data[i];
}
double t_log_density(const rt::Dist& d, rt::Word t) {
  if (!allowed(tempered_ids(d), t)) return kNegInf;
  return inner(d).ops->log_density(inner(d), t) / d.p[1] - load(d.p[0]);
}
bool t_in_support(const rt::Dist& d, rt::Word t) { return allowed(tempered_ids(d), t) && t_log_density(d, t) > kNegInf; }

// generate: a[0] the model, a[1] the prompt, p[0] max_tokens, p[1] the EOS id.
std::shared_ptr<const std::vector<double>> step_logprobs(LanguageModel& lm, const std::vector<llm::TokenId>& ctx) {
  try {
    return lm.next_token_logprobs(ctx);
  } catch (const llm::LlmError& e) {
    throw rt::RuntimeError{"", e.what()};
  }
}
rt::Word g_sample(const rt::Dist& d, rt::Rng& rng) {
  std::vector<llm::TokenId> ctx = token_ids(array_of(d.a[1]));
  const auto max = static_cast<int64_t>(d.p[0]);
  const auto eos = static_cast<llm::TokenId>(d.p[1]);
  std::vector<llm::TokenId> out;
  while (static_cast<int64_t>(out.size()) < max) {
    const auto lp = step_logprobs(lm_of(d), ctx);
    const auto t = static_cast<llm::TokenId>(draw_token(rng, *lp));
    out.push_back(t);
    ctx.push_back(t);
    if (t == eos) break;
  }
  rt::Array* a = rt::array_new_atomic(static_cast<int64_t>(out.size()));
  for (size_t i = 0; i < out.size(); ++i) a->data[i] = out[i];
  return rt::from_ptr(a);
}
// Whether x could be drawn: 1 to max_tokens ids, EOS last (only), or
// max_tokens of them. Otherwise its density is -inf without the model.
bool g_possible(const rt::Dist& d, rt::Word x) {
  const rt::Array* ts = array_of(x);
  const auto max = static_cast<int64_t>(d.p[0]);
  const auto eos = static_cast<int64_t>(d.p[1]);
  if (!ts || ts->len == 0 || ts->len > max) return false;
  for (int64_t i = 0; i + 1 < ts->len; ++i)
    if (ts->data[i] == eos) return false;
  if (ts->len < max && ts->data[ts->len - 1] != eos) return false;
  for (int64_t i = 0; i < ts->len; ++i)
    if (ts->data[i] < 0 || static_cast<size_t>(ts->data[i]) >= lm_of(d).vocab_size()) return false;
  return true;
}
// generate and generate_text keep the log-density of one value, written by
// the BatchWork of a parked observe (into the parked copy of the Dist) and
// read by the observe: p[2] the density (NaN: none), p[3] the value's bits.
rt::Word bits(double x) { return std::bit_cast<rt::Word>(x); }
bool have_density(const rt::Dist& d, rt::Word x) { return !std::isnan(load(d.p[2])) && bits(load(d.p[3])) == x; }
void set_density(const rt::Dist& d, rt::Word x, double lp) {
  store(d.p[3], std::bit_cast<double>(x));
  store(d.p[2], lp);
}
double g_log_density(const rt::Dist& d, rt::Word x) {
  if (!g_possible(d, x)) return kNegInf;
  if (have_density(d, x)) return load(d.p[2]);
  return sequence_logprob(lm_of(d), array_of(d.a[1]), array_of(x));
}
bool g_in_support(const rt::Dist& d, rt::Word x) { return g_log_density(d, x) > kNegInf; }

// The ids of a distribution over a finite set of ints, for masked and tempered.
std::vector<rt::Word> finite_ids(const rt::Dist& d, const char* who) {
  std::vector<rt::Word> ids;
  auto range = [&](int64_t lo, int64_t hi) {
    for (int64_t v = lo; v <= hi; ++v) ids.push_back(v);
  };
  if (d.ops == &next_token_ops) range(0, static_cast<int64_t>(lm_of(d).vocab_size()) - 1);
  else if (d.ops == &masked_ops || d.ops == &tempered_ops) ids.assign(array_of(d.a[1])->data, array_of(d.a[1])->data + array_of(d.a[1])->len);
  else if (std::string_view(d.ops->name) == "categorical") range(0, array_of(d.a[0])->len - 1);
  else if (std::string_view(d.ops->name) == "discrete_uniform") range(static_cast<int64_t>(d.p[0]), static_cast<int64_t>(d.p[1]));
  else throw rt::RuntimeError{"", std::string(who) + ": " + d.ops->name + " is not a distribution over a finite set of ints "
                                  "(next_token, masked, tempered, categorical, discrete_uniform)"};
  return ids;
}

// judge: a[0] the model, a[1] a scanned array of three strings (the
// prompt, the yes answer, the no answer), p[0] log p(true), p[1] log
// p(false) (NaN until computed; p[1] written first).
std::string judge_part(const rt::Dist& d, int k) {
  return std::string(rt::view(rt::to_ptr<const rt::String>(array_of(d.a[1])->data[k])));
}
// The judge's two answers as (prompt, text) pairs.
void judge_pairs(const rt::Dist& d, std::vector<LanguageModel::TextPair>& out) {
  out.push_back({judge_part(d, 0), judge_part(d, 1)});
  out.push_back({judge_part(d, 0), judge_part(d, 2)});
}
std::vector<double> text_logprobs(LanguageModel& lm, std::span<const LanguageModel::TextPair> pairs) {
  try {
    return lm.text_logprobs(pairs);
  } catch (const llm::LlmError& e) {
    throw rt::RuntimeError{"", e.what()};
  }
}
// Writes the verdict's log-probabilities from the answers' log p.
double set_verdict(const rt::Dist& d, double log_yes, double log_no) {
  const double norm = log_add(log_yes, log_no);
  store(d.p[1], log_no - norm);
  store(d.p[0], log_yes - norm);
  return log_yes - norm;
}
double judge_log_p_true(const rt::Dist& d) {
  if (const double l = load(d.p[0]); !std::isnan(l)) return l;
  std::vector<LanguageModel::TextPair> pairs;
  judge_pairs(d, pairs);
  const std::vector<double> lp = text_logprobs(lm_of(d), pairs);
  return set_verdict(d, lp[0], lp[1]);
}
double j_log_density(const rt::Dist& d, rt::Word v) {
  const double l = judge_log_p_true(d);
  return v ? l : load(d.p[1]);
}
rt::Word j_sample(const rt::Dist& d, rt::Rng& rng) { return rng.uniform() < std::exp(judge_log_p_true(d)) ? 1 : 0; }
bool j_in_support(const rt::Dist&, rt::Word v) { return v == 0 || v == 1; }
double j_mean(const rt::Dist& d) { return std::exp(judge_log_p_true(d)); }
double j_variance(const rt::Dist& d) {
  const double p = j_mean(d);
  return p * (1 - p);
}

// generate_text: a[0] the model, a[1] a scanned array of two strings (the
// prompt, the stop text), p[0] max_tokens.
rt::Word gt_sample(const rt::Dist& d, rt::Rng& rng) {
  try {
    return rt::from_ptr(rt::string_new(lm_of(d).sample_text(judge_part(d, 0), static_cast<int64_t>(d.p[0]), judge_part(d, 1), rng.next_u64())));
  } catch (const llm::LlmError& e) {
    throw rt::RuntimeError{"", e.what()};
  }
}
LanguageModel::TextPair gt_pair(const rt::Dist& d, rt::Word x) {
  return {judge_part(d, 0), std::string(rt::view(rt::to_ptr<const rt::String>(x)))};
}
double gt_log_density(const rt::Dist& d, rt::Word x) {
  if (have_density(d, x)) return load(d.p[2]);
  const LanguageModel::TextPair pair = gt_pair(d, x);
  return text_logprobs(lm_of(d), {&pair, 1})[0];
}
bool gt_in_support(const rt::Dist&, rt::Word) { return true; }

// The language models' BatchWork: the contexts of the next_token
// distributions inside the pending ones, one batched call per model.
const rt::Dist& innermost(const rt::Dist& d) {
  const rt::Dist* x = &d;
  while (x->ops == &masked_ops || x->ops == &tempered_ops) x = &inner(*x);
  return *x;
}
class LmBatch final : public rt::BatchWork {
 public:
  void prepare(std::span<const rt::Pending> work) override {
    // Per model: the contexts of next_token distributions (and of generate's
    // first token), the judges and observed generate_text values (one
    // text_logprobs call for all), and observed generate values (one
    // sequence_logprobs call).
    struct Work {
      LanguageModel* lm;
      std::vector<std::vector<llm::TokenId>> contexts;
      std::vector<const rt::Dist*> judges;
      std::vector<rt::Pending> texts, sequences;
    };
    std::vector<Work> by_lm;
    for (const rt::Pending& p : work) {
      const rt::Dist& nt = innermost(*p.d);
      LanguageModel* lm = &lm_of(nt);
      auto it = std::find_if(by_lm.begin(), by_lm.end(), [&](const Work& w) { return w.lm == lm; });
      if (it == by_lm.end()) it = by_lm.insert(by_lm.end(), Work{lm, {}, {}, {}, {}});
      if (nt.ops == &judge_ops) {
        it->judges.push_back(&nt);
      } else if (nt.ops == &generate_text_ops) {
        it->texts.push_back({&nt, true, p.at});
      } else if (nt.ops == &generate_ops && p.observe) {
        it->sequences.push_back({&nt, true, p.at});
      } else {
        it->contexts.push_back(token_ids(array_of(nt.a[1])));
      }
    }
    for (Work& w : by_lm) {
      try {
        if (!w.contexts.empty()) w.lm->prefetch(w.contexts);
        if (!w.sequences.empty()) {
          std::vector<LanguageModel::TokenPair> pairs;
          for (const rt::Pending& p : w.sequences)
            pairs.push_back({token_ids(array_of(p.d->a[1])), token_ids(array_of(p.at))});
          const std::vector<double> lp = w.lm->sequence_logprobs(pairs);
          for (size_t i = 0; i < pairs.size(); ++i) set_density(*w.sequences[i].d, w.sequences[i].at, lp[i]);
        }
      } catch (const llm::LlmError& e) {
        throw rt::RuntimeError{"", e.what()};
      }
      if (w.judges.empty() && w.texts.empty()) continue;
      std::vector<LanguageModel::TextPair> pairs;
      for (const rt::Dist* j : w.judges) judge_pairs(*j, pairs);
      for (const rt::Pending& p : w.texts) pairs.push_back(gt_pair(*p.d, p.at));
      const std::vector<double> lp = text_logprobs(*w.lm, pairs);
      for (size_t i = 0; i < w.judges.size(); ++i) set_verdict(*w.judges[i], lp[2 * i], lp[2 * i + 1]);
      for (size_t i = 0; i < w.texts.size(); ++i) set_density(*w.texts[i].d, w.texts[i].at, lp[2 * w.judges.size() + i]);
    }
  }
};
LmBatch lm_batch;

rt::BatchWork* nt_pending(const rt::Dist& d) {
  return lm_of(d).cached(token_ids(array_of(d.a[1]))) ? nullptr : &lm_batch;
}
rt::BatchWork* j_pending(const rt::Dist& d) { return std::isnan(load(d.p[0])) ? &lm_batch : nullptr; }
// A draw of generate: its first token's context (the prompt) in the batch;
// the later tokens are drawn one by one (each depends on the one before).
rt::BatchWork* g_pending(const rt::Dist& d) { return nt_pending(d); }
// An observe of generate: the pass over the observed sequence, with every
// other particle's (unless the value is impossible: no pass needed).
rt::BatchWork* g_pending_at(const rt::Dist& d, rt::Word x) {
  return g_possible(d, x) && !have_density(d, x) ? &lm_batch : nullptr;
}
// generate_text: nothing to prepare for a draw (a server draws it whole);
// an observe's text scored with every other particle's.
rt::BatchWork* gt_pending(const rt::Dist&) { return nullptr; }
rt::BatchWork* gt_pending_at(const rt::Dist& d, rt::Word x) { return have_density(d, x) ? nullptr : &lm_batch; }
rt::BatchWork* m_pending(const rt::Dist& d) { return std::isnan(load(d.p[0])) ? rt::pending_work(inner(d)) : nullptr; }
rt::BatchWork* t_pending(const rt::Dist& d) {
  return std::atomic_ref<rt::Word>(const_cast<rt::Word&>(d.a[1])).load(std::memory_order_acquire) ? nullptr
                                                                                                   : rt::pending_work(inner(d));
}

}  // namespace

int64_t draw_token(rt::Rng& rng, const std::vector<double>& logprobs) {
  return draw(rng, static_cast<int64_t>(logprobs.size()), 0.0, [&](int64_t i) { return logprobs[static_cast<size_t>(i)]; });
}

const rt::DistOps tempered_ops = {
    "tempered", 0, {}, {}, rt::Kind::Int, "the ids kept",
    ok, t_sample, t_log_density, t_in_support, nan, nan, rt::Support::Discrete, nullptr, t_pending,
};

rt::Dist* make_tempered(const rt::Dist& in, double temperature, int64_t top_k, double top_p) {
  if (!(std::isfinite(temperature) && temperature > 0))
    throw rt::RuntimeError{"", "tempered: temperature is " + std::to_string(temperature) + ", but must be positive"};
  if (top_k < 0) throw rt::RuntimeError{"", "tempered: top_k is " + std::to_string(top_k) + ", but must be >= 0 (0: all)"};
  if (!(top_p > 0 && top_p <= 1)) throw rt::RuntimeError{"", "tempered: top_p must be in (0, 1]"};
  rt::Dist d{};
  d.ops = &tempered_ops;
  d.p[0] = std::numeric_limits<double>::quiet_NaN();
  d.p[1] = temperature;
  d.p[2] = static_cast<double>(top_k);
  d.p[3] = top_p;
  d.a[0] = rt::from_ptr(rt::dist_box(in));
  d.a[1] = 0;
  if (!rt::pending_work(in)) tempered_ids(d);  // errors where the value is made
  return rt::dist_box(d);
}

const rt::DistOps generate_ops = {
    "generate", 0, {}, {}, rt::Kind::Any, "token sequences ending in EOS, or of max_tokens",
    ok, g_sample, g_log_density, g_in_support, nan, nan, rt::Support::Discrete, nullptr, g_pending, g_pending_at,
};

rt::Dist* make_generate(LanguageModel* lm, const rt::Array* prompt, int64_t max_tokens) {
  if (max_tokens < 1) throw rt::RuntimeError{"", "generate: max_tokens is " + std::to_string(max_tokens) + ", but must be at least 1"};
  const llm::TokenId eos = lm->tokenizer().vocab().eos;
  if (eos == llm::kNoToken) throw rt::RuntimeError{"", "generate: the model's vocabulary has no end-of-sequence token"};
  rt::Dist* d = make_next_token(lm, prompt);  // checks the prompt
  d->ops = &generate_ops;
  d->p[0] = static_cast<double>(max_tokens);
  d->p[1] = static_cast<double>(eos);
  d->p[2] = std::numeric_limits<double>::quiet_NaN();  // no density kept (g_log_density)
  d->p[3] = 0;
  return d;
}

const rt::DistOps next_token_ops = {
    "next_token", 0, {}, {}, rt::Kind::Int, "{0, ..., vocabulary size - 1}",
    ok, nt_sample, nt_log_density, nt_in_support, nan, nan, rt::Support::Discrete, nullptr, nt_pending,
};

const rt::DistOps masked_ops = {
    "masked", 0, {}, {}, rt::Kind::Int, "the allowed ids",
    ok, m_sample, m_log_density, m_in_support, nan, nan, rt::Support::Discrete, nullptr, m_pending,
};

std::vector<llm::TokenId> token_ids(const rt::Array* a) {
  std::vector<llm::TokenId> ids;
  ids.reserve(static_cast<size_t>(a->len));
  for (int64_t i = 0; i < a->len; ++i) {
    const int64_t t = static_cast<int64_t>(a->data[i]);
    if (t < 0 || t > std::numeric_limits<llm::TokenId>::max())
      throw rt::RuntimeError{"", "token id " + std::to_string(t) + " is out of range"};
    ids.push_back(static_cast<llm::TokenId>(t));
  }
  return ids;
}

const rt::DistOps judge_ops = {
    "judge", 0, {}, {}, rt::Kind::Bool, "{false, true}",
    ok, j_sample, j_log_density, j_in_support, j_mean, j_variance, rt::Support::Discrete, nullptr, j_pending,
};

// A scanned array of strings (the text parameters of judge, generate_text).
rt::Array* strings(std::initializer_list<const std::string*> ss) {
  rt::Array* a = rt::array_new(static_cast<int64_t>(ss.size()));
  int64_t i = 0;
  for (const std::string* s : ss) a->data[i++] = rt::from_ptr(rt::string_new(*s));
  return a;
}

rt::Dist* make_judge(LanguageModel* lm, const std::string& prompt, const std::string& yes, const std::string& no) {
  if (yes == no) throw rt::RuntimeError{"", "judge: the two answers are the same (\"" + yes + "\")"};
  if (yes.empty() || no.empty()) throw rt::RuntimeError{"", "judge: an answer is empty"};
  rt::Dist d{};
  d.ops = &judge_ops;
  d.p[0] = d.p[1] = std::numeric_limits<double>::quiet_NaN();
  d.a[0] = rt::from_ptr(lm);
  d.a[1] = rt::from_ptr(strings({&prompt, &yes, &no}));
  return rt::dist_box(d);
}

const rt::DistOps generate_text_ops = {
    "generate_text", 0, {}, {}, rt::Kind::Any, "texts",
    ok, gt_sample, gt_log_density, gt_in_support, nan, nan, rt::Support::Discrete, nullptr, gt_pending, gt_pending_at,
};

rt::Dist* make_generate_text(LanguageModel* lm, const std::string& prompt, int64_t max_tokens, const std::string& stop) {
  if (max_tokens < 1)
    throw rt::RuntimeError{"", "generate_text: max_tokens is " + std::to_string(max_tokens) + ", but must be at least 1"};
  rt::Dist d{};
  d.ops = &generate_text_ops;
  d.p[0] = static_cast<double>(max_tokens);
  d.p[2] = std::numeric_limits<double>::quiet_NaN();  // no density kept (gt_log_density)
  d.a[0] = rt::from_ptr(lm);
  d.a[1] = rt::from_ptr(strings({&prompt, &stop}));
  return rt::dist_box(d);
}

double text_logprob(LanguageModel& lm, const std::string& prompt, const std::string& text) {
  const LanguageModel::TextPair pair{prompt, text};
  return text_logprobs(lm, {&pair, 1})[0];
}

rt::Dist* make_next_token(LanguageModel* lm, const rt::Array* context) {
  if (context->len == 0) throw rt::RuntimeError{"", "next_token: the context is empty (it needs at least the BOS token)"};
  for (int64_t i = 0; i < context->len; ++i)
    if (context->data[i] < 0 || static_cast<size_t>(context->data[i]) >= lm->vocab_size())
      throw rt::RuntimeError{"", "next_token: context[" + std::to_string(i) + "] = " + std::to_string(context->data[i]) +
                                     " is not a token id (the vocabulary has " + std::to_string(lm->vocab_size()) +
                                     " tokens)"};
  rt::Dist d{};
  d.ops = &next_token_ops;
  d.a[0] = rt::from_ptr(lm);
  d.a[1] = rt::from_ptr(context);
  return rt::dist_box(d);
}

rt::Dist* make_masked(const rt::Dist& in, const rt::Array* allowed_ids) {
  if (in.ops->value_kind != rt::Kind::Int)
    throw rt::RuntimeError{"", std::string("masked: ") + in.ops->name + " is not a distribution over ints"};
  if (allowed_ids->len == 0) throw rt::RuntimeError{"", "masked: the allowed set is empty"};
  // Arrays are immutable: one already sorted without repeats (the usual
  // allowed set, made once and used at every step) is kept as it is.
  const rt::Array* sorted = allowed_ids;
  if (!std::is_sorted(sorted->data, sorted->data + sorted->len) ||
      std::adjacent_find(sorted->data, sorted->data + sorted->len) != sorted->data + sorted->len) {
    rt::Array* copy = rt::array_new_atomic(allowed_ids->len);
    std::copy(allowed_ids->data, allowed_ids->data + allowed_ids->len, copy->data);
    std::sort(copy->data, copy->data + copy->len);
    copy->len = std::unique(copy->data, copy->data + copy->len) - copy->data;
    sorted = copy;
  }
  auto not_a_value = [&](rt::Word t) {
    return rt::RuntimeError{"", "masked: allowed id " + std::to_string(t) + " is not a value of " + in.ops->name};
  };
  if (in.ops == &next_token_ops) {
    // The ids of next_token are a range: check the ends.
    if (sorted->data[0] < 0) throw not_a_value(sorted->data[0]);
    if (static_cast<size_t>(sorted->data[sorted->len - 1]) >= lm_of(in).vocab_size()) throw not_a_value(sorted->data[sorted->len - 1]);
  } else {
    const std::vector<rt::Word> ids = finite_ids(in, "masked");
    for (int64_t i = 0; i < sorted->len; ++i)
      if (!std::binary_search(ids.begin(), ids.end(), sorted->data[i])) throw not_a_value(sorted->data[i]);
  }
  rt::Dist d{};
  d.ops = &masked_ops;
  d.p[0] = std::numeric_limits<double>::quiet_NaN();
  d.a[0] = rt::from_ptr(rt::dist_box(in));
  d.a[1] = rt::from_ptr(sorted);
  if (!rt::pending_work(in)) masked_log_z(d);  // errors where the value is made
  return rt::dist_box(d);
}

double sequence_logprob(LanguageModel& lm, const rt::Array* context, const rt::Array* tokens) {
  try {
    return lm.sequence_logprob(token_ids(context), token_ids(tokens));
  } catch (const llm::LlmError& e) {
    throw rt::RuntimeError{"", e.what()};
  }
}

}  // namespace borel::lm
