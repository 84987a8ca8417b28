// ContinuationSpace.cpp — the collected-heap space and the generation arena
// (see ContinuationSpace.h).
#include "runtime/ContinuationSpace.h"

#include <gc/gc.h>

#include <algorithm>
#include <new>

namespace borel::rt {

namespace {

Word *allocate(int64_t words, bool collectable) {
  const size_t bytes = sizeof(Word) * static_cast<size_t>(words);
  void *p = collectable ? GC_MALLOC(bytes) : GC_MALLOC_UNCOLLECTABLE(bytes);
  if (!p)
    throw std::bad_alloc();
  return static_cast<Word *>(p);
}

// Blocks from the collected heap. The block being filled is kept in a root
// (uncollectable memory: thread-local storage is not scanned); the ones
// before it live as long as a continuation in them is referenced (interior
// pointers).
class GcContinuationSpace final : public ContinuationSpace {
public:
  void refill(int64_t words) override {
    gc_init();
    if (!root_)
      root_ = allocate(1, false);
    const int64_t n = std::max(words, kBlockWords);
    block = allocate(n, true);
    *root_ = from_ptr(block);
    used = 0;
    size = n;
  }

private:
  Word *root_ = nullptr;
};

} // namespace

namespace detail {
ContinuationSpace &gc_continuation_space() {
  static thread_local GcContinuationSpace space;
  return space;
}
} // namespace detail

ContinuationArena::~ContinuationArena() {
  for (Generation &g : gen_)
    for (Word *b : g.blocks)
      GC_FREE(b);
}

void ContinuationArena::next_generation() {
  current_ ^= 1;
  gen_[current_].next = 0;
  block = nullptr;
  used = size = 0;
}

void ContinuationArena::refill(int64_t words) {
  Generation &g = gen_[current_];
  // Reuse this generation's next block when it is large enough; otherwise
  // allocate one and put it there (the smaller one is reused later).
  if (g.next < g.blocks.size() && g.sizes[g.next] >= words) {
    block = g.blocks[g.next];
    size = g.sizes[g.next];
  } else {
    gc_init();
    size = std::max(words, kBlockWords);
    block = allocate(size, false);
    g.blocks.insert(g.blocks.begin() + static_cast<std::ptrdiff_t>(g.next),
                    block);
    g.sizes.insert(g.sizes.begin() + static_cast<std::ptrdiff_t>(g.next), size);
  }
  ++g.next;
  used = 0;
}

int64_t ContinuationArena::bytes() const {
  int64_t words = 0;
  for (const Generation &g : gen_)
    for (int64_t s : g.sizes)
      words += s;
  return words * static_cast<int64_t>(sizeof(Word));
}

} // namespace borel::rt
