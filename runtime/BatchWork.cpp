// BatchWork.cpp — the registry of families pending at an observed value
// (see BatchWork.h).
#include "runtime/BatchWork.h"

#include <array>
#include <atomic>
#include <stdexcept>

namespace borel::rt {

namespace {

// A handful of families at most (the language-model ones), registered at
// static initialisation, read from every thread afterwards.
struct Entry {
  const DistOps* ops;
  PendingAt f;
};
std::array<Entry, 8> entries;
std::atomic<int> count{0};

}  // namespace

void register_pending_at(const DistOps* ops, PendingAt f) {
  const int n = count.load(std::memory_order_relaxed);
  if (n == static_cast<int>(entries.size())) throw std::logic_error("register_pending_at: registry full");
  entries[static_cast<size_t>(n)] = {ops, f};
  count.store(n + 1, std::memory_order_release);
}

PendingAt pending_at_of(const DistOps* ops) {
  const int n = count.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i)
    if (entries[static_cast<size_t>(i)].ops == ops) return entries[static_cast<size_t>(i)].f;
  return nullptr;
}

}  // namespace borel::rt
