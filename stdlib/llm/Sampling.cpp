#include "Sampling.h"

#include "Error.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace borel::llm {

namespace {

double log_sum_exp(std::span<const double> x) {
  double mx = -INFINITY;
  for (double v : x) mx = std::max(mx, v);
  if (mx == -INFINITY) return -INFINITY;
  double s = 0;
  for (double v : x) s += std::exp(v - mx);
  return mx + std::log(s);
}

}  // namespace

std::vector<double> log_softmax(std::span<const float> logits) {
  std::vector<double> out(logits.begin(), logits.end());
  const double lse = log_sum_exp(out);
  for (double& v : out) v -= lse;
  return out;
}

double log_softmax_at(std::span<const float> logits, TokenId token) {
  if (token < 0 || size_t(token) >= logits.size())
    throw LlmError("log_softmax: token " + std::to_string(token) + " is out of range [0, " + std::to_string(logits.size()) + ")");
  double mx = -INFINITY;
  for (float v : logits) mx = std::max(mx, double(v));
  double s = 0;
  for (float v : logits) s += std::exp(double(v) - mx);
  return double(logits[size_t(token)]) - mx - std::log(s);
}

TokenId argmax(std::span<const float> logits) {
  if (logits.empty()) throw LlmError("argmax: no logits");
  return TokenId(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

void check_params(const SamplingParams& params) {
  if (!(params.temperature >= 0) || !std::isfinite(params.temperature))
    throw LlmError("sampling: temperature is " + std::to_string(params.temperature) + ", but must be >= 0 and finite");
  if (!(params.top_p > 0 && params.top_p <= 1))
    throw LlmError("sampling: top_p is " + std::to_string(params.top_p) + ", but must be in (0, 1]");
}

Proposal::Proposal(std::span<const float> logits, const SamplingParams& params) {
  const size_t V = logits.size();
  if (V == 0) throw LlmError("sampling: no logits");
  check_params(params);
  if (!params.mask.empty() && params.mask.size() != V)
    throw LlmError("sampling: the mask has " + std::to_string(params.mask.size()) + " entries, but the vocabulary has " +
                   std::to_string(V));
  for (float v : logits)
    if (std::isnan(v)) throw LlmError("sampling: the logits contain NaN");

  logp_model_ = log_softmax(logits);

  // Candidates: allowed tokens, most probable first (lowest id on ties).
  std::vector<TokenId> cand;
  cand.reserve(V);
  for (size_t i = 0; i < V; ++i)
    if (params.mask.empty() || params.mask[i]) cand.push_back(TokenId(i));
  if (cand.empty()) throw LlmError("sampling: the mask allows no token");
  auto by_prob = [&](TokenId a, TokenId b) {
    return logits[size_t(a)] > logits[size_t(b)] || (logits[size_t(a)] == logits[size_t(b)] && a < b);
  };
  size_t keep = cand.size();
  if (params.temperature == 0) keep = 1;
  if (params.top_k > 0) keep = std::min(keep, params.top_k);
  if (keep < cand.size() && params.top_p >= 1) {
    std::partial_sort(cand.begin(), cand.begin() + keep, cand.end(), by_prob);
  } else {
    std::sort(cand.begin(), cand.end(), by_prob);
  }
  cand.resize(keep);

  // Tempered log-weights of the kept candidates.
  std::vector<double> w(cand.size());
  const double T = params.temperature == 0 ? 1.0 : params.temperature;
  for (size_t i = 0; i < cand.size(); ++i) w[i] = double(logits[size_t(cand[i])]) / T;
  double lse = log_sum_exp(w);
  if (params.top_p < 1) {
    // Smallest prefix whose probability reaches top_p.
    double cum = 0;
    size_t n = 0;
    while (n < cand.size()) {
      cum += std::exp(w[n] - lse);
      ++n;
      if (cum >= params.top_p) break;
    }
    cand.resize(n);
    w.resize(n);
    lse = log_sum_exp(w);
  }

  logq_.assign(V, -INFINITY);
  support_ = cand;
  cdf_.resize(cand.size());
  double cum = 0;
  for (size_t i = 0; i < cand.size(); ++i) {
    const double lq = w[i] - lse;
    logq_[size_t(cand[i])] = lq;
    cum += std::exp(lq);
    cdf_[i] = cum;
  }
}

SampledToken Proposal::sample(double u) const {
  if (!(u >= 0 && u < 1)) throw LlmError("sampling: u is " + std::to_string(u) + ", but must be in [0, 1)");
  // Scale by the final sum so rounding in the cdf never leaves u past the end.
  const double x = u * cdf_.back();
  size_t i = size_t(std::upper_bound(cdf_.begin(), cdf_.end(), x) - cdf_.begin());
  if (i >= support_.size()) i = support_.size() - 1;
  const TokenId t = support_[i];
  return {t, logp_model_[size_t(t)], logq_[size_t(t)]};
}

}  // namespace borel::llm
