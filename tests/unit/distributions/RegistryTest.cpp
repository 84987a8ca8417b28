// RegistryTest.cpp — the registry over Distributions.def, and dist_box.
#include <set>
#include <string>

#include "tests/unit/distributions/Rig.h"

using namespace borel::test;

TEST_CASE("registry: every family is listed once, found by name, and complete") {
  std::set<std::string> names;
  const int n = borel::rt::distribution_count();
  CHECK(n >= 1);
  for (int i = 0; i < n; ++i) {
    const DistOps* ops = borel::rt::distribution_at(i);
    REQUIRE(ops != nullptr);
    CHECK(names.insert(ops->name).second);
    CHECK(borel::rt::find_distribution(ops->name) == ops);
    CHECK(ops->nparams >= 1);
    CHECK(ops->nparams <= 4);
    for (int j = 0; j < ops->nparams; ++j) CHECK(ops->param_names[j] != nullptr);
    CHECK(static_cast<bool>(ops->support));
    CHECK(static_cast<bool>(ops->check));
    CHECK(static_cast<bool>(ops->sample));
    CHECK(static_cast<bool>(ops->log_density));
    CHECK(static_cast<bool>(ops->in_support));
    CHECK(static_cast<bool>(ops->mean));
    CHECK(static_cast<bool>(ops->variance));
  }
  CHECK(borel::rt::distribution_at(n) == nullptr);
  CHECK(borel::rt::distribution_at(-1) == nullptr);
  CHECK(borel::rt::find_distribution("no_such_family") == nullptr);
}

TEST_CASE("registry: dist_box copies a distribution into the GC heap") {
  const Dist d = make("normal", {1, 2});
  Dist* boxed = borel::rt::dist_box(d);
  CHECK(boxed != &d);
  CHECK(boxed->ops == d.ops);
  CHECK(boxed->p[0] == 1);
  CHECK(boxed->p[1] == 2);
}
