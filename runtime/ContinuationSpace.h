// ContinuationSpace.h — where compiled programs write the continuations of
// suspended runs.
//
// A suspension writes its frames into the current thread's space, bump-
// allocated inside large blocks (runtime/abi/RuntimeAbi.cpp). By default that is
// the collected heap: blocks live while any continuation in them is
// referenced, wherever it is held — the right rule when the holder is not
// known (MCMC traces, saved states, nested runs).
//
// A driver that knows every continuation it will ever resume lives only in
// its own particle array can do better with a ContinuationArena: the
// continuations written in one generation (one SMC step) are dead once the
// generation after next begins, so the arena hands their blocks out again.
// No collection ever has to find that out, and the memory is bounded by two
// generations. The blocks are uncollectable GC memory, so what the frames
// point to stays alive.
//
// Guarantees: continuation_space() is this thread's current space; a
// UseContinuationSpace scope switches it and restores the previous one (so
// nested runs each write into their own); a space is only switched between
// suspensions, never while one is being written.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/Value.h"

namespace borel::rt {

class ContinuationSpace {
public:
  // The block being filled: `used` of its `size` words are handed out.
  Word *block = nullptr;
  int64_t used = 0;
  int64_t size = 0;
  // Makes `block` a fresh block of at least `words` words, with used = 0.
  virtual void refill(int64_t words) = 0;

  static constexpr int64_t kBlockWords =
      8192; // 64 KiB: a few hundred continuations

protected:
  ~ContinuationSpace() = default;
};

// Generation-recycled continuation memory for one population driver.
class ContinuationArena final : public ContinuationSpace {
public:
  ContinuationArena() = default;
  ~ContinuationArena();
  ContinuationArena(const ContinuationArena &) = delete;
  ContinuationArena &operator=(const ContinuationArena &) = delete;

  // Starts generation g + 1: the blocks of generation g - 1 are written
  // again, so no continuation from it may be resumed after this call.
  void next_generation();
  void refill(int64_t words) override;
  // Bytes of blocks held (both generations).
  int64_t bytes() const;

private:
  struct Generation {
    std::vector<Word *> blocks;
    std::vector<int64_t> sizes;
    size_t next = 0; // blocks[0..next) are in use this generation
  };
  Generation gen_[2];
  int current_ = 0;
};

namespace detail {
inline thread_local constinit ContinuationSpace *tls_continuation_space =
    nullptr;
ContinuationSpace &gc_continuation_space();
} // namespace detail

// This thread's current space (the collected heap unless a scope says
// otherwise).
inline ContinuationSpace &continuation_space() {
  ContinuationSpace *s = detail::tls_continuation_space;
  return s ? *s : detail::gc_continuation_space();
}

class UseContinuationSpace {
public:
  explicit UseContinuationSpace(ContinuationSpace &s)
      : saved_(detail::tls_continuation_space) {
    detail::tls_continuation_space = &s;
  }
  ~UseContinuationSpace() { detail::tls_continuation_space = saved_; }
  UseContinuationSpace(const UseContinuationSpace &) = delete;
  UseContinuationSpace &operator=(const UseContinuationSpace &) = delete;

private:
  ContinuationSpace *saved_;
};

} // namespace borel::rt
