// TokenDists.h — the language model as a distribution (DESIGN.md, decision
// 6) and the proposal that steers it, as Borel Dist values:
//
//   next_token(lm, context)  Dist[int] over the vocabulary: the model's
//                            log p(t | context) (LanguageModel.h), exact;
//   masked(d, allowed)       d restricted to the ids in `allowed` and
//                            renormalised: log_density(t) = log d(t) − log Z,
//                            Z = Σ_{t ∈ allowed} d(t) (computed once, when the
//                            value is made), −∞ outside. With
//                            guided(next_token(lm, c), masked(next_token(lm, c), A))
//                            the importance weight is exactly log Z, the mass
//                            the mask kept: the locally normalised proposal of
//                            SMC steering (LLaMPPL), so every inference method
//                            still targets the model as written.
//
//   generate(lm, prompt, max_tokens)
//                            Dist[[int]]: continuations drawn token by token
//                            until EOS (kept as the last token) or max_tokens;
//                            log_density(ts) is the exact Σ log p(t_i | prompt,
//                            t_<i) of that sequence (−∞ for one that could not
//                            be drawn: longer than max_tokens, EOS before the
//                            end, or shorter without EOS). Values are token ids,
//                            not text, so a value has one tokenization and its
//                            density is exact (detokenize gives the text);
//                            observe(generate(..), ts) is the LM as a likelihood.
//   tempered(d, temperature, top_k, top_p)
//                            a proposal: d's log-densities divided by the
//                            temperature, kept to the top_k most likely ids
//                            (0: all) and then to the smallest set of the
//                            most likely whose mass reaches top_p,
//                            renormalised (the engine's Sampling.h order).
//                            guided(d, tempered(d, ...)) corrects the weight
//                            by log d − log q, so the target stays d.
//
//   judge(lm, prompt, yes, no)
//                            Dist[bool]: the model as a judge — true with
//                            probability p(yes | prompt) / (p(yes | prompt) +
//                            p(no | prompt)), the answers' text
//                            log-probabilities (LanguageModel::text_logprobs:
//                            every token of a multi-token answer).
//                            observe(judge(..), true) weighs a particle by
//                            the verdict (a reward as a likelihood); pending
//                            until computed, so SMC asks for all particles'
//                            verdicts in one call (one batch, or concurrent
//                            requests to a server).
//   generate_text(lm, prompt, max_tokens, stop)
//                            Dist[string]: continuations drawn by the model
//                            (LanguageModel::sample_text); log_density(x) is
//                            log p(x | prompt), the probability of x's tokens
//                            as a continuation (not of stopping after them).
//                            Works on a server.
//
// `masked` and `tempered` work for any distribution over a finite set of ints whose
// log-density it can evaluate (next_token, categorical, discrete_uniform...).
// Errors (rt::RuntimeError, no location: the ABI adds it): an empty allowed
// set or one of probability zero, an id out of range.
#pragma once

#include "LanguageModel.h"
#include "runtime/Dist.h"

namespace borel::lm {

extern const rt::DistOps next_token_ops;
extern const rt::DistOps masked_ops;
extern const rt::DistOps tempered_ops;
extern const rt::DistOps generate_ops;
extern const rt::DistOps judge_ops;
extern const rt::DistOps generate_text_ops;

// The value of `llm(path)`: a plain pointer to a model loaded for the process.
rt::Dist* make_next_token(LanguageModel* lm, const rt::Array* context);
rt::Dist* make_masked(const rt::Dist& d, const rt::Array* allowed);
// Throws unless max_tokens >= 1 and the model has an EOS token.
rt::Dist* make_generate(LanguageModel* lm, const rt::Array* prompt, int64_t max_tokens);
// Throws when the answers are empty or equal.
rt::Dist* make_judge(LanguageModel* lm, const std::string& prompt, const std::string& yes, const std::string& no);
// Throws unless max_tokens >= 1.
rt::Dist* make_generate_text(LanguageModel* lm, const std::string& prompt, int64_t max_tokens, const std::string& stop);
// log p(text | prompt) (LanguageModel::text_logprobs).
double text_logprob(LanguageModel& lm, const std::string& prompt, const std::string& text);
// Throws unless temperature > 0 (finite), top_k >= 0 and 0 < top_p <= 1.
rt::Dist* make_tempered(const rt::Dist& d, double temperature, int64_t top_k, double top_p);

// A token id drawn from a vector of log-probabilities (inverse CDF on one
// uniform of rng; ids of probability zero never).
int64_t draw_token(rt::Rng& rng, const std::vector<double>& logprobs);

// log p(tokens | context) by the chain rule over the cached next-token
// distributions.
double sequence_logprob(LanguageModel& lm, const rt::Array* context, const rt::Array* tokens);

// The context of a next_token Dist as token ids.
std::vector<llm::TokenId> token_ids(const rt::Array* a);

}  // namespace borel::lm
