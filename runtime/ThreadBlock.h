// ThreadBlock.h — a per-thread block of memory the garbage collector scans,
// for small caches keyed by the address of immutable GC objects (arrays):
// an object whose address is in the block stays alive, so the address cannot
// be reused by another object while the entry lasts.
//
// thread_block<T>() is T's block for the calling thread: zeroed on first
// use, uncollectable (never freed: the thread may exit after the collector
// stops tracking it). T must be trivially copyable, its pointers Words.
#pragma once

#include <gc/gc.h>

#include <cstring>
#include <new>
#include <type_traits>

namespace borel::rt {

template <class T>
T& thread_block() {
  static_assert(std::is_trivially_copyable_v<T>);
  thread_local T* block = nullptr;
  if (!block) {
    block = static_cast<T*>(GC_MALLOC_UNCOLLECTABLE(sizeof(T)));
    if (!block) throw std::bad_alloc();
    std::memset(static_cast<void*>(block), 0, sizeof(T));
  }
  return *block;
}

}  // namespace borel::rt
