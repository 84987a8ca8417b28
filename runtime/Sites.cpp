// Sites.cpp — a mutex-protected, append-only vector of locations.
#include "runtime/Sites.h"

#include <deque>
#include <mutex>
#include <unordered_map>

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

int64_t name_site(const std::string& name) {
  static std::mutex names_mu;
  static std::unordered_map<std::string, int64_t> names;
  std::lock_guard<std::mutex> lock(names_mu);
  auto it = names.find(name);
  if (it != names.end()) return it->second;
  int64_t id = register_site("the random choice \"" + name + "\"");
  names.emplace(name, id);
  return id;
}

int64_t site_count() {
  std::lock_guard<std::mutex> lock(mu);
  return static_cast<int64_t>(table().size());
}

std::string site_location(int64_t id) {
  std::lock_guard<std::mutex> lock(mu);
  if (id < 0 || id >= static_cast<int64_t>(table().size())) return {};
  return table()[static_cast<size_t>(id)];
}

}  // namespace borel::rt
