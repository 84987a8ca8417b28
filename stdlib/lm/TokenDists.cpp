// TokenDists.cpp — see TokenDists.h.
#include "TokenDists.h"

#include <algorithm>
#include <cmath>
#include <limits>

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
  return static_cast<rt::Word>(draw(rng, static_cast<int64_t>(lp->size()), 0.0, [&](int64_t i) { return (*lp)[static_cast<size_t>(i)]; }));
}
double nt_log_density(const rt::Dist& d, rt::Word t) {
  const auto lp = logprobs(d);
  return t >= 0 && static_cast<size_t>(t) < lp->size() ? (*lp)[static_cast<size_t>(t)] : kNegInf;
}
bool nt_in_support(const rt::Dist& d, rt::Word t) {
  return t >= 0 && static_cast<size_t>(t) < lm_of(d).vocab_size();
}

const rt::Dist& inner(const rt::Dist& d) { return *rt::to_ptr<const rt::Dist>(d.a[0]); }
bool allowed(const rt::Dist& d, rt::Word t) {
  const rt::Array* a = array_of(d.a[1]);
  return std::binary_search(a->data, a->data + a->len, t);
}
rt::Word m_sample(const rt::Dist& d, rt::Rng& rng) {
  const rt::Array* a = array_of(d.a[1]);
  const rt::Dist& in = inner(d);
  const int64_t i = draw(rng, a->len, d.p[0], [&](int64_t k) { return in.ops->log_density(in, a->data[k]); });
  return a->data[i];
}
double m_log_density(const rt::Dist& d, rt::Word t) {
  if (!allowed(d, t)) return kNegInf;
  return inner(d).ops->log_density(inner(d), t) - d.p[0];
}
bool m_in_support(const rt::Dist& d, rt::Word t) { return allowed(d, t) && m_log_density(d, t) > kNegInf; }

// tempered: a[0] the distribution, a[1] the kept ids (sorted), p[0] log Z, p[1] the temperature.
rt::Word t_sample(const rt::Dist& d, rt::Rng& rng) {
  const rt::Array* a = array_of(d.a[1]);
  const rt::Dist& in = inner(d);
  const int64_t i = draw(rng, a->len, d.p[0], [&](int64_t k) { return in.ops->log_density(in, a->data[k]) / d.p[1]; });
  return a->data[i];
}
double t_log_density(const rt::Dist& d, rt::Word t) {
  if (!allowed(d, t)) return kNegInf;
  return inner(d).ops->log_density(inner(d), t) / d.p[1] - d.p[0];
}
bool t_in_support(const rt::Dist& d, rt::Word t) { return allowed(d, t) && t_log_density(d, t) > kNegInf; }

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
    const auto t = static_cast<llm::TokenId>(
        draw(rng, static_cast<int64_t>(lp->size()), 0.0, [&](int64_t i) { return (*lp)[static_cast<size_t>(i)]; }));
    out.push_back(t);
    ctx.push_back(t);
    if (t == eos) break;
  }
  rt::Array* a = rt::array_new_atomic(static_cast<int64_t>(out.size()));
  for (size_t i = 0; i < out.size(); ++i) a->data[i] = out[i];
  return rt::from_ptr(a);
}
double g_log_density(const rt::Dist& d, rt::Word x) {
  const rt::Array* ts = array_of(x);
  const auto max = static_cast<int64_t>(d.p[0]);
  const auto eos = static_cast<int64_t>(d.p[1]);
  if (!ts || ts->len == 0 || ts->len > max) return kNegInf;
  for (int64_t i = 0; i + 1 < ts->len; ++i)
    if (ts->data[i] == eos) return kNegInf;
  if (ts->len < max && ts->data[ts->len - 1] != eos) return kNegInf;
  for (int64_t i = 0; i < ts->len; ++i)
    if (ts->data[i] < 0 || static_cast<size_t>(ts->data[i]) >= lm_of(d).vocab_size()) return kNegInf;
  return sequence_logprob(lm_of(d), array_of(d.a[1]), ts);
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

double log_add(double a, double b) {
  if (!(a > kNegInf)) return b;
  if (!(b > kNegInf)) return a;
  return a > b ? a + std::log1p(std::exp(b - a)) : b + std::log1p(std::exp(a - b));
}

}  // namespace

const rt::DistOps tempered_ops = {
    "tempered", 0, {}, {}, rt::Kind::Int, "the ids kept",
    ok, t_sample, t_log_density, t_in_support, nan, nan, rt::Support::Discrete, nullptr,
};

