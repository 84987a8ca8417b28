#include "BatchDecoder.h"

#include "Error.h"
#include "Sampling.h"

namespace borel::llm {

BatchDecoder::BatchDecoder(std::shared_ptr<const Model> model, KvCache& cache, unsigned n_threads)
    : model_(std::move(model)), cache_(cache), pool_(n_threads), forward_(*model_, pool_) {}

LogitRows BatchDecoder::eval(std::span<const BatchEntry> batch) {
  forward_.run(batch, cache_, logits_);
  const size_t V = model_->config().n_vocab;
  return LogitRows(logits_.data(), logits_.size() / V, V);
}

std::span<const float> BatchDecoder::prefill(Sequence& seq, std::span<const TokenId> tokens) {
  if (tokens.empty()) throw LlmError("prefill: no tokens given");
  BatchEntry e{&seq, tokens, LogitsMode::Last};
  return eval({&e, 1})[0];
}

LogitRows BatchDecoder::decode(std::span<Sequence* const> seqs, std::span<const TokenId> tokens) {
  if (seqs.size() != tokens.size())
    throw LlmError("decode: " + std::to_string(seqs.size()) + " sequences but " + std::to_string(tokens.size()) + " tokens");
  entries_.resize(seqs.size());
  for (size_t i = 0; i < seqs.size(); ++i) entries_[i] = BatchEntry{seqs[i], tokens.subspan(i, 1), LogitsMode::Last};
  return eval(entries_);
}

std::vector<ScoreResult> BatchDecoder::score_many(std::span<const Sequence* const> contexts,
                                                  std::span<const std::vector<TokenId>> continuations) {
  if (contexts.size() != continuations.size())
    throw LlmError("score: " + std::to_string(contexts.size()) + " contexts but " + std::to_string(continuations.size()) +
                   " continuations");
  // The logits that predict continuation[0] come from the context's last
  // token, which the cache does not keep: re-run that one token on a fork cut
  // just before it (copy-on-write keeps the context itself untouched).
  std::vector<Sequence> forks;
  std::vector<std::vector<TokenId>> inputs(contexts.size());
  forks.reserve(contexts.size());
  entries_.clear();
  for (size_t i = 0; i < contexts.size(); ++i) {
    if (!contexts[i] || contexts[i]->empty()) throw LlmError("score: the context must hold at least one token (e.g. BOS)");
    Sequence f = contexts[i]->fork();
    inputs[i].push_back(contexts[i]->tokens().back());
    inputs[i].insert(inputs[i].end(), continuations[i].begin(), continuations[i].end());
    f.truncate(f.size() - 1);
    forks.push_back(std::move(f));
  }
  for (size_t i = 0; i < contexts.size(); ++i) entries_.push_back({&forks[i], inputs[i], LogitsMode::All});
  LogitRows rows = eval(entries_);
  std::vector<ScoreResult> out(contexts.size());
  size_t r = 0;
  for (size_t i = 0; i < contexts.size(); ++i) {
    const auto& cont = continuations[i];
    for (size_t j = 0; j < cont.size(); ++j) {
      double lp = log_softmax_at(rows[r + j], cont[j]);
      out[i].token_logprobs.push_back(lp);
      out[i].total += lp;
    }
    r += cont.size() + 1;
  }
  return out;
}

ScoreResult BatchDecoder::score(const Sequence& context, std::span<const TokenId> continuation, Sequence* extended) {
  const Sequence* ctx = &context;
  std::vector<TokenId> cont(continuation.begin(), continuation.end());
  if (!extended) return std::move(score_many({&ctx, 1}, {&cont, 1})[0]);
  // Same as score_many, keeping the fork.
  if (context.empty()) throw LlmError("score: the context must hold at least one token (e.g. BOS)");
  Sequence f = context.fork();
  std::vector<TokenId> input{context.tokens().back()};
  input.insert(input.end(), cont.begin(), cont.end());
  f.truncate(f.size() - 1);
  BatchEntry e{&f, input, LogitsMode::All};
  LogitRows rows = eval({&e, 1});
  ScoreResult res;
  for (size_t j = 0; j < cont.size(); ++j) {
    double lp = log_softmax_at(rows[j], cont[j]);
    res.token_logprobs.push_back(lp);
    res.total += lp;
  }
  *extended = std::move(f);
  return res;
}

}  // namespace borel::llm
