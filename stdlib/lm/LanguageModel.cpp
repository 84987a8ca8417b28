// LanguageModel.cpp — see LanguageModel.h.
#include "LanguageModel.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

namespace borel::lm {

namespace {
constexpr size_t kCacheBytes = size_t{256} << 20;
}

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
      max_entries_(max_entries > 0 ? max_entries
                                   : std::max<size_t>(64, kCacheBytes / (sizeof(double) * std::max<size_t>(1, model_->tokenizer().size())))),
      cache_(model_->config()), decoder_(model_, cache_, 1) {}

std::string LanguageModel::key(std::span<const llm::TokenId> tokens) {
  std::string k(tokens.size() * sizeof(llm::TokenId), '\0');
  if (!tokens.empty()) std::memcpy(k.data(), tokens.data(), k.size());
  return k;
}

void LanguageModel::check(std::span<const llm::TokenId> context) const {
  if (context.empty()) throw llm::LlmError("next_token: the context is empty (it needs at least the BOS token)");
  for (llm::TokenId t : context)
    if (t < 0 || static_cast<size_t>(t) >= vocab_size())
      throw llm::LlmError("next_token: token id " + std::to_string(t) + " is out of range (the vocabulary has " +
                          std::to_string(vocab_size()) + " tokens)");
}

std::pair<llm::Sequence, size_t> LanguageModel::fork_longest_prefix(std::span<const llm::TokenId> context) {
  for (size_t n = context.size() - 1; n > 0; --n)
    if (auto it = entries_.find(key(context.first(n))); it != entries_.end()) return {it->second.sequence.fork(), n};
  return {cache_.new_sequence(), 0};
}

void LanguageModel::insert(std::span<const llm::TokenId> context, llm::Sequence seq, std::span<const float> logits) {
  auto lp = std::make_shared<const std::vector<double>>(llm::log_softmax(logits));
  entries_.emplace(key(context), Entry{std::move(seq), std::move(lp)});
}

void LanguageModel::forget() {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.clear();
}

bool LanguageModel::cached(std::span<const llm::TokenId> context) {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.contains(key(context));
}

std::shared_ptr<const std::vector<double>> LanguageModel::next_token_logprobs(std::span<const llm::TokenId> context) {
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

double LanguageModel::sequence_logprob(std::span<const llm::TokenId> context, std::span<const llm::TokenId> tokens) {
  check(context);
  if (tokens.empty()) return 0.0;
  for (llm::TokenId t : tokens)
    if (t < 0 || static_cast<size_t>(t) >= vocab_size())
      throw llm::LlmError("logprob: token id " + std::to_string(t) + " is out of range (the vocabulary has " +
                          std::to_string(vocab_size()) + " tokens)");
  double total = (*next_token_logprobs(context))[static_cast<size_t>(tokens[0])];
  if (tokens.size() == 1) return total;
  std::lock_guard<std::mutex> lock(mutex_);
  // The context's sequence (cached just above, unless another thread's
  // insertion emptied the cache meanwhile), extended by all but the last
  // token with the logits after each.
  llm::Sequence seq;
  std::vector<llm::TokenId> input;
  if (auto it = entries_.find(key(context)); it != entries_.end()) {
    seq = it->second.sequence.fork();
  } else {
    seq = cache_.new_sequence();
    input.assign(context.begin(), context.end() - 1);
    if (!input.empty()) {
      decoder_.prefill(seq, input);
      decoded_ += input.size();
      ++calls_;
    }
    input.assign(1, context.back());
  }
  // After the context's own last token (when re-decoded) come the
  // continuation's tokens; a row predicts the token after it.
  const size_t skip = input.size();
  input.insert(input.end(), tokens.begin(), tokens.end() - 1);
  const llm::BatchEntry entry{&seq, input, llm::LogitsMode::All};
  const llm::LogitRows rows = decoder_.eval({&entry, 1});
  decoded_ += input.size();
  ++calls_;
  for (size_t i = 1; i < tokens.size(); ++i)
    total += llm::log_softmax(rows[skip + i - 1])[static_cast<size_t>(tokens[i])];
  return total;
}

void LanguageModel::prefetch(std::span<const std::vector<llm::TokenId>> contexts) {
  for (const auto& c : contexts) check(c);
  std::lock_guard<std::mutex> lock(mutex_);
  // The contexts to compute, each once, in the order given.
  std::vector<const std::vector<llm::TokenId>*> todo;
  std::unordered_set<std::string> seen;
  for (const auto& c : contexts)
    if (!entries_.contains(key(c)) && seen.insert(key(c)).second) todo.push_back(&c);
  if (todo.empty()) return;
  if (entries_.size() + todo.size() > max_entries_) entries_.clear();
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