rt::Dist* make_tempered(const rt::Dist& in, double temperature, int64_t top_k, double top_p) {
  if (!(std::isfinite(temperature) && temperature > 0))
    throw rt::RuntimeError{"", "tempered: temperature is " + std::to_string(temperature) + ", but must be positive"};
  if (top_k < 0) throw rt::RuntimeError{"", "tempered: top_k is " + std::to_string(top_k) + ", but must be >= 0 (0: all)"};
  if (!(top_p > 0 && top_p <= 1)) throw rt::RuntimeError{"", "tempered: top_p must be in (0, 1]"};
  // Ids by tempered log-density, most likely first (lower id on ties).
  std::vector<std::pair<double, rt::Word>> by;
  for (rt::Word t : finite_ids(in, "tempered")) {
    const double l = in.ops->log_density(in, t);
    if (l > kNegInf) by.emplace_back(l / temperature, t);
  }
  if (by.empty()) throw rt::RuntimeError{"", "tempered: the distribution gives every id probability zero"};
  std::stable_sort(by.begin(), by.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (top_k > 0 && static_cast<size_t>(top_k) < by.size()) by.resize(static_cast<size_t>(top_k));
  double log_z = kNegInf;
  for (const auto& [l, t] : by) log_z = log_add(log_z, l);
  if (top_p < 1) {
    double mass = 0;
    size_t keep = 0;
    while (keep < by.size() && mass < top_p) mass += std::exp(by[keep++].first - log_z);
    by.resize(keep);
    log_z = kNegInf;
    for (const auto& [l, t] : by) log_z = log_add(log_z, l);
  }
  rt::Array* ids = rt::array_new_atomic(static_cast<int64_t>(by.size()));
  for (size_t i = 0; i < by.size(); ++i) ids->data[i] = by[i].second;
  std::sort(ids->data, ids->data + ids->len);
  rt::Dist d{};
  d.ops = &tempered_ops;
  d.p[0] = log_z;
  d.p[1] = temperature;
  d.a[0] = rt::from_ptr(rt::dist_box(in));
  d.a[1] = rt::from_ptr(ids);
  return rt::dist_box(d);
}

const rt::DistOps generate_ops = {
    "generate", 0, {}, {}, rt::Kind::Any, "token sequences ending in EOS, or of max_tokens",
    ok, g_sample, g_log_density, g_in_support, nan, nan, rt::Support::Discrete, nullptr,
};

rt::Dist* make_generate(LanguageModel* lm, const rt::Array* prompt, int64_t max_tokens) {
  if (max_tokens < 1) throw rt::RuntimeError{"", "generate: max_tokens is " + std::to_string(max_tokens) + ", but must be at least 1"};
  const llm::TokenId eos = lm->tokenizer().vocab().eos;
  if (eos == llm::kNoToken) throw rt::RuntimeError{"", "generate: the model's vocabulary has no end-of-sequence token"};
  rt::Dist* d = make_next_token(lm, prompt);  // checks the prompt
  d->ops = &generate_ops;
  d->p[0] = static_cast<double>(max_tokens);
  d->p[1] = static_cast<double>(eos);
  return d;
}

const rt::DistOps next_token_ops = {
    "next_token", 0, {}, {}, rt::Kind::Int, "{0, ..., vocabulary size - 1}",
    ok, nt_sample, nt_log_density, nt_in_support, nan, nan, rt::Support::Discrete, nullptr,
};

const rt::DistOps masked_ops = {
    "masked", 0, {}, {}, rt::Kind::Int, "the allowed ids",
    ok, m_sample, m_log_density, m_in_support, nan, nan, rt::Support::Discrete, nullptr,
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
  const std::vector<rt::Word> ids = finite_ids(in, "masked");
  if (allowed_ids->len == 0) throw rt::RuntimeError{"", "masked: the allowed set is empty"};
  rt::Array* sorted = rt::array_new_atomic(allowed_ids->len);
  std::copy(allowed_ids->data, allowed_ids->data + allowed_ids->len, sorted->data);
  std::sort(sorted->data, sorted->data + sorted->len);
  sorted->len = std::unique(sorted->data, sorted->data + sorted->len) - sorted->data;
  for (int64_t i = 0; i < sorted->len; ++i)
    if (!std::binary_search(ids.begin(), ids.end(), sorted->data[i]))
      throw rt::RuntimeError{"", "masked: allowed id " + std::to_string(sorted->data[i]) + " is not a value of " + in.ops->name};
  double log_z = kNegInf;
  for (int64_t i = 0; i < sorted->len; ++i) log_z = log_add(log_z, in.ops->log_density(in, sorted->data[i]));
  if (!(log_z > kNegInf)) throw rt::RuntimeError{"", "masked: the allowed ids have probability zero"};
  rt::Dist d{};
  d.ops = &masked_ops;
  d.p[0] = log_z;
  d.a[0] = rt::from_ptr(rt::dist_box(in));
  d.a[1] = rt::from_ptr(sorted);
  return rt::dist_box(d);
}

double sequence_logprob(LanguageModel& lm, const rt::Array* context, const rt::Array* tokens) {
  std::vector<llm::TokenId> ctx = token_ids(context);
  const std::vector<llm::TokenId> ts = token_ids(tokens);
  double total = 0;
  try {
    for (llm::TokenId t : ts) {
      if (t < 0 || static_cast<size_t>(t) >= lm.vocab_size())
        throw rt::RuntimeError{"", "logprob: token id " + std::to_string(t) + " is out of range"};
      total += (*lm.next_token_logprobs(ctx))[static_cast<size_t>(t)];
      ctx.push_back(t);
    }
  } catch (const llm::LlmError& e) {
    throw rt::RuntimeError{"", e.what()};
  }
  return total;
}

}  // namespace borel::lm
