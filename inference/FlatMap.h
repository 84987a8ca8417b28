// FlatMap.h — a small open-addressing hash map for the trace machinery's
// hot paths (address → index, key → counter).
//
// std::unordered_map allocates a node per insertion and frees it on clear():
// replaying a program for every MCMC move rebuilt such maps and spent a
// third of its time in malloc, free and hashing (perf, fixed-lag rmsmc).
// This one keeps its slots between uses: clear() is O(1) (a generation
// stamp), inserting allocates only when the table grows, and lookups probe
// a contiguous array.
//
// Guarantees: find() returns the value last stored under the key since the
// last clear(), or nullptr; keys compare with ==; Hash gives 64 bits, which
// are mixed again (Fibonacci hashing), so identity hashes of small integers
// are fine. Not thread-safe (one per thread, like the handlers that own it).
#pragma once

#include <cstdint>
#include <vector>

namespace borel::inference {

template <class Key, class Value, class Hash>
class FlatMap {
 public:
  void clear() {
    if (++generation_ == 0) {  // wrapped: forget every stamp
      for (Slot& s : slots_) s.generation = 0;
      generation_ = 1;
    }
    size_ = 0;
  }
  size_t size() const { return size_; }

  const Value* find(const Key& k) const {
    if (slots_.empty()) return nullptr;
    for (size_t i = index(k);; i = (i + 1) & mask()) {
      const Slot& s = slots_[i];
      if (s.generation != generation_) return nullptr;
      if (s.key == k) return &s.value;
    }
  }
  Value* find(const Key& k) { return const_cast<Value*>(static_cast<const FlatMap*>(this)->find(k)); }

  // The value under k, inserted as `fresh` when absent.
  Value& get(const Key& k, const Value& fresh = Value{}) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    for (size_t i = index(k);; i = (i + 1) & mask()) {
      Slot& s = slots_[i];
      if (s.generation != generation_) {
        s = Slot{k, fresh, generation_};
        ++size_;
        return s.value;
      }
      if (s.key == k) return s.value;
    }
  }
  void set(const Key& k, const Value& v) { get(k) = v; }
  Value& operator[](const Key& k) { return get(k); }

  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.generation == generation_) f(s.key, s.value);
  }

 private:
  struct Slot {
    Key key{};
    Value value{};
    uint32_t generation = 0;
  };
  size_t mask() const { return slots_.size() - 1; }
  size_t index(const Key& k) const {
    return static_cast<size_t>((static_cast<uint64_t>(Hash()(k)) * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 16 : 2 * old.size(), Slot{});
    shift_ = 64;
    for (size_t n = slots_.size(); n > 1; n >>= 1) --shift_;
    const uint32_t g = generation_;
    generation_ = 1;
    size_ = 0;
    for (const Slot& s : old)
      if (s.generation == g) get(s.key, s.value);
  }

  std::vector<Slot> slots_;
  uint32_t generation_ = 1;
  size_t size_ = 0;
  int shift_ = 64;
};

}  // namespace borel::inference
