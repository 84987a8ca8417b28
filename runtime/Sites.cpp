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

namespace {
std::mutex names_mu;
std::unordered_map<std::string, int64_t>& names() {
  static std::unordered_map<std::string, int64_t> m;
  return m;
}
std::unordered_map<int64_t, std::string>& names_by_id() {
  static std::unordered_map<int64_t, std::string> m;
  return m;
}
}  // namespace

int64_t name_site(const std::string& name) {
  std::lock_guard<std::mutex> lock(names_mu);
  auto it = names().find(name);
  if (it != names().end()) return it->second;
  int64_t id = register_site("the random choice \"" + name + "\"");
  names().emplace(name, id);
  names_by_id().emplace(id, name);
  return id;
}

std::string site_name(int64_t id) {
  std::lock_guard<std::mutex> lock(names_mu);
  auto it = names_by_id().find(id);
  return it == names_by_id().end() ? std::string() : it->second;
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
