// LanguageModel.cpp — see LanguageModel.h.
#include "LanguageModel.h"

#include <cstring>

namespace borel::lm {

std::shared_ptr<LanguageModel> LanguageModel::load(const std::string& path) {
  static std::mutex m;
  // Models stay loaded for the process: programs hold them as plain pointers.
  static std::unordered_map<std::string, std::shared_ptr<LanguageModel>> loaded;
  std::lock_guard<std::mutex> lock(m);
  if (auto it = loaded.find(path); it != loaded.end())
    return it->second;
  auto lm = std::make_shared<LanguageModel>(llm::Model::load(path));
  lm->path_ = path;
  loaded[path] = lm;
  return lm;
}

LanguageModel::LanguageModel(std::shared_ptr<const llm::Model> model, size_t max_entries)
    : model_(std::move(model)),
      max_entries_(max_entries),
      // An F32 KV cache: next_token is the model's own distribution, as an
      // F32 engine computes it (tests/lang/llm check evidences against
      // llama.cpp's to 1e-5); the F16 default would move log-probabilities by
      // up to ~1e-2 (stdlib/llm/KvCache.h).
      cache_(model_->config(), 16, 0, llm::KvType::F32),
      decoder_(model_, cache_, 1) {}

std::string LanguageModel::key(std::span<const llm::TokenId> tokens) {
  std::string k(tokens.size() * sizeof(llm::TokenId), '\0');
  if (!tokens.empty()) std::memcpy(k.data(), tokens.data(), k.size());
  return k;
}

std::shared_ptr<const std::vector<double>> LanguageModel::next_token_logprobs(std::span<const llm::TokenId> context) {
  if (context.empty()) throw llm::LlmError("next_token: the context is empty (it needs at least the BOS token)");
  for (llm::TokenId t : context)
    if (t < 0 || static_cast<size_t>(t) >= vocab_size())
      throw llm::LlmError("next_token: token id " + std::to_string(t) + " is out of range (the vocabulary has " +
                          std::to_string(vocab_size()) + " tokens)");
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = entries_.find(key(context)); it != entries_.end()) {
    ++hits_;
    return it->second.logprobs;
  }
  if (entries_.size() >= max_entries_) entries_.clear();
  // The longest cached proper prefix, forked; else a fresh sequence.
  llm::Sequence seq;
  size_t have = 0;
  for (size_t n = context.size() - 1; n > 0; --n)
    if (auto it = entries_.find(key(context.first(n))); it != entries_.end()) {
      seq = it->second.sequence.fork();
      have = n;
      break;
    }
  if (have == 0) seq = cache_.new_sequence();
  const std::span<const float> logits = decoder_.prefill(seq, context.subspan(have));
  decoded_ += context.size() - have;
  auto lp = std::make_shared<const std::vector<double>>(llm::log_softmax(logits));
  entries_.emplace(key(context), Entry{std::move(seq), lp});
  return lp;
}

}  // namespace borel::lm
