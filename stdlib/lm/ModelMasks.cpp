// ModelMasks.cpp — see ModelMasks.h.
#include "ModelMasks.h"

#include <gc/gc.h>

#include <map>
#include <mutex>

namespace borel::lm {

std::shared_ptr<const TokenIndex> index_of(const LanguageModel& lm) {
  static std::mutex mutex;
  static std::map<const LanguageModel*, std::shared_ptr<const TokenIndex>> indexes;
  std::lock_guard lock(mutex);
  auto& slot = indexes[&lm];
  if (!slot) slot = TokenIndex::of(lm.tokenizer());
  return slot;
}

const rt::Array* uncollectable_array(const std::vector<llm::TokenId>& ids) {
  auto* a = static_cast<rt::Array*>(GC_MALLOC_ATOMIC_UNCOLLECTABLE(sizeof(rt::Array) + sizeof(rt::Word) * ids.size()));
  if (!a) throw std::bad_alloc();
  a->len = static_cast<int64_t>(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) a->data[i] = ids[i];
  return a;
}

const rt::Array* text_tokens(const LanguageModel& lm) {
  std::shared_ptr<const TokenIndex> index = index_of(lm);
  static std::mutex mutex;
  static std::map<const LanguageModel*, const rt::Array*> arrays;
  std::lock_guard lock(mutex);
  auto& slot = arrays[&lm];
  if (!slot) slot = uncollectable_array(index->text_ids());
  return slot;
}

}  // namespace borel::lm
