// StackLimit.h — how deep compiled code may recurse on the current thread.
//
// Compiled code compares its stack frame with Ctx::stack_limit before every
// call (compiler/backend/Codegen.cpp) and reports "stack overflow: recursion too
// deep" at the call below it: runaway recursion is a located runtime error
// within a bounded time, never a fault on the guard page (which names no
// line) or minutes of page faults through a gigabyte of stack.
//
// Guarantees: the limit leaves the last kStackReserve bytes of the thread's
// stack (at most an eighth of it) to the runtime's C++ frames below the last
// check, and lets compiled code use at most kRecursionStackBytes, which is
// millions of calls deep (a frame of compiled code is a few dozen bytes).
// Unknown stack bounds give nullptr: no check fires, the fault handler
// (tools/ProgramRunner.cpp) remains the backstop.
#pragma once

#include <cstddef>

namespace borel::rt {

inline constexpr std::size_t kRecursionStackBytes = std::size_t{256} << 20;
inline constexpr std::size_t kStackReserve = std::size_t{1} << 20;

// The lowest address a frame of compiled code may have on this thread
// (computed once per thread).
const void* stack_limit();

}  // namespace borel::rt
