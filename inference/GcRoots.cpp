// GcRoots.cpp — uncollectable, scanned storage for runtime arrays of words.
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include "inference/GcRoots.h"

#include <gc/gc.h>

#include <cstring>
#include <new>

namespace borel::inference {

RootArray::RootArray(int64_t n) : n_(n) {
  rt::gc_init();
  if (n <= 0) return;
  data_ = static_cast<rt::Word*>(GC_MALLOC_UNCOLLECTABLE(sizeof(rt::Word) * static_cast<size_t>(n)));
  if (!data_) throw std::bad_alloc();
  std::memset(data_, 0, sizeof(rt::Word) * static_cast<size_t>(n));
}

RootArray::~RootArray() {
  if (data_) GC_FREE(data_);
}

uint64_t gc_allocated_bytes() { return GC_get_total_bytes(); }

void reserve_heap(uint64_t bytes) {
  rt::gc_init();
  const uint64_t now = GC_get_heap_size();
  if (bytes > now) GC_expand_hp(static_cast<size_t>(bytes - now));
}

}  // namespace borel::inference
