// Value.cpp — GC-backed allocation of Borel heap objects.
#include "runtime/Value.h"

#include <gc/gc.h>

#include <mutex>
#include <new>

namespace borel::rt {

namespace {
// Borel's own code is linked into the executable; shared libraries (LLVM,
// the C++ library, ...) never hold pointers into the collected heap, so
// their writable segments — megabytes for libLLVM — are not scanned as roots
// at every collection. The executable itself (empty name) is.
int only_the_executable_is_a_root(const char* name, void*, size_t) { return name == nullptr || name[0] == 0; }
}  // namespace

void gc_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    GC_register_has_static_roots_callback(only_the_executable_is_a_root);
    GC_INIT();
    GC_allow_register_threads();
  });
}

void* gc_alloc(std::size_t bytes) {
  void* p = GC_MALLOC(bytes);
  if (!p) throw std::bad_alloc();
  return p;
}

void* gc_alloc_atomic(std::size_t bytes) {
  void* p = GC_MALLOC_ATOMIC(bytes);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  return p;
}

Array* array_new(int64_t len) {
  auto* a = static_cast<Array*>(gc_alloc(sizeof(Array) + sizeof(Word) * static_cast<size_t>(len)));
  a->len = len;
  return a;
}

Array* array_new_atomic(int64_t len) {
  auto* a = static_cast<Array*>(gc_alloc_atomic(sizeof(Array) + sizeof(Word) * static_cast<size_t>(len)));
  a->len = len;
  return a;
}

Array* array_from_reals(const double* xs, int64_t n) {
  Array* a = array_new_atomic(n);
  for (int64_t i = 0; i < n; ++i) a->data[i] = from_real(xs[i]);
  return a;
}

String* string_new(std::string_view s) {
  auto* r = static_cast<String*>(gc_alloc_atomic(sizeof(String) + s.size() + 1));
  r->len = static_cast<int64_t>(s.size());
  std::memcpy(r->data, s.data(), s.size());
  r->data[s.size()] = '\0';
  return r;
}

Tuple* tuple_new(int64_t n) {
  return static_cast<Tuple*>(gc_alloc(sizeof(Word) * static_cast<size_t>(n > 0 ? n : 1)));
}

}  // namespace borel::rt
