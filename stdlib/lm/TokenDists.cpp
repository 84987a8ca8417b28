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

}  // namespace

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
  if (allowed_ids->len == 0) throw rt::RuntimeError{"", "masked: the allowed set is empty"};
  rt::Array* sorted = rt::array_new_atomic(allowed_ids->len);
  std::copy(allowed_ids->data, allowed_ids->data + allowed_ids->len, sorted->data);
  std::sort(sorted->data, sorted->data + sorted->len);
  sorted->len = std::unique(sorted->data, sorted->data + sorted->len) - sorted->data;
  double log_z = kNegInf;
  for (int64_t i = 0; i < sorted->len; ++i) {
    const double l = in.ops->log_density(in, sorted->data[i]);
    if (l > kNegInf) log_z = log_z > l ? log_z + std::log1p(std::exp(l - log_z)) : l + std::log1p(std::exp(log_z - l));
  }
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
