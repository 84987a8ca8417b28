// RegexMask.cpp — see RegexMask.h.
#include "RegexMask.h"

#include <map>

#include "ModelMasks.h"

namespace borel::lm {

RegexMask* RegexMask::get(const std::string& pattern) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<RegexMask>> handles;
  std::lock_guard lock(mutex);
  auto& slot = handles[pattern];
  if (!slot) {
    try {
      slot.reset(new RegexMask(pattern));
    } catch (...) {
      handles.erase(pattern);
      throw;
    }
  }
  return slot.get();
}

const rt::Array* RegexMask::allowed(LanguageModel& lm, std::string_view text) {
  std::shared_ptr<const TokenIndex> index = index_of(lm);  // before the lock: may load a vocabulary
  std::lock_guard lock(mutex_);
  PerModel& m = models_[&lm];
  if (!m.index) m.index = std::move(index);
  const Regex::State s = re_.walk(re_.start(), text);
  const auto k = static_cast<size_t>(s);
  if (m.by_state.size() <= k) m.by_state.resize(k + 1, nullptr);
  if (!m.by_state[k]) {
    const std::vector<llm::TokenId> ids = m.index->allowed(re_, s);
    ++scans_;
    m.by_state[k] = uncollectable_array(ids);
  }
  return m.by_state[k];
}

bool RegexMask::matches(std::string_view text) {
  std::lock_guard lock(mutex_);
  return re_.matches(text);
}

bool RegexMask::viable(std::string_view text) {
  std::lock_guard lock(mutex_);
  return re_.viable(text);
}

size_t RegexMask::scans() {
  std::lock_guard lock(mutex_);
  return scans_;
}

}  // namespace borel::lm
