// GrammarMask.cpp — see GrammarMask.h.
#include "GrammarMask.h"

#include <map>

#include "ModelMasks.h"

namespace borel::lm {

GrammarMask* GrammarMask::get(const std::string& text) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<GrammarMask>> handles;
  std::lock_guard lock(mutex);
  auto& slot = handles[text];
  if (!slot) {
    try {
      slot.reset(new GrammarMask(text));
    } catch (...) {
      handles.erase(text);
      throw;
    }
  }
  return slot.get();
}

// Under the lock.
Grammar::State GrammarMask::walk(std::string_view text) {
  if (g_.states() > Grammar::kMaxStates) {
    g_.clear();
    for (auto& [lm, m] : models_) m.by_state.clear();
  }
  return g_.walk(g_.start(), text);
}

const rt::Array* GrammarMask::allowed(LanguageModel& lm, std::string_view text) {
  std::shared_ptr<const TokenIndex> index = index_of(lm);  // before the lock: may load a vocabulary
  std::lock_guard lock(mutex_);
  PerModel& m = models_[&lm];
  if (!m.index) m.index = std::move(index);
  const Grammar::State s = walk(text);
  const auto k = static_cast<size_t>(s);
  if (m.by_state.size() <= k) m.by_state.resize(k + 1, nullptr);
  if (!m.by_state[k]) {
    const std::vector<llm::TokenId> ids = m.index->allowed_in(g_, s);
    ++scans_;
    m.by_state[k] = uncollectable_array(ids);
  }
  return m.by_state[k];
}

bool GrammarMask::matches(std::string_view text) {
  std::lock_guard lock(mutex_);
  return g_.accepting(walk(text));
}

bool GrammarMask::viable(std::string_view text) {
  std::lock_guard lock(mutex_);
  return !g_.dead(walk(text));
}

size_t GrammarMask::scans() {
  std::lock_guard lock(mutex_);
  return scans_;
}

size_t GrammarMask::states() {
  std::lock_guard lock(mutex_);
  return g_.states();
}

}  // namespace borel::lm
