// Registry.cpp — find_distribution, distribution_count, distribution_at and
// dist_box (runtime/Dist.h), over the families listed in Distributions.def.
#include <cstring>

#include "runtime/Dist.h"
#include "runtime/Value.h"
#include "stdlib/distributions/Distributions.h"

namespace borel::rt {

namespace {

// Constant-initialised (the tables are constant too), so usable from any
// static initialiser.
constexpr const DistOps* kFamilies[] = {
#define BOREL_DISTRIBUTION(name) &dist::name##_ops,
#include "stdlib/distributions/Distributions.def"
#undef BOREL_DISTRIBUTION
};
constexpr int kFamilyCount = static_cast<int>(sizeof kFamilies / sizeof kFamilies[0]);

}  // namespace

const DistOps* find_distribution(const std::string& name) {
  for (const DistOps* ops : kFamilies)
    if (name == ops->name) return ops;
  return nullptr;
}

int distribution_count() { return kFamilyCount; }

const DistOps* distribution_at(int i) { return i >= 0 && i < kFamilyCount ? kFamilies[i] : nullptr; }

Dist* dist_box(const Dist& d) {
  auto* boxed = static_cast<Dist*>(gc_alloc(sizeof(Dist)));
  std::memcpy(static_cast<void*>(boxed), &d, sizeof(Dist));
  return boxed;
}

}  // namespace borel::rt
