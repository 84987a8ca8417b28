// MemoryLimit.h — how much memory this process may use, to refuse at once
// an allocation that can never succeed.
//
// Without it, `repeat(4000000000, f)` built a list for 16 s until the
// collector gave up (an internal error); with it, the builtins that make
// arrays (comprehensions, repeat, ranges) compare the size they need with
// the limit before they start, and report a located runtime error.
// The limit is the least of the physical memory, the address-space and data
// rlimits and the cgroup (v2) memory limit; it errs high (memory in use by
// others is not subtracted), so a refusal is always right, and an
// allocation that passes may still fail later (then it is reported too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace borel::rt {

// Bytes this process may use at most (computed once).
std::uint64_t memory_limit_bytes();

// "" when `count` elements of `bytes_each` bytes may fit, else the message
// of the error, e.g. "out of memory: 4000000000 elements need 149.0 GB,
// more than the 23.4 GB this process may use". A negative count fits.
std::string check_allocation(std::int64_t count, std::size_t bytes_each);

}  // namespace borel::rt
