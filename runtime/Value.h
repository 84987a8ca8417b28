// Value.h — how Borel values look in memory, shared by compiled code and C++.
//
// Every Borel value is one 64-bit word (`Word`): an int is the integer, a real
// is the IEEE-754 bits of the double, a bool is 0 or 1, unit is 0, and every
// other value (string, array, tuple, record, closure, distribution) is a
// pointer to a garbage-collected heap object. One representation for every
// type lets polymorphic code, closures and suspended frames move values
// without knowing their types; the compiler knows each value's static type
// and unboxes at the primitive operations.
//
// Heap objects are allocated with Boehm GC (scanned conservatively), so any
// runtime container that holds Words must itself live in GC memory or be
// registered as a root (DESIGN.md, decision 1).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace borel::rt {

using Word = int64_t;

inline Word from_real(double x) {
  Word w;
  std::memcpy(&w, &x, sizeof w);
  return w;
}
inline double to_real(Word w) {
  double x;
  std::memcpy(&x, &w, sizeof x);
  return x;
}
template <class T> inline Word from_ptr(const T* p) { return reinterpret_cast<Word>(p); }
template <class T> inline T* to_ptr(Word w) { return reinterpret_cast<T*>(w); }

// Allocation in the collected heap. `gc_alloc` memory is scanned for pointers;
// `gc_alloc_atomic` memory (strings, arrays of reals) is not.
void* gc_alloc(std::size_t bytes);
void* gc_alloc_atomic(std::size_t bytes);
// Must be called once per process before any allocation (idempotent).
void gc_init();

// An immutable array of words: [len, data...].
struct Array {
  int64_t len;
  Word data[];
};
Array* array_new(int64_t len);           // elements zeroed, scanned
Array* array_new_atomic(int64_t len);    // for reals/ints/bools only
Array* array_from_reals(const double* xs, int64_t n);
inline double array_real(const Array* a, int64_t i) { return to_real(a->data[i]); }

// An immutable UTF-8 string: [len, bytes..., '\0'].
struct String {
  int64_t len;
  char data[];
};
String* string_new(std::string_view s);
inline std::string_view view(const String* s) { return {s->data, static_cast<size_t>(s->len)}; }

// A tuple or record: its fields in declaration order (records sort fields by name).
struct Tuple {
  Word fields[1];
};
Tuple* tuple_new(int64_t n);

// A closure: code pointer, the code's differentiating twin (runtime/Tape.h;
// null in programs without gradient-based inference), then the captured
// environment. Compiled functions take (Ctx*, Closure* self, args...) and
// return a Word.
struct Closure {
  void* code;
  void* twin;
  Word env[];
};
inline constexpr int64_t kClosureHeader = 2;  // words before env

}  // namespace borel::rt
