// MemoryLimit.cpp — the memory limit from sysconf, getrlimit and the cgroup.
#include "runtime/MemoryLimit.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

namespace borel::rt {

namespace {

std::uint64_t compute_limit() {
  std::uint64_t limit = UINT64_MAX;
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) limit = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
  for (int which : {RLIMIT_AS, RLIMIT_DATA}) {
    rlimit r{};
    if (getrlimit(which, &r) == 0 && r.rlim_cur != RLIM_INFINITY) limit = std::min<std::uint64_t>(limit, r.rlim_cur);
  }
  std::ifstream cg("/sys/fs/cgroup/memory.max");
  std::string text;
  if (cg >> text && !text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() < 20)
    limit = std::min<std::uint64_t>(limit, std::stoull(text));
  return limit;
}

std::string gigabytes(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GB", bytes / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

}  // namespace

std::uint64_t memory_limit_bytes() {
  static const std::uint64_t limit = compute_limit();
  return limit;
}

std::string check_allocation(std::int64_t count, std::size_t bytes_each) {
  if (count <= 0 || bytes_each == 0) return {};
  const std::uint64_t limit = memory_limit_bytes();
  if (static_cast<std::uint64_t>(count) <= limit / bytes_each) return {};
  return "out of memory: " + std::to_string(count) + " elements need " +
         gigabytes(static_cast<double>(count) * static_cast<double>(bytes_each)) + ", more than the " +
         gigabytes(static_cast<double>(limit)) + " this process may use";
}

}  // namespace borel::rt
