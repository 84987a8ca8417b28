// Sites.cpp — a mutex-protected, append-only vector of locations.
#include "runtime/Sites.h"

#include <deque>
#include <mutex>

namespace borel::rt {
namespace {
std::mutex mu;
std::deque<std::string>& table() {
  static std::deque<std::string> t;
  return t;
}
}  // namespace

int64_t register_site(std::string location) {
  std::lock_guard<std::mutex> lock(mu);
  table().push_back(std::move(location));
  return static_cast<int64_t>(table().size() - 1);
}

std::string site_location(int64_t id) {
  std::lock_guard<std::mutex> lock(mu);
  if (id < 0 || id >= static_cast<int64_t>(table().size())) return {};
  return table()[static_cast<size_t>(id)];
}

}  // namespace borel::rt
