// GcRoots.h — fixed-size arrays of words that the garbage collector scans.
//
// Continuations and result values are pointers into the collected heap. The
// collector only sees pointers held in GC memory, on registered stacks or in
// registered roots (DESIGN.md, decision 1: a particle vector in malloc memory
// had its live continuations collected). `RootArray` keeps its words in
// *uncollectable* GC memory: scanned like a root at every collection, never
// freed by the collector, released by the destructor. So a RootArray may
// live anywhere (stack, std::vector, a heap object) and what it holds stays
// alive. Use it for every runtime array of Words that outlives one call.
#pragma once

#include <cstdint>
#include <utility>

#include "runtime/Value.h"

namespace borel::inference {

class RootArray {
 public:
  RootArray() = default;
  explicit RootArray(int64_t n);   // n zeroed words
  ~RootArray();
  RootArray(const RootArray&) = delete;
  RootArray& operator=(const RootArray&) = delete;
  RootArray(RootArray&& o) noexcept : data_(std::exchange(o.data_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  RootArray& operator=(RootArray&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(n_, o.n_);
    return *this;
  }
  void swap(RootArray& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(n_, o.n_);
  }

  int64_t size() const { return n_; }
  rt::Word* data() { return data_; }
  const rt::Word* data() const { return data_; }
  rt::Word& operator[](int64_t i) { return data_[i]; }
  rt::Word operator[](int64_t i) const { return data_[i]; }

 private:
  rt::Word* data_ = nullptr;
  int64_t n_ = 0;
};

// Bytes allocated in the collected heap by this process so far.
uint64_t gc_allocated_bytes();

// Grows the collected heap to at least `bytes` (never shrinks it). The
// collector runs when the bytes allocated since the last collection reach a
// fraction (1/3 by default) of the heap, whatever the live data: a loop that
// keeps little alive but allocates steadily — SMC, one continuation per
// particle-step — collects far more often than it needs to in a small heap.
// Sizing the heap from the allocation rate bounds the number of collections.
void reserve_heap(uint64_t bytes);

}  // namespace borel::inference
