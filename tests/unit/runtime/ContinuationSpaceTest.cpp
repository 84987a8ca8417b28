// ContinuationSpaceTest.cpp — the generation arena reuses exactly the blocks
// of the generation before the previous one, and scopes nest.
#include <doctest/doctest.h>

#include <set>

#include "runtime/ContinuationSpace.h"

using borel::rt::ContinuationArena;
using borel::rt::ContinuationSpace;
using borel::rt::Word;

namespace {
// Fills `blocks` blocks of one generation and returns their addresses.
std::set<Word *> fill(ContinuationArena &a, int blocks) {
  std::set<Word *> seen;
  for (int i = 0; i < blocks; ++i) {
    a.refill(100);
    seen.insert(a.block);
  }
  return seen;
}
} // namespace

TEST_CASE(
    "a generation's blocks are reused two generations later, never the next") {
  borel::rt::gc_init();
  ContinuationArena a;
  a.next_generation();
  const std::set<Word *> g0 = fill(a, 3);
  a.next_generation();
  const std::set<Word *> g1 = fill(a, 3);
  for (Word *b : g1)
    CHECK(g0.count(b) == 0); // generation 0 may still be resumed
  a.next_generation();
  CHECK(fill(a, 3) == g0);
  a.next_generation();
  for (Word *b : fill(a, 2))
    CHECK(g1.count(b) == 1);
  CHECK(a.bytes() == 6 * ContinuationSpace::kBlockWords * 8);
}

TEST_CASE("a block larger than the standard size is made on demand and kept "
          "for reuse") {
  borel::rt::gc_init();
  ContinuationArena a;
  a.next_generation();
  a.refill(3 * ContinuationSpace::kBlockWords);
  CHECK(a.size == 3 * ContinuationSpace::kBlockWords);
  CHECK(a.used == 0);
  Word *big = a.block;
  a.next_generation();
  a.next_generation();
  a.refill(10);
  CHECK(a.block == big);
}

TEST_CASE("UseContinuationSpace switches this thread's space and restores it") {
  borel::rt::gc_init();
  ContinuationSpace *outer = &borel::rt::continuation_space();
  ContinuationArena a, b;
  {
    borel::rt::UseContinuationSpace use_a(a);
    CHECK(&borel::rt::continuation_space() == &a);
    {
      borel::rt::UseContinuationSpace use_b(b);
      CHECK(&borel::rt::continuation_space() == &b);
    }
    CHECK(&borel::rt::continuation_space() == &a);
  }
  CHECK(&borel::rt::continuation_space() == outer);
}
