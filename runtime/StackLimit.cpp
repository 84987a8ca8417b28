// StackLimit.cpp — the current thread's stack bounds, from pthread_getattr_np.
#include "runtime/StackLimit.h"

#include <pthread.h>

#include <algorithm>

namespace borel::rt {

namespace {

const char* compute_limit() {
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return nullptr;
  void* addr = nullptr;
  std::size_t size = 0;
  const int rc = pthread_attr_getstack(&attr, &addr, &size);
  pthread_attr_destroy(&attr);
  if (rc != 0 || !addr || size == 0) return nullptr;
  // The stack grows down from `high`.
  const char* high = static_cast<const char*>(addr) + size;
  const std::size_t reserve = std::min(size / 8, kStackReserve);
  const std::size_t usable = std::min(size - reserve, kRecursionStackBytes);
  return high - usable;
}

thread_local constinit bool t_known = false;
thread_local constinit const char* t_limit = nullptr;

}  // namespace

const void* stack_limit() {
  if (!t_known) {
    t_limit = compute_limit();
    t_known = true;
  }
  return t_limit;
}

}  // namespace borel::rt
