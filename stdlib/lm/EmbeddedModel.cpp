// EmbeddedModel.cpp — see EmbeddedModel.h.
#include "EmbeddedModel.h"

#include "TokenDists.h"
#include "runtime/Rng.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_set>

namespace borel::lm {

namespace {
constexpr size_t kCacheBytes = size_t{256} << 20;
}

std::shared_ptr<EmbeddedModel> EmbeddedModel::load(const std::string& path) {
  static std::mutex m;
  // Models stay loaded for the process: programs hold them as plain pointers.
  static std::unordered_map<std::string, std::shared_ptr<EmbeddedModel>> loaded;
  std::lock_guard<std::mutex> lock(m);
  if (auto it = loaded.find(path); it != loaded.end())
    return it->second;
  auto lm = std::make_shared<EmbeddedModel>(llm::Model::load(path));
  lm->path_ = path;
  loaded[path] = lm;
  return lm;
}

EmbeddedModel::EmbeddedModel(std::shared_ptr<const llm::Model> model, size_t max_entries)
    : model_(std::move(model)),
      max_entries_(max_entries > 0 ? max_entries
                                   : std::max<size_t>(64, kCacheBytes / (sizeof(double) * std::max<size_t>(1, model_->tokenizer().size())))),
      // An F32 KV cache: next_token is the model's own distribution, as an
      // F32 engine computes it (tests/lang/llm check evidences against
      // llama.cpp's to 1e-5); the F16 default would move log-probabilities by
      // up to ~1e-2 (stdlib/llm/KvCache.h).
      cache_(model_->config(), 16, 0, llm::KvType::F32), decoder_(model_, cache_, 1) {}

std::string EmbeddedModel::key(std::span<const llm::TokenId> tokens) {
  std::string k(tokens.size() * sizeof(llm::TokenId), '\0');
  if (!tokens.empty()) std::memcpy(k.data(), tokens.data(), k.size());
  return k;
}

void EmbeddedModel::check(std::span<const llm::TokenId> context) const {
  if (context.empty()) throw llm::LlmError("next_token: the context is empty (it needs at least the BOS token)");
  for (llm::TokenId t : context)
    if (t < 0 || static_cast<size_t>(t) >= vocab_size())
      throw llm::LlmError("next_token: token id " + std::to_string(t) + " is out of range (the vocabulary has " +
                          std::to_string(vocab_size()) + " tokens)");
}

std::pair<llm::Sequence, size_t> EmbeddedModel::fork_longest_prefix(std::span<const llm::TokenId> context) {
  for (size_t n = context.size() - 1; n > 0; --n)
    if (auto it = entries_.find(key(context.first(n))); it != entries_.end()) return {it->second.sequence.fork(), n};
  return {cache_.new_sequence(), 0};
}

void EmbeddedModel::insert(std::span<const llm::TokenId> context, llm::Sequence seq, std::span<const float> logits) {
  auto lp = std::make_shared<const std::vector<double>>(llm::log_softmax(logits));
  entries_.emplace(key(context), Entry{std::move(seq), std::move(lp)});
}

void EmbeddedModel::forget() {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.clear();
}

bool EmbeddedModel::cached(std::span<const llm::TokenId> context) {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.contains(key(context));
}

std::shared_ptr<const std::vector<double>> EmbeddedModel::next_token_logprobs(std::span<const llm::TokenId> context) {
  check(context);
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string k = key(context);
  if (auto it = entries_.find(k); it != entries_.end()) {
    ++hits_;
    return it->second.logprobs;
  }
  if (entries_.size() >= max_entries_) entries_.clear();
  auto [seq, have] = fork_longest_prefix(context);
  const std::span<const float> logits = decoder_.prefill(seq, context.subspan(have));
  decoded_ += context.size() - have;
  ++calls_;
  insert(context, std::move(seq), logits);
  return entries_.at(k).logprobs;
}

double EmbeddedModel::sequence_logprob(std::span<const llm::TokenId> context, std::span<const llm::TokenId> tokens) {
  check(context);
  for (llm::TokenId t : tokens)
    if (t < 0 || static_cast<size_t>(t) >= vocab_size())
      throw llm::LlmError("logprob: token id " + std::to_string(t) + " is out of range (the vocabulary has " +
                          std::to_string(vocab_size()) + " tokens)");
  if (tokens.empty()) return 0.0;
  const std::vector<llm::TokenId> ctx(context.begin(), context.end());
  std::lock_guard<std::mutex> lock(mutex_);
  prefetch_locked({&ctx, 1});
  // One pass over the tokens from the context's cached sequence (left as it
  // is), the same arithmetic as the HTTP server's scores.
  const llm::ScoreResult r = decoder_.score(entries_.at(key(context)).sequence, tokens);
  decoded_ += tokens.size();
  ++calls_;
  return r.total;
}

std::vector<double> EmbeddedModel::sequence_logprobs(std::span<const TokenPair> pairs) {
  std::vector<std::vector<llm::TokenId>> contexts, texts;
  for (const TokenPair& p : pairs) {
    check(p.context);
    for (llm::TokenId t : p.tokens)
      if (t < 0 || static_cast<size_t>(t) >= vocab_size())
        throw llm::LlmError("logprob: token id " + std::to_string(t) + " is out of range (the vocabulary has " +
                            std::to_string(vocab_size()) + " tokens)");
    if (p.tokens.empty()) continue;  // log p = 0, no pass
    contexts.push_back(p.context);
    texts.push_back(p.tokens);
  }
  std::vector<double> out(pairs.size(), 0.0);
  if (contexts.empty()) return out;
  const std::vector<double> scored = score_all(contexts, texts);
  for (size_t i = 0, k = 0; i < pairs.size(); ++i)
    if (!pairs[i].tokens.empty()) out[i] = scored[k++];
  return out;
}

std::vector<double> EmbeddedModel::text_logprobs(std::span<const TextPair> pairs) {
  const llm::Tokenizer& tok = tokenizer();
  std::vector<std::vector<llm::TokenId>> contexts, texts;
  for (const TextPair& p : pairs) {
    const std::vector<llm::TokenId> p_ids = tok.encode(p.prompt, true);
    std::vector<llm::TokenId> all = tok.encode(p.prompt + p.text, true);
    size_t common = 0;
    while (common < p_ids.size() && common < all.size() && p_ids[common] == all[common]) ++common;
    if (common == 0)
      throw llm::LlmError("the prompt \"" + p.prompt.substr(0, 40) + "\" gives no token to condition on (the model has no BOS token)");
    texts.emplace_back(all.begin() + static_cast<std::ptrdiff_t>(common), all.end());
    all.resize(common);
    contexts.push_back(std::move(all));
  }
  return score_all(contexts, texts);
}

std::vector<double> EmbeddedModel::score_all(std::span<const std::vector<llm::TokenId>> contexts,
                                             std::span<const std::vector<llm::TokenId>> texts) {
  std::lock_guard<std::mutex> lock(mutex_);
  prefetch_locked(contexts);
  std::vector<const llm::Sequence*> seqs;
  for (const auto& c : contexts) seqs.push_back(&entries_.at(key(c)).sequence);
  const std::vector<llm::ScoreResult> rs = decoder_.score_many(seqs, texts);
  ++calls_;
  std::vector<double> out;
  for (size_t i = 0; i < rs.size(); ++i) {
    decoded_ += texts[i].size();
    out.push_back(rs[i].total);
  }
  return out;
}

std::string EmbeddedModel::sample_text(const std::string& prompt, int64_t max_tokens, const std::string& stop,
                                       uint64_t seed) {
  const llm::Tokenizer& tok = tokenizer();
  std::vector<llm::TokenId> ids = tok.encode(prompt, true);
  const size_t prompt_len = ids.size();
  const llm::TokenId eos = tok.vocab().eos;
  rt::Rng rng(seed);
  const std::string before = tok.decode(ids, true);
  std::string text;
  for (int64_t n = 0; n < max_tokens; ++n) {
    const auto t = static_cast<llm::TokenId>(draw_token(rng, *next_token_logprobs(ids)));
    if (t == eos) break;
    ids.push_back(t);
    const std::string all = tok.decode(ids, true);
    text = all.compare(0, before.size(), before) == 0 ? all.substr(before.size()) : tok.decode({ids.begin() + static_cast<std::ptrdiff_t>(prompt_len), ids.end()}, true);
    if (!stop.empty())
      if (const size_t at = text.find(stop); at != std::string::npos) return text.substr(0, at);
  }
  return text;
}

void EmbeddedModel::prefetch(std::span<const std::vector<llm::TokenId>> contexts) {
  std::lock_guard<std::mutex> lock(mutex_);
  prefetch_locked(contexts);
}

void EmbeddedModel::prefetch_locked(std::span<const std::vector<llm::TokenId>> contexts) {
  for (const auto& c : contexts) check(c);
  // The contexts to compute, each once, in the order given.
  std::vector<const std::vector<llm::TokenId>*> todo;
  auto missing = [&] {
    todo.clear();
    std::unordered_set<std::string> seen;
    for (const auto& c : contexts)
      if (!entries_.contains(key(c)) && seen.insert(key(c)).second) todo.push_back(&c);
  };
  missing();
  if (todo.empty()) return;
  // Every context must be cached on return (callers read their entries), so
  // after emptying a full cache all of them are computed.
  if (entries_.size() + todo.size() > max_entries_) {
    entries_.clear();
    missing();
  }
  std::vector<llm::Sequence> seqs;
  std::vector<llm::BatchEntry> batch;
  seqs.reserve(todo.size());
  batch.reserve(todo.size());
  for (const auto* c : todo) {
    auto [seq, have] = fork_longest_prefix(*c);
    seqs.push_back(std::move(seq));
    batch.push_back(llm::BatchEntry{nullptr, std::span<const llm::TokenId>(*c).subspan(have), llm::LogitsMode::Last});
    decoded_ += c->size() - have;
  }
  for (size_t i = 0; i < seqs.size(); ++i) batch[i].seq = &seqs[i];
  const llm::LogitRows rows = decoder_.eval(batch);
  ++calls_;
  for (size_t i = 0; i < todo.size(); ++i) insert(*todo[i], std::move(seqs[i]), rows[i]);
}

}  // namespace borel::lm
