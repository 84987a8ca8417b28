// Sampling.h — turning logits into tokens, with exact log-probabilities.
//
// The model's distribution p is softmax(logits). A sampler draws from a
// modified proposal q instead: a token mask (the allowed set), then
// temperature, then top-k, then top-p (nucleus), applied in that order, and
// renormalised. Every draw reports log p(token) and log q(token), so a
// particle method can weight it by p/q (or by p^α/q for tempering) and stay
// exact. Temperature 0 means greedy: q puts all mass on the argmax (lowest id
// on ties).
//
// Guarantees: q is a proper distribution on the tokens it keeps (log q =
// -inf on the rest, never NaN); all sums are in double; the same logits,
// settings and uniform number u give the same token on every machine.
#pragma once

#include "Vocab.h"

#include <cstdint>
#include <span>
#include <vector>

namespace borel::llm {

// log softmax(logits)[i], computed in double.
std::vector<double> log_softmax(std::span<const float> logits);
double log_softmax_at(std::span<const float> logits, TokenId token);
// Index of the largest logit (lowest index on ties).
TokenId argmax(std::span<const float> logits);

struct SamplingParams {
  // Softmax temperature: logits / T; 0 = greedy. Must be >= 0.
  double temperature = 1.0;
  // Keep only the k most probable tokens (0 = all).
  size_t top_k = 0;
  // Keep the smallest set of most probable tokens whose probability reaches
  // top_p (1 = all); always keeps at least one token. Must be in (0, 1].
  double top_p = 1.0;
  // Allowed tokens: mask[i] != 0 allows token i. Empty = all allowed.
  std::span<const uint8_t> mask;
};

// Throws LlmError when temperature or top_p is out of its range above; the
// samplers call it, and so can a command before it does any work.
void check_params(const SamplingParams& params);

struct SampledToken {
  TokenId token = kNoToken;
  double logp_model = 0;     // log p(token): the unmodified model
  double logp_proposal = 0;  // log q(token): what was actually sampled from
};

// The proposal q for given logits and settings, with p alongside.
class Proposal {
public:
  Proposal(std::span<const float> logits, const SamplingParams& params);

  double logp_model(TokenId t) const { return logp_model_.at(size_t(t)); }
  double logp_proposal(TokenId t) const { return logq_.at(size_t(t)); }
  const std::vector<double>& model_logprobs() const { return logp_model_; }
  const std::vector<double>& proposal_logprobs() const { return logq_; }
  // Tokens with non-zero proposal probability, most probable first.
  const std::vector<TokenId>& support() const { return support_; }

  // Inverse-CDF draw over support() for u in [0, 1).
  SampledToken sample(double u) const;

private:
  std::vector<double> logp_model_, logq_;
  std::vector<TokenId> support_;
  std::vector<double> cdf_;
};

inline SampledToken sample(std::span<const float> logits, const SamplingParams& params, double u) {
  return Proposal(logits, params).sample(u);
}

// A uniform double in [0, 1) from 53 random bits of any 64-bit generator
// (the same on every standard library, unlike std::uniform_real_distribution).
template <class Rng>
double uniform01(Rng& rng) {
  return double(rng() >> 11) * 0x1.0p-53;
}

}  // namespace borel::llm
